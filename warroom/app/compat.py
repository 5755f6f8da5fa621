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
toasts on the war room under a dialog.
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
