"""The update timers: countdowns for the profile's cadences, ticking every second.

The countdowns are computed here by :func:`countdowns`, a small pure function, until the core's
timer engine (``warroom.core.timers``) exists; the pane only needs label, due time and detail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from textual.content import Content
from textual.widgets import Static

from warroom.app.formatting import countdown

if TYPE_CHECKING:
    from warroom.core.profiles import Profile
    from warroom.core.state import IncidentState


@dataclass(frozen=True)
class Countdown:
    key: str
    label: str
    due: datetime | None
    """None: nothing due (done, or not applicable now); ``detail`` says why."""
    detail: str = ""

    def remaining(self, now: datetime) -> timedelta | None:
        return None if self.due is None else self.due - now


def countdowns(state: IncidentState, profile: Profile, now: datetime, *,
               escalated: bool = False) -> list[Countdown]:
    """What the lead must do next and when, from the profile's cadences and the log so far."""
    cad = profile.cadences
    start = state.declared_at or now
    out: list[Countdown] = []
    if not state.is_open:
        return [Countdown("status", "Resolved", None, state.status)]
    if cad.summary:
        base = state.latest_summary.occurred if state.latest_summary else start
        out.append(Countdown("summary", "Summary", base + cad.summary))
    comms = state.latest_comms
    interval = profile.status_update_interval(state.severity)
    if comms is not None and comms.data.get("next_update_s"):
        interval = timedelta(seconds=int(comms.data["next_update_s"]))
    if interval:
        base = comms.occurred if comms is not None else start
        out.append(Countdown("update", "Update", base + interval))
    if cad.escalate_after:
        out.append(Countdown("escalate", "Escalate", None, "done") if escalated
                   else Countdown("escalate", "Escalate", start + cad.escalate_after))
    ooh = cad.out_of_hours
    if ooh is not None and ooh.stop_after:
        local = now.astimezone(profile.zone)
        if ooh.contains(local.time()):
            opened = local.replace(hour=ooh.start.hour, minute=ooh.start.minute, second=0,
                                   microsecond=0)
            if opened > local:
                opened -= timedelta(days=1)
            out.append(Countdown("ooh", "OOH stop", max(start, opened) + ooh.stop_after))
        else:
            out.append(Countdown("ooh", "OOH stop", None, "in hours"))
    if cad.rotation and state.roles:
        holder = min(state.roles.values(), key=lambda h: h.since)
        out.append(Countdown("rotation", "Rotate", holder.since + cad.rotation, holder.person))
    return out


class TimersPane(Static):
    """Countdowns; overdue ones stand out and count up."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Content("…"), id=id)
        self.border_title = "Timers"
        self._items: list[Countdown] = []
        self._now: datetime | None = None

    @property
    def items(self) -> list[Countdown]:
        return self._items

    def show(self, items: list[Countdown], now: datetime) -> None:
        self._items, self._now = items, now
        self.tick(now)

    def tick(self, now: datetime) -> None:
        lines = []
        overdue = 0
        for item in self._items:
            left = item.remaining(now)
            if left is None:
                value, style = item.detail or "—", "$text-muted"
            elif left.total_seconds() < 0:
                value, style = "+" + countdown(left), "bold $text-error"
                overdue += 1
            else:
                soon = left.total_seconds() < 300
                value, style = countdown(left), "bold $text-warning" if soon else ""
            label = item.label
            if item.key == "rotation" and item.detail:
                label = f"Rotate {item.detail}"
            width = max(self.content_size.width, 12)
            room = max(width - len(value) - 1, 1)
            name = label if len(label) <= room else label[:room - 1] + "…"
            lines.append(Content.assemble((f"{name:<{room}} ", ""), (value, style)))
        self.update(Content("\n").join(lines) if lines else Content("No cadences"))
        self.set_class(overdue > 0, "-overdue")
