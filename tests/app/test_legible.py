"""Legible at a glance (issue 15): what the panes say and where things go, on the real app with a
frozen clock. The pictures are in test_snapshots.py; these check the rules behind them."""

from __future__ import annotations


import pytest
from textual.widgets import Input, Label

from tests.app.conftest import press, ready, settle, writer
from warroom.app import compat
from warroom.app.dialogs.summary_prompt import SummaryPrompt
from warroom.app.formatting import fit_label
from warroom.app.widgets.role_board import RoleBoard
from warroom.app.widgets.timers import TimersPane
from warroom.base.clock import FrozenClock
from warroom.core.text import paragraphs

DRAFTED = """Stable since the revert; monitoring for 30 more minutes.

Since the last summary (14:00 GMT):
Status: monitoring; severity: P2

Decisions:
- resolve at the next check-in if still clean

Results:

Open actions:
- #12 @priya watch checkout 5xx

Next steps:
"""


def test_paragraphs_drop_blank_lines_and_empty_headings():
    assert paragraphs(DRAFTED) == [
        "Stable since the revert; monitoring for 30 more minutes.",
        "Since the last summary (14:00 GMT):",
        "Status: monitoring; severity: P2",
        "Decisions:",
        "- resolve at the next check-in if still clean",
        "Open actions:",
        "- #12 @priya watch checkout 5xx",
    ]


@pytest.mark.parametrize("text, room, short, shown", [
    ("Lead summary", 20, "Summary", "Lead summary"),
    ("Lead summary", 9, "Summary", "Summary"),
    ("Rotate Incident lead", 14, "Rotate lead", "Rotate lead"),
    ("sam is both Incident Lead and Scribe", 20, None, "sam is both…"),
    ("Supercalifragilistic", 8, None, "Superca…"),
])
def test_labels_shorten_by_rule_never_cut_without_an_ellipsis(text, room, short, shown):
    assert fit_label(text, room, short) == shown


async def test_a_saved_summary_reads_as_lines_without_empty_headings(sample_db, make_app):
    db, ref = sample_db
    other = writer(db, user="grace")
    other.write_summary(ref, DRAFTED)
    other.store.close()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        screen = app.screen
        row = screen.timeline.row_texts()[-1]
        assert row.split("\n") == paragraphs(DRAFTED)
        assert "⏎" not in row and "Next steps" not in row and "Results:" not in row
        latest = str(screen.query_one("#summary-latest").render())
        assert "⏎" not in latest and "Next steps" not in latest
        assert "Stable since the revert" in latest.split("\n")[0]
        await press(pilot, "s")
        dialog = app.screen
        assert isinstance(dialog, SummaryPrompt)
        last = str(dialog.query_one("#summary-last", Label).render())
        assert "⏎" not in last and "Next steps" not in last
        assert last.endswith("if…")  # three lines at most, ended at a word


async def test_timer_values_show_at_60x20_with_a_notice_to_enlarge(make_app):
    app = make_app()
    async with app.run_test(size=(60, 20)) as pilot:
        await ready(pilot)
        screen = app.screen
        timers = str(screen.query_one(TimersPane).render())
        assert "in 21m" in timers and "in 11m" in timers  # minutes, not a time of day
        assert not screen.query_one(RoleBoard).display
        notice = screen.query_one("#size-notice", Label)
        assert notice.display and "enlarge" in str(notice.render())
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert screen.query_one(RoleBoard).display and not notice.display


async def test_overdue_timers_stand_out_by_glyph_and_weight(sample_db, make_app):
    app = make_app(clock=FrozenClock("2026-11-22T14:40:00Z"))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        pane = app.screen.query_one(TimersPane)
        shown = pane.render()
        lines = str(shown).split("\n")
        late = next(line for line in lines if line.startswith("Lead summary"))
        assert late.endswith("! 9m late")
        spans = [s for s in shown.spans if "bold" in str(s.style)]
        assert spans, "the overdue value is not bold"


def shown_toasts(screen) -> list:
    """The toasts a screen shows (each in a holder, in the screen's rack)."""
    return [toast for rack in compat.toast_racks(screen) if rack.display
            for holder in rack.children for toast in holder.children]


