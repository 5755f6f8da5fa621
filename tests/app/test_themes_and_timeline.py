"""Theme files, the remembered choice, and the Line-API timeline on its own."""

from __future__ import annotations

import pytest

from tests.app.conftest import press, ready, rows
from warroom.app.app import WarroomApp
from warroom.app.formatting import plain
from warroom.app.themes import ThemeError, load_themes, parse_theme, saved_theme, settings_path
from warroom.app.widgets.timeline import wrap_cells
from warroom.base.model import Entry
from warroom.locations import builtin_themes_dir, user_themes_dir


def test_shipped_themes_load():
    found = load_themes([builtin_themes_dir()])
    assert {"dark", "light", "high-contrast"} <= set(found.themes)
    assert not found.problems
    assert found.themes["light"].dark is False


@pytest.mark.parametrize("text, key", [
    ('name = "x"\nprimary = "not-a-colour"\n', "primary"),
    ('primary = "#fff"\n', "name"),
    ('name = "x"\nprimary = "#fff"\nbogus = 1\n', "bogus"),
    ('name = "x"\nprimary = "#fff"\ndark = "yes"\n', "dark"),
    ('name = "x"\n', "primary"),
    ('name = [\n', "TOML"),
])
def test_bad_theme_files_name_the_key(tmp_path, text, key):
    path = tmp_path / "bad.toml"
    with pytest.raises(ThemeError) as err:
        parse_theme(path, text)
    assert str(path) in str(err.value) and key in str(err.value)


def test_user_theme_is_added_and_a_broken_one_skipped():
    folder = user_themes_dir()
    folder.mkdir(parents=True)
    (folder / "mine.toml").write_text('name = "mine"\nprimary = "#ff00ff"\n')
    (folder / "broken.toml").write_text('name = "broken"\nprimary = 7\n')
    found = load_themes()
    assert "mine" in found.themes and "dark" in found.themes
    assert any("broken.toml" in p for p in found.problems)


def test_unknown_theme_is_a_one_line_error(tmp_path):
    with pytest.raises(ThemeError, match="unknown theme 'nope'"):
        WarroomApp(db=str(tmp_path / "x.db"), theme="nope")


async def test_theme_choice_is_remembered(make_app):
    app = make_app(theme="light")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        assert app.theme == "light"
        assert saved_theme() == "light"
        app.theme = "high-contrast"  # what the palette's theme picker does
        await pilot.pause()
    assert saved_theme() == "high-contrast"
    assert settings_path().stat().st_mode & 0o777 == 0o600
    again = make_app()
    assert again.theme == "high-contrast"


async def test_palette_switches_theme(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await press(pilot, "ctrl+p")
        await pilot.press(*"theme")
        await press(pilot, "enter")
        await pilot.press(*"light")
        await press(pilot, "enter")
        assert app.theme == "light"


def test_wrap_cells():
    assert wrap_cells("short", 10) == ["short"]
    assert wrap_cells("one two three four", 9) == ["one two", "three", "four"]
    assert wrap_cells("abcdefghijkl", 5) == ["abcde", "fghij", "kl"]
    assert wrap_cells("漢字漢字漢字", 4) == ["漢字", "漢字", "漢字"]
    for width in (5, 9, 13):
        text = "the quick brown fox jumps over the lazy dog " * 3
        assert "".join(wrap_cells(text, width)).replace(" ", "") == text.replace(" ", "")


def _entries(n: int) -> list[Entry]:
    return [Entry(incident="INC-1", seq=i, uid=f"u{i}", kind="note", author="sam",
                  occurred_at="2026-11-22T14:00:00.000000Z", recorded_at="2026-11-22T14:00:00.000000Z",
                  text=f"entry number {i} " + "x" * (i % 90)) for i in range(1, n + 1)]


async def test_timeline_with_50k_entries():
    # How fast is bench/big_timeline.py's figure; this checks what is shown.
    from textual.app import App

    from warroom.app.widgets.timeline import Timeline

    class One(App):
        def compose(self):
            yield Timeline()

    app = One()
    entries = _entries(50_000)
    async with app.run_test(size=(80, 24)) as pilot:
        timeline = app.query_one(Timeline)
        timeline.set_entries(entries)
        await pilot.pause()
        assert timeline.entry_count == 50_000
        assert timeline.scroll_y == timeline.max_scroll_y
        extra = _entries(50_001)[-1:]
        timeline.add(extra)
        await pilot.pause()
        assert timeline.row_texts()[-1].startswith("entry number 50001")
        timeline.set_filter("note", "number 4999")
        assert 0 < timeline.shown_count < 50_000


async def test_amended_entry_is_marked(make_app):
    """A corrected entry shows its latest text, marked ✎; the correction is not a row of its own."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        timeline = app.screen.timeline
        if not timeline._fixes:
            pytest.fail("the sample incident holds a correction")
        (seq, fixes), = timeline._fixes.items()
        shown = dict(zip([e.seq for e in timeline.shown_entries()], rows(app)))
        assert shown[seq] == plain(fixes[-1].text)
        assert fixes[-1].seq not in shown
        assert not any(r.startswith("corrects #") for r in rows(app))


@pytest.mark.parametrize("key", ["n", "slash"])
async def test_opening_a_line_keeps_the_newest_entry_in_view(make_app, key):
    """The entry line and the search bar take a row from the timeline: a timeline that was
    following the bottom still shows the newest entry, not the one before it."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        timeline = app.screen.timeline
        assert timeline.max_scroll_y > 0 and timeline.scroll_y == timeline.max_scroll_y
        await press(pilot, key)
        await pilot.pause()
        assert timeline.max_scroll_y > 0
        assert timeline.scroll_y == timeline.max_scroll_y
        await press(pilot, "escape")
        assert timeline.scroll_y == timeline.max_scroll_y
