"""What the process warns about who holds which role, as typed values the screens can sort:
vacant required roles, one person in two roles that should be two people, someone in a role
for longer than the rotation interval, a name nobody has used in the incident yet, and a
change to production logged by someone other than the role that makes them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Literal

from warroom.core.profiles import Profile
from warroom.core.rules import changes_by_others
from warroom.core.state import IncidentState

WarningKind = Literal["vacant", "doubled", "rotate", "unknown_person", "change_by"]


@dataclass(frozen=True)
class RoleWarning:
    kind: WarningKind
    text: str
    """One sentence a person reads (``Scribe is vacant``)."""
    role: str = ""
    person: str = ""

    def __str__(self) -> str:
        return self.text


def role_warnings(state: IncidentState, profile: Profile, now: datetime) -> list[RoleWarning]:
    """What the process warns about now: vacant required roles, one person in two roles that
    should be two people, someone in a role for longer than the rotation interval."""
    holders = {r: h.person for r, h in state.roles.items()}
    warnings = _vacant(holders, profile, state.customer_impacting)
    for a, b in _doubled(holders, profile):
        warnings.append(RoleWarning(
            "doubled", f"{holders[a]} is both {profile.role(a).name} and {profile.role(b).name}",
            role=a, person=holders[a]))
    rotation = profile.cadences.rotation
    if rotation and state.is_open:
        for holder in state.roles.values():
            if now - holder.since > rotation:
                warnings.append(RoleWarning(
                    "rotate", f"{holder.person} has been {profile.role_name(holder.role)} for over "
                              f"{int(rotation.total_seconds() // 3600) or 1}h: rotate",
                    role=holder.role, person=holder.person))
    warnings += _changes_by_others(state, profile)
    return warnings


def _changes_by_others(state: IncidentState, profile: Profile) -> list[RoleWarning]:
    """The latest change logged by someone other than the one role that changes production
    (GOV.UK PaaS: the incident lead), and how many there were: one line, all incident long
    (the report lists each)."""
    found = changes_by_others(profile, state)
    if not found:
        return []
    last = found[-1]
    more = f" ({len(found)} so far)" if len(found) > 1 else ""
    return [RoleWarning("change_by", last.short + more, role=last.role, person=last.entry.author)]


def assignment_warnings(state: IncidentState, profile: Profile, role: str, person: str,
                        people: Iterable[str] = ()) -> list[RoleWarning]:
    """What the process warns about if ``person`` takes ``role`` now (before it is saved): one
    person in two roles that should be two people, required roles left vacant, and a name
    nobody has used in this incident yet but that looks like a near miss of one who has
    (``people``: the names seen so far; a typo in a handover sends the pager to nobody; a new
    person joining is not a typo)."""
    person = person.strip()
    holders = {r: h.person for r, h in state.roles.items()}
    if person:
        holders[role] = person
    out = [RoleWarning("doubled", f"{holders[a]} would be both {profile.role(a).name} and "
                                  f"{profile.role(b).name}", role=role, person=holders[a])
           for a, b in _doubled(holders, profile) if role in (a, b)]
    out += _vacant(holders, profile, state.customer_impacting)
    known = {p.casefold() for p in people}
    if person and known and person.casefold() not in known and _near_miss(person, known):
        out.append(RoleWarning("unknown_person", f"{person} has not appeared in this incident "
                                                 "before (check the spelling)",
                               role=role, person=person))
    return out


def _vacant(holders: dict[str, str], profile: Profile,
            customer_impacting: bool = False) -> list[RoleWarning]:
    return [RoleWarning("vacant", f"{r.name} is vacant" + (
                "" if r.required else " (required: the incident affects customers)"), role=r.id)
            for r in profile.roles if r.required_for(customer_impacting) and not holders.get(r.id)]


def _doubled(holders: dict[str, str], profile: Profile) -> list[tuple[str, str]]:
    """Role pairs the process wants held by two people that one person holds (however the
    name was typed)."""
    return [(a, b) for a, b in profile.same_person_warnings
            if holders.get(a) and holders.get(b) and holders[a].casefold() == holders[b].casefold()]


def _near_miss(person: str, known: set[str]) -> bool:
    """``grcae`` for ``grace``, ``alcie`` for ``alice``: close to a known name, but not it."""
    from difflib import get_close_matches

    return bool(get_close_matches(person.casefold(), known, n=1, cutoff=0.65))
