"""The update timers pane: the core timer engine's clocks (``warroom.core.timers``) as
countdowns that cannot be read as times of day (``in 23m``, ``due now``, ``4m late``,
``vacant 6m``: :meth:`~warroom.core.timers.Timer.countdown`, whole minutes, so a countdown
changes once a minute). Due and overdue ones stand out by a glyph (``!``) and weight as well
as colour, so a monochrome terminal loses nothing."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.cells import cell_len
from textual.content import Content
from warroom.app.formatting import fit_label
from warroom.app.widgets.quiet import QuietStatic
from warroom.core.durations import format_duration

if TYPE_CHECKING:
    from warroom.core.timers import Timer

ALERT = "! "
"""Marks a timer that wants something now (due, late, a vacant role): a glyph every terminal
has (the Linux console's font has no ⚠)."""
VALUE_ROOM = 10
"""Cells kept for a value when the pane sizes itself (``in 1h 05m``, ``! 12m late``)."""
FRAME = 4
"""Border and padding, left and right."""

SHORT_LABELS = {"summary": "Summary", "status_update": "Update", "escalation": "Escalate",
                "response": "Response", "out_of_hours": "OOH stop", "review": "Review"}


def short_label(timer: Timer) -> str:
    """The label a narrow pane shows: a word for each kind, the role's id for role timers."""
    if timer.kind == "rotation" and timer.role:
        return f"Rotate {timer.role}"
    if timer.kind == "vacant" and timer.role:
        return f"{timer.role} vacant"
    return SHORT_LABELS.get(timer.kind, timer.label)


def timer_value(timer: Timer, now: datetime) -> tuple[str, str]:
    """Short display text and its style: ``in 12m``, ``! due now``, ``! 3m late``,
    ``! vacant 6m``, ``zz in 9m`` (snoozed: back in 9 minutes).
    (States compare as strings: importing the timer engine here would slow the first paint.)"""
    state = timer.state_at(now)
    left = timer.remaining(now)
    if state == "snoozed" and timer.snoozed_until is not None:
        back = format_duration(timer.snoozed_until - now, "countdown", round_up=True)
        return f"zz in {back}", "$text-muted"
    if state == "upcoming" and left is not None:
        soon = left.total_seconds() < 300
        return timer.countdown(now), "bold $text-warning" if soon else ""
    if state == "due" and timer.sticky:
        return ALERT + timer.countdown(now), "bold reverse $text-error"
    if state == "due":
        return ALERT + timer.countdown(now), "bold reverse $text-warning"
    if state == "overdue":
        return ALERT + timer.countdown(now), "bold reverse $text-error"
    return "—", "$text-muted"


class TimersPane(QuietStatic):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Content("…"), id=id)
        self.border_title = "Timers (w)"
        self._clocks: list[Timer] = []
        self.stopped = ""
        self.after: list[str] = []
        self._now: datetime | None = None
        self._rows: dict[tuple, Content] = {}
        """Each timer row's line by what it shows: a tick that changes no text reuses the
        very line shown (compared by identity, not built again)."""

    def on_resize(self) -> None:
        """Labels fit the width: redraw with the width the layout gave (it may come after)."""
        if self._now is not None:
            self.tick(self._now)

    @property
    def timers(self) -> list[Timer]:
        return self._clocks

    def natural_width(self, *, short: bool = False) -> int:
        """The width (frame included) at which every label shows whole, full or short."""
        now = self._now
        shown = [t.at(now) for t in self._clocks] if now is not None else []
        widths = [cell_len(short_label(t) if short else t.label) + 1
                  + max(VALUE_ROOM, cell_len(timer_value(t, now)[0]))
                  for t in shown if t.applicable and now is not None]
        if self.stopped:
            widths.append(cell_len(f"Stopped: {self.stopped}"))
        return max(widths or [12]) + FRAME

    def show(self, timers: list[Timer], now: datetime, *, stopped: str = "",
             after: list[str] | None = None) -> None:
        """``stopped``: why the live timers stopped (the incident is resolved), shown first;
        the timers still running after it (the review) follow, then ``after``: the open steps
        of the post-incident checklist."""
        self._clocks, self.stopped = timers, stopped
        self.after = list(after or [])
        self.tick(now)

    def tick(self, now: datetime) -> None:
        self._now = now
        lines, alerting = [], False
        width = max(self.content_size.width, 12)
        if self.stopped:
            lines.append(Content.styled(fit_label(f"Stopped: {self.stopped}", width), "$text-muted"))
        rows, self._rows = self._rows, {}
        for timer in self._clocks:
            current = timer.at(now)
            if not current.applicable:
                continue
            alerting = alerting or current.alerting
            value, style = timer_value(current, now)
            key = (current.label, current.kind, current.role, value, style, width)
            line = rows.get(key)
            if line is None:
                room = max(width - cell_len(value) - 1, 1)
                label = fit_label(current.label, room, short_label(current))
                pad = " " * max(room - cell_len(label), 0)
                line = Content.assemble((f"{label}{pad} ", ""), (value, style))
            self._rows[key] = line
            lines.append(line)
        if self.stopped and self.after:
            lines.append(Content.styled("Post-incident (l):", "bold"))
            lines += [Content.assemble(("[ ] ", "$text-warning"), fit_label(step, width - 4))
                      for step in self.after]
        self.show_lines(lines if lines else [Content.styled("No timers", "$text-muted")])
        self.set_class(alerting, "-overdue")
