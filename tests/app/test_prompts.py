"""The incident's clocks in the app: the lead summary prompt (answer, dismiss, snooze), the
prompt that waits for the scribe to finish typing, notifications of other due timers, and a
picture of the timers pane with overdue and snoozed timers.

The first test uses a profile whose summary cadence is 2 s on a frozen clock: the test moves the
clock on, and APScheduler (on Textual's loop) really wakes the app. It waits on a condition (the
prompt on screen), never on a fixed sleep, and no cycle can fall due while it is still
checking the last one (on the real clock a loaded machine opened the next prompt early).
"""

from __future__ import annotations

import time

import pytest
from datetime import timedelta

from warroom.app import compat
from warroom.app.dialogs.summary_prompt import SummaryPrompt
from warroom.app.screens.war_room import WarRoomScreen
from warroom.base.clock import FrozenClock
from warroom.core.domain import Warroom
from warroom.core.profiles import ProfileRegistry
from warroom.core.timers import SUMMARY, TimerState, find
from warroom.store import Store

from tests.app.conftest import NOW, no_blink, paste, press, ready, rows, settle, writer

FAST = """
name = "fast"
title = "Two-second summaries"
[[severities]]
id = "sev1"
label = "SEV1"
description = "Everything is down"
[[roles]]
id = "lead"
name = "Incident lead"
required = true
[cadences]
summary = "2s"
"""
WAIT = 15.0  # seconds: generous for a loaded CI machine


