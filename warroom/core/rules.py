"""The process rules that are not clocks: who may change production, and what is responded to
out of hours. Each reads the profile and the incident's state; the role board, the summary
pane, the command line and the report phrase what they return.

* GOV.UK PaaS: "Make necessary changes to the production environment (only the incident lead
  can do this)". A profile marks that role ``sole_changer``; a ``change`` logged by anyone
  else is flagged, not refused (whoever logs it may be recording what the lead did: a change
  whose text names the lead is taken as that).
* dxw: "Out of hours [18:00 to 10:00] ... only respond to critical alerts and emergency
  tickets". A profile lists those severities in ``[cadences.out_of_hours] respond_at``; an
  open incident below them says so while it is out of hours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from warroom.base.model import Entry
from warroom.core.profiles import Profile, Role
from warroom.core.state import IncidentState
from warroom.core.timers import working_hours_resume


@dataclass(frozen=True)
class OffRoleChange:
    """A ``change`` logged by someone other than the one role that changes production."""

    entry: Entry
    role: str
    """The role's name (``Incident lead``)."""
    holder: str | None
    """Who held that role when the change was logged (None: nobody)."""

    @property
    def text(self) -> str:
        """One sentence: ``change #15 logged by cam, but lee was the Incident lead: only the
        Incident lead changes production``."""
        who = (f"{self.holder} was the {self.role}" if self.holder
               else f"no {self.role} was assigned")
        return (f"change #{self.entry.seq} logged by {self.entry.author}, but {who}: "
                f"only the {self.role} changes production")

    @property
    def short(self) -> str:
        """For the role board's narrow column: ``change #15 by cam, not lee``."""
        who = f"not {self.holder}" if self.holder else f"no {self.role}"
        return f"change #{self.entry.seq} by {self.entry.author}, {who}"


def sole_changer(profile: Profile) -> Role | None:
    return next((r for r in profile.roles if r.sole_changer), None)


def changes_by_others(profile: Profile, state: IncidentState) -> list[OffRoleChange]:
    """Every change logged by someone other than the holder of the profile's ``sole_changer``
    role at the time (in log order); none when the profile has no such role."""
    role = sole_changer(profile)
    if role is None:
        return []
    out = []
    for entry, holders in state.changes_made:
        holder = holders.get(role.id)
        if holder and (entry.author.casefold() == holder.casefold()
                       or names(holder, state.current_text(entry))):
            continue
        out.append(OffRoleChange(entry, role.name, holder))
    return out


def names(person: str, text: str) -> bool:
    """``text`` names ``person`` as a word (``lee rolled back``, ``@lee``), any case."""
    return bool(re.search(rf"(?<!\w){re.escape(person)}(?!\w)", text, re.IGNORECASE))


@dataclass(frozen=True)
class OutOfHoursScope:
    """An open incident, out of hours, below the severities the process responds to then."""

    severity: str
    """Its severity's label (``Minor``)."""
    allowed: str
    """The severities responded to out of hours (``Critical``)."""
    until: datetime
    """When working hours begin again (local to the profile)."""
    rule: str
    """The process's own words (``only respond to critical alerts and emergency tickets``)."""

    @property
    def short(self) -> str:
        """For a narrow pane: ``Minor out of hours: Critical only till 10:00``."""
        return f"{self.severity} out of hours: {self.allowed} only till {self.until:%H:%M}"

    @property
    def text(self) -> str:
        return (f"Out of hours until {self.until:%H:%M}: {self.rule}. This incident is "
                f"{self.severity}, not {self.allowed}.")


def out_of_hours_scope(profile: Profile, state: IncidentState, now: datetime) -> OutOfHoursScope | None:
    """The out-of-hours response rule, when it applies to this incident now (None otherwise)."""
    ooh = profile.cadences.out_of_hours
    if ooh is None or not ooh.respond_at or not state.is_open or not profile.out_of_hours_at(now):
        return None
    if state.severity in ooh.respond_at:
        return None
    sev = profile.severity_by_id(state.severity)
    if sev is not None and sev.retrospective:
        return None  # handled after the fact anyway
    allowed = " or ".join(profile.severity_label(s) for s in ooh.respond_at)
    return OutOfHoursScope(
        severity=profile.severity_label(state.severity), allowed=allowed,
        until=working_hours_resume(ooh, now, profile.zone).astimezone(profile.zone),
        rule=ooh.respond_note or f"only respond to {allowed} incidents")