async def test_notifications_cover_neither_the_newest_rows_nor_the_entry_line(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await ready(pilot)
        screen = app.screen
        await press(pilot, "n")
        app.notify("Lead summary due in 1m: a long enough message to wrap over two lines",
                   severity="warning", timeout=30)
        await settle(pilot)
        toasts = shown_toasts(screen)
        assert toasts
        timeline, entry = screen.timeline.region, screen.entry_line.region
        newest_rows = timeline.height // 2
        for toast in toasts:
            assert not toast.region.overlaps(entry)
            assert toast.region.bottom <= timeline.bottom - newest_rows
        # An important one is on the status line too, where it stays readable.
        assert "Lead summary due" in str(screen.query_one("#status-line", Label).render())
        # With a dialog open, toasts stay on the war room, under the dialog's box.
        await press(pilot, "escape", "v")
        dialog = app.screen
        app.notify("Another notice", timeout=30)
        await settle(pilot)
        assert not shown_toasts(dialog)
        assert "Another notice" in [n.message for n in compat.notifications(app)]
        assert isinstance(dialog.query_one("#severity-reason"), Input)
        await press(pilot, "escape")
        await settle(pilot)
        assert any("Another notice" in str(t.render()) for t in shown_toasts(screen))


async def test_on_a_small_terminal_notifications_stay_over_the_summary_pane(make_app):
    """60×20: the timeline has no rows to spare, so toasts sit over the summary pane, the
    newest alone, clear of the timers, the timeline, the entry line and the status line; the
    important ones are on the status line too. A larger terminal puts them back."""
    from warroom.app.widgets.summary import SummaryPane

    app = make_app()
    async with app.run_test(size=(60, 20), notifications=True) as pilot:
        await ready(pilot)
        screen = app.screen
        await press(pilot, "n")
        app.notify("INC-1: entry #12: its contents do not match its hash. What you see may "
                   "have been changed behind the app's back (warroom verify INC-1); the next "
                   "save asks first.", title="The hash chain does not verify",
                   severity="error", timeout=600)
        await settle(pilot)
        summary, timers = screen.query_one(SummaryPane).region, screen.query_one(TimersPane).region
        below = [screen.timeline.region, screen.entry_line.region,
                 screen.query_one("#status-line", Label).region]
        toasts = shown_toasts(screen)
        assert len(toasts) == 1 and toasts[0].region.height > 1
        for toast in toasts:
            assert summary.contains_region(toast.region), (toast.region, summary)
            assert not toast.region.overlaps(timers)
            assert not any(toast.region.overlaps(r) for r in below)
        assert "hash chain does not verify" in str(screen.query_one("#status-line", Label).render())

        app.notify("Report written to /tmp/INC-1.md", timeout=30)
        await settle(pilot)
        shown = [t for t in shown_toasts(screen) if t.display and t.parent.display]
        assert len(shown) == 1 and "Report written" in str(shown[0].render())
        assert summary.contains_region(shown[0].region)

        await pilot.resize_terminal(120, 40)  # (under 36 rows, one toast at a time: the newest)
        await settle(pilot)
        assert not screen.has_class("-small")
        shown = [t for t in shown_toasts(screen) if t.parent.display]
        assert len(shown) == 2 and all(t.region.y >= screen.timeline.region.y for t in shown)
async def test_on_a_short_terminal_toasts_show_one_at_a_time(make_app):
    """80×24: three notices at once would stack down over the newest rows; the newest shows
    alone."""
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await ready(pilot)
        screen = app.screen
        for n in range(3):
            app.notify(f"Notice {n}: long enough to wrap over two lines of a toast, surely",
                       timeout=600)
        await settle(pilot)
        shown = [t for t in shown_toasts(screen) if t.parent.display]
        assert len(shown) == 1 and "Notice 2" in str(shown[0].render())
        timeline = screen.timeline.region
        assert shown[0].region.bottom <= timeline.bottom - timeline.height // 2
        app.clear_notifications()
        app.notify("Notice 3", timeout=600)
        app.notify("Notice 4", timeout=600)
        await settle(pilot)
        newest = [t for t in shown_toasts(screen) if t.parent.display]
        assert ["Notice 4" in str(t.render()) for t in newest] == [True]
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        assert len([t for t in shown_toasts(screen) if t.parent.display]) == 2


async def test_with_a_short_log_notifications_sit_below_its_last_row(make_app, tmp_path):
    """A freshly declared incident's few rows are at the top of the timeline, where toasts
    usually sit: there they would hide the newest entries ("Already due" did, for a minute).
    They go to the foot of the pane instead, and back to the top once the log fills it."""
    from tests.app.conftest import poll_now

    db = tmp_path / "fresh.db"
    other = writer(db)
    ref = other.declare("DNS down for the apex").incident
    other.note(ref, "resolver at 10.0.0.2 timing out")
    app = make_app(ref, db=db)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await ready(pilot)
        screen = app.screen
        await press(pilot, "n")
        app.notify("Incident lead vacant (a required role)", title="Already due",
                   severity="warning", timeout=600)
        await settle(pilot)
        timeline = screen.timeline
        region = timeline.region
        below_log = timeline.content_region.y + timeline.virtual_size.height
        toasts = shown_toasts(screen)
        assert toasts
        for toast in toasts:
            assert toast.region.y >= below_log, (toast.region, below_log)
            assert toast.region.bottom < region.bottom  # above the pane's border
            assert not toast.region.overlaps(screen.entry_line.region)
        for n in range(region.height):
            other.note(ref, f"row {n}")
        await poll_now(pilot)
        assert timeline.virtual_size.height >= timeline.content_region.height
        for toast in shown_toasts(screen):
            assert toast.region.bottom <= region.bottom - region.height // 2
    other.store.close()


@pytest.mark.parametrize("text, start, end", [
    ("", (0, 0), (0, 0)),
    ("We are investigating.", (0, 21), (0, 21)),
    ("Line one.\nLine two", (1, 8), (1, 8)),
    ("Users see {impact}. Next update by 14:30.", (0, 10), (0, 18)),
    ("First.\nSecond {what} and {more}.", (1, 7), (1, 13)),
])
def test_the_cursor_starts_at_the_first_blank_to_fill_else_at_the_end(text, start, end):
    from warroom.app.dialogs.writing import typing_point

    assert typing_point(text) == (start, end)


async def test_writing_dialogs_start_where_the_person_types(make_app):
    """The status update's cursor follows the template's text (not before it); the lead
    summary's sits on the first line, which the draft leaves for the lead's own words."""
    from textual.widgets import TextArea

    from tests.app.conftest import paste
    from warroom.app.dialogs.status_update import StatusUpdateDialog

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await press(pilot, "u")
        dialog = app.screen
        assert isinstance(dialog, StatusUpdateDialog)
        offered = dialog.query_one("#update-text", TextArea).text
        assert offered.startswith("A fix has been applied")  # the monitoring template
        await press(pilot, "enter")  # the template chosen: on to its text
        area = dialog.query_one("#update-text", TextArea)
        assert app.focused is area
        assert area.selection.is_empty and area.selection.end == area.document.end
        await paste(pilot, " Card payments work again.")
        assert area.text == offered + " Card payments work again."
        await press(pilot, "escape", "s")
        summary = app.screen
        assert isinstance(summary, SummaryPrompt)
        box = summary.query_one("#summary-text", TextArea)
        assert app.focused is box and box.text.startswith("\n\nSince the last summary")
        await paste(pilot, "Stable since the revert.")
        assert summary.text.startswith("Stable since the revert.\n\nSince the last summary")


async def test_the_footer_at_80_columns_shows_help_quit_and_the_keys_a_lead_needs(make_app):
    from warroom.app.widgets.key_bar import KeyBar

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        bar = str(app.screen.query_one(KeyBar).render())
        assert len(bar) <= 80
        for key in ("ndarc", "x", "s", "u", "o", "v", "t", "i", "e", "?", "q"):
            assert key in bar.split(), (key, bar)
        await pilot.resize_terminal(60, 20)
        await settle(pilot)
        narrow = str(app.screen.query_one(KeyBar).render()).split()
        assert len(" ".join(narrow)) <= 60
        for key in ("ndarc", "s", "u", "?", "q"):
            assert key in narrow, (key, narrow)


async def test_dialogs_below_80x24_keep_their_hint_in_view_and_ask_for_a_larger_terminal(make_app):
    """At 60×20 a dialog taller than the terminal scrolls its fields; the error and the keys
    stay at its foot, and its bottom border says to enlarge the terminal (as the war room's
    notice line does, which the dialog covers)."""
    app = make_app()
    async with app.run_test(size=(60, 20)) as pilot:
        await ready(pilot)
        for key in ("u", "o", "l", "s", "question_mark", "v"):
            await press(pilot, key)
            dialog = app.screen
            box = dialog.query_one(".dialog")
            hint = dialog.query_one(".dialog-hint", Label)
            assert "enlarge to 80×24" in str(box.border_subtitle), key
            assert box.region.contains_region(hint.region) and hint.region.height >= 1, key
            assert hint.region.bottom <= app.size.height - 1, key
            await press(pilot, "escape")
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        await press(pilot, "u")
        assert app.screen.query_one(".dialog").border_subtitle == ""


async def test_placeholders_shorten_by_rule_to_their_field(make_app):
    """Whole when they fit, else their short form, else cut at a word with … (never mid-word
    with nothing to say so)."""
    from warroom.app.widgets.fields import Field

    app = make_app()
    async with app.run_test(size=(60, 20)) as pilot:
        await ready(pilot)
        await press(pilot, "l")
        reason = app.screen.query_one("#checklist-reason", Field)
        assert reason.placeholder == "Does not apply? Reason, then Enter"
        await press(pilot, "escape", "u")
        audience = app.screen.query_one("#update-audience", Field)
        assert audience.placeholder.endswith("…")
        assert len(audience.placeholder) <= audience.content_size.width
        await press(pilot, "escape")
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        await press(pilot, "l")
        reason = app.screen.query_one("#checklist-reason", Field)
        assert reason.placeholder == reason.full_placeholder


def test_the_latest_summary_fills_its_rows_and_ends_in_an_ellipsis_when_cut():
    from textual.content import Content

    from warroom.app.formatting import clip_rows as _clip

    text = Content("Summary 14:00 grace: Cause: our Network Firewall policy change dropped "
                   "outbound HTTPS.\nNow P2, monitoring.")
    assert _clip(text, 80, 3) is text  # it fits
    one = str(_clip(text, 34, 1))
    assert one == "Summary 14:00 grace: Cause: our…"
    two = str(_clip(text, 34, 2)).split("\n")
    assert len(two) == 2 and two[1].endswith("…") and len(two[1]) <= 34
    assert _clip(text, 34, 0) is text  # before the first layout: whole
