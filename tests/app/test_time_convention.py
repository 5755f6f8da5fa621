"""One time convention in the app (issue 14): local time, the zone's name shown once (the
timeline's title), every other time on the screen in that zone without a name of its own;
``z`` switches all of them to UTC together. And when impact started, set from the app."""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone

import pytest
from textual.widgets import Input

from tests.app.conftest import paste, press, ready, writer
from warroom.app.dialogs.process import FactsDialog
from warroom.app.screens.war_room import WarRoomScreen
from warroom.base.clock import FrozenClock

# (frozen now, the zone's name then, a local time typed, the UTC it means)
SEASONS = {
    "winter": ("2026-11-22T14:10:00Z", "GMT", "2026-11-22 13:05", "2026-11-22T13:05:00+00:00"),
    "summer": ("2026-07-01T14:10:00Z", "BST", "2026-07-01 13:05", "2026-07-01T12:05:00+00:00"),
}
ZONE_WORDS = re.compile(r"\b(UTC|GMT|BST|local)\b")


@pytest.fixture
def london(monkeypatch):
    monkeypatch.setenv("TZ", "Europe/London")
    time.tzset()
    yield
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


def _declare(path, now: str) -> str:
    w = writer(path, clock=FrozenClock(now))
    ref = w.declare("Checkout 503s", profile="govuk-paas", severity="P1").incident
    w.write_summary(ref, "Investigating the 503s.")
    return ref


@pytest.mark.parametrize("season", sorted(SEASONS))
async def test_the_app_speaks_local_time_and_names_the_zone_once(make_app, sample_db, london,
                                                                 season):
    now, name, _, _ = SEASONS[season]
    path, _ = sample_db
    ref = _declare(path, now)
    app = make_app(ref=ref, clock=FrozenClock(now))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        screen = app.screen
        assert str(screen.timeline.border_title).endswith(f"times in {name}")
        details = [t.detail for t in screen.timers()]
        assert details and not any(ZONE_WORDS.search(d) for d in details), details
        # the summary was written at 14:10 UTC: 14:10 GMT in winter, 15:10 BST in summer
        summary = next(t for t in screen.timers() if t.id == "summary")
        assert ("last summary 14:10" if name == "GMT" else "last summary 15:10") in summary.detail
        await press(pilot, "z")
        assert str(screen.timeline.border_title).endswith("times in UTC")
        summary = next(t for t in screen.timers() if t.id == "summary")
        assert "last summary 14:10" in summary.detail and "UTC" not in summary.detail


@pytest.mark.parametrize("season", sorted(SEASONS))
async def test_impact_started_from_the_app_in_local_time(make_app, sample_db, london, season):
    now, name, typed, meant = SEASONS[season]
    path, _ = sample_db
    ref = _declare(path, now)
    app = make_app(ref=ref, clock=FrozenClock(now))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        # The command palette's "Impact started" opens the g dialog on that field.
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        await commands["Impact started at… (g, opened on that field)"].callback()
        await press(pilot)
        assert isinstance(app.screen, FactsDialog)
        assert app.focused is app.screen.query_one("#facts-started", Input)
        labels = " ".join(str(label.render()) for label in app.screen.query("Label"))
        assert f"Impact started ({name}; optional)" in labels
        await paste(pilot, typed)
        app.screen.query_one("#facts-reason").focus()
        await press(pilot)
        await paste(pilot, "first 5xx in the load balancer log")
        await press(pilot, "enter")
        assert isinstance(app.screen, WarRoomScreen)
        started = app.screen.state.impact["started"]
        assert started == datetime.fromisoformat(meant).astimezone(timezone.utc)
        # Opened again, g shows it as typed (local time), and saving the rest keeps it.
        await press(pilot, "g")
        assert app.screen.query_one("#facts-started", Input).value == typed
    report = writer(path).export_report(ref, tz="UTC")
    assert f"| Impact started | {meant[:10]} {meant[11:19]} UTC" in report


def test_a_snoozed_prompt_shows_until_in_the_screens_zone(london):
    from warroom.app.formatting import entry_text
    from warroom.base.model import Entry

    entry = Entry(incident="INC-1", seq=9, uid="u", kind="prompt", author="grace",
                  occurred_at="2026-07-01T13:56:40.000000Z", recorded_at="2026-07-01T13:56:40.000000Z",
                  text="Summary prompt snoozed until 14:06 UTC: waiting for the re-sync",
                  data={"timer": "summary", "outcome": "snoozed", "reason": "waiting for the re-sync",
                        "until": "2026-07-01T14:06:40.000000Z"})
    assert entry_text(entry) == "Summary prompt snoozed until 15:06: waiting for the re-sync"
    assert entry_text(entry, utc=True) == "Summary prompt snoozed until 14:06: waiting for the re-sync"
