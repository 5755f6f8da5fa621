"""Text is text, live updates from other processes, the read-only viewer, failed saves."""

from __future__ import annotations

import os
import sqlite3

import pytest
from textual.widgets import Input

from tests.app.conftest import NOW, paste, poll_now, press, ready, rows, settle, writer
from warroom.app.screens.war_room import WarRoomScreen
from warroom.store import Store

HOSTILE = ["[/]", "[bold]x", "[@click=app.quit]x", "[ @click=app.quit]x", "[link=http://evil]y[/link]",
           "\x1b[31mred\x1b[0m", "$text-error", "[b]unclosed", "\\[escaped]"]


def insert_behind_the_apps_back(db, ref: str, texts: list[str], author: str = "[bold]mallory") -> None:
    """Rows written straight into SQLite, skipping the domain's sanitising and the hash chain."""
    con = sqlite3.connect(db)
    try:
        inc_id, = con.execute("SELECT id FROM incidents WHERE ref = ?", (ref,)).fetchone()
        seq, = con.execute("SELECT max(seq) FROM entries WHERE incident_id = ?", (inc_id,)).fetchone()
        for offset, text in enumerate(texts, start=1):
            con.execute(
                "INSERT INTO entries (incident_id, seq, uid, kind, author, host, session, occurred_at,"
                " recorded_at, text, data, amends, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (inc_id, seq + offset, f"hostile-{seq + offset}", "note", author, "h", "s",
                 "2026-11-22T14:08:00.000000Z", "2026-11-22T14:08:00.000000Z", text, "{}", None,
                 "0" * 64, "0" * 64))
        # The forger moves the recorded head too (its guard set aside), so the app can still
        # add to the log once the person says yes to the broken chain.
        con.execute("DROP TRIGGER IF EXISTS heads_update_forward")
        con.execute("UPDATE heads SET last_seq = ?, head_hash = ? WHERE incident_id = ?",
                    (seq + len(texts), "0" * 64, inc_id))
        con.commit()
    finally:
        con.close()


async def test_hostile_notes_already_in_the_database_show_literally(sample_db, make_app):
    db, ref = sample_db
    insert_behind_the_apps_back(db, ref, HOSTILE)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert app.is_running and app.error is None
        shown = rows(app)[-len(HOSTILE):]
        assert shown[:5] == HOSTILE[:5]
        assert shown[5] == "red"  # escape sequences never reach the terminal
        # The rendered screen holds the characters as typed.
        screen_text = "\n".join(str(app.screen.timeline.render_line(y).text)
                                for y in range(app.screen.timeline.size.height))
        for text in ("[@click=app.quit]x", "[ @click=app.quit]x", "[/]", "[bold]x", "$text-error"):
            assert text in screen_text
        assert "\x1b" not in screen_text
        assert "[bold]ma" in screen_text  # hostile author names too (cut to the column)
        # Clicking where the "link" is does nothing: the app is still running.
        await pilot.click(offset=(40, 30))
        await settle(pilot)
        assert app.is_running


