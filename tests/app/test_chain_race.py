"""Saves made before the hash chain check has finished (issue 18's race): the check runs in a
worker once the incident is loaded, and an Enter pressed before it ends must not append to a
log that does not verify without the question. Each save waits for the check: on a broken
chain it is asked about, on a sound one it is saved, once, in order; nothing typed is lost,
and the line clears only when the entry is durable (saved, or waiting on disk).

The check is held by a gate the test opens (``Warroom.verify`` waits on a threading.Event), so
"before the check finishes" is certain, not a matter of timing. Whether the waiting entry stays
on the line or leaves it is fixed by the test too: SLOW_SAVE_SECONDS is made too long to pass,
and the test calls what its timer calls (``EntryLine.busy``) where it wants the line freed."""

from __future__ import annotations

import asyncio
import threading

import pytest

from tests.app.conftest import SAMPLE_START, no_blink
from tests.tampering import tamper
from warroom.app import saving
from warroom.app.app import WarroomApp
from warroom.app.dialogs.chain import BrokenChainDialog
from warroom.base.clock import FrozenClock
from warroom.base.errors import StoreBusy, StoreUnreachable
from warroom.core.domain import Warroom
from warroom.demo import load_sample
from warroom.store import Store

NOW = "2026-11-22T14:10:00Z"
HELD = 600.0
"""SLOW_SAVE_SECONDS that never passes in a test: the waiting entry stays on the line."""
WAYS = ["on-the-line", "off-the-line"]


class Gate:
    """Warroom.verify waits until the test opens the gate (each call, counted)."""

    def __init__(self, monkeypatch, *, unreachable_once: bool = False,
                 busy_once: bool = False) -> None:
        self.opened = threading.Event()
        self.started = threading.Event()
        self.calls = 0
        self.unreachable_once = unreachable_once
        self.busy_once = busy_once
        original = Warroom.verify

        def gated(w: Warroom, ref: str):
            self.calls += 1
            self.started.set()
            # A bound for a broken test, not a synchronisation: the test opens the gate.
            self.opened.wait(timeout=120)
            if self.busy_once:
                self.busy_once = False
                raise StoreBusy("the team database is busy (another process holds its lock)")
            if self.unreachable_once:
                self.unreachable_once = False
                exc = StoreUnreachable("team database unreachable (connection refused)")
                exc.cause = "connection refused"
                raise exc
            return original(w, ref)
        monkeypatch.setattr(Warroom, "verify", gated)


def _prepare(db: str, *, tampered: bool) -> str:
    frozen = FrozenClock(NOW)
    with Store.open(db) as store:
        w = Warroom(store, clock=frozen, user="alice", host="h", session="s")
        ref = load_sample(store, start=SAMPLE_START)
        other = w.declare("Search slow").incident
    if tampered:
        tamper(db, "edit-text", ref, other)
    return ref


def _texts(db: str, ref: str) -> list[str]:
    with Store.open(db, readonly=True) as store:
        return [e.text for e in store.entries(ref)]


def _uids(db: str, ref: str) -> list[str]:
    with Store.open(db, readonly=True) as store:
        return [e.uid for e in store.entries(ref)]


async def _settle(pilot, rounds: int = 3) -> None:
    """Like conftest.settle, but not waiting for the (held) chain check."""
    for _ in range(rounds):
        busy = [w for w in pilot.app.workers if w.group not in ("follow", "chain")]
        if busy:
            await pilot.app.workers.wait_for_complete(busy)
        await pilot.pause()


async def _press(pilot, *keys: str) -> None:
    await pilot.press(*keys)
    await _settle(pilot)
    no_blink(pilot.app)


async def paste(pilot, text: str) -> None:
    from textual import events

    pilot.app.focused.post_message(events.Paste(text))
    await _settle(pilot, 1)


async def _loaded_check_held(pilot, gate: Gate) -> None:
    """The incident is loaded and its check is running, held at the gate."""
    for _ in range(100):
        await _settle(pilot, 1)
        if getattr(pilot.app.screen, "state", None) is not None:
            break
    assert pilot.app.screen.state is not None
    assert await asyncio.to_thread(gate.started.wait, 60)
    await _settle(pilot)
    assert not getattr(pilot.app.screen, "chain_checked", False)


