"""The app and a log changed behind its back (issue 18): on open it verifies the incident's
chain and, when it does not hold, says so (a notification and a standing status line naming the
problem), then asks before the first entry is added to it: no writes nothing, yes adds it.

Each tampering of tests/tampering.py, on SQLite and PostgreSQL; the re-hashed chain with a
chain key (without one, only a head recorded earlier shows it: tests/test_tamper.py)."""

from __future__ import annotations

import pytest

from tests.app.conftest import SAMPLE_START, paste, press, ready, settle
from tests.tampering import VARIANTS, tamper
from warroom.app.app import WarroomApp
from warroom.app.dialogs.chain import BrokenChainDialog
from warroom.base.clock import FrozenClock
from warroom.core.domain import Warroom
from warroom.demo import load_sample
from warroom.store import Store

SAID = {
    "edit-text": "its contents do not match its hash",
    "delete-last": "the last entries were deleted behind the app's back",
    "forge-append": "it was added after the recorded chain head",
    "rehash-after-edit": "its seal does not match",
    "swap-refs": "its recorded chain head belongs to INC-2",
}


@pytest.fixture
def backend(team_db) -> str:
    return team_db


def _prepare(db: str, variant: str, frozen) -> str:
    with Store.open(db) as store:
        w = Warroom(store, clock=frozen, user="alice", host="h", session="s")
        if variant == "rehash-after-edit":
            w.create_chain_key()  # before anything is written: every entry is sealed
        ref = load_sample(store, start=SAMPLE_START)
        other = w.declare("Search slow").incident
    tamper(db, variant, ref, other)
    return ref


def _head_guarded(db: str) -> bool:
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'heads_update_forward'"
                            ).fetchone() is not None
    finally:
        conn.close()


def _count(db: str, ref: str) -> int:
    with Store.open(db, readonly=True) as store:
        return store.last_seq(ref)


@pytest.mark.parametrize("variant", VARIANTS)
async def test_the_app_warns_and_asks_before_adding_to_a_tampered_log(backend, variant):
    frozen = FrozenClock("2026-11-22T14:10:00Z")
    ref = _prepare(backend, variant, frozen)
    before = _count(backend, ref)
    app = WarroomApp(db=backend, user="tester", ref=ref, clock=frozen, prompts=False)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await ready(pilot)
        await settle(pilot)
        screen = app.screen
        assert screen.chain_problem is not None and SAID[variant] in screen.chain_problem
        told = [n for n in app._notifications if n.title == "The hash chain does not verify"]
        assert len(told) == 1 and SAID[variant] in told[0].message
        status = str(screen.query_one("#status-line").render())
        assert "hash chain does not verify" in status and screen.query_one("#status-line").display

        await press(pilot, "n")
        await paste(pilot, "appended to a broken log?")
        await press(pilot, "enter")
        assert isinstance(app.screen, BrokenChainDialog)
        await press(pilot, "n")  # no: nothing is written, the text stays on the line
        assert not isinstance(app.screen, BrokenChainDialog)
        assert _count(backend, ref) == before
        assert screen.entry_line.input.value == "appended to a broken log?"

        await press(pilot, "enter")  # asked again: nobody said yes yet
        assert isinstance(app.screen, BrokenChainDialog)
        await press(pilot, "y")
        await settle(pilot)
        if variant in ("delete-last", "forge-append") and (
                backend.startswith("postgresql") or _head_guarded(backend)):
            # The tampering left the triggers in place and the recorded head where it was:
            # the database itself refuses to move it, and the screen says so.
            assert _count(backend, ref) == before
            assert "refused: the incident's recorded chain head does not match" in str(
                screen.query_one("#status-line").render())
            return
        assert _count(backend, ref) == before + 1
        await press(pilot, "n")
        await paste(pilot, "and another")
        await press(pilot, "enter")  # asked once only
        await settle(pilot)
        assert not isinstance(app.screen, BrokenChainDialog)
        assert _count(backend, ref) == before + 2
        # The banner stays after the saves.
        assert "hash chain does not verify" in str(screen.query_one("#status-line").render())


async def test_a_sound_log_opens_without_a_word(tmp_path):
    frozen = FrozenClock("2026-11-22T14:10:00Z")
    db = str(tmp_path / "team.db")
    with Store.open(db) as store:
        ref = load_sample(store, start=SAMPLE_START)
    before = _count(db, ref)
    app = WarroomApp(db=db, user="tester", ref=ref, clock=frozen, prompts=False)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await ready(pilot)
        await settle(pilot)
        assert app.screen.chain_problem is None
        assert not [n for n in app._notifications if "verify" in n.title]
        await press(pilot, "n")
        await paste(pilot, "fine")
        await press(pilot, "enter")
        await settle(pilot)
        assert _count(db, ref) == before + 1
