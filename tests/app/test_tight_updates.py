"""A partial frame writes the cells Textual marked changed, not the row from the widget's edge
(warroom.app.compat.tighten), and never half a double-width character."""

from __future__ import annotations

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual._compositor import ChopsUpdate
from textual.strip import Strip

from warroom.app.compat import tighten

PLAIN = Style()


def render(strip: Strip, x1: int, x2: int, *, at: int = 10, width: int = 20) -> str:
    update = ChopsUpdate([{at: strip}], [(0, x1, x2)], [[at + width]])
    return tighten(update).render_segments(Console(color_system=None, width=120))


def test_only_the_changed_cells_are_written():
    strip = Strip([Segment("│ ", PLAIN), Segment("Lead summary  in 35s", PLAIN)])
    # Cells 30..31 of the screen ("5s") changed; the widget starts at 10.
    assert render(strip, 30, 32, width=22) == "\x1b[1;31H5s"


def test_a_span_inside_a_wide_character_starts_at_the_character():
    strip = Strip([Segment("ab漢字cd", PLAIN)])  # 漢 at cells 2-3, 字 at 4-5
    assert render(strip, 15, 17, width=8) == "\x1b[1;15H字c"  # 15 is 字's right half: from 14


def test_other_updates_pass_through():
    sentinel = object()
    assert tighten(sentinel) is sentinel
    whole = ChopsUpdate([{0: Strip([Segment("abc", PLAIN)])}], [(0, 0, 3)], [[3]])
    assert tighten(whole).render_segments(Console(color_system=None)) == "\x1b[1;1Habc"
