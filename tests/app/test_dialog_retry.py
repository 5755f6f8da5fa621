"""Dialog saves retry like the entry line: a busy database keeps the dialog's input, keys typed
meanwhile wait for the outcome, and the change is saved once when the lock goes."""

from __future__ import annotations

import asyncio

import pytest
from textual import events
from textual.widgets import Input

from tests.app.conftest import paste, press, ready, settle
from warroom.app.dialogs.severity import SeverityDialog
from warroom.app.screens.war_room import WarRoomScreen
from warroom.store import Store


async def _error_says(pilot, dialog, wanted: str, limit: int = 200) -> str:
    for _ in range(limit):
        text = str(dialog.query_one(".dialog-error").render())
        if wanted in text:
            return text
        # (polled: the pilot's own pause waits for every widget, and the dialog is busy)
        await asyncio.sleep(0.05)
    raise AssertionError(f"the dialog never said {wanted!r}: {text!r}")


@pytest.mark.parametrize("how", ["rollback", "sigkill"])
async def test_a_severity_change_meets_a_busy_database_and_is_saved_once(sample_db, make_app, how):
    from tests.test_faults import _hold_lock, _release

    db, ref = sample_db
    app = make_app(busy_timeout_ms=200)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        before = app.screen.state.severity
        holder = _hold_lock(db)
        try:
            await press(pilot, "v", "up", "enter")  # it starts on the current severity
            dialog = app.screen
            assert isinstance(dialog, SeverityDialog)
            await paste(pilot, "customers cannot pay")
            app.post_message(events.Key("enter", "\r"))  # (the pilot's press would wait on it)
            said = await _error_says(pilot, dialog, "attempt 3")
            assert "database busy, retrying" in said
            assert dialog.query_one("#severity-reason", Input).value == "customers cannot pay"
            # Typed meanwhile (posted as the terminal would: the dialog is busy, so the pilot's
            # own press would wait for it): it waits for the save, then opens a note.
            app.post_message(events.Key("n", "n"))
        finally:
            _release(holder, how)
        for _ in range(100):
            await settle(pilot)
            if isinstance(app.screen, WarRoomScreen):
                break
        assert isinstance(app.screen, WarRoomScreen)
        assert app.screen.state.severity != before
        await settle(pilot)
        assert app.screen.entry_line.display  # the n went to the war room, after the dialog
    with Store.open(db) as store:
        texts = [e.text for e in store.entries(ref) if e.kind == "severity"]
        assert texts.count("customers cannot pay") == 1
