"""Every use of a Textual internal, in one place.

Textual's private names can change in any release, so the app reaches them only through the
small functions here, and pyproject.toml pins Textual to the range the suite has run on. When
Textual is upgraded, this file (and its tests: the app suite exercises each function) is the
list of things to check.

Also relied on, but not wrappable as a function: the app's widgets override Textual's
per-class private event handlers (``Input._on_key``, ``Input._on_paste``,
``TextArea._on_paste``) and the checkbox's ``ToggleButton._button`` (``widgets/checks.py``), which Textual calls for each class in the MRO before the public
``on_*`` handlers; and ``WarroomApp._refresh_notifications`` overrides Textual's private
method of that name (called whenever the toasts change or a screen comes back) to show the
toasts on the war room under a dialog; ``WarroomApp._display`` overrides Textual's private
method of that name (each frame goes through it on its way to the terminal) to write a partial
update through :func:`tighten`, which subclasses Textual's private ``ChopsUpdate``;
``QuietStatic._render_content`` (``widgets/quiet.py``) overrides Textual's private method of
that name (called by ``Widget.render_line`` when the widget is dirty) to render only a
ticking pane's changed lines, through :func:`repaint_pending` and :func:`render_lines_again`;
:func:`narrow_partial_frames` gives a screen's private ``Compositor`` a subclass that
overrides its private ``_get_renders``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.app import App
    from textual.content import Content
    from textual.geometry import Region
    from textual.widget import Widget
    from textual.document._document import Location
    from textual.document._edit import EditResult
    from textual.screen import Screen
    from textual.widgets import TextArea


def adopt_default_screen(screen: Screen, app: App) -> None:
    """Give a screen returned by ``App.get_default_screen`` the result callback that
    ``push_screen`` would have given it, so ``switch_screen`` can later replace it."""
    screen._push_result_callback(app, None)


def set_css_variables(app: App, variables: dict[str, str]) -> None:
    """Set the variables the app's stylesheet is parsed with, without queueing a re-parse."""
    app.stylesheet.set_variables(variables)


def replace_as_typed(area: TextArea, text: str, start: Location, end: Location) -> EditResult | None:
    """Replace ``start``..``end`` of a TextArea with ``text`` as if typed: respects read-only and
    the undo history the way a keystroke does. None when nothing was replaced."""
    return area._replace_via_keyboard(text, start, end)


def notifications(app: App) -> list[Any]:
    """The notifications the app is currently showing (for tests: Textual has no public list)."""
    return list(app._notifications)


def toast_racks(screen: Screen) -> list[Any]:
    """The screen's toast rack (Textual mounts one per screen; private class), if mounted."""
    from textual.widgets._toast import ToastRack

    return list(screen.query_children(ToastRack)) if screen.is_mounted else []


def repaint_pending(widget: Widget) -> bool:
    """Whether some part of ``widget`` already waits to be rendered again."""
    return bool(widget._dirty_regions)


def render_lines_again(widget: Widget, dirty: dict[int, Region], lines: list[Content]) -> bool:
    """Render only lines ``dirty`` (row: the region of the widget marked for it) of a widget
    whose whole text is ``lines`` (one a row, each within the width), into the lines it
    rendered last: True when done, False (nothing done) when the widget must render
    everything (its size changed, text is selected, or more than these lines is dirty)."""
    from textual.visual import Visual

    cache = getattr(widget, "_render_cache", None)
    if (cache is None or cache.size != widget.size or len(cache.lines) != len(lines)
            or widget.text_selection is not None
            or not set(widget._dirty_regions) <= set(dirty.values())
            or any(not 0 <= y < len(lines) for y in dirty)):
        return False
    from textual.content import Content

    width, style = widget.size.width, widget.visual_style
    strips = list(cache.lines)
    for y in dirty:
        # Blank lines above it: each cell's style says its row (text selection reads it).
        above = Content("\n" * y) if y else Content("")
        strips[y] = Visual.to_strips(widget, above + lines[y], width, y + 1, style)[y]
    widget._render_cache = cache._replace(lines=strips)
    widget._dirty_regions.clear()
    return True


