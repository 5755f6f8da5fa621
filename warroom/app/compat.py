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
update through :func:`tighten`, which subclasses Textual's private ``ChopsUpdate``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.app import App
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
