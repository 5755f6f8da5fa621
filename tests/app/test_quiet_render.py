"""A ticking pane renders only its changed lines (warroom.app.widgets.quiet): what a frame then
shows is what a full render of the same text shows, and anything else that made the widget
dirty (a new shape, a resize, a style) renders it whole."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.content import Content

from warroom.app import compat
from warroom.app.widgets.quiet import QuietStatic


class Pane(App[None]):
    CSS = "QuietStatic { border: round $accent; padding: 0 1; width: 30; height: 8; }"

    def compose(self) -> ComposeResult:
        yield QuietStatic(Content(""))


def lines(value: str, style: str = "bold reverse") -> list[Content]:
    return [Content("Lead summary     in 30m"),
            Content.assemble(("Scribe vacant ", ""), (f"! vacant {value}", style)),
            Content.styled("Post-incident", "$text-muted")]


def shown(widget: QuietStatic) -> list[list[tuple[str, object]]]:
    return [[(seg.text, seg.style) for seg in widget.render_line(y)]
            for y in range(widget.size.height)]


@pytest.fixture
def calls(monkeypatch) -> list[bool]:
    """Whether each render of changed lines took the quiet path (compat.render_lines_again)."""
    taken: list[bool] = []
    again = compat.render_lines_again

    def spy(widget, dirty, text):
        taken.append(done := again(widget, dirty, text))
        return done

    monkeypatch.setattr(compat, "render_lines_again", spy)
    return taken


async def test_changed_lines_render_alone_and_match_a_full_render(calls):
    app = Pane()
    async with app.run_test() as pilot:
        pane = app.query_one(QuietStatic)
        pane.show_lines(lines("0m"))
        await pilot.pause()
        first = shown(pane)
        pane.show_lines(lines("1m"))  # one line, same length: only its cell
        await pilot.pause()
        partial = shown(pane)
        assert calls == [True], calls
        assert partial != first
        pane.refresh()  # everything again, from the text
        await pilot.pause()
        assert shown(pane) == partial
        assert calls == [True]  # the whole refresh did not take the quiet path


async def test_a_style_change_on_the_same_text_is_rendered():
    app = Pane()
    async with app.run_test() as pilot:
        pane = app.query_one(QuietStatic)
        pane.show_lines(lines("0m"))
        await pilot.pause()
        pane.show_lines(lines("0m", style="italic"))
        await pilot.pause()
        partial = shown(pane)
        pane.refresh()
        await pilot.pause()
        assert shown(pane) == partial


async def test_a_new_shape_or_a_pending_full_render_renders_everything(calls):
    app = Pane()
    async with app.run_test() as pilot:
        pane = app.query_one(QuietStatic)
        pane.show_lines(lines("0m"))
        await pilot.pause()
        pane.show_lines(lines("12m"))  # longer: a new shape
        await pilot.pause()
        pane.refresh()  # a full render is pending when the next line changes
        pane.show_lines(lines("13m"))
        await pilot.pause()
        assert calls == []
        whole = shown(pane)
        pane.refresh()
        await pilot.pause()
        assert shown(pane) == whole
