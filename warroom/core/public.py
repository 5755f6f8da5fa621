"""The public statement: the parts of the report published for users (GDS shape), and a
draft of them from what was already written for the public (the status updates sent and the
impact window), offered by the ``p`` dialog and ``warroom public --draft``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    from warroom.core.state import IncidentState

PARTS: dict[str, str] = {
    "what_happened": "What happened",
    "users_saw": "What users saw",
    "response": "How we responded",
    "cause": "Cause of the problem",
    "prevention": "What we're doing to prevent it happening again",
}


def _utc(at: "datetime") -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def public_draft(state: "IncidentState", updates: list[tuple[str, str]]) -> dict[str, str]:
    """A first draft of each part, from the public record only: ``updates`` are the status
    updates sent, (UTC time, text), oldest first. Never the internal log."""
    if state.public is not None:
        return {key: str(state.public.data.get(key) or "") for key in PARTS}
    start = state.impact.get("started") or state.declared_at
    end = state.impact.get("mitigated") or state.resolved_at
    services = ", ".join(state.services) or "our services"
    if start is not None and end is not None:
        happened = f"Between {_utc(start)} and {_utc(end)}, {services} were affected."
    elif start is not None:
        happened = f"Since {_utc(start)}, {services} have been affected."
    else:
        happened = f"{services} were affected."
    detected = state.impact.get("detected") or state.declared_at
    if start is not None and detected is not None and detected > start:
        minutes = int((detected - start).total_seconds() // 60)
        happened += f" We detected the problem {minutes} minutes after it began."
    return {
        "what_happened": happened,
        "users_saw": updates[0][1] if updates else "",
        "response": "\n".join(f"{at}: {text}" for at, text in updates),
        "cause": "",
        "prevention": "",
    }
