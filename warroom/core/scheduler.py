"""Wakes the app when a timer falls due: one APScheduler job at the next instant that matters.

The timer engine (:mod:`warroom.core.timers`) says when every clock falls due; this module
holds a single date job at the earliest of those instants and calls ``on_due(timer)`` when it
comes. Whenever an entry changes the picture the caller computes the timers again and calls
:meth:`TimerScheduler.replan`; the job moves. Between entries nothing needs the log: a
:class:`~warroom.core.timers.Timer` knows how its state moves with time.

Two ways to run it, both without Textual in here:

* ``AsyncIOScheduler`` (the default) on the caller's running loop — Textual's. Start it from
  ``on_mount``; ``on_due`` then runs on the loop, so it may touch widgets directly.
* ``BackgroundScheduler``: ``on_due`` runs in a worker thread and the app marshals it with
  ``app.call_from_thread``.

Each due cycle fires once: a timer is identified by its id and the instant it fires
(``Timer.fires_at``, which a snooze moves), so re-planning with the same picture never
repeats a prompt, while a snooze that ends, a dismissal or a new cycle fires again.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import BaseScheduler

from warroom.base.clock import Clock, SystemClock
from warroom.core.timers import Timer, next_change

log = logging.getLogger(__name__)
UTC = timezone.utc
JOB_ID = "warroom-timers"

DueCallback = Callable[[Timer], Any]
ChangeCallback = Callable[[list[Timer]], Any]


class TimerScheduler:
    """Plans one APScheduler job at the next timer instant and calls back when it comes.

    ``on_due(timer)`` is called once per due cycle of each timer (the timer as it stands at
    that moment). ``on_change(timers)``, if given, is also called at every instant a timer's
    state changes by itself (due → overdue, a snooze ending, out-of-hours advice lapsing), so a
    pane can restyle without polling. ``catch_up=False`` treats the timers that are already
    due at the first plan as announced (the app decides what to show on start-up itself).

    Exceptions raised by the callbacks are passed to ``on_error`` (or logged) and never stop
    the scheduler.
    """

    def __init__(self, on_due: DueCallback, *, on_change: ChangeCallback | None = None,
                 on_error: Callable[[BaseException], Any] | None = None,
                 clock: Clock | None = None, scheduler: BaseScheduler | None = None,
                 catch_up: bool = True, job_id: str = JOB_ID) -> None:
        self.on_due, self.on_change, self.on_error = on_due, on_change, on_error
        self.clock = clock or SystemClock()
        self.scheduler = scheduler or AsyncIOScheduler(timezone=UTC)
        self.job_id = job_id
        self._catch_up = catch_up
        self._lock = threading.RLock()
        self._timers: list[Timer] = []
        self._fired: set[tuple[str, datetime]] = set()
        self._planned_for: datetime | None = None
        self._first_plan = True
        self._closed = False
        self._owns_scheduler = scheduler is None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Start the underlying scheduler (AsyncIOScheduler: call from inside the running loop)."""
        if not self.scheduler.running:
            self.scheduler.start()

    def shutdown(self) -> None:
        """Drop the job and plan nothing more. With a scheduler you passed in, call this before
        shutting that down with ``wait=True``: a job re-planning while APScheduler waits for
        it to finish would otherwise deadlock inside APScheduler."""
        with self._lock:
            self._closed = True
            self._planned_for = None
            self._remove_job()
        if self.scheduler.running and self._owns_scheduler:
            self.scheduler.shutdown(wait=False)

    @property
    def running(self) -> bool:
        return bool(self.scheduler.running)

    # ------------------------------------------------------------------ planning
    @property
    def timers(self) -> list[Timer]:
        with self._lock:
            return list(self._timers)

    @property
    def planned_for(self) -> datetime | None:
        """When the job will next wake (in this scheduler's clock), None when idle."""
        with self._lock:
            return self._planned_for

    def replan(self, timers: Iterable[Timer] | None = None) -> datetime | None:
        """Take a new picture of the timers (or keep the last one) and move the job to its next
        instant. Returns that instant. Safe to call from any thread and from the callbacks."""
        with self._lock:
            now = self.clock.now()
            if timers is not None:
                self._timers = list(timers)
                live = {(t.id, t.fires_at) for t in self._timers if t.fires_at is not None}
                self._fired &= live  # forget cycles that are gone
            if self._first_plan:
                self._first_plan = False
                if not self._catch_up:
                    self._fired |= {(t.id, at) for t in self._timers
                                    if (at := t.fires_at) is not None and at <= now}
            return self._plan(now)

    def _pending(self) -> list[tuple[datetime, Timer]]:
        return [(at, t) for t in self._timers
                if (at := t.fires_at) is not None and (t.id, at) not in self._fired]

    def _plan(self, now: datetime) -> datetime | None:
        if self._closed:
            return None
        points = [at for at, _ in self._pending()]
        if self.on_change is not None and (change := next_change(self._timers, now)) is not None:
            points.append(change)
        target = min(points) if points else None
        self._planned_for = target
        if target is None:
            self._remove_job()
            return None
        # Wait the span our clock names, measured on the real clock APScheduler runs on.
        delay = max(target - now, timedelta(0))
        run_date = datetime.now(UTC) + delay
        func = self._wake_async if isinstance(self.scheduler, AsyncIOScheduler) else self._wake
        # max_instances: a callback that re-plans to "now" runs while this job is still
        # running; APScheduler would skip (and drop) the new run at its default of 1. Runs
        # are serialised by the lock and each cycle fires once, so overlap is harmless.
        self.scheduler.add_job(func, trigger="date", run_date=run_date, id=self.job_id,
                               replace_existing=True, misfire_grace_time=None, coalesce=True,
                               max_instances=64)
        return target

    def _remove_job(self) -> None:
        try:
            self.scheduler.remove_job(self.job_id)
        except JobLookupError:
            pass

    # ------------------------------------------------------------------ waking
    async def _wake_async(self) -> None:
        self._wake()

    def _wake(self) -> None:
        with self._lock:
            if self._closed:
                return
            now = self.clock.now()
            due = sorted(((at, t) for at, t in self._pending() if at <= now), key=lambda p: p[0])
            due_now = [t.at(now) for _, t in due]
            self._fired |= {(t.id, at) for at, t in due}
            current = [t.at(now) for t in self._timers]
        for timer in due_now:
            self._call(self.on_due, timer)
        if self.on_change is not None:
            self._call(self.on_change, current)
        with self._lock:
            # A callback may have re-planned already (it wrote an entry); plan from the latest.
            self._plan(self.clock.now())

    def _call(self, func: Callable[[Any], Any], arg: Any) -> None:
        try:
            func(arg)
        except Exception as exc:  # a broken callback must not stop the clocks
            if self.on_error is not None:
                self.on_error(exc)
            else:
                log.exception("timer callback failed")
