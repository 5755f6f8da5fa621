"""The public statement key (issue 14): ``p`` opens one box per part, offered the draft made
from the status updates sent (or the latest statement); ctrl+s writes a ``public`` entry,
Esc keeps nothing."""

from __future__ import annotations

from textual.widgets import TextArea

from tests.app.conftest import paste, press, ready, rows, writer
from warroom.app.dialogs.public import PublicDialog
from warroom.app.screens.war_room import WarRoomScreen
from warroom.core.public import PARTS


def boxes(dialog) -> dict[str, str]:
    return {key: dialog.query_one(f"#public-{key}", TextArea).text for key in PARTS}


async def test_p_offers_the_draft_from_the_updates_sent_and_escape_keeps_nothing(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        state = app.screen.state
        before = state.entry_count
        sent = [e.text for e in app.screen.timeline.entries_since(0) if e.kind == "comms"]
        assert sent  # the sample incident sent status updates
        await press(pilot, "p")
        dialog = app.screen
        assert isinstance(dialog, PublicDialog) and dialog.drafted
        offered = boxes(dialog)
        assert offered["what_happened"]  # the impact window
        assert offered["users_saw"] == sent[0]
        assert all(text in offered["response"] for text in sent)
        assert offered["cause"] == offered["prevention"] == ""
        # The cursor starts where the person writes: the first part the draft left empty, and
        # every part's cursor at the end of what it offers (Tab back lands there too).
        assert dialog.focused.id == "public-cause"
        for key, text in offered.items():
            area = dialog.query_one(f"#public-{key}", TextArea)
            assert area.selection.end == area.document.end and area.selection.is_empty
        dialog.query_one("#public-what_happened", TextArea).focus()
        await pilot.pause()
        await paste(pilot, " More.")
        assert boxes(dialog)["what_happened"] == offered["what_happened"] + " More."
        await paste(pilot, "typed, then thrown away ")
        await press(pilot, "escape")
        assert isinstance(app.screen, WarRoomScreen)
        assert app.screen.state.entry_count == before and app.screen.state.public is None


async def test_p_saves_a_public_entry_with_the_parts_typed(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await press(pilot, "p")
        dialog = app.screen
        for key in PARTS:
            dialog.query_one(f"#public-{key}", TextArea).text = ""
        dialog.query_one("#public-what_happened", TextArea).focus()
        await pilot.pause()
        await press(pilot, "ctrl+s")  # nothing said: one line, stays open, nothing saved
        assert app.screen is dialog
        assert "empty" in str(dialog.query_one(".dialog-error").render())
        await paste(pilot, "Checkout failed [bold]for[/bold] 40 minutes.")
        await press(pilot, "tab")
        await paste(pilot, "Error pages at checkout.")
        await press(pilot, "tab", "tab", "tab")
        assert dialog.focused.id == "public-prevention"
        await paste(pilot, "Alerts on checkout errors.")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, WarRoomScreen)
        public = app.screen.state.public
        assert public is not None and public.kind == "public"
        assert public.data == {"what_happened": "Checkout failed [bold]for[/bold] 40 minutes.",
                               "users_saw": "Error pages at checkout.",
                               "prevention": "Alerts on checkout errors."}
        shown = "\n".join(rows(app))
        assert "What happened: Checkout failed [bold]for[/bold] 40 minutes." in shown  # literal


async def test_p_fills_the_boxes_from_the_latest_statement(make_app, sample_db):
    path, ref = sample_db
    writer(path).write_public(ref, {"what_happened": "First.", "cause": "A bad deploy."})
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await press(pilot, "p")
        dialog = app.screen
        assert isinstance(dialog, PublicDialog) and not dialog.drafted
        assert boxes(dialog) == {"what_happened": "First.", "users_saw": "", "response": "",
                                 "cause": "A bad deploy.", "prevention": ""}
