"""Issue 18 in the app: an incident imported under a new reference shows the one it had; the
entry view says who really wrote an entry typed under another name, or who imported it."""

from __future__ import annotations

from tests.app.conftest import press, ready, writer
from tests.conftest import export_doc, seed
from warroom.app.dialogs.correct import EntryDialog
from warroom.store.store import os_user


async def test_summary_shows_the_alias_and_the_entry_view_the_real_writer(sample_db, make_app,
                                                                         tmp_path):
    db, ref = sample_db
    assert ref == "INC-1"
    laptop = tmp_path / "laptop.db"
    seed(laptop, "found on the laptop", title="Laptop incident", user="ann")
    w = writer(db, user="mallory")
    try:
        got = w.import_export(export_doc(laptop))
        assert (got.ref, got.alias) == ("INC-2", "INC-1")
        w.note("INC-2", "typed as mallory")
    finally:
        w.store.close()
    app = make_app("INC-2")
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        head = str(app.screen.query_one("#summary-head").render())
        assert head.startswith("INC-2 (was INC-1) ")
        timeline = app.screen.timeline

        async def cursor_to(text: str) -> None:
            await press(pilot, "end")
            for _ in range(len(timeline.shown_entries())):
                await press(pilot, "up")
                if timeline.cursor_entry().text == text:
                    return
            raise AssertionError(f"no entry {text!r}")

        await cursor_to("typed as mallory")  # written by this login, as mallory
        await press(pilot, "enter")
        assert isinstance(app.screen, EntryDialog)
        said = str(app.screen.query_one("#entry-text").render())
        assert f"written by {os_user()} (the database's record), as mallory" in said
        await press(pilot, "escape")
        await cursor_to("found on the laptop")  # ann's note, copied in by the import
        await press(pilot, "enter")
        said = str(app.screen.query_one("#entry-text").render())
        assert f"imported by {os_user()}" in said and "written by" not in said