async def until(pilot, condition, what: str, timeout: float = WAIT) -> None:
    """Let the app run until ``condition()`` holds (the pilot pauses; no fixed sleep)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.05)
    await settle(pilot, 1)


def fast_incident(tmp_path, monkeypatch, clock) -> tuple[str, str]:
    config = tmp_path / "config"
    (config / "profiles").mkdir(parents=True)
    (config / "profiles" / "fast.toml").write_text(FAST, encoding="utf-8")
    monkeypatch.setenv("WARROOM_CONFIG_DIR", str(config))
    db = str(tmp_path / "fast.db")
    with Store.open(db) as store:
        w = Warroom(store, ProfileRegistry(config / "profiles"), clock=clock, user="alice")
        ref = w.declare("Queue backlog", profile="fast", lead="alice").incident
        w.log(ref, "decision", "Fail over to the standby queue")
        w.log(ref, "action", "Drain the dead-letter queue", owner="bob")
    return db, ref


async def test_summary_prompt_on_a_2s_cadence_answer_dismiss_snooze(tmp_path, monkeypatch):
    from warroom.app.app import WarroomApp

    clock = FrozenClock(NOW)
    db, ref = fast_incident(tmp_path, monkeypatch, clock)
    app = WarroomApp(db=db, user="alice", ref=ref, clock=clock, prompts=True)

    def two_seconds_on() -> None:
        """The clock moves on one cadence; the screen re-plans (as after a jump)."""
        clock.advance(timedelta(seconds=2))
        screen.replan_timers()

    async with app.run_test(size=(100, 32)) as pilot:
        await ready(pilot)
        screen = app.screen
        assert isinstance(screen, WarRoomScreen) and screen.scheduler is not None
        assert screen.scheduler.planned_for == clock.now() + timedelta(seconds=2)

        # 1. It falls due: the prompt opens by itself with a draft of what happened.
        two_seconds_on()
        await until(pilot, lambda: isinstance(app.screen, SummaryPrompt), "the first prompt")
        dialog = app.screen
        draft = dialog.text
        assert "Fail over to the standby queue" in draft
        assert "Open actions:" in draft and "Drain the dead-letter queue" in draft
        area = dialog.query_one("#summary-text")
        area.text = "Failed over; backlog draining"
        await press(pilot, "ctrl+s")
        assert app.screen is screen
        latest = screen.state.latest_summary
        assert latest.text == "Failed over; backlog draining" and latest.data["prompted"] is True
        assert rows(app)[-1] == "Failed over; backlog draining"
        # The countdown restarted from the answer, and the job is planned for that moment.
        summary = find(screen.timers(), SUMMARY)
        assert summary.due_at == latest.occurred + timedelta(seconds=2)
        assert screen.scheduler.planned_for == latest.occurred + timedelta(seconds=2)

        # 2. The next cycle: dismiss it (a timeline entry; the cycle starts again from there).
        two_seconds_on()
        await until(pilot, lambda: isinstance(app.screen, SummaryPrompt), "the second prompt")
        await press(pilot, "tab")  # to "not now"
        await press(pilot, "down", "down", "down", "enter")  # Dismiss
        assert app.screen is screen
        dismissed = screen.state.prompts[-1]
        assert dismissed.data == {"timer": "summary", "outcome": "dismissed", "reason": ""}
        assert rows(app)[-1] == "Summary prompt dismissed"

        # 3. Again after the interval: a snooze needs a reason.
        two_seconds_on()
        await until(pilot, lambda: isinstance(app.screen, SummaryPrompt), "the third prompt")
        await press(pilot, "tab", "enter")  # Snooze 5 minutes, no reason yet
        dialog = app.screen
        assert isinstance(dialog, SummaryPrompt)
        assert "why" in str(dialog.query_one(".dialog-error").render())
        assert app.focused is dialog.query_one("#summary-reason")
        for key in "on a call":
            await pilot.press("space" if key == " " else key)
        await press(pilot, "enter")
        assert app.screen is screen
        snoozed = screen.state.prompts[-1]
        assert snoozed.data["outcome"] == "snoozed" and snoozed.data["reason"] == "on a call"
        assert find(screen.timers(), SUMMARY).state is TimerState.SNOOZED
        assert rows(app)[-1].startswith("Summary prompt snoozed until ")
        assert rows(app)[-1].endswith(": on a call")


def lead_incident(db, clock: FrozenClock) -> str:
    w = Warroom(Store.open(db), ProfileRegistry(), clock=clock, user="tester")
    ref = w.declare("Payments timing out", lead="tester").incident
    w.store.close()
    return ref


async def test_a_prompt_due_while_the_scribe_types_loses_no_keystroke(tmp_path, make_app):
    clock = FrozenClock(NOW)
    db = tmp_path / "typing.db"
    ref = lead_incident(db, clock)
    clock.advance(timedelta(minutes=10))
    app = make_app(ref=ref, db=db, clock=clock, prompts=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        screen = app.screen
        await pilot.press("n", *"half a no")
        # The summary falls due mid-word.
        clock.advance(timedelta(minutes=21))
        screen.replan_timers()
        await settle(pilot)
        assert screen._prompt_due == SUMMARY
        assert app.screen is screen and app.focused is screen.entry_line.input
        await pilot.press(*"te", "enter", *"next one", "enter")
        await settle(pilot)
        assert app.screen is screen, "the prompt must not open while the scribe is logging"
        assert rows(app)[-2:] == ["half a note", "next one"]
        await press(pilot, "escape")  # the line closes: now the prompt opens
        assert isinstance(app.screen, SummaryPrompt)
        assert screen.timeline.row_texts()[-2:] == ["half a note", "next one"]
        assert str(app.screen.query_one("#summary-due").render()) == (
            "The lead summary is 1 min late")
        await press(pilot, "escape")  # closed, still due: the pane shows it
        assert app.screen is screen
        assert find(screen.timers(), SUMMARY).alerting


@pytest.mark.parametrize("minutes,downs", [(10, 1), (15, 2)])
async def test_snoozing_the_prompt_for_10_or_15_minutes(tmp_path, make_app, minutes, downs):
    clock = FrozenClock(NOW)
    db = tmp_path / "snooze.db"
    ref = lead_incident(db, clock)
    clock.advance(timedelta(minutes=31))  # overdue when the lead opens the war room
    app = make_app(ref=ref, db=db, clock=clock, prompts=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        assert isinstance(app.screen, SummaryPrompt)
        screen = app.screen_stack[-2]
        await press(pilot, "tab", *["down"] * downs, "enter")
        await paste(pilot, "bridge call with the supplier")
        await press(pilot, "enter")
        assert app.screen is screen
        snoozed = screen.state.prompts[-1]
        assert snoozed.data["outcome"] == "snoozed"
        assert snoozed.data["reason"] == "bridge call with the supplier"
        summary = find(screen.timers(), SUMMARY)
        assert summary.state is TimerState.SNOOZED
        assert summary.snoozed_until == clock.now() + timedelta(minutes=minutes)
        clock.advance(timedelta(minutes=minutes, seconds=1))  # the snooze runs out: due again
        screen.replan_timers()
        await settle(pilot)
        assert find(screen.timers(), SUMMARY).alerting


async def test_a_summary_written_late_records_by_how_much(tmp_path, make_app):
    clock = FrozenClock(NOW)
    db = tmp_path / "late.db"
    ref = lead_incident(db, clock)
    clock.advance(timedelta(minutes=42))  # due at 30 min: 12 min late
    app = make_app(ref=ref, db=db, clock=clock, prompts=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await press(pilot, "s")
        app.screen.query_one("#summary-text").text = "Still investigating"
        await press(pilot, "ctrl+s")
        latest = app.screen.state.latest_summary
        assert latest.data["late_by_s"] == 12 * 60
        assert rows(app)[-1] == "Still investigating (summary 12 min late)"


async def test_other_timers_notify_with_the_bell_and_keep_focus(tmp_path, make_app, monkeypatch):
    clock = FrozenClock(NOW)
    db = tmp_path / "notify.db"
    w = Warroom(Store.open(db), ProfileRegistry(), clock=clock, user="tester")
    ref = w.declare("Search down", lead="grace").incident  # someone else leads
    w.post_update(ref, "Investigating", next_update=timedelta(minutes=15))
    w.store.close()
    app = make_app(ref=ref, db=db, clock=clock, prompts=True)
    bells = []
    monkeypatch.setattr(app, "bell", lambda: bells.append(1))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        screen = app.screen
        await pilot.press("n", *"typing")
        clock.advance(timedelta(minutes=31))
        screen.replan_timers()
        await settle(pilot)
        titles = [n.message for n in compat.notifications(app)]
        assert any(m.startswith("Status update: ") for m in titles), titles
        assert any(m.startswith("Lead summary: ") and "(for the lead, grace)" in m for m in titles)
        assert len(bells) >= 2
        assert app.screen is screen and app.focused is screen.entry_line.input
        assert screen._prompt_due is None  # not the lead here: no dialog
        await press(pilot, "enter")
        assert rows(app)[-1] == "typing"


def test_timers_pane_with_overdue_and_snoozed_timers(snap_compare, sample_db, make_app):
    db, ref = sample_db
    other = writer(db, user="grace", clock=FrozenClock("2026-11-22T14:25:00Z"))
    other.record_prompt(ref, "status_update", "snoozed", reason="waiting for the supplier",
                        until=other.clock.now() + timedelta(minutes=25))
    other.store.close()
    app = make_app(clock=FrozenClock("2026-11-22T14:40:00Z"))

    async def run_before(pilot) -> None:
        await ready(pilot)
        no_blink(pilot.app)
        await pilot.pause()
        timers = {t.id: t.state for t in pilot.app.screen.timers()}
        assert timers["summary"] is TimerState.OVERDUE
        assert timers["status_update"] is TimerState.SNOOZED

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


async def test_the_lead_reopening_with_the_summary_overdue_is_prompted(tmp_path, make_app):
    clock = FrozenClock(NOW)
    db = tmp_path / "reopen.db"
    ref = lead_incident(db, clock)
    clock.advance(timedelta(minutes=45))
    app = make_app(ref=ref, db=db, clock=clock, prompts=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        assert isinstance(app.screen, SummaryPrompt)
        assert str(app.screen.query_one("#summary-due").render()) == (
            "The lead summary is 15 min late")
    # Someone else (not the lead) opening it is told, not prompted.
    app = make_app(ref=ref, db=db, clock=clock, prompts=True, user="scribe")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        assert isinstance(app.screen, WarRoomScreen)
        assert any("Lead summary" in n.message for n in compat.notifications(app))
