"""What the dialogs that write text to be read share (the status update, the lead summary, the
public statement): multi-line boxes that wrap, keep pastes plain and pass Tab on to the next
field; ctrl+s saves; and each box's cursor starts where the person types, not before the text
offered to them.

Where that is (:func:`typing_point`): the first blank the offered text leaves to fill (a
``{placeholder}`` a template did not fill, selected so typing replaces it), else the end of the
text. A dialog whose draft leaves room elsewhere (the lead summary's first line, for the lead's
own words) says so.
"""

from __future__ import annotations

import re

from textual import events
from textual.binding import Binding
from textual.widgets import TextArea

from warroom.app import compat
from warroom.app.dialogs.base import Dialog
from warroom.core.text import sanitize

Location = tuple[int, int]
BLANK = re.compile(r"\{[^{}\n]*\}")
"""A blank left to fill: what a template wrote in braces and the filling did not replace."""


class PlainTextArea(TextArea):
    """A TextArea whose pastes are plain text: terminal escapes and bidi overrides are dropped
    before they reach the document (and the screen). Out of focus it shows its text from the
    top, as it will be read; in focus, where its cursor is."""

    def on_focus(self) -> None:
        self.scroll_cursor_visible()

    def on_blur(self) -> None:
        self.scroll_home(animate=False)

    async def _on_paste(self, event: events.Paste) -> None:
        event.prevent_default()
        event.stop()
        if self.read_only:
            return
        if result := compat.replace_as_typed(self, sanitize(event.text), *self.selection):
            self.move_cursor(result.end_location)


def location(text: str, index: int) -> Location:
    """(row, column) of ``index`` in ``text``, as the TextArea counts them."""
    row = text.count("\n", 0, index)
    return row, index - (text.rfind("\n", 0, index) + 1)


def typing_point(text: str) -> tuple[Location, Location]:
    """Where the person starts typing in ``text``, as a selection (start, end): its first blank
    to fill, whole; else the end of the text (an empty selection)."""
    blank = BLANK.search(text)
    if blank is not None:
        return location(text, blank.start()), location(text, blank.end())
    end = location(text, len(text))
    return end, end


class WritingDialog(Dialog):
    """A dialog of multi-line text boxes; ctrl+s saves (Enter is a new line)."""

    BINDINGS = [Binding("ctrl+s", "save", "save", priority=True)]

    @staticmethod
    def text_box(text: str = "", *, id: str, placeholder: str = "") -> PlainTextArea:
        return PlainTextArea(text, id=id, soft_wrap=True, tab_behavior="focus",
                             placeholder=placeholder)

    def box(self, box_id: str) -> TextArea:
        return self.query_one(f"#{box_id}", TextArea)

    @staticmethod
    def start_typing(area: TextArea, at: Location | None = None) -> None:
        """Put ``area``'s cursor where the person types: ``at``, else :func:`typing_point`."""
        if at is not None:
            area.move_cursor(at)
            return
        start, end = typing_point(area.text)
        area.move_cursor(start)
        if end != start:
            area.move_cursor(end, select=True)
        if not area.has_focus:  # read from the top until the person comes to write in it
            area.call_after_refresh(area.scroll_home, animate=False)
