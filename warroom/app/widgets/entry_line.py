"""The hotkey entry line: n d a r c open it with a kind preset; Enter saves; Esc cancels;
Tab cycles the kind.

Saving is durable before the line clears, yet never freezes typing: while a save is in flight
the input *holds* every keystroke and paste in order, and replays them once the line is clear
(or onto the kept draft if the save failed). Nothing typed is lost or reordered.
"""

from __future__ import annotations

import time
import uuid

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Input, Label

from warroom.app.focus import focus_main
from warroom.app.formatting import ENTRY_KINDS
from warroom.app.messages import EntryFailed, EntrySaved, EntrySubmitted

PLACEHOLDERS = {
    "note": "What happened or was said",
    "decision": "What was decided, and why",
    "action": "Who will do what: @owner …",
    "result": "What an action or investigation found",
    "change": "The command run or the change made",
}


ORDERED_KEYS = ("enter", "backspace", "escape", "tab", "shift+tab")


class EntryInput(Input):
    """An Input that can hold keystrokes while the previous entry is being saved."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.holding = False
        self.held: list[tuple[str, str]] = []
        self.last_input = time.monotonic()
        """When the scribe last typed or pasted here (a due prompt waits while they do)."""

    async def _on_key(self, event: events.Key) -> None:
        self.last_input = time.monotonic()
        if self.holding:
            if event.is_printable and event.character:
                self.held.append(("text", event.character))
            elif event.key in ORDERED_KEYS:
                self.held.append(("key", event.key))
            event.stop()
            event.prevent_default()
            return
        if event.key in ORDERED_KEYS:
            # Handled here, in order with the typing: as bindings they would be dispatched
            # after keys already queued behind them ("a⏎b" would save "ab").
            event.stop()
            event.prevent_default()
            await self.run_ordered(event.key)
        # Anything else falls through to Input._on_key (Textual calls each class's handler).

    async def run_ordered(self, key: str) -> None:
        line = self.parent
        if key == "enter":
            await self.action_submit()
        elif key == "backspace":
            self.action_delete_left()
        elif key in ("tab", "shift+tab") and isinstance(line, EntryLine):
            line.action_cycle_kind(-1 if key == "shift+tab" else 1)
        elif key == "escape" and isinstance(line, EntryLine):
            line.action_cancel()

    async def action_submit(self) -> None:
        # Hold from this very keystroke: keys already queued behind Enter belong to the next
        # entry, not to this one (the Submitted message is handled after them).
        self.holding = True
        await super().action_submit()

    def _on_paste(self, event: events.Paste) -> None:
        # A multi-line paste keeps its lines visibly (⏎) instead of silently losing all but one.
        event.prevent_default()  # Input._on_paste would insert it again (first line only)
        self.last_input = time.monotonic()
        text = " ⏎ ".join(line for line in event.text.splitlines() if line.strip()) if event.text else ""
        if self.holding:
            if text:
                self.held.append(("text", text))
            event.stop()
            return
        if text:
            selection = self.selection
            if selection.is_empty:
                self.insert_text_at_cursor(text)
            else:
                self.replace(text, *selection)
        event.stop()


class EntryLine(Horizontal):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.kind = "note"
        self._uid: str | None = None
        self._draft_key: tuple[str, str] | None = None
        self.saving = False

    def compose(self) -> ComposeResult:
        yield Label(Content(""), id="entry-kind")
        yield EntryInput(id="entry-input", compact=True, select_on_focus=False)

    @property
    def input(self) -> EntryInput:
        return self.query_one(EntryInput)

    def open(self, kind: str) -> None:
        self.display = True
        self.input.last_input = time.monotonic()
        self.set_kind(kind)
        # Focus now, not after the queued keys: what is typed right after the hotkey is text.
        self.screen.set_focus(self.input)

    def set_kind(self, kind: str) -> None:
        self.kind = kind
        self.query_one("#entry-kind", Label).update(Content(f" {kind} ▸"))
        self.set_classes(f"-{kind}")
        self.input.placeholder = PLACEHOLDERS.get(kind, "")

    def action_cycle_kind(self, step: int = 1) -> None:
        pos = ENTRY_KINDS.index(self.kind) if self.kind in ENTRY_KINDS else 0
        self.set_kind(ENTRY_KINDS[(pos + step) % len(ENTRY_KINDS)])

    def action_cancel(self) -> None:
        if self.saving:
            return
        self.input.value = ""
        self._uid = None
        self.close()

    def close(self) -> None:
        self.display = False
        focus_main(self.screen)

    @on(Input.Submitted, "#entry-input")
    def _submit(self, event: Input.Submitted) -> None:
        event.stop()
        if self.saving:
            return
        text = event.value
        key = (self.kind, text)
        if key != self._draft_key or self._uid is None:
            # Same kind and text as a failed attempt: same uid, so a retry is never doubled.
            self._uid, self._draft_key = uuid.uuid4().hex, key
        self.saving = True
        self.input.holding = True
        self.add_class("-saving")
        self.post_message(EntrySubmitted(self.kind, text, self._uid))

    def saved(self, message: EntrySaved) -> None:
        """The entry is durable: clear the line and replay what was typed meanwhile."""
        self._uid = self._draft_key = None
        self.input.value = ""
        self._release(keep_draft=False)

    def failed(self, message: EntryFailed) -> None:
        self._release(keep_draft=True)

    def _release(self, *, keep_draft: bool) -> None:
        self.saving = False
        self.remove_class("-saving")
        entry_input = self.input
        entry_input.holding = False
        held, entry_input.held = entry_input.held, []
        for pos, (what, value) in enumerate(held):
            if what == "text":
                entry_input.insert_text_at_cursor(value)
            elif value == "backspace":
                entry_input.action_delete_left()
            elif value in ("tab", "shift+tab"):
                self.action_cycle_kind(-1 if value == "shift+tab" else 1)
            elif keep_draft:
                continue  # after a failed save, Enter and Esc typed meanwhile are dropped
            elif value == "escape":
                self.action_cancel()
                return
            elif value == "enter":
                entry_input.holding = True
                self._submit(Input.Submitted(entry_input, entry_input.value))
                entry_input.held = held[pos + 1:] + entry_input.held
                return
