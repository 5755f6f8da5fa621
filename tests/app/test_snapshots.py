"""Pictures of the real app on a frozen clock: the main screen and each dialog at 60×20 (the
enlarge notice), 80×24 (the floor), 120×40 and 200×60; with NO_COLOR; each theme.
Update with: pytest tests/app/test_snapshots.py --snapshot-update"""

from __future__ import annotations

import pytest

from tests.app.conftest import no_blink, paste, press, ready

THEMES = ("dark", "light", "high-contrast")


def before(*keys: str, text: str | None = None):
    async def run_before(pilot) -> None:
        await ready(pilot)
        if keys:
            await press(pilot, *keys)
        if text is not None:
            await paste(pilot, text)
        await ready(pilot)
        no_blink(pilot.app)
        await pilot.pause()
    return run_before


SIZES = [(60, 20), (80, 24), (120, 40), (200, 60)]
SIZE_IDS = [f"{w}x{h}" for w, h in SIZES]


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_main_screen(snap_compare, make_app, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=before())


def test_main_screen_no_color(snap_compare, make_app, monkeypatch):
    """NO_COLOR: the badge is reversed text (the picture is taken before the terminal's
    monochrome filter; tests/test_terminal_colours.py reads what the terminal receives)."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    assert app.no_color
    assert snap_compare(app, terminal_size=(80, 24), run_before=before())


@pytest.mark.parametrize("theme", THEMES)
def test_themes(snap_compare, make_app, theme):
    assert snap_compare(make_app(theme=theme), terminal_size=(100, 30), run_before=before())


@pytest.mark.parametrize("keys", [
    ("n",), ("a",), ("slash",), ("s",), ("u",), ("o",), ("v",), ("t",), ("f",), ("i",), ("e",),
    ("question_mark",), ("x",), ("k",), ("g",), ("l",), ("w",), ("up", "m"), ("up", "enter"),
], ids=lambda k: "-".join(k))
@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_dialogs(snap_compare, make_app, keys, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=before(*keys))


def test_public_statement_dialog(snap_compare, make_app):
    """The p key: one box per part, offered the draft from the status updates sent."""
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=before("p"))


def test_entry_line_with_text(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=(80, 24),
                        run_before=before("d", text="Roll back checkout-web to v2.13.2"))


def test_declare_screen(snap_compare, make_app, tmp_path):
    app = make_app(ref=None, db=tmp_path / "empty.db")
    assert snap_compare(app, terminal_size=(80, 24), run_before=before())


def test_notification_on_a_small_terminal(snap_compare, make_app):
    """60×20: a toast sits over the summary pane, clear of the timers, the newest rows, the
    entry line and the status line (which says it too)."""
    async def run_before(pilot) -> None:
        await before("n")(pilot)
        pilot.app.notify("INC-1: entry #12: its contents do not match its hash. What you see "
                         "may have been changed behind the app's back (warroom verify INC-1).",
                         title="The hash chain does not verify", severity="error", timeout=600)
        await ready(pilot)
        no_blink(pilot.app)
        await pilot.pause()
    assert snap_compare(make_app(), terminal_size=(60, 20), run_before=run_before)
