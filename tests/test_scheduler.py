"""The scheduler with a real APScheduler and short real intervals.

Nothing waits by sleeping: every test waits on an asyncio queue or a threading.Event with a
timeout. To show that something did *not* fire, a later sentinel timer is planned and waited
for; by then the other would have fired.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from datetime import datetime, timedelta, timezone

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from warroom.base.clock import SystemClock
from warroom.core.domain import Warroom
from warroom.core.profiles import ProfileRegistry
from warroom.core.scheduler import TimerScheduler
from warroom.core.timers import Timer, TimerState, compute_timers

UTC = timezone.utc
WAIT = 10.0  # generous: a loaded CI machine must not fail these
FAST_PROFILE = """
name = "fast"
title = "A process with a one-second summary cadence"
[[severities]]
id = "sev1"
label = "SEV1"
description = "Everything is down"
[[roles]]
id = "lead"
name = "Incident lead"
[cadences]
summary = "1s"
"""


def now() -> datetime:
    return datetime.now(UTC)


def timer(timer_id: str, due_in: float, *, snoozed_for: float | None = None,
          kind: str = "summary") -> Timer:
    at = now()
    due = at + timedelta(seconds=due_in)
    snoozed = at + timedelta(seconds=snoozed_for) if snoozed_for is not None else None
    t = Timer(timer_id, kind, timer_id.title(), due, TimerState.UPCOMING, snoozed_until=snoozed)
    return t.at(at)


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, WAIT * 3))


@pytest.fixture
def live_wr(store, tmp_path):
    """A domain API on the real clock with the one-second profile."""
    user_dir = tmp_path / "profiles"
    user_dir.mkdir()
    (user_dir / "fast.toml").write_text(FAST_PROFILE, encoding="utf-8")
    return Warroom(store, ProfileRegistry(user_dir), clock=SystemClock(), user="alice")


# ---------------------------------------------------------------------- on the asyncio loop
def test_summary_prompt_falls_due_on_the_loop_and_restarts_when_answered(live_wr):
    wr = live_wr
    ref = wr.declare("Checkout is down", profile="fast").incident

    def timers():
        return compute_timers(wr.incident_profile(ref), wr.state(ref), wr.clock.now())

    async def main():
        loop_thread = threading.get_ident()
        fired: asyncio.Queue = asyncio.Queue()
        sched = TimerScheduler(lambda t: fired.put_nowait((t, threading.get_ident(), now())))
        sched.start()
        try:
            planned = sched.replan(timers())
            first_due = next(t for t in timers() if t.id == "summary").due_at
            assert planned == first_due
            t, thread, when = await asyncio.wait_for(fired.get(), WAIT)
            assert t.id == "summary" and t.state is TimerState.DUE
            assert thread == loop_thread  # on Textual's loop: widgets may be touched directly
            assert when >= first_due
            # The lead answers; the countdown restarts from the answer.
            answer = wr.write_summary(ref, "Rolled back", prompted=True)
            sched.replan(timers())
            again, _, when = await asyncio.wait_for(fired.get(), WAIT)
            assert again.id == "summary"
            assert again.due_at == answer.occurred + timedelta(seconds=1)
            assert when >= again.due_at
            assert fired.empty()
        finally:
            sched.shutdown()
            await asyncio.sleep(0)  # let the loop run the deferred shutdown
        assert not sched.running

    run(main())


def test_replan_moves_the_job_and_drops_timers_that_are_gone():
    async def main():
        fired: asyncio.Queue = asyncio.Queue()
        sched = TimerScheduler(lambda t: fired.put_nowait(t.id))
        sched.start()
        try:
            sched.replan([timer("summary", 60)])
            assert sched.planned_for is not None and sched.planned_for > now() + timedelta(seconds=50)
            sched.replan([timer("summary", 0.2)])  # an entry brought it forward
            assert await asyncio.wait_for(fired.get(), WAIT) == "summary"
            # "gone" would fire first, but a new picture drops it before its time.
            sched.replan([timer("gone", 0.3), timer("sentinel", 0.6)])
            sched.replan([timer("sentinel", 0.6)])
            assert await asyncio.wait_for(fired.get(), WAIT) == "sentinel"
            assert fired.empty()
            sched.replan([])
            assert sched.planned_for is None
        finally:
            sched.shutdown()
            await asyncio.sleep(0)

    run(main())


def test_each_cycle_fires_once_and_a_snooze_fires_again_when_it_ends():
    async def main():
        fired: asyncio.Queue = asyncio.Queue()
        sched = TimerScheduler(lambda t: fired.put_nowait((t.id, t.state)))
        sched.start()
        try:
            summary = timer("summary", 0.1)
            sched.replan([summary])
            assert await asyncio.wait_for(fired.get(), WAIT) == ("summary", TimerState.DUE)
            # Entries elsewhere re-plan with the same summary cycle: no second prompt.
            sched.replan([summary, timer("sentinel", 0.4, kind="status_update")])
            sched.replan([summary, timer("sentinel", 0.4, kind="status_update")])
            assert (await asyncio.wait_for(fired.get(), WAIT))[0] == "sentinel"
            assert fired.empty()
            # Snoozed: it comes back when the snooze ends, and only then.
            snoozed = Timer("summary", "summary", "Summary", summary.due_at, TimerState.SNOOZED,
                            snoozed_until=now() + timedelta(seconds=0.3))
            sched.replan([snoozed])
            assert sched.planned_for == snoozed.snoozed_until
            name, state = await asyncio.wait_for(fired.get(), WAIT)
            assert name == "summary" and state in (TimerState.DUE, TimerState.OVERDUE)
            assert now() >= snoozed.snoozed_until
        finally:
            sched.shutdown()
            await asyncio.sleep(0)

    run(main())


@pytest.mark.parametrize("catch_up", [True, False])
def test_timers_already_due_at_start(catch_up):
    async def main():
        fired: asyncio.Queue = asyncio.Queue()
        sched = TimerScheduler(lambda t: fired.put_nowait(t.id), catch_up=catch_up)
        sched.start()
        try:
            overdue = timer("summary", -300)
            assert overdue.state is TimerState.OVERDUE
            sched.replan([overdue, timer("sentinel", 0.3)])
            first = await asyncio.wait_for(fired.get(), WAIT)
            if catch_up:  # restarted app: the overdue prompt comes back at once
                assert first == "summary"
                assert await asyncio.wait_for(fired.get(), WAIT) == "sentinel"
            else:
                assert first == "sentinel"
            assert fired.empty()
        finally:
            sched.shutdown()
            await asyncio.sleep(0)

    run(main())


def test_a_timer_made_due_by_an_entry_fires_at_once():
    """Severity raised to one that escalates at once: due now, announced now."""
    async def main():
        fired: asyncio.Queue = asyncio.Queue()
        sched = TimerScheduler(lambda t: fired.put_nowait(t.id))
        sched.start()
        try:
            sched.replan([timer("escalation", 1800, kind="escalation")])
            sched.replan([timer("escalation", 0, kind="escalation")])
            assert await asyncio.wait_for(fired.get(), WAIT) == "escalation"
        finally:
            sched.shutdown()
            await asyncio.sleep(0)

    run(main())


def test_a_callback_that_makes_another_timer_due_at_once():
    """on_due writes an entry that makes another timer due now (the lead raised the severity
    from the prompt): the re-plan from inside the running job still fires it."""
    async def main():
        fired: asyncio.Queue = asyncio.Queue()
        first = timer("summary", 0.05)

        def on_due(t: Timer) -> None:
            fired.put_nowait(t.id)
            if t.id == "summary":
                sched.replan([first, timer("escalation", 0, kind="escalation")])

        sched = TimerScheduler(on_due)
        sched.start()
        try:
            sched.replan([first])
            assert await asyncio.wait_for(fired.get(), WAIT) == "summary"
            assert await asyncio.wait_for(fired.get(), WAIT) == "escalation"
        finally:
            sched.shutdown()
            await asyncio.sleep(0)

    run(main())


def test_on_change_reports_state_changes_without_polling():
    async def main():
        changes: asyncio.Queue = asyncio.Queue()
        sched = TimerScheduler(lambda t: None, on_change=lambda ts: changes.put_nowait(ts))
        sched.start()
        try:
            # Out-of-hours advice that lapses: no prompt, but the pane must restyle.
            start = now()
            lapsing = Timer("out_of_hours", "out_of_hours", "Out-of-hours stop",
                            start + timedelta(hours=2), TimerState.UPCOMING,
                            lapses_at=start + timedelta(seconds=0.2), lapse_note="working hours")
            sched.replan([lapsing])
            assert sched.planned_for == lapsing.lapses_at
            (seen,) = await asyncio.wait_for(changes.get(), WAIT)
            assert seen.state is TimerState.NOT_APPLICABLE and seen.detail == "working hours"
            assert sched.planned_for is None
        finally:
            sched.shutdown()
            await asyncio.sleep(0)

    run(main())


def test_a_failing_callback_does_not_stop_the_clocks():
    async def main():
        errors: asyncio.Queue = asyncio.Queue()
        fired: asyncio.Queue = asyncio.Queue()

        def on_due(t: Timer) -> None:
            if t.id == "broken":
                raise RuntimeError("the dialog could not open")
            fired.put_nowait(t.id)

        sched = TimerScheduler(on_due, on_error=errors.put_nowait)
        sched.start()
        try:
            sched.replan([timer("broken", 0.1), timer("summary", 0.3)])
            err = await asyncio.wait_for(errors.get(), WAIT)
            assert isinstance(err, RuntimeError)
            assert await asyncio.wait_for(fired.get(), WAIT) == "summary"
        finally:
            sched.shutdown()
            await asyncio.sleep(0)

    run(main())


# ---------------------------------------------------------------------- background thread
def test_background_scheduler_calls_back_from_its_thread_and_allows_replan_inside(live_wr):
    """The alternative wiring: a BackgroundScheduler whose callback the app marshals with
    call_from_thread. The callback may answer the prompt and re-plan from inside."""
    wr = live_wr
    ref = wr.declare("Search is slow", profile="fast").incident
    bg = BackgroundScheduler(timezone=UTC)
    fired: queue.Queue = queue.Queue()
    main_thread = threading.get_ident()

    def timers():
        return compute_timers(wr.incident_profile(ref), wr.state(ref), wr.clock.now())

    calls: list[Timer] = []

    def on_due(t: Timer) -> None:
        # Counted here, not by the queue's size: the test thread may take the first item off
        # the queue before this thread looks (a loaded machine did), and then the prompt was
        # never answered and the second call never came.
        calls.append(t)
        first_call = len(calls) == 1
        if first_call:  # answer the first prompt from the callback
            wr.write_summary(ref, "Answered from the callback", prompted=True)
            sched.replan(timers())
        fired.put((t, threading.get_ident()))

    sched = TimerScheduler(on_due, scheduler=bg)
    sched.start()
    try:
        sched.replan(timers())
        first, thread = fired.get(timeout=WAIT)
        assert first.id == "summary" and thread != main_thread
        second, _ = fired.get(timeout=WAIT)
        summary = wr.state(ref).latest_summary
        assert summary is not None and summary.text == "Answered from the callback"
        assert second.id == "summary" and second.due_at == summary.occurred + timedelta(seconds=1)
    finally:
        sched.shutdown()
        bg.shutdown(wait=True)


def test_shutdown_drops_the_job():
    bg = BackgroundScheduler(timezone=UTC)
    done = threading.Event()
    sched = TimerScheduler(lambda t: done.set(), scheduler=bg)
    sched.start()
    try:
        sched.replan([timer("summary", 3600)])
        assert bg.get_job(sched.job_id) is not None
        sched.shutdown()
        assert bg.get_job(sched.job_id) is None and sched.planned_for is None
    finally:
        bg.shutdown(wait=True)
    assert not done.is_set()