async def test_hostile_text_typed_into_the_entry_line_and_a_title(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        for text in HOSTILE[:4]:
            await pilot.press("n")
            await paste(pilot, text)
            await press(pilot, "enter", "escape")
        assert rows(app)[-4:] == HOSTILE[:4]
        await press(pilot, "s")
        app.screen.query_one("#summary-text").text = ""
        await paste(pilot, "[@click=app.quit]summary\x1b]52;c;aGk=\x07\u202e")
        assert app.screen.query_one("#summary-text").text == "[@click=app.quit]summary"
        await press(pilot, "ctrl+s")
        await pilot.resize_terminal(160, 40)  # room for the summary in its pane (else it ends in …)
        await settle(pilot)
        summary = str(app.screen.query_one("#summary-latest").render())
        assert "[@click=app.quit]summary" in summary
        assert app.is_running


async def test_entries_from_another_process_show_up(sample_db, make_app):
    db, ref = sample_db
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        other = writer(db)
        other.log(ref, "note", "from another terminal")
        other.assign_role(ref, "comms", "zoe")
        other.store.close()
        await poll_now(pilot)
        assert rows(app)[-2:] == ["from another terminal", "Communications Lead assigned to zoe"] or \
            rows(app)[-2] == "from another terminal"
        assert app.screen.state.holder("comms") == "zoe"
        assert "zoe" in str(app.screen.query_one("#roles").render())


async def test_poll_timer_runs_by_itself(sample_db, make_app):
    """The feed is polled from a timer: no key press is needed to see other people's entries."""
    db, ref = sample_db
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        other = writer(db)
        other.log(ref, "note", "arrives by itself")
        other.store.close()
        for _ in range(40):  # the 0.5 s poll timer fires on its own
            await pilot.pause(0.05)
            await settle(pilot, 1)
            if rows(app)[-1] == "arrives by itself":
                break
        assert rows(app)[-1] == "arrives by itself"


async def test_timeline_follows_unless_scrolled_up(sample_db, make_app):
    db, ref = sample_db
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        timeline = app.screen.timeline
        assert timeline.scroll_y == timeline.max_scroll_y
        other = writer(db)
        other.log(ref, "note", "one")
        await poll_now(pilot)
        assert timeline.scroll_y == timeline.max_scroll_y
        await press(pilot, "home")
        assert timeline.scroll_y == 0
        other.log(ref, "note", "two")
        other.store.close()
        await poll_now(pilot)
        assert timeline.scroll_y == 0  # the person is reading: do not yank the view
        await press(pilot, "end")
        assert timeline.scroll_y == timeline.max_scroll_y


async def _status(pilot, wanted: str, limit: int = 200) -> str:
    """The status line once it says ``wanted`` (the save worker is still running then)."""
    for _ in range(limit):
        text = str(pilot.app.screen.query_one("#status-line").render())
        if wanted in text:
            return text
        await pilot.pause(0.05)
    raise AssertionError(f"status line never said {wanted!r}: {text!r}")


@pytest.mark.parametrize("how", ["rollback", "sigkill"])
async def test_lock_held_too_long_the_app_retries_keeps_the_draft_and_saves_once(sample_db,
                                                                                 make_app, how):
    """Another process holds the write lock well past the busy timeout while the scribe
    presses Enter: the app says it is retrying, the entry waits off the line (the line says
    so) while typing goes on, and the entry is saved once when the lock goes."""
    from tests.test_faults import _hold_lock, _release

    db, ref = sample_db
    app = make_app(busy_timeout_ms=200)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        line = app.screen.entry_line
        holder = _hold_lock(db)
        try:
            await pilot.press("n")
            await paste(pilot, "saved once")
            await pilot.press("enter")
            said = await _status(pilot, "attempt 3")  # a second and a third attempt failed too
            assert "database busy, retrying" in said and str(db) in said
            assert "will be saved once" in said and "\n" not in said
            assert line.input.value == "" and line.saving and line.waiting == 1  # kept, waiting
            assert "1 waiting" in str(line.query_one("#entry-waiting").render())
            await pilot.press(*"next one")  # typing goes on, on the freed line
            assert line.input.value == "next one"
        finally:
            _release(holder, how)
        await settle(pilot)
        assert rows(app)[-1] == "saved once"
        assert line.input.value == "next one"
        assert "busy" not in str(app.screen.query_one("#status-line").render())
    with Store.open(db) as store:
        assert [e.text for e in store.entries(ref)].count("saved once") == 1
        assert store.verify(ref)[1] is None


async def test_disk_full_keeps_the_draft_says_why_and_saves_the_retry_once(sample_db, make_app):
    """A real SQLite "database or disk is full" (max_page_count just above the file's size):
    the message, the draft kept, earlier entries intact; room made, Enter saves it once."""
    from tests.test_faults import _cap_pages

    db, ref = sample_db
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        store = app.open_warroom().store
        before = [(e.seq, e.hash) for e in store.entries(ref)]
        cap = _cap_pages(store)
        with store.engine.connect() as conn:
            cap["pages"] = conn.exec_driver_sql("PRAGMA page_count").scalar() + 1
        store.engine.dispose()
        big = ("a long paste from the logs " * 700).strip()  # several pages: it never fits
        line = app.screen.entry_line
        await pilot.press("n")
        await paste(pilot, big)
        await press(pilot, "enter")
        said = str(app.screen.query_one("#status-line").render())
        assert "full" in said and "free some space" in said and str(db) in said, said
        assert line.input.value == big and not line.saving
        await press(pilot, "enter")  # still full: the same answer, nothing written
        assert line.input.value == big
        assert [(e.seq, e.hash) for e in store.entries(ref)] == before
        cap["pages"] = None  # room is made
        store.engine.dispose()
        await press(pilot, "enter")
        assert rows(app)[-1] == big and line.input.value == ""
        assert [e.text for e in store.entries(ref)].count(big) == 1
        assert store.verify(ref)[1] is None


async def test_read_only_database_opens_as_a_viewer(sample_db, make_app):
    db, _ = sample_db
    if os.geteuid() == 0:
        pytest.skip("root can write a read-only file; the viewer mode needs a real permission error")
    db.chmod(0o400)
    db.parent.chmod(0o500)
    try:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await ready(pilot)
            assert app.screen.readonly
            await press(pilot, "n")
            assert not app.screen.entry_line.display
    finally:
        db.parent.chmod(0o700)


async def test_viewer_mode_shows_read_only_and_no_entry_line(make_app, monkeypatch):
    """The viewer is what the app opens when Store.open refuses with ReadOnlyStore."""
    from warroom.base.errors import ReadOnlyStore
    from warroom.store import Store

    real_open = Store.open.__func__

    def open_(cls, db, *, readonly=False, **kw):
        if not readonly:
            raise ReadOnlyStore(f"{db}: read-only (permission denied); nothing was written")
        return real_open(cls, db, readonly=True, **kw)

    monkeypatch.setattr(Store, "open", classmethod(open_))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        screen = app.screen
        assert screen.readonly and app.readonly
        assert "read-only" in str(screen.query_one("#summary-head").render())
        for key in ("n", "d", "a", "r", "c", "s", "u", "o", "v", "t"):
            await press(pilot, key)
            assert isinstance(app.screen, WarRoomScreen)
            assert not screen.entry_line.display
        assert not any(isinstance(w, Input) and w.has_focus for w in screen.query(Input))
        await press(pilot, "f")  # reading is still allowed
        assert app.screen.__class__.__name__ == "FollowupsDialog"
        assert not app.screen.query("#followup-new")


async def test_unknown_reference_exits_with_one_line(make_app):
    app = make_app(ref="INC-99")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
    assert app.return_code == 1
    assert "INC-99" in app.error and "\n" not in app.error


async def test_corrupt_database_exits_with_one_line(tmp_path, make_app):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not a database at all" * 100)
    app = make_app(ref=None, db=bad)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
    assert app.return_code == 1 and app.error
    assert bad.read_bytes() == b"this is not a database at all" * 100


def test_frozen_clock_is_used(make_app, frozen):
    app = make_app()
    assert app.clock is frozen and app.clock.now().isoformat().startswith(NOW[:16])
