"""Every key of the key map, and every dialog with its cancel path and invalid input."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import Input, OptionList, SelectionList

from tests.app.conftest import paste, press, ready, rows, settle
from warroom.app.bindings import KEYMAP
from warroom.app.dialogs.export import ExportDialog
from warroom.app.dialogs.followups import FollowupsDialog
from warroom.app.dialogs.handover import HandoverDialog
from warroom.app.dialogs.help import HelpDialog
from warroom.app.dialogs.incidents import IncidentsDialog
from warroom.app.dialogs.severity import SeverityDialog
from warroom.app.dialogs.status import StatusDialog
from warroom.app.dialogs.status_update import StatusUpdateDialog
from warroom.app.dialogs.summary_prompt import SummaryPrompt
from warroom.app.screens.declare import DeclareScreen
from warroom.app.screens.war_room import WarRoomScreen


async def type_text(pilot, text: str) -> None:
    await paste(pilot, text)


async def test_opens_most_recent_incident_and_shows_four_panes(make_app):
    app = make_app(ref=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        screen = app.screen
        assert isinstance(screen, WarRoomScreen)
        assert screen.ref == "INC-1"
        for pane in ("#summary", "#roles", "#timers", "#timeline"):
            assert screen.query_one(pane).region.area > 0
        corrections = sum(len(v) for v in screen.state.amendments.values())
        assert len(rows(app)) == screen.state.entry_count - corrections  # shown on the original


async def test_hotkeys_log_each_kind(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        before = app.screen.state.entry_count
        for key, kind in (("n", "note"), ("d", "decision"), ("r", "result"), ("c", "change")):
            await pilot.press(key)
            await type_text(pilot, f"a {kind} here")
            await press(pilot, "enter", "escape")
        await pilot.press("a")
        await type_text(pilot, "@omar restart the pods")
        await press(pilot, "enter", "escape")
        entries = [e for e in app.screen.timeline._entries if e.seq > before]
        assert [(e.kind, e.text) for e in entries] == [
            ("note", "a note here"), ("decision", "a decision here"), ("result", "a result here"),
            ("change", "a change here"), ("action", "@omar restart the pods")]
        assert entries[-1].data["owner"] == "omar"
        assert app.screen.entry_line.display is False


async def test_tab_cycles_kind_and_escape_cancels(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        before = app.screen.state.entry_count
        await press(pilot, "n", "tab", "tab")
        assert app.screen.entry_line.kind == "action"
        await press(pilot, "shift+tab")
        assert app.screen.entry_line.kind == "decision"
        await type_text(pilot, "never saved")
        await press(pilot, "escape")
        assert app.screen.entry_line.display is False
        assert app.screen.state.entry_count == before
        await press(pilot, "n")
        line = app.screen.entry_line
        # Esc keeps the draft: it is offered back, selected, with its kind.
        assert line.input.value == "never saved" and line.kind == "decision"
        assert line.input.selected_text == "never saved"
        await type_text(pilot, "typed over")
        assert line.input.value == "typed over"
        await press(pilot, "ctrl+u", "up")  # ↑ on the emptied line brings it back
        assert line.input.value == "never saved"


async def test_empty_note_and_ownerless_action_are_refused_and_draft_kept(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        before = app.screen.state.entry_count
        await press(pilot, "n", "enter")
        status = str(app.screen.query_one("#status-line").render())
        assert "empty" in status
        await press(pilot, "escape", "a")
        await type_text(pilot, "restart the pods")
        await press(pilot, "enter")
        assert "owner" in str(app.screen.query_one("#status-line").render())
        assert app.screen.entry_line.input.value == "restart the pods"
        assert app.screen.state.entry_count == before


async def test_keys_typed_during_a_save_keep_their_order(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        keys = ["n"]
        for i in range(1, 6):
            keys += list(f"fast{i}") + ["enter"]
        await pilot.press(*keys)  # no waiting between keys: saves overlap the typing
        for _ in range(10):
            await settle(pilot)
        assert rows(app)[-5:] == [f"fast{i}" for i in range(1, 6)]


async def test_summary_dialog_saves_and_cancels(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await press(pilot, "s")
        assert isinstance(app.screen, SummaryPrompt)
        await press(pilot, "escape")
        assert isinstance(app.screen, WarRoomScreen)
        await press(pilot, "s")
        area = app.screen.query_one("#summary-text")
        assert area.text.startswith("\n\nSince the last summary")  # room for the lead, then the draft
        area.text = ""
        await press(pilot, "ctrl+s")
        assert "empty" in str(app.screen.query_one(".dialog-error").render())
        await type_text(pilot, "Stable for 20 minutes")
        await press(pilot, "enter")  # a new line in the summary, not a save
        assert isinstance(app.screen, SummaryPrompt)
        await type_text(pilot, "Next: watch the error rate")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, WarRoomScreen)
        assert app.screen.state.latest_summary.text == (
            "Stable for 20 minutes\nNext: watch the error rate")


async def test_status_update_dialog_fills_template_and_checks_interval(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await press(pilot, "u")
        dialog = app.screen
        assert isinstance(dialog, StatusUpdateDialog)
        assert dialog.query_one("#update-text", Input).value  # a template was filled in
        dialog.query_one("#update-next", Input).value = "soon"
        dialog.query_one("#update-text", Input).focus()
        await press(pilot, "enter")
        assert "next update" in str(dialog.query_one(".dialog-error").render())
        dialog.query_one("#update-next", Input).value = "45m"
        services = dialog.query_one("#update-services", SelectionList)
        before = list(services.selected)
        services.toggle(services.get_option_at_index(0).value)  # one service more or less
        await settle(pilot)
        after = list(services.selected)
        assert after != before
        audience = dialog.profile.audiences[0] if dialog.profile.audiences else "public"
        dialog.query_one("#update-audience", Input).value = audience
        text = dialog.query_one("#update-text", Input).value
        await press(pilot, "enter")
        assert isinstance(app.screen, WarRoomScreen)
        comms = app.screen.state.latest_comms
        assert comms.data["next_update_s"] == 45 * 60
        assert comms.data["services"] == after
        assert comms.data["audience"] == audience
        assert comms.text == text and app.clipboard == text  # copied for the status page
        # The status-update clock restarted from this update, at the interval chosen with it.
        from warroom.core.timers import STATUS_UPDATE, find

        clock = app.clock
        timer = find(app.screen.timers(), STATUS_UPDATE)
        assert timer.due_at == comms.occurred + timedelta(minutes=45)
        clock.advance(timedelta(minutes=44))
        assert not find(app.screen.timers(), STATUS_UPDATE).alerting
        clock.advance(timedelta(minutes=2))
        assert find(app.screen.timers(), STATUS_UPDATE).alerting
        await press(pilot, "u", "escape")
        assert isinstance(app.screen, WarRoomScreen)


async def test_handover_dialog_warns_and_writes_a_handover(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        state = app.screen.state
        lead, scribe = state.holder("lead"), state.holder("scribe")
        await press(pilot, "o")
        dialog = app.screen
        assert isinstance(dialog, HandoverDialog)
        listing = dialog.query_one(OptionList)
        listing.highlighted = [r.id for r in dialog.profile.roles].index("scribe")
        await press(pilot, "tab")
        await type_text(pilot, lead)
        await settle(pilot)
        assert any("would be both" in w.text for w in dialog.warnings())
        dialog.query_one("#role-person", Input).value = "grcae"  # a typo: nobody of that name
        await settle(pilot)
        assert "grcae has not appeared in this incident before (check the spelling)" in \
            str(dialog.query_one("#role-warnings").render())
        dialog.query_one("#role-person", Input).value = scribe
        await press(pilot, "enter")  # already holds it: refused, dialog stays
        assert "already holds" in str(dialog.query_one(".dialog-error").render())
        dialog.query_one("#role-person", Input).value = ""
        await press(pilot, "enter")
        assert "empty" in str(dialog.query_one(".dialog-error").render())
        dialog.query_one("#role-person", Input).value = "zed"
        await press(pilot, "enter")
        assert isinstance(app.screen, WarRoomScreen)
        assert app.screen.state.holder("scribe") == "zed"
        assert rows(app)[-1].startswith("Scribe handed over from")
        await press(pilot, "o", "escape")
        assert isinstance(app.screen, WarRoomScreen)


async def test_severity_dialog_needs_a_reason(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        before = app.screen.state.severity
        await press(pilot, "v")
        dialog = app.screen
        assert isinstance(dialog, SeverityDialog)
        await press(pilot, "tab", "enter")
        assert "empty" in str(dialog.query_one(".dialog-error").render())
        await type_text(pilot, "more users affected")
        await press(pilot, "enter")
        assert isinstance(app.screen, WarRoomScreen)
        assert app.screen.state.severity != before
        await press(pilot, "v", "escape")
        assert isinstance(app.screen, WarRoomScreen)


async def test_status_dialog_resolve_needs_note_and_records_checklist(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await press(pilot, "t")
        dialog = app.screen
        assert isinstance(dialog, StatusDialog)
        dialog.query_one(OptionList).highlighted = 3  # resolved
        await settle(pilot)
        checklist = dialog.query_one(SelectionList)
        assert checklist.display
        checklist.select(dialog.checklist[0])
        dialog.query_one("#status-note", Input).focus()
        await press(pilot, "enter")
        assert "resolution note" in str(dialog.query_one(".dialog-error").render())
        await type_text(pilot, "rolled back")
        await press(pilot, "enter")
        assert isinstance(app.screen, WarRoomScreen)
        state = app.screen.state
        assert state.status == "resolved"
        last = app.screen.timeline._entries[-1]
        assert last.data["checklist"][dialog.checklist[0]] is True
        assert not any(last.data["checklist"][item] for item in dialog.checklist[1:])
        await press(pilot, "t", "escape")
        assert isinstance(app.screen, WarRoomScreen)


async def test_a_checklist_item_too_long_for_its_row_is_shown_whole(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await press(pilot, "t")
        dialog = app.screen
        dialog.query_one(OptionList).highlighted = 3  # resolved
        await settle(pilot)
        checklist = dialog.query_one(SelectionList)
        room = checklist.scrollable_content_region.width - 4
        long = [i for i, item in enumerate(dialog.checklist) if len(item) > room]
        short = [i for i, item in enumerate(dialog.checklist) if len(item) <= room]
        assert long and short, "the sample profile has items of both kinds"
        whole = dialog.query_one("#checklist-item")
        checklist.focus()
        checklist.highlighted = long[0]
        await settle(pilot)
        assert whole.display
        assert dialog.checklist[long[0]] in str(whole.render()).replace("\n", " ")
        checklist.highlighted = short[0]
        await settle(pilot)
        assert not whole.display


async def test_followups_dialog_marks_done_and_adds(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        open_before = len(app.screen.state.open_actions())
        await press(pilot, "f")
        dialog = app.screen
        assert isinstance(dialog, FollowupsDialog)
        await press(pilot, "enter", "enter")  # Enter shows the first (open) item, twice
        assert len(app.screen_stack[-2].state.open_actions()) == open_before
        assert dialog.query_one("#followup-detail").display
        await press(pilot, "d")  # done: the outcome is asked first (optional)
        await paste(pilot, "the probe is fixed")
        await press(pilot, "enter")
        war_room = app.screen_stack[-2]
        assert len(war_room.state.open_actions()) == open_before - 1
        done = [a for a in war_room.state.actions.values() if a.done_note == "the probe is fixed"]
        assert len(done) == 1
        await press(pilot, "d", "escape")  # asked again, Esc: nothing marked, the dialog stays
        assert isinstance(app.screen, FollowupsDialog)
        assert len(war_room.state.open_actions()) == open_before - 1
        listing = dialog.query_one(OptionList)
        listing.highlighted = next(i for i in range(listing.option_count)
                                   if listing.get_option_at_index(i).id == str(done[0].seq))
        await press(pilot, "u")  # undo: a new entry reopens it
        assert len(war_room.state.open_actions()) == open_before
        assert not war_room.state.actions[done[0].seq].done
        listing.highlighted = 0
        await press(pilot, "tab")
        await type_text(pilot, "write the runbook")
        await press(pilot, "enter")
        assert "owner" in str(dialog.query_one(".dialog-error").render())
        await type_text(pilot, " @sam")
        await press(pilot, "enter")
        war_room = app.screen_stack[-2]
        assert any(a.text == "write the runbook @sam" and a.owner == "sam"
                   for a in war_room.state.actions.values())
        await press(pilot, "escape")
        assert isinstance(app.screen, WarRoomScreen)


async def test_search_filters_by_text_and_kind(make_app):
    from warroom.app.widgets.search_bar import FILTER_KINDS

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        timeline = app.screen.timeline
        entries, texts = list(timeline._entries), list(timeline._texts)
        total = len(rows(app))
        assert total == len(entries)
        await press(pilot, "slash")
        await type_text(pilot, "FireWall")  # any case; text, author or kind
        want = [t for e, t in zip(entries, texts)
                if "firewall" in f"{t}\n{e.author}\n{e.kind}".casefold()]
        assert 0 < len(want) < total
        assert rows(app) == want
        await type_text(pilot, " policy")
        assert rows(app) == [t for t in want if "firewall policy" in t.casefold()]
        search = app.screen.query_one("#search-input", Input)
        search.value = ""
        await settle(pilot)
        assert len(rows(app)) == total
        # Tab: the kind filter; each kind shows exactly the entries of that kind
        for kind in FILTER_KINDS[1:4]:
            await press(pilot, "tab")
            assert str(app.screen.query_one("#search-kind").render()) == kind
            assert rows(app) == [t for e, t in zip(entries, texts) if e.kind == kind]
        await type_text(pilot, "sam")  # and text on top of the kind: both must hold
        kind = FILTER_KINDS[3]
        assert rows(app) == [t for e, t in zip(entries, texts) if e.kind == kind and
                             "sam" in f"{t}\n{e.author}\n{e.kind}".casefold()]
        await press(pilot, "enter")  # keep the filter
        assert timeline.filtered
        assert "filtered" in str(timeline.border_title)
        await press(pilot, "slash", "escape")  # clear it
        assert not timeline.filtered
        assert len(rows(app)) == total


async def test_incident_switcher_and_declare(make_app):
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot)
        await press(pilot, "i")
        assert isinstance(app.screen, IncidentsDialog)
        await press(pilot, "escape")
        assert isinstance(app.screen, WarRoomScreen)
        await press(pilot, "i")
        app.screen.query_one(OptionList).highlighted = 0  # the first option: declare
        await press(pilot, "enter")
        assert isinstance(app.screen, DeclareScreen)
        declare = app.screen
        await press(pilot, "ctrl+s")  # no title
        assert "title is empty" in str(declare.query_one("#declare-error").render())
        await type_text(pilot, "Search is slow")
        await press(pilot, "enter")  # Enter moves to the next field; it never declares
        assert isinstance(app.screen, DeclareScreen) and app.focused.id == "declare-profile"
        app.screen.query_one("#declare-title").focus()
        await press(pilot, "ctrl+s")  # the severity was never looked at: asked once
        assert "severity" in str(declare.query_one("#declare-error").render())
        assert isinstance(app.screen, DeclareScreen)
        declare.query_one("#declare-services").focus()
        await press(pilot, "space")  # ticks the first service at once
        assert len(declare.query_one("#declare-services").selected) == 1
        await press(pilot, "enter")  # on to the description, the service still ticked
        assert app.focused.id == "declare-description"
        assert len(declare.query_one("#declare-services").selected) == 1
        await press(pilot, "ctrl+s")
        await ready(pilot)
        from warroom.app.dialogs.process import ChecklistDialog
        for _ in range(10):  # a new incident opens with its declare checklist
            if isinstance(app.screen, ChecklistDialog):
                break
            await ready(pilot)
        assert isinstance(app.screen, ChecklistDialog)
        await press(pilot, "escape")
        assert isinstance(app.screen, WarRoomScreen)
        assert app.screen.ref == "INC-2"
        assert app.screen.state.title == "Search is slow"
        await press(pilot, "i")
        listing = app.screen.query_one(OptionList)
        ids = [listing.get_option_at_index(i).id for i in range(listing.option_count)]
        listing.highlighted = ids.index("INC-1")
        await press(pilot, "enter")
        await ready(pilot)
        assert app.screen.ref == "INC-1"


async def test_declare_screen_when_no_incident_and_escape_quits(tmp_path, make_app):
    app = make_app(ref=None, db=tmp_path / "empty.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        assert isinstance(app.screen, DeclareScreen)
        assert "Is this an incident?" in str(app.screen.query_one("#criteria").render())
        await press(pilot, "escape")
    assert app.return_code in (None, 0)


async def test_export_writes_report_and_refuses_folder(make_app, tmp_path, monkeypatch):
    import warroom.core.report as report  # noqa: F401 - the export needs the report module

    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await press(pilot, "e")
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        assert dialog.query_one("#export-path", Input).value == "./INC-1.md"
        dialog.query_one("#export-path", Input).value = str(tmp_path)
        await press(pilot, "enter")
        assert "folder" in str(dialog.query_one(".dialog-error").render())
        dialog.query_one("#export-path", Input).value = "./INC-1.md"
        await press(pilot, "enter")
        assert isinstance(app.screen, WarRoomScreen)
    written = tmp_path / "INC-1.md"
    assert written.exists() and "INC-1" in written.read_text()
    assert written.stat().st_mode & 0o777 == 0o600


async def test_export_dialog_refuses_a_symlink_a_fifo_and_a_database(make_app, tmp_path,
                                                                      monkeypatch):
    import os
    import sqlite3

    import warroom.core.report as report  # noqa: F401 - the export needs the report module

    monkeypatch.chdir(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (tmp_path / "link.md").symlink_to(victim)
    os.mkfifo(tmp_path / "pipe")
    con = sqlite3.connect(tmp_path / "other.db")
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await press(pilot, "e")
        dialog = app.screen
        for name, words in (("link.md", "symbolic link"), ("pipe", "not a regular file"),
                            ("other.db", "SQLite database")):
            dialog.query_one("#export-path", Input).value = f"./{name}"
            await press(pilot, "enter")
            await press(pilot, "enter")  # a second Enter is not a confirmation either
            assert isinstance(app.screen, ExportDialog)
            assert words in str(dialog.query_one(".dialog-error").render()), name
        await press(pilot, "escape")
    assert victim.read_text() == "precious"
    assert (tmp_path / "other.db").read_bytes()[:6] == b"SQLite"


async def test_export_offers_every_template_and_writes_the_chosen_one(make_app, tmp_path,
                                                                       monkeypatch):
    from warroom.core.report import BUILTIN_TEMPLATES

    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await press(pilot, "e")
        dialog = app.screen
        listing = dialog.query_one("#export-template", OptionList)
        names = [listing.get_option_at_index(i).id for i in range(listing.option_count)]
        assert names[:2] == ["govuk", "sre"]
        assert dialog.template == "govuk"
        dialog.query_one("#export-path", Input).value = "./sre.md"
        await press(pilot, "tab")  # to the templates
        assert app.focused is listing
        await press(pilot, "down", "enter")  # SRE-style, and Enter writes it
        assert isinstance(app.screen, WarRoomScreen)
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").parse((tmp_path / "sre.md").read_text())
    headings = ["".join(c.content for c in tokens[i + 1].children if c.type == "text")
                for i, t in enumerate(tokens) if t.type == "heading_open" and t.tag == "h2"]
    assert headings == [s.heading for s in BUILTIN_TEMPLATES["sre"].sections]


async def test_export_cancel(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await press(pilot, "e", "escape")
        assert isinstance(app.screen, WarRoomScreen)


async def test_help_lists_every_key(make_app):
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot)
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpDialog)
        text = str(app.screen.query_one("#help-text").render())
        for item in KEYMAP:
            assert item.description in text
        await press(pilot, "escape")
        assert isinstance(app.screen, WarRoomScreen)


async def test_utc_toggle(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await press(pilot, "z")
        assert app.screen.utc and "UTC" in str(app.screen.timeline.border_title)
        await press(pilot, "z")
        assert not app.screen.utc


async def test_command_palette_offers_every_action(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for item in KEYMAP:
            if item.action != "quit":
                assert any(item.description in t for t in titles), item.description
        await press(pilot, "ctrl+p")
        assert app.screen.__class__.__name__ == "CommandPalette"
        await press(pilot, "escape")


async def test_quit_key(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code in (None, 0)


async def test_letters_are_text_while_typing(make_app):
    """q, s, e... typed into the entry line are letters, not hotkeys."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("n", *"queues", "space", "question_mark")
        await press(pilot, "enter")
        assert rows(app)[-1] == "queues ?"
        assert isinstance(app.screen, WarRoomScreen)