async def _slow_save_passes(pilot) -> None:
    """What the SLOW_SAVE_SECONDS timer does: the waiting entry leaves the line."""
    pilot.app.screen.entry_line.busy()
    await _settle(pilot)


async def _open_gate(pilot, gate: Gate) -> None:
    gate.opened.set()
    checks = [w for w in pilot.app.workers if w.group == "chain"]
    if checks:
        await pilot.app.workers.wait_for_complete(checks)
    await _settle(pilot)
    no_blink(pilot.app)


async def _until(seen, limit: int = 500) -> None:
    """Polled, for while a dialog is busy (the pilot's pause would wait for it)."""
    for _ in range(limit):
        if seen():
            return
        await asyncio.sleep(0.01)
    assert seen()


def _status(app) -> str:
    return str(app.screen.query_one("#status-line").render())


@pytest.fixture
def backend(team_db) -> str:
    return team_db


@pytest.mark.parametrize("way", WAYS)
async def test_a_save_before_the_check_of_a_tampered_log_is_asked_about(backend, monkeypatch,
                                                                         way):
    monkeypatch.setattr(saving, "SLOW_SAVE_SECONDS", HELD)
    ref = _prepare(backend, tampered=True)
    before = _texts(backend, ref)
    gate = Gate(monkeypatch)
    app = WarroomApp(db=backend, user="tester", ref=ref, clock=FrozenClock(NOW), prompts=False)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        try:
            await _loaded_check_held(pilot, gate)
            screen = app.screen
            await _press(pilot, "n")
            await paste(pilot, "typed before the check")
            await _press(pilot, "enter")
            line = screen.entry_line
            if way == "off-the-line":
                await _slow_save_passes(pilot)
            # Held: not written, not asked yet (nothing is known), and not lost.
            assert not isinstance(app.screen, BrokenChainDialog)
            assert _texts(backend, ref) == before
            assert "checking" in _status(app) and "hash chain" in _status(app)
            if way == "on-the-line":  # still on the line: the input has not cleared
                assert line.on_line and line.input.value == "typed before the check"
            else:  # off the line, waiting, kept in the draft on disk
                assert not line.on_line and line.waiting == 1 and line.input.value == ""
                on_disk = app.drafts().load(ref)
                assert [p.text for p in on_disk.waiting] == ["typed before the check"]

            await _open_gate(pilot, gate)
            assert screen.chain_problem is not None
            assert isinstance(app.screen, BrokenChainDialog)  # asked, before anything is written
            assert _texts(backend, ref) == before

            await _press(pilot, "n")  # no: nothing written, the text is not lost
            assert not isinstance(app.screen, BrokenChainDialog)
            assert _texts(backend, ref) == before
            if way == "on-the-line":
                assert line.input.value == "typed before the check"
            else:
                assert line.input.value == ""
                await _press(pilot, "up")  # ↑ brings the refused waiting entry back
                assert line.input.value == "typed before the check"

            await _press(pilot, "enter")  # asked again: nobody said yes yet
            assert isinstance(app.screen, BrokenChainDialog)
            await _press(pilot, "y")
            await _settle(pilot)
            assert _texts(backend, ref) == [*before, "typed before the check"]
            assert line.input.value == "" and not line.saving and line.waiting == 0
            assert "hash chain does not verify" in _status(app)
        finally:
            gate.opened.set()
    assert gate.calls == 1


@pytest.mark.parametrize("way", WAYS)
async def test_a_save_before_the_check_of_a_sound_log_is_saved_once(tmp_path, monkeypatch, way):
    monkeypatch.setattr(saving, "SLOW_SAVE_SECONDS", HELD)
    db = str(tmp_path / "team.db")
    ref = _prepare(db, tampered=False)
    before = _texts(db, ref)
    gate = Gate(monkeypatch)
    app = WarroomApp(db=db, user="tester", ref=ref, clock=FrozenClock(NOW), prompts=False)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        try:
            await _loaded_check_held(pilot, gate)
            await _press(pilot, "n")
            await paste(pilot, "first words")
            await _press(pilot, "enter")
            if way == "off-the-line":
                await _slow_save_passes(pilot)
            assert _texts(db, ref) == before
            await _open_gate(pilot, gate)
            assert not isinstance(app.screen, BrokenChainDialog)
            assert app.screen.chain_problem is None
            assert _texts(db, ref) == [*before, "first words"]
            line = app.screen.entry_line
            assert line.input.value == "" and not line.saving and line.waiting == 0
            assert _status(app) == ""
            assert not [n for n in app._notifications if "verify" in n.title]
        finally:
            gate.opened.set()
    assert len(set(_uids(db, ref))) == len(before) + 1


