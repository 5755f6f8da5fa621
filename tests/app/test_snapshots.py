"""Pictures of the real app on a frozen clock: the main screen at 80×24 and 160×48, each dialog,
each theme. Update with: pytest tests/app/test_snapshots.py --snapshot-update"""

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


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_main_screen(snap_compare, make_app, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=before())


@pytest.mark.parametrize("theme", THEMES)
def test_themes(snap_compare, make_app, theme):
    assert snap_compare(make_app(theme=theme), terminal_size=(100, 30), run_before=before())


@pytest.mark.parametrize("keys", [
    ("n",), ("a",), ("slash",), ("s",), ("u",), ("o",), ("v",), ("t",), ("f",), ("i",), ("e",),
    ("question_mark",),
], ids=lambda k: "-".join(k))
def test_dialogs(snap_compare, make_app, keys):
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=before(*keys))


def test_entry_line_with_text(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=(80, 24),
                        run_before=before("d", text="Roll back checkout-web to v2.13.2"))


def test_declare_screen(snap_compare, make_app, tmp_path):
    app = make_app(ref=None, db=tmp_path / "empty.db")
    assert snap_compare(app, terminal_size=(80, 24), run_before=before())
