"""Quiet redraws for panes that tick: a Static whose new text is compared line by line with
what it shows, and only the screen cells whose line changed are repainted (no layout pass, no
whole-pane refresh) when every line keeps its length and fits the width (or is cut at it). An
idle war room on a slow link then sends a countdown's few cells a second, not its pane.

The repaint itself is as small: only the changed lines are rendered again (their strips
replace those lines in the widget's render cache), not the whole text, and a caller that
keeps each line's :class:`~textual.content.Content` (:meth:`QuietStatic.show_lines`) has its
unchanged lines compared by identity, without joining and splitting the text each second."""

from __future__ import annotations

from rich.cells import cell_len
from textual.content import Content
from textual.geometry import Region
from textual.widgets import Static

from warroom.app import compat

_NEWLINE = Content("\n")


class QuietStatic(Static):
    """A Static updated through :meth:`show_content` or :meth:`show_lines`: unchanged text
    redraws nothing, changed lines of the same shape redraw (and render) only their cells."""

    _quiet: Content | None = None
    _quiet_lines: list[Content] | None = None
    _partial: dict[int, Region] | None = None
    """Lines to render again by themselves (row: the dirty region this widget set for it),
    while the rest of the render cache stands; None: render everything."""

    def render(self):
        if self._quiet is None and self._quiet_lines is not None:
            self._quiet = _NEWLINE.join(self._quiet_lines)
        return self._quiet if self._quiet is not None else super().render()

    def show_content(self, content: Content) -> None:
        last = self.render_source()
        if last is not None and _same(last, content):
            return
        self._show(content.split("\n"), content)

    def show_lines(self, lines: list[Content]) -> None:
        """Show these lines (one Content each, without newlines). A line that is the very
        object shown before is unchanged, without comparing its text."""
        last = self._quiet_lines
        if last is not None and len(last) == len(lines) and all(
                a is b or _same(a, b) for a, b in zip(last, lines)):
            return
        self._show(lines, None)

    def render_source(self) -> Content | None:
        if self._quiet is None and self._quiet_lines is not None:
            self._quiet = _NEWLINE.join(self._quiet_lines)
        return self._quiet

    def _show(self, lines: list[Content], joined: Content | None) -> None:
        last = self._quiet_lines
        self._quiet_lines, self._quiet = lines, joined
        wraps = self.styles.text_wrap != "nowrap"
        width = self.content_size.width
        rows = _changed_rows(last, lines, width, wraps) if last is not None else None
        if rows is None:  # a new shape: the Static's own update (a layout pass if it must)
            same = last is not None and [len(a) for a in last] == [len(b) for b in lines]
            self._partial = None
            self.update(self.render_source() or Content(""), layout=not same)
            return
        offset = self.content_offset
        for y, x, end in rows:
            x, end = min(x, width - 1), min(end, width)  # past the width: its ellipsis cell
            region = Region(x, y, max(end - x, 1), 1)
            if self._partial is not None or not compat.repaint_pending(self):
                self._partial = self._partial if self._partial is not None else {}
                self._partial[y] = region.translate(offset)
            self.refresh(region)

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False,
                recompose: bool = False):
        # Anything but the quiet path's own line regions renders everything again.
        partial = self._partial
        if partial is not None and (layout or recompose or (repaint and not regions) or any(
                region.translate(self.content_offset) not in partial.values()
                for region in regions)):
            self._partial = None
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def _render_content(self) -> None:
        """(Overrides Textual's private method: :mod:`warroom.app.compat`.) Render only the
        changed lines when that is all that changed; else everything, as Textual does."""
        partial, self._partial = self._partial, None
        lines = self._quiet_lines
        if not (partial and lines is not None and compat.render_lines_again(self, partial, lines)):
            super()._render_content()


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


def _changed_rows(old_lines: list[Content], new_lines: list[Content], width: int,
                  wraps: bool = True) -> list[tuple[int, int, int]] | None:
    """(row, first changed column, column past the last changed) of each changed line, or
    None when the shape changed (or a line could wrap: one wider than the pane, unless the
    widget never wraps and cuts it at the width)."""
    if len(old_lines) != len(new_lines) or width <= 0:
        return None
    rows = []
    for y, (a, b) in enumerate(zip(old_lines, new_lines)):
        if a is b:
            continue
        if a.cell_length != b.cell_length or (wraps and b.cell_length > width):
            return None
        if not _same(a, b):
            rows.append((y, *_changed_cells(a, b)))
    return rows
