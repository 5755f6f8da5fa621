"""The update timers pane: the core timer engine's clocks (``warroom.core.timers``) as compact
countdowns, ticking every second; due and overdue ones stand out and count up."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from textual.content import Content
from warroom.app.widgets.quiet import QuietStatic
from warroom.core.durations import format_duration

if TYPE_CHECKING:
    from warroom.core.timers import Timer


def timer_value(timer: Timer, now: datetime) -> tuple[str, str]:
    """Short display text and its style: ``12:04``, ``due``, ``+03:10``, ``zz 14:35``.
    (States compare as strings: importing the timer engine here would slow the first paint.)"""
    state = timer.state_at(now)
    left = timer.remaining(now)
    if state == "snoozed" and timer.snoozed_until is not None:
        return f"zz {timer.snoozed_until.astimezone():%H:%M}", "$text-muted"
    if state == "upcoming" and left is not None:
        soon = left.total_seconds() < 300
        return format_duration(left, "clock"), "bold $text-warning" if soon else ""
    if state == "due":
        if timer.sticky and left is not None:
            return format_duration(left, "clock"), "bold reverse $text-error"
        return "due", "bold reverse $text-warning"
    if state == "overdue" and left is not None:
        return "+" + format_duration(left, "clock"), "bold reverse $text-error"
    return "—", "$text-muted"


class TimersPane(QuietStatic):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Content("…"), id=id)
        self.border_title = "Timers (w)"
        self._clocks: list[Timer] = []
        self.stopped = ""
        self._now: datetime | None = None

    def on_resize(self) -> None:
        """Labels fit the width: redraw with the width the layout gave (it may come after)."""
        if self._now is not None:
            self.tick(self._now)

    @property
    def timers(self) -> list[Timer]:
        return self._clocks

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
        if self.stopped:
            lines.append(Content.styled(f"Stopped: {self.stopped}", "$text-muted"))
        width = max(self.content_size.width, 12)
        for timer in self._clocks:
            current = timer.at(now)
            if not current.applicable:
                continue
            alerting = alerting or current.alerting
            value, style = timer_value(current, now)
            room = max(width - len(value) - 1, 1)
            label = current.label if len(current.label) <= room else current.label[:room - 1] + "…"
            lines.append(Content.assemble((f"{label:<{room}} ", ""), (value, style)))
        if self.stopped and getattr(self, "after", None):
            lines.append(Content.styled("Post-incident (l):", "bold"))
            lines += [Content.assemble(("☐ ", "$text-warning"), _cut(step, width - 2))
                      for step in self.after]
        self.show_content(Content("\n").join(lines) if lines else Content.styled("No timers", "$text-muted"))
        self.set_class(alerting, "-overdue")


def _cut(text: str, room: int) -> str:
    return text if len(text) <= room else text[:max(room - 1, 1)] + "…"
