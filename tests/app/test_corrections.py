"""Corrections in the app (a timeline cursor, ``m``, the entry with its history) and the timeline
in occurred-at order (a backdated entry from another process takes its place)."""

from __future__ import annotations

from textual.widgets import Input

from tests.app.conftest import paste, poll_now, press, ready, rows, writer
from warroom.app.dialogs.correct import CorrectDialog, EntryDialog
from warroom.app.screens.war_room import WarRoomScreen
from warroom.store import Store


async def _replace(pilot, field_id: str, text: str) -> None:
    field = pilot.app.screen.query_one(field_id, Input)
    field.focus()
    await press(pilot, "end", "ctrl+u")
    await paste(pilot, text)


async def test_correct_the_entry_under_the_cursor(sample_db, make_app):
    db, ref = sample_db
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await press(pilot, "n")
        await paste(pilot, "deploy 4511 rolled bak")
        await press(pilot, "enter", "escape")
        timeline = app.screen.timeline
        await press(pilot, "up")  # the cursor takes the newest entry: the one just written
        target = timeline.cursor_entry()
        assert target is not None and target.text == "deploy 4511 rolled bak"
        await press(pilot, "m")
        assert isinstance(app.screen, CorrectDialog)
        await _replace(pilot, "#fix-text", "deploy 4511 rolled back")
        await _replace(pilot, "#fix-kind", "decision")
        await press(pilot, "enter")
        assert isinstance(app.screen, WarRoomScreen)
        shown = dict(zip([e.seq for e in timeline.shown_entries()], rows(app)))
        assert shown[target.seq] == "deploy 4511 rolled back"
        assert len(rows(app)) == len(shown)  # the correction is not a row of its own
        line = app.screen.timeline.render_line(
            timeline._starts[timeline.shown_entries().index(target)] - int(timeline.scroll_y))
        assert "decisio✎" in line.text
        # Enter opens the entry: what it says now, and as first written (one key away).
        await press(pilot, "enter")
        assert isinstance(app.screen, EntryDialog)
        shown_text = str(app.screen.query_one("#entry-text").render())
        assert "deploy 4511 rolled back" in shown_text and "deploy 4511 rolled bak" in shown_text
        await press(pilot, "escape")
        # m with no cursor: the last entry this person wrote.
        await press(pilot, "end", "m")
        assert isinstance(app.screen, CorrectDialog) and app.screen.entry.seq == target.seq
        await _replace(pilot, "#fix-text", "deploy 4511 rolled back at 14:02")
        await press(pilot, "enter")
    with Store.open(db) as store:
        entries = store.entries(ref)
        assert store.verify(ref)[1] is None
    fixes = [e for e in entries if e.kind == "amend" and e.amends == target.seq]
    assert [(f.text, f.data["kind"]) for f in fixes] == [
        ("deploy 4511 rolled back", "decision"), ("deploy 4511 rolled back at 14:02", "decision")]
    assert next(e for e in entries if e.seq == target.seq).text == "deploy 4511 rolled bak"


async def test_correct_when_it_happened_moves_the_row(sample_db, make_app):
    db, ref = sample_db
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await press(pilot, "n")
        await paste(pilot, "first alert actually came at 13:02")
        await press(pilot, "enter", "escape", "m")
        assert isinstance(app.screen, CorrectDialog)
        await _replace(pilot, "#fix-at", "13:02")
        await press(pilot, "enter")
        timeline = app.screen.timeline
        order = [e.seq for e in timeline.shown_entries()]
        moved = max(order)
        assert order.index(moved) < len(order) - 1  # no longer at the bottom
        before = timeline.shown_entries()[order.index(moved) - 1]
        assert before.occurred_at <= "2026-11-22T13:02:00.000000Z"


async def test_a_backdated_entry_from_another_process_takes_its_place(sample_db, make_app):
    db, ref = sample_db
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        timeline = app.screen.timeline
        shown = timeline.shown_entries()
        # Between two entries that are already on the screen.
        earlier, later = shown[10], shown[11]
        assert earlier.occurred_at < later.occurred_at
        other = writer(db)
        backdated = other.note(ref, "the first alert, found in the pager log",
                               at=earlier.occurred_at)
        other.store.close()
        assert backdated.recorded_at > later.occurred_at
        await press(pilot, "home")  # reading the top: the view must stay there
        top = timeline.scroll_y
        await poll_now(pilot)
        order = [e.seq for e in timeline.shown_entries()]
        assert order.index(backdated.seq) == order.index(earlier.seq) + 1
        assert order.index(later.seq) == order.index(backdated.seq) + 1
        text = rows(app)[order.index(backdated.seq)]
        assert text.startswith("the first alert") and "logged later at 14:10" in text
        assert timeline.scroll_y == top
        await press(pilot, "end")
        assert timeline.scroll_y == timeline.max_scroll_y  # following the newest again
