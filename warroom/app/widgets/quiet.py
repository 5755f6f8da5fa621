"""Quiet redraws for panes that tick: a Static whose new text is compared line by line with
what it shows, and only the screen rows whose line changed are repainted (no layout pass, no
whole-pane refresh) when every line keeps its length and fits the width (or is cut at it). An idle war room on a
slow link then sends a countdown's few cells a second, not its pane."""

from __future__ import annotations

from rich.cells import cell_len
from textual.content import Content
from textual.geometry import Region
from textual.widgets import Static


class QuietStatic(Static):
    """A Static updated through :meth:`show_content`: unchanged text redraws nothing, changed
    lines of the same shape redraw only their rows."""

    _quiet: Content | None = None

    def render(self):
        return self._quiet if self._quiet is not None else super().render()

    def show_content(self, content: Content) -> None:
        last = self._quiet
        if last is not None and _same(last, content):
            return
        self._quiet = content
        wraps = self.styles.text_wrap != "nowrap"
        width = self.content_size.width
        rows = _changed_rows(last, content, width, wraps) if last is not None else None
        if rows is None:  # a new shape: the Static's own update (a layout pass if it must)
            same = last is not None and _shape(last) == _shape(content)
            self.update(content, layout=not same)
            return
        for y, x, end in rows:
            x, end = min(x, width - 1), min(end, width)  # past the width: its ellipsis cell
            self.refresh(Region(x, y, max(end - x, 1), 1))


def set_title(widget, title: str) -> None:
    """Set a border title only when it changed (setting one repaints the whole widget)."""
    if getattr(widget, "_quiet_title", None) != title:
        widget._quiet_title = title
        widget.border_title = title


def _same(a: Content, b: Content) -> bool:
    """Same text and same styles (Content's own == compares the text only)."""
    return a.plain == b.plain and list(a.spans) == list(b.spans)


def _changed_cells(a: Content, b: Content) -> tuple[int, int]:
    """The cells (first, past the last) where two lines of the same length differ, styles
    included: a style that changed covers its whole span."""
    n = 0
    for x, y in zip(a.plain, b.plain):
        if x != y:
            break
        n += 1
    i, m = len(a.plain), len(b.plain)
    while i > n and m > n and a.plain[i - 1] == b.plain[m - 1]:
        i, m = i - 1, m - 1
    moved = set(a.spans) ^ set(b.spans)
    n = min([n, *(span.start for span in moved)])
    m = max([m, *(span.end for span in moved)])
    return cell_len(b.plain[:n]), cell_len(b.plain[:m])


def _shape(content: Content) -> list[int]:
    return [len(line) for line in content.plain.split("\n")]


def _changed_rows(last: Content, new: Content, width: int,
                  wraps: bool = True) -> list[tuple[int, int, int]] | None:
    """(row, first changed column, column past the last changed) of each changed line, or
    None when the shape changed (or a line could wrap: one wider than the pane, unless the
    widget never wraps and cuts it at the width)."""
    old_lines, new_lines = last.split("\n"), new.split("\n")
    if len(old_lines) != len(new_lines) or width <= 0:
        return None
    rows = []
    for y, (a, b) in enumerate(zip(old_lines, new_lines)):
        if a.cell_length != b.cell_length or (wraps and b.cell_length > width):
            return None
        if not _same(a, b):
            rows.append((y, *_changed_cells(a, b)))
    return rows
