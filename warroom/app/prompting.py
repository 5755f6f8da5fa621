"""The war-room screen's clocks: the incident's timers planned on one scheduler job, a timer
falling due announced (a notification and the bell), and the lead's summary prompt offered
when it may open without taking anyone's keystrokes.

Whose prompt the summary is comes from the domain (:func:`warroom.core.people.gets_summary_prompt`);
this module only decides when to show it. A mixin of
:class:`~warroom.app.screens.war_room.WarRoomScreen`.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.screen import Screen

    from warroom.app.host import HostApp
    from warroom.app.widgets.entry_line import EntryLine
    from warroom.core.profiles import Profile
    from warroom.core.state import IncidentState
    from warroom.core.timers import Timer

    _Screen = Screen[None]
else:
    _Screen = object

IDLE_SECONDS = 20
"""An open but empty entry line untouched this long no longer holds back a due prompt."""


class Prompting(_Screen):
    """Timers, due announcements and the summary prompt, for the war-room screen."""

    state: IncidentState | None
    profile: Profile | None
    readonly: bool
    scheduler: Any
    _prompt_due: str | None

    if TYPE_CHECKING:
        app: HostApp
        @property
        def _gone(self) -> bool: ...
        @property
        def entry_line(self) -> EntryLine: ...
        def now(self) -> datetime: ...
        def open_summary(self, *, prompted: bool) -> None: ...
        def refresh_panes(self) -> None: ...
        def refresh_summary(self, now: datetime) -> None: ...
        def refresh_roles(self, now: datetime) -> None: ...
        def _fit_top(self) -> None: ...
        def typing(self) -> bool: ...

    _minute_key: tuple | None = None

    def _tick(self) -> None:
        """The one-second clock. The countdowns tick (only their changed cells are redrawn);
        the summary and role board, which show whole minutes, are recomputed only when one of
        their minutes turns or an entry arrived (which redraws everything anyway): the
        incident's elapsed time (the summary), a holder's time (the role board), the wall
        clock's minute (both: it brings any time-based warning in, and out-of-hours)."""
        if self.state is None or self.profile is None:
            return
        from warroom.app.widgets.timers import TimersPane

        now = self.now()
        key = _minutes(self.state, now)
        last, self._minute_key = self._minute_key, key
        if last is None or key[0] != last[0]:
            self.refresh_panes()
        elif key != last:
            if key[1] != last[1]:
                self.refresh_summary(now)
            if key[2] != last[2]:
                self.refresh_roles(now)
                self._fit_top()  # an hour turning (59m, 1h 00m) widens a row
            self.query_one(TimersPane).tick(now)
        else:
            self.query_one(TimersPane).tick(now)
        if self._prompt_due is not None:
            self._offer_prompt()

    def timers(self) -> list[Timer]:
        from warroom.core.timers import compute_timers

        assert self.profile is not None and self.state is not None  # called once loaded
        # Clock times in the app's zone, named once in the timeline's title (formatting.zone_name).
        return compute_timers(self.profile, self.state, self.now(),
                              shown=(timezone.utc,) if getattr(self, "utc", False) else (None,))

    def _start_clocks(self) -> None:
        """One APScheduler job on Textual's loop at the next instant a timer falls due. Timers
        already due when the incident opens are announced once; an overdue summary prompts."""
        if not self.app.prompts or self.readonly or self.scheduler is not None:
            return
        from warroom.core.scheduler import TimerScheduler
        from warroom.core.timers import SUMMARY, find

        self.scheduler = TimerScheduler(self._timer_due, clock=self.app.clock, catch_up=False,
                                        on_error=self._clock_failed)
        self.scheduler.start()
        timers = self.timers()
        self.scheduler.replan(timers)
        now = self.now()
        due = [t for t in timers if t.alerting]
        if due:
            self.notify("; ".join(_phrase(t, now) for t in due),
                        title="Already due", severity="warning", timeout=20, markup=False)
        # The lead reopening the war room with the summary overdue gets the prompt back.
        summary = find(timers, SUMMARY)
        if summary is not None and summary.alerting and self._i_lead():
            self._prompt_due = SUMMARY
            self._offer_prompt()

    def replan_timers(self) -> None:
        """Plan the clocks again now: after the clock jumped (a frozen clock in tests)."""
        self._replan()

    def _replan(self) -> None:
        """An entry changed the picture: move the job, and drop a prompt no longer due."""
        if self.scheduler is not None and self.state is not None:
            self.scheduler.replan(self.timers())
        if self._prompt_due is not None:
            self._offer_prompt()

    def _clock_failed(self, exc: BaseException) -> None:
        self.notify(f"timer error: {exc}", severity="error", markup=False)

    def _timer_due(self, timer: Timer) -> None:
        """The scheduler says a timer fell due (on the event loop). The summary prompt opens
        for the lead; everything else notifies and rings the bell without taking focus."""
        from warroom.core.timers import SUMMARY

        if self._gone or self.state is None or self.profile is None:
            return
        lead = self.state.holder("lead")
        if timer.kind == SUMMARY and self._i_lead():
            self._prompt_due = timer.id
            self._offer_prompt(announce=True)
            return
        whose = f" (for the lead, {lead})" if timer.kind == SUMMARY and lead else ""
        detail = f" · {timer.detail}" if timer.detail else ""
        self.notify(f"{_phrase(timer, self.now())}{whose}{detail}",
                    title="Timer due", severity="warning", timeout=30, markup=False)
        self.app.bell()

    def _i_lead(self) -> bool:
        from warroom.core.people import gets_summary_prompt

        return gets_summary_prompt(self.state, self.app.user_name)

    def _busy(self) -> str:
        """Why a prompt must wait now ("" when it may open): it never takes keystrokes."""
        if self.app.screen is not self:
            return "it opens when this dialog closes"
        line = self.entry_line
        if line.display:
            field = line.input
            idle = time.monotonic() - field.last_input >= IDLE_SECONDS
            if field.value or line.saving or field.held or not idle:
                return "it opens when this entry is saved and the line closed (Esc), or press s"
        elif self.typing():
            return "it opens when you leave the search (Enter or Esc)"
        return ""

    def _offer_prompt(self, *, announce: bool = False) -> None:
        from warroom.core.timers import find

        if self._prompt_due is None or self.state is None or self._gone:
            return
        timer = find(self.timers(), self._prompt_due)
        if timer is None or not timer.alerting:  # written, snoozed or dismissed meanwhile
            self._prompt_due = None
            return
        waiting = self._busy()
        if waiting:
            if announce:
                self.notify(f"{timer.label} due: {waiting}", title="Lead summary",
                            severity="warning", timeout=15, markup=False)
                self.app.bell()
            return
        self._prompt_due = None
        self.app.bell()
        self.open_summary(prompted=True)


def _minutes(state: IncidentState, now: datetime) -> tuple:
    """What minute each minute-resolution figure on the screen is in."""
    def whole(since: datetime | None) -> int:
        return int((now - since).total_seconds() // 60) if since is not None else 0
    return (now.replace(second=0, microsecond=0), whole(state.declared_at),
            tuple(whole(h.since) for h in state.roles.values()))


def _phrase(timer: Timer, now: datetime) -> str:
    """``Lead summary: overdue 3m 10s``; a vacant role says so once (``Scribe vacant``)."""
    from warroom.core.timers import VACANT

    if timer.kind == VACANT:
        return f"{timer.label} (a required role)"
    return f"{timer.label}: {timer.countdown(now)}"
