"""The public statement (the ``p`` key): one box per part of the published report
(:data:`warroom.core.public.PARTS`), filled from the latest statement, or else offered the
draft made from the status updates sent (:func:`warroom.core.public.public_draft`). Saving
writes a new ``public`` entry (a later statement replaces the whole of an earlier one)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Label

from warroom.app.dialogs.base import Save
from warroom.app.dialogs.writing import WritingDialog
from warroom.core.public import PARTS


class PublicDialog(WritingDialog):
    TITLE = "Public statement"
    HINT = "Tab next part · ctrl+s saves · Esc cancels"

    def __init__(self, save: Save, parts: dict[str, str], *, drafted: bool) -> None:
        super().__init__(save)
        self.parts, self.drafted = parts, drafted

    def body(self) -> ComposeResult:
        note = ("A draft from the status updates sent: edit before saving."
                if self.drafted else "The latest public statement: saving replaces it.")
        yield Label(Content(note), classes="public-note")
        for key, label in PARTS.items():
            yield Label(Content(label), classes="field-label")
            yield self.text_box(self.parts.get(key, ""), id=f"public-{key}")

    def on_mount(self) -> None:
        """Each part's cursor at the end of its text (Tab lands where the person goes on
        writing); the focus on the first part left to write, else on the first part."""
        super().on_mount()
        boxes = [self.box(f"public-{key}") for key in PARTS]
        for area in boxes:
            self.start_typing(area)
        empty = [area for area in boxes if not area.text.strip()]
        (empty or boxes)[0].focus()

    def texts(self) -> dict[str, str]:
        return {key: self.box(f"public-{key}").text for key in PARTS}

    async def action_save(self) -> None:
        parts = self.texts()
        await self.submit(lambda w, ref: w.write_public(ref, parts))
