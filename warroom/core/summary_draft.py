"""The draft of the lead summary: what happened since the last summary, as plain text the lead
edits before saving (the summary dialog fills its text box with it)."""

from __future__ import annotations

from datetime import tzinfo
from typing import Iterable
from zoneinfo import ZoneInfo

from warroom.base.model import Entry
from warroom.core.describe import describe, owner_mentioned
from warroom.core.profiles import Profile
from warroom.core.state import IncidentState

_DRAFT_SECTIONS = (("decision", "Decisions"), ("action", "Actions"), ("result", "Results"),
                   ("change", "Changes made"))


def summary_draft(state: IncidentState, entries: Iterable[Entry], *,
                  profile: Profile | None = None, zone: str | tzinfo | None = None) -> str:
    """A draft lead summary from what happened since the last summary: status and severity
    moves, decisions, actions, results and changes made (as corrected), then every action
    still open. The lead edits it; it is plain text, one ``- `` line per item. Times are shown
    in ``zone``, else the profile's, else UTC."""
    chosen = zone or (profile.timezone if profile else "UTC")
    tz = chosen if isinstance(chosen, tzinfo) else ZoneInfo(chosen)
    severity = profile.severity_label(state.severity) if profile and state.severity else state.severity
    since_seq = state.last_summary_seq
    fresh = [e for e in entries if e.seq > since_seq]
    lines = []
    if state.last_summary_at is not None:
        lines.append(f"Since the last summary ({state.last_summary_at.astimezone(tz):%H:%M %Z}):")
    elif state.declared_at is not None:
        lines.append(f"Since the incident was declared ({state.declared_at.astimezone(tz):%H:%M %Z}):")
    lines.append(f"Status: {state.status}; severity: {severity or 'not set'}")
    status_moves = [e for e in fresh if e.kind in ("status", "severity")]
    for e in status_moves:
        d = describe(e, state.current_text(e))
        lines.append(f"- {d.kind} {_or_unknown(d.before)} → {_or_unknown(d.after)} "
                     f"({e.occurred.astimezone(tz):%H:%M}): {_one_line(d.text)}")
    wrote_any = False
    for kind, heading in _DRAFT_SECTIONS:
        items = [e for e in fresh if e.kind == kind]
        if not items:
            continue
        wrote_any = True
        lines.append("")
        lines.append(f"{heading}:")
        for e in items:
            text = _one_line(state.current_text(e))
            done = ""
            if kind == "action":
                item = state.actions.get(e.seq)
                done = " [done]" if item is not None and item.done else ""
            lines.append(f"- {text}{done}")
    calls = [e for e in fresh if e.kind in ("escalation", "ticket")]
    if calls:
        wrote_any = True
        lines.append("")
        lines.append("Escalations and support tickets:")
        lines.extend(f"- {_one_line(describe(e, state.current_text(e)).line)}" for e in calls)
    if not wrote_any:
        lines.append("")
        lines.append("No decisions, actions, results or changes logged since then.")
    open_actions = [a for a in state.open_actions() if a.kind == "action"]
    lines.append("")
    if open_actions:
        lines.append("Open actions:")
        for a in open_actions:
            owner = "" if owner_mentioned(a.owner, a.text) else f"@{a.owner}: "
            lines.append(f"- #{a.seq} {owner}{_one_line(a.text)}")
    else:
        lines.append("Open actions: none")
    lines.append("")
    lines.append("Next steps:")
    return "\n".join(lines)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _or_unknown(value: object) -> str:
    return "?" if value is None else str(value)