@pytest.mark.parametrize("way", WAYS)
async def test_a_burst_typed_before_the_check_is_saved_in_order(tmp_path, monkeypatch, way):
    """Several entries typed key by key, each with its Enter, while the check is held: all
    saved after it, each once, in the order typed; nothing left on the line or waiting."""
    monkeypatch.setattr(saving, "SLOW_SAVE_SECONDS", HELD)
    db = str(tmp_path / "team.db")
    ref = _prepare(db, tampered=False)
    before = _texts(db, ref)
    gate = Gate(monkeypatch)
    typed = ["one", "two words", "three", "four @ops", "five"]
    app = WarroomApp(db=db, user="tester", ref=ref, clock=FrozenClock(NOW), prompts=False)
    async with app.run_test(size=(100, 30)) as pilot:
        try:
            await _loaded_check_held(pilot, gate)
            await _press(pilot, "n")
            keys: list[str] = []
            for text in typed:
                keys += [("space" if c == " " else c) for c in text] + ["enter"]
            await _press(pilot, *keys)
            assert _texts(db, ref) == before
            line = app.screen.entry_line
            if way == "off-the-line":  # the held keys replay: each Enter queues one more
                await _slow_save_passes(pilot)
                assert line.waiting == len(typed) and line.input.value == ""
                on_disk = app.drafts().load(ref)
                assert [p.text for p in on_disk.waiting] == typed
            await _open_gate(pilot, gate)
            for _ in range(20):  # one save after the other, each a worker
                if not line.saving and not line.waiting:
                    break
                await _settle(pilot)
            assert _texts(db, ref) == [*before, *typed]
            assert line.input.value == "" and not line.saving and line.waiting == 0
            assert app.drafts().load(ref).waiting == []
        finally:
            gate.opened.set()
    assert len(set(_uids(db, ref))) == len(before) + len(typed)


async def test_a_check_that_cannot_reach_the_database_does_not_hold_saves(tmp_path, monkeypatch):
    """The check finds the database away: the held save goes on (on a team database, to the
    local outbox), and the check runs again when the database is back; then the next save on
    a log that does not verify is asked about."""
    monkeypatch.setattr(saving, "SLOW_SAVE_SECONDS", HELD)
    db = str(tmp_path / "team.db")
    ref = _prepare(db, tampered=True)
    before = _texts(db, ref)
    gate = Gate(monkeypatch, unreachable_once=True)
    app = WarroomApp(db=db, user="tester", ref=ref, clock=FrozenClock(NOW), prompts=False)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        try:
            await _loaded_check_held(pilot, gate)
            screen = app.screen
            await _press(pilot, "n")
            await paste(pilot, "during the outage")
            await _press(pilot, "enter")
            assert _texts(db, ref) == before
            await _open_gate(pilot, gate)
            assert screen.chain_unchecked and screen.chain_checked
            assert not isinstance(app.screen, BrokenChainDialog)
            assert _texts(db, ref) == [*before, "during the outage"]

            screen._back_online()  # what the follower calls when the database answers again
            await _open_gate(pilot, gate)
            assert gate.calls == 2 and not screen.chain_unchecked
            assert screen.chain_problem is not None
            assert screen.entry_line.input.has_focus  # the line stays open after a save
            await paste(pilot, "after it")
            await _press(pilot, "enter")
            assert isinstance(app.screen, BrokenChainDialog)
            await _press(pilot, "n")
            assert _texts(db, ref) == [*before, "during the outage"]
            assert screen.entry_line.input.value == "after it"
        finally:
            gate.opened.set()


