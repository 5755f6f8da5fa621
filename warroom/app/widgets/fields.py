"""One-line text fields whose placeholder shortens by rule to the room it has.

Textual cuts a placeholder wider than its field mid-word, with nothing to say so. A
:class:`Field` shows its placeholder whole when it fits, else its short form (an abbreviation,
``short=``), else cut at a word's end with ``…`` (:func:`warroom.app.formatting.fit_label`).
"""

from __future__ import annotations

from textual.widgets import Input

from warroom.app.formatting import fit_label


class Field(Input):
    def __init__(self, value: str | None = None, *, placeholder: str = "", short: str | None = None,
                 **kwargs) -> None:
        super().__init__(value, placeholder=placeholder, **kwargs)
        self.full_placeholder, self.short_placeholder = placeholder, short

    def on_resize(self) -> None:
        self.fit_placeholder()

    def fit_placeholder(self) -> None:
        room = self.content_size.width
        if room > 0 and self.full_placeholder:
            fitted = fit_label(self.full_placeholder, room, self.short_placeholder)
            if fitted != self.placeholder:
                self.placeholder = fitted
