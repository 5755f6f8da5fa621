"""Checkboxes that read without colour: ``[x]`` ticked, ``[ ]`` not (Textual draws ``▐X▌`` for
both and tells them apart by colour only, which NO_COLOR and monochrome terminals lose). The
same look as the follow-ups list. Drop-in subclasses: their messages are Textual's."""

from __future__ import annotations

from typing import Generic, TypeVar

from rich.segment import Segment
from rich.style import Style
from textual.content import Content
from textual.strip import Strip
from textual.widgets import Checkbox as _Checkbox
from textual.widgets import OptionList
from textual.widgets import SelectionList as _SelectionList
from textual.widgets.option_list import OptionDoesNotExist

TICKED, UNTICKED = "[x]", "[ ]"
Value = TypeVar("Value")


class Checkbox(_Checkbox):
    """Its label shortens by rule to the room it has (a word cut ends in …, never mid-word
    with nothing to say so): a checkbox is one line."""

    _full_label: str | None = None

    @property
    def _button(self) -> Content:  # Textual's private hook for the box (warroom.app.compat)
        return Content.styled(TICKED, "bold") if self.value else Content(UNTICKED)

    def on_resize(self) -> None:
        from warroom.app.formatting import fit_label

        if self._full_label is None:
            self._full_label = self.label.plain
        room = self.content_size.width - len(UNTICKED) - 1
        if room > 0:
            fitted = fit_label(self._full_label, room)
            if fitted != self.label.plain:
                self.label = Content(fitted)


class SelectionList(_SelectionList[Value], Generic[Value]):
    def render_line(self, y: int) -> Strip:
        line = OptionList.render_line(self, y)
        index = self.scroll_offset.y + y
        try:
            selection = self.get_option_at_index(index)
        except OptionDoesNotExist:
            return line
        ticked = selection.value in self.selected
        under = next(iter(line)).style or self.rich_style
        meta = Style(meta={"option": index})  # a click on the box toggles it, as Textual's does
        box = under + meta + (Style(bold=True) if ticked else Style())
        return Strip([Segment(TICKED if ticked else UNTICKED, box), Segment(" ", under + meta),
                      *line])
