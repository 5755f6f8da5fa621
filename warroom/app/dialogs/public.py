"""The public statement (the ``p`` key): one box per part of the published report
(:data:`warroom.core.public.PARTS`), filled from the latest statement, or else offered the
draft made from the status updates sent (:func:`warroom.core.public.public_draft`). Saving
writes a new ``public`` entry (a later statement replaces the whole of an earlier one)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import Label, TextArea

from warroom.app.dialogs.base import Dialog, Save
from warroom.app.dialogs.summary_prompt import PlainTextArea
from warroom.core.public import PARTS


class PublicDialog(Dialog):
    TITLE = "Public statement"
    HINT = "Tab next part · ctrl+s saves · Esc cancels"
    BINDINGS = [Binding("ctrl+s", "save", "save", priority=True)]

    def __init__(self, save: Save, parts: dict[str, str], *, drafted: bool) -> None:
        super().__init__(save)
        self.parts, self.drafted = parts, drafted

    def body(self) -> ComposeResult:
        note = ("A draft from the status updates sent: edit before saving."
                if self.drafted else "The latest public statement: saving replaces it.")
        yield Label(Content(note), classes="public-note")
        for key, label in PARTS.items():
            yield Label(Content(label), classes="field-label")
            yield PlainTextArea(self.parts.get(key, ""), id=f"public-{key}", soft_wrap=True,
                                tab_behavior="focus")

    def on_mount(self) -> None:
        super().on_mount()
        first = self.query_one(f"#public-{next(iter(PARTS))}", TextArea)
        first.move_cursor((0, 0))
        first.focus()

    def texts(self) -> dict[str, str]:
        return {key: self.query_one(f"#public-{key}", TextArea).text for key in PARTS}

    async def action_save(self) -> None:
        parts = self.texts()
        await self.submit(lambda w, ref: w.write_public(ref, parts))
