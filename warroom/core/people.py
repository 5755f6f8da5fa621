"""Who is who in an incident, as the process sees it: whose prompt the summary is, and the
names this incident has already used (offered in a handover, checked for typos)."""

from __future__ import annotations

from warroom.core.state import IncidentState


def gets_summary_prompt(state: IncidentState | None, user: str) -> bool:
    """The summary prompt is the lead's: whoever holds the role (however the name is typed),
    or anyone while the role is vacant."""
    lead = state.holder("lead") if state is not None else None
    return not lead or lead.casefold() == (user or "").casefold()


def known_people(state: IncidentState, user: str = "") -> list[str]:
    """Everyone the incident has named, sorted: who holds a role now, who has held one, the
    owners of actions and follow-ups, and ``user`` (the person typing)."""
    names = {h.person for h in state.roles.values()}
    names.update(c.after for c in state.role_history if c.after)
    names.update(a.owner for a in state.actions.values() if a.owner)
    names.add(user)
    names.discard("")
    return sorted(names)
