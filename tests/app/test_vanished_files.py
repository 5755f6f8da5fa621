"""Issue 18: a SQLite file deleted or replaced under the open app. SQLite would go on writing
into the deleted file it still holds open, and the save would be acknowledged and then lost;
the app refuses it instead, says why, and keeps the draft."""

from __future__ import annotations

import os
import shutil

from tests.app.conftest import paste, press, ready, rows
from warroom.store import Store


async def _type_entry(pilot, text: str) -> None:
    await pilot.press("n")
    await paste(pilot, text)
    await press(pilot, "enter")


def _said(app) -> str:
    return str(app.screen.query_one("#status-line").render())


async def test_a_deleted_wal_under_the_open_app_refuses_the_save(sample_db, make_app):
    db, ref = sample_db
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        line = app.screen.entry_line
        await _type_entry(pilot, "saved before")
        assert rows(app)[-1] == "saved before" and line.input.value == ""
        os.unlink(f"{db}-wal")  # someone tidies up "stray files" while the app is open
        await paste(pilot, "never acknowledged")  # the line stays open after a save
        await press(pilot, "enter")
        said = _said(app)
        assert "its -wal file was deleted or replaced while warroom had it open" in said, said
        assert said.startswith(f"{db}: not saved: ")
        assert line.input.value == "never acknowledged" and not line.saving
        assert "never acknowledged" not in rows(app)
        await press(pilot, "enter")  # again: the same refusal, still nothing claimed
        assert line.input.value == "never acknowledged"
        assert "deleted or replaced" in _said(app)
    app.open_warroom().store.close()  # as when the app's process ends
    # Closed, the database opens again (SQLite copied what its deleted -wal held back in
    # when it closed it) and holds everything acknowledged, and nothing else.
    with Store.open(db) as store:
        texts = [e.text for e in store.entries(ref)]
        assert "saved before" in texts and "never acknowledged" not in texts
        assert store.verify(ref)[1] is None


async def test_a_replaced_database_file_under_the_open_app_refuses_the_save(sample_db, make_app,
                                                                          tmp_path):
    db, ref = sample_db
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        copy = tmp_path / "copy.db"
        shutil.copyfile(db, copy)
        os.replace(copy, db)  # a restore over the live file
        await _type_entry(pilot, "into which file?")
        said = _said(app)
        assert "the database file was replaced by another file" in said, said
        assert app.screen.entry_line.input.value == "into which file?"
        assert "into which file?" not in rows(app)
