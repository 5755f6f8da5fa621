"""A command's output and an attached file, opened from the timeline (Enter on the cursor): the
text in a read-only view, cleaned of terminal sequences; a binary file described, not shown."""

from __future__ import annotations

from textual.widgets import Label, TextArea

from tests.app.conftest import poll_now, press, ready, rows, writer
from warroom.app.dialogs.correct import EntryDialog
from warroom.app.screens.war_room import WarRoomScreen

OUTPUT = (b"NAME        READY   STATUS\n"
          b"api-1       1/1     \x1b[32mRunning\x1b[0m\n"
          b"api-2       0/1     \x1b[31mCrashLoopBackOff\x1b[0m \x1b]52;c;SGVsbG8=\x07\n"
          b"[markup]bold[/markup] \x1b]0;title\x07\n"
          b"done  10%\rdone 100%\n")


async def test_enter_opens_a_runs_output_and_an_attachment(sample_db, make_app):
    db, ref = sample_db
    other = writer(db)
    try:
        started = other.run_started(ref, ["kubectl", "get", "pods"], cwd="/srv")
        other.run_finished(ref, ["kubectl", "get", "pods"], exit_status=0, duration_ms=1500,
                           output=OUTPUT, started=started)
        other.attach(ref, "core.bin", b"\x7fELF\x00\x01\x02", note="the core file")
    finally:
        other.store.close()
    app = make_app()
    async with app.run_test(size=(110, 36)) as pilot:
        await ready(pilot)
        await poll_now(pilot)
        shown = rows(app)
        assert any(r.startswith("Exit 0 after 1.5 s: kubectl get pods · last line: done 100% · "
                                "output ") for r in shown), shown
        await press(pilot, "up", "up", "enter")  # the cursor on the run's result
        assert isinstance(app.screen, EntryDialog)
        area = app.screen.query_one("#entry-file", TextArea)
        assert area.text == ("NAME        READY   STATUS\napi-1       1/1     Running\n"
                             "api-2       0/1     CrashLoopBackOff\n[markup]bold[/markup]\ndone 100%\n")
        assert area.read_only and app.screen.focused is area
        heading = str(app.screen.query_one(".file-heading", Label).render())
        assert heading.startswith("Output: kubectl-output.txt · ") and "text/plain" in heading
        await press(pilot, "escape")
        assert isinstance(app.screen, WarRoomScreen)
        await press(pilot, "down", "enter")  # the attachment, a binary file
        assert isinstance(app.screen, EntryDialog)
        assert not app.screen.query("#entry-file")
        note = str(app.screen.query_one("#entry-file-note", Label).render())
        assert note.startswith("A binary file (7 bytes, application/octet-stream), not shown.")
        await press(pilot, "escape")
        assert isinstance(app.screen, WarRoomScreen)