def narrow_partial_frames(screen: Screen) -> None:
    """A partial frame renders only the widgets its changed cells fall in, and only their
    rows the frame redraws.

    Textual renders, for a partial frame, every widget whose clip overlaps the changed cells
    (for a top-level pane's countdown: the timeline, the key bar, the status line, every
    sibling pane), each whole, and then keeps only the changed cells. The frame is the same
    without the widgets the cells miss (nothing of theirs lands on a changed row's span) and
    without the rows it does not redraw; a full frame is left as Textual makes it."""
    from textual._compositor import Compositor

    if type(screen._compositor) is Compositor:
        screen._compositor.__class__ = _narrow_compositor()


_NARROW: Any = None


def _narrow_compositor() -> Any:
    global _NARROW
    if _NARROW is not None:
        return _NARROW
    from textual._compositor import Compositor
    from textual.geometry import Region

    class NarrowCompositor(Compositor):
        def _get_renders(self, crop: Region | None = None) -> Any:
            if crop is None:
                yield from super()._get_renders(crop)
                return
            top, bottom = crop.y, crop.bottom
            for widget, (region, clip) in self.visible_widgets.items():
                shown = region.intersection(clip)
                if not shown.overlaps(crop):
                    continue
                y0, y1 = max(shown.y, top), min(shown.bottom, bottom)
                rows = Region(shown.x, y0, shown.width, y1 - y0)
                lines = widget.render_lines(
                    Region(shown.x - region.x, y0 - region.y, shown.width, y1 - y0))
                yield rows, rows, lines

    _NARROW = NarrowCompositor
    return _NARROW


def tighten(update: Any) -> Any:
    """A partial screen update that writes only the cells Textual marked changed.

    Textual cuts each screen row at its widgets' edges and, for a changed span of a row,
    writes from the left edge of the widget it falls in (a pane's border) to the span's end:
    a countdown's two changed digits cost the whole row left of them. The update returned
    here writes each span from its own start instead (moved left only so as not to split a
    double-width character), the same cells Textual would have written to the right of it.
    Anything but Textual's partial update is returned as it is."""
    from textual._compositor import ChopsUpdate

    if type(update) is ChopsUpdate:
        update.__class__ = _tight_chops_update()
    return update


_TIGHT: Any = None


def _tight_chops_update() -> Any:
    global _TIGHT
    if _TIGHT is not None:
        return _TIGHT
    from rich.cells import get_character_cell_size
    from textual._compositor import ChopsUpdate
    from textual.strip import Strip

    def safe_start(strip: Strip, start: int) -> int:
        """``start``, or the first cell of the double-width character it falls inside."""
        pos = 0
        for segment in strip:
            width = segment.cell_length
            if pos + width > start:
                for char in segment.text:
                    size = get_character_cell_size(char)
                    if pos + size > start:
                        return pos
                    pos += size
                return start
            pos += width
        return start

    class TightChopsUpdate(ChopsUpdate):
        def render_segments(self, console: Any) -> str:
            from rich.control import Control

            out: list[str] = []
            chops, chop_ends = self.chops, self.chop_ends
            last_y = self.spans[-1][0]
            for y, x1, x2 in self.spans:
                for end, (x, strip) in zip(chop_ends[y], chops[y].items()):
                    if strip is None or x >= x2 or end <= x1:
                        continue
                    start = safe_start(strip, x1 - x) if x < x1 else 0
                    stop = min(end, x2) - x
                    if start or stop < strip.cell_length:
                        strip = strip.crop(start, stop)
                    out.append(Control.move_to(x + start, y).segment.text)
                    out.append(strip.render(console))
                if y != last_y:
                    out.append("\n")
            return "".join(out)

    _TIGHT = TightChopsUpdate
    return _TIGHT