async def test_a_check_that_finds_the_database_busy_runs_again_by_itself(tmp_path, monkeypatch):
    """Busy is not an outage: nothing will say when the lock is free, so the check runs again
    after a pause, and a save after that on a log that does not verify is asked about."""
    monkeypatch.setattr(saving, "SLOW_SAVE_SECONDS", HELD)
    monkeypatch.setattr(saving, "CHAIN_BUSY_RETRY_S", 0.01)
    db = str(tmp_path / "team.db")
    ref = _prepare(db, tampered=True)
    gate = Gate(monkeypatch, busy_once=True)
    app = WarroomApp(db=db, user="tester", ref=ref, clock=FrozenClock(NOW), prompts=False)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        try:
            await _loaded_check_held(pilot, gate)
            screen = app.screen
            await _open_gate(pilot, gate)  # busy: then again soon, past the open gate
            assert gate.calls >= 1  # (the retry may already be under way)
            await _until(lambda: gate.calls == 2)  # the retry's timer (a real-time one)
            await _open_gate(pilot, gate)
            assert gate.calls == 2 and not screen.chain_unchecked
            assert screen.chain_problem is not None
        finally:
            gate.opened.set()


async def test_an_outage_while_the_check_waits_releases_the_held_save(tmp_path, monkeypatch):
    """The follower says the team database is away while the check is still waiting on it:
    the held save goes on at once (to the outbox, on a team database) instead of waiting for
    a check that cannot run; the check's own answer still counts when it comes."""
    monkeypatch.setattr(saving, "SLOW_SAVE_SECONDS", HELD)
    db = str(tmp_path / "team.db")
    ref = _prepare(db, tampered=False)
    before = _texts(db, ref)
    gate = Gate(monkeypatch, unreachable_once=True)
    app = WarroomApp(db=db, user="tester", ref=ref, clock=FrozenClock(NOW), prompts=False)
    async with app.run_test(size=(100, 30)) as pilot:
        try:
            await _loaded_check_held(pilot, gate)
            screen = app.screen
            await _press(pilot, "n")
            await paste(pilot, "typed as it went")
            await _press(pilot, "enter")
            assert _texts(db, ref) == before
            screen._outage_status(None)  # what the follower says when a read fails
            await _settle(pilot)
            assert screen.chain_unchecked and screen.chain_checked
            assert _texts(db, ref) == [*before, "typed as it went"]
            await _open_gate(pilot, gate)
            assert screen.chain_unchecked  # checked again once the database is back
        finally:
            gate.opened.set()


@pytest.mark.parametrize("when", ["before-the-check", "after-the-check"])
async def test_a_dialog_save_on_a_tampered_log_is_asked_about(tmp_path, monkeypatch, when):
    """A dialog's save (a severity change) made before the check has finished: nothing is
    written until it has; then, the log not verifying, the question; yes saves it once. After
    the check: asked at once. (The question is the war room's: Textual hands its answer to the
    screen that opened it, and the dialog, waiting for the answer, could not take it.)"""
    from textual import events
    from textual.widgets import Input

    from warroom.app.dialogs.severity import SeverityDialog

    db = str(tmp_path / "team.db")
    ref = _prepare(db, tampered=True)
    before = _texts(db, ref)
    gate = Gate(monkeypatch)
    app = WarroomApp(db=db, user="tester", ref=ref, clock=FrozenClock(NOW), prompts=False)
    async with app.run_test(size=(100, 30)) as pilot:
        try:
            await _loaded_check_held(pilot, gate)
            if when == "after-the-check":
                await _open_gate(pilot, gate)
                assert app.screen.chain_problem is not None
            await _press(pilot, "v", "up", "enter")
            dialog = app.screen
            assert isinstance(dialog, SeverityDialog)
            await paste(pilot, "customers cannot pay")
            # Posted as the terminal would: the dialog is busy from here on, and the pilot's
            # own press and pause wait for every widget of the screen (polled instead).
            app.post_message(events.Key("enter", "\r"))
            if when == "before-the-check":
                room = app.screen_stack[0]
                await _until(lambda: bool(room._held_saves))
                assert app.screen is dialog and dialog.busy and _texts(db, ref) == before
                assert dialog.query_one("#severity-reason", Input).value == "customers cannot pay"
                gate.opened.set()
            await _until(lambda: isinstance(app.screen, BrokenChainDialog))
            assert _texts(db, ref) == before
            await _press(pilot, "y")
            for _ in range(20):
                if not isinstance(app.screen, SeverityDialog):
                    break
                await _settle(pilot)
            assert _texts(db, ref) == [*before, "customers cannot pay"]
        finally:
            gate.opened.set()
