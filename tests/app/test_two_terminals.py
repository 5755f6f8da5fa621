"""Two war rooms open on one incident, as the lead and the scribe each have their own terminal:
on one SQLite file, and on PostgreSQL. What one does shows in the other, driven by the other
app's own feed (its poll timer on SQLite, its LISTEN follower on PostgreSQL), never by a poll
the test forces."""

from __future__ import annotations

import pytest
from textual.widgets import Input, OptionList

from tests.app.conftest import SAMPLE_START, paste, press, ready, rows, settle
from warroom.app.app import WarroomApp
from warroom.demo import load_sample
from warroom.store import Store
from warroom.store import feed as feed_module

WAITS = 200  # pauses of 50 ms: a cap for a loaded machine, not the promise (see _arrives)


@pytest.fixture(params=["sqlite", "pg"])
def shared(request, tmp_path, monkeypatch) -> tuple[str, str, str]:
    """(database, incident, backend): the sample incident where two terminals can share it."""
    if request.param == "pg":
        db = request.getfixturevalue("pg_url")
        # Only a NOTIFY can wake the follower within the test: its safety-net re-read is an
        # hour away, so whatever arrives came the way the promise says.
        monkeypatch.setattr(feed_module, "RECHECK_AFTER", 3600.0)
    else:
        db = str(tmp_path / "team.db")
    with Store.open(db) as store:
        ref = load_sample(store, start=SAMPLE_START)
    return db, ref, request.param


def _app(db: str, ref: str, user: str, frozen) -> WarroomApp:
    return WarroomApp(db=db, user=user, ref=ref, clock=frozen, prompts=False)


class _Reads:
    """Counts the feed's reads of one screen, to show which read delivered an entry."""

    def __init__(self, screen) -> None:
        self.calls = 0
        self.delivered_by: int | None = None
        feed = screen.feed
        real = feed.poll

        def poll():
            self.calls += 1
            got = real()
            if got and self.delivered_by is None:
                self.delivered_by = self.calls
            return got

        feed.poll = poll

    def reset(self) -> None:
        self.calls, self.delivered_by = 0, None


async def _arrives(pilot, reads: _Reads, seen) -> None:
    """Wait, on the app's own clockwork, until ``seen()``, and check that a read of the feed
    brought it. A read that starts after the commit sees it; on SQLite the poll timer reads
    every half second (so it shows within a second), and on PostgreSQL the follower reads
    when a NOTIFY wakes it (see _backend_is_live)."""
    for _ in range(WAITS):
        if seen():
            break
        await pilot.pause(0.05)
    assert seen()
    assert reads.delivered_by is not None


def _backend_is_live(screen, backend: str) -> None:
    if backend == "pg":
        assert screen.feed.mode == "listen" and screen._following
    else:
        assert screen.feed.mode == "probe" and screen._following


async def test_an_entry_saved_in_one_terminal_shows_in_the_other(shared, frozen):
    db, ref, backend = shared
    lead_app, scribe_app = _app(db, ref, "grace", frozen), _app(db, ref, "sam", frozen)
    async with lead_app.run_test(size=(120, 40)) as lead, \
            scribe_app.run_test(size=(80, 24)) as scribe:
        await ready(lead)
        await ready(scribe)
        _backend_is_live(lead_app.screen, backend)
        reads = _Reads(lead_app.screen)
        await press(scribe, "d")
        await paste(scribe, "roll back PR #7412 [bold]now[/]")
        await press(scribe, "enter")
        assert rows(scribe_app)[-1] == "roll back PR #7412 [bold]now[/]"
        await _arrives(lead, reads, lambda: rows(lead_app)[-1] == "roll back PR #7412 [bold]now[/]")
        assert lead_app.screen.timeline._entries[-1].author == "sam"
        # and back the other way
        reads = _Reads(scribe_app.screen)
        await press(lead, "n")
        await paste(lead, "AWS case opened")
        await press(lead, "enter")
        await _arrives(scribe, reads, lambda: rows(scribe_app)[-1] == "AWS case opened")


async def test_severity_change_and_handover_show_in_the_other_terminal(shared, frozen):
    db, ref, backend = shared
    lead_app, scribe_app = _app(db, ref, "grace", frozen), _app(db, ref, "sam", frozen)
    async with lead_app.run_test(size=(120, 40)) as lead, \
            scribe_app.run_test(size=(120, 40)) as scribe:
        await ready(lead)
        await ready(scribe)
        watch = scribe_app.screen
        _backend_is_live(watch, backend)
        before = watch.state.severity
        reads = _Reads(watch)
        await press(lead, "v")
        dialog = lead_app.screen
        options = dialog.query_one(OptionList)
        options.highlighted = 0  # the highest severity
        await press(lead, "tab")
        await paste(lead, "every member account has lost egress")
        await press(lead, "enter")
        after = lead_app.screen.state.severity
        assert after != before
        await _arrives(scribe, reads, lambda: watch.state.severity == after)
        label = {s.id: s.label for s in watch.profile.severities}[after]
        assert f"  {label}  " in str(watch.query_one("#summary-head").render())

        reads.reset()
        await press(lead, "o")
        dialog = lead_app.screen
        dialog.query_one(OptionList).highlighted = [r.id for r in dialog.profile.roles].index("comms")
        await press(lead, "tab")
        dialog.query_one("#role-person", Input).value = "zoe"
        await press(lead, "enter")
        assert lead_app.screen.state.holder("comms") == "zoe"
        await _arrives(scribe, reads, lambda: watch.state.holder("comms") == "zoe")
        assert "zoe" in str(watch.query_one("#roles").render())


async def test_the_role_board_shows_who_has_the_incident_open(shared, frozen):
    db, ref, _ = shared
    lead_app, scribe_app = _app(db, ref, "grace", frozen), _app(db, ref, "sam", frozen)
    async with lead_app.run_test(size=(120, 40)) as lead:
        await ready(lead)
        assert lead_app.screen.here == ["grace"]
        assert "Here now: grace" in str(lead_app.screen.query_one("#roles").render())
        async with scribe_app.run_test(size=(120, 40)) as scribe:
            await ready(scribe)
            assert scribe_app.screen.here == ["grace", "sam"]
            assert "Here now: grace, sam" in str(scribe_app.screen.query_one("#roles").render())
            lead_app.screen._presence_tick()  # the ten-second heartbeat, now
            await settle(lead)
            assert "Here now: grace, sam" in str(lead_app.screen.query_one("#roles").render())
        scribe_app.close_store()  # what quitting does: the scribe leaves at once, not in 30 s
        lead_app.screen._presence_tick()
        await settle(lead)
        assert lead_app.screen.here == ["grace"]
    lead_app.close_store()
    with Store.open(db) as store:
        assert store.present(ref, frozen.now()) == []
