"""The hotkey entry line: n d a r c open it with a kind preset; Enter saves; Esc closes it (the
draft is kept); Tab, or Alt+N/D/A/R/C (Esc then the letter, as terminals send it), switch the
kind without losing the text; ↑ on an empty line brings back the last text cancelled or saved.

Saving is durable before the line clears, yet never freezes typing: while a save is in flight
the input *holds* every keystroke and paste in order, and replays them once the line is clear.
An Enter among them is the next entry; an Esc closes the line and the keys after it go, in
order, to whatever has the focus then. If the database is busy (another process holds the write
lock) the entry waits off the line instead: the line clears for the next entry, and each Enter
queues one more, with the time it was typed, saved in order when the database accepts writes
(the line says how many wait). The text on the line and the waiting entries are kept on disk
(:mod:`warroom.core.drafts`) as they change: a quit, a closed terminal or a crash loses nothing.
"""

from __future__ import annotations

import time
import uuid
from collections import deque
from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Input, Label
from textual.widgets.input import Selection

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

KIND_KEYS = {"alt+n": "note", "alt+d": "decision", "alt+a": "action", "alt+r": "result",
             "alt+c": "change"}
"""Alt+letter (or Esc then the letter at once) switches the kind and keeps the text."""
# A line typed before the app took the terminal (still in its line mode, as it starts) comes
# with its Enter turned into a line feed by the terminal, which reads as Ctrl+J: it saves too.
ORDERED_KEYS = ("enter", "ctrl+j", "backspace", "escape", "tab", "shift+tab", "up", *KIND_KEYS)
REPLAY_ACTIONS = {"left": "cursor_left", "right": "cursor_right", "home": "home", "end": "end",
                  "delete": "delete_right", "ctrl+left": "cursor_left_word",
                  "ctrl+right": "cursor_right_word", "ctrl+w": "delete_left_word",
                  "ctrl+u": "delete_left_all", "ctrl+k": "delete_right_all"}
DRAFT_DEBOUNCE = 0.15
"""Seconds between a change on the line and its draft on disk (at most)."""


def paste_text(text: str) -> str:
    """A multi-line paste keeps its lines visibly (⏎) instead of silently losing all but one."""
    return " ⏎ ".join(line for line in text.splitlines() if line.strip()) if text else ""


class EntryInput(Input):
    """An Input that can hold keystrokes while the previous entry is being saved."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.holding = False
        self.held: list[events.Event] = []
        self.last_input = time.monotonic()
        """When the scribe last typed or pasted here (a due prompt waits while they do)."""

    @property
    def line(self) -> "EntryLine":
        return self.parent  # type: ignore[return-value]

    def claims_key(self, key: str) -> bool:
        return key in KIND_KEYS

    async def _on_key(self, event: events.Key) -> None:
        self.last_input = time.monotonic()
        if self.holding:
            self.held.append(event)
            event.stop()
            event.prevent_default()
            return
        if event.key in ORDERED_KEYS:
            # Handled here, in order with the typing: as bindings they would be dispatched
            # after keys already queued behind them ("a⏎b" would save "ab").
            if self.line.run_key(event.key):
                event.stop()
                event.prevent_default()
        # Anything else falls through to Input._on_key (Textual calls each class's handler).

    def _on_paste(self, event: events.Paste) -> None:
        event.prevent_default()  # Input._on_paste would insert it again (first line only)
        event.stop()
        self.last_input = time.monotonic()
        if self.holding:
            self.held.append(event)
            return
        self.insert_pasted(event.text)

    def insert_pasted(self, raw: str) -> None:
        text = paste_text(raw)
        if not text:
            return
        selection = self.selection
        if selection.is_empty:
            self.insert_text_at_cursor(text)
        else:
            self.replace(text, *selection)


class EntryLine(Horizontal):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.kind = "note"
        self._uid: str | None = None
        self._draft_key: tuple[str, str] | None = None
        self.inflight: Any = None  # Pending: being saved now
        self.on_line = False
        """The entry being saved is still on the line (the fast path: it clears when saved)."""
        self.queue: deque[Any] = deque()  # Pending entries waiting behind the one in flight
        self._draft = None  # LineDraft, loaded when the line first opens
        self._draft_timer = None
        self._recall_pos = 0
        self._ref = ""

    def compose(self) -> ComposeResult:
        yield Label(Content(""), id="entry-kind")
        self._input = EntryInput(id="entry-input", compact=True, select_on_focus=False)
        yield self._input
        yield Label(Content(""), id="entry-waiting")

    def on_mount(self) -> None:
        self.query_one("#entry-waiting", Label).display = False

    @property
    def input(self) -> EntryInput:
        return self._input

    @property
    def saving(self) -> bool:
        return self.inflight is not None

    @property
    def waiting(self) -> int:
        """Entries Enter'd and not yet saved (the one being saved off the line included)."""
        return len(self.queue) + (1 if self.inflight is not None and not self.on_line else 0)

    # ------------------------------------------------------------------ opening
    def open(self, kind: str) -> None:
        self.display = True
        field = self.input
        field.last_input = time.monotonic()
        draft = self.draft()
        if not self.on_line and field.value.strip():
            kind = self.kind  # closed with Esc in this session: the text is still here
        elif not self.on_line and draft is not None and draft.text.strip():
            # The draft left by a quit or a crash: back on the line, with its kind.
            kind = draft.kind if draft.kind in ENTRY_KINDS else kind
            field.value = draft.text
        if not self.on_line and field.value.strip():
            # Offered back selected: typing replaces it (↑ on the emptied line brings it
            # back again); ← → End keep it for editing.
            if draft is not None:
                draft.remember(field.value)
            field.selection = Selection(0, len(field.value))
            self._say("your unsaved draft is back: type over it, or ← → to edit it", error=False)
        self.set_kind(kind)
        self._recall_pos = 0
        # Focus now, not after the queued keys: what is typed right after the hotkey is text.
        self.screen.set_focus(field)
        self._resume_waiting()

    def set_kind(self, kind: str) -> None:
        self.kind = kind
        self.query_one("#entry-kind", Label).update(Content.styled(f" {kind.upper()} ▸ ", "bold"))
        self.set_classes(f"-{kind}" + (" -saving" if self.on_line else ""))
        self.input.placeholder = PLACEHOLDERS.get(kind, "")
        self._changed()

    def action_cycle_kind(self, step: int = 1) -> None:
        pos = ENTRY_KINDS.index(self.kind) if self.kind in ENTRY_KINDS else 0
        self.set_kind(ENTRY_KINDS[(pos + step) % len(ENTRY_KINDS)])

    def action_cancel(self) -> None:
        """Esc: close the line. The text stays in the draft, offered back when it opens."""
        if self.on_line:
            return
        self._write_draft()
        self.close()

    def close(self) -> None:
        self.display = False
        focus_main(self.screen)

    # ------------------------------------------------------------------ keys
    def run_key(self, key: str) -> bool:
        field = self.input
        if key in ("enter", "ctrl+j"):
            self.submit()
        elif key == "backspace":
            field.action_delete_left()
        elif key in ("tab", "shift+tab"):
            self.action_cycle_kind(-1 if key == "shift+tab" else 1)
        elif key == "escape":
            self.action_cancel()
        elif key in KIND_KEYS:
            self.set_kind(KIND_KEYS[key])
        elif key == "up":
            return self.recall()
        return True

    def recall(self) -> bool:
        """↑ on an empty line (or on a recalled text): the texts cancelled or saved, newest first."""
        field = self.input
        draft = self.draft()
        if draft is None or not draft.recall:
            return field.value == ""
        if field.value and (self._recall_pos == 0 or field.value != draft.recall[-self._recall_pos]):
            return False  # ↑ in a text being written does nothing special
        if self._recall_pos < len(draft.recall):
            self._recall_pos += 1
        field.value = draft.recall[-self._recall_pos]
        field.cursor_position = len(field.value)
        return True

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._changed()

    # ------------------------------------------------------------------ saving
    def submit(self) -> None:
        from warroom.core.drafts import Pending

        field = self.input
        text = field.value
        typed_at = self._now()
        if self.inflight is not None:
            # An earlier entry waits for the database: this one is a separate entry behind it.
            if not text.strip():
                self.app.bell()
                return
            self.queue.append(Pending(self.kind, text, uuid.uuid4().hex, typed_at))
            self.draft().remember(text)
            field.value = ""
            self._write_draft()
            self._show_waiting()
            return
        key = (self.kind, text)
        if key != self._draft_key or self._uid is None:
            # Same kind and text as a failed attempt: same uid, so a retry is never doubled.
            self._uid, self._draft_key = uuid.uuid4().hex, key
        self.inflight, self.on_line = Pending(self.kind, text, self._uid, typed_at), True
        field.holding = True
        self.add_class("-saving")
        self.post_message(EntrySubmitted(self.kind, text, self._uid, typed_at))

    def _now(self) -> str:
        from warroom.base.clock import format_time

        return format_time(self.wapp.clock.now())

    @property
    def wapp(self) -> Any:
        """The WarroomApp (its clock, drafts and key flow)."""
        return self.app

    def busy(self, uid: str | None = None) -> None:
        """The save in flight waits for the database (busy, or slow): take it off the line and
        let the scribe go on (each Enter queues one more entry)."""
        if self.inflight is None or not self.on_line or (uid and self.inflight.uid != uid):
            return
        self.on_line = False
        self.input.value = ""
        self._uid = self._draft_key = None
        self._write_draft()
        self._release()
        self._show_waiting()

    def saved(self, message: EntrySaved) -> None:
        """The entry is durable: clear the line (if it is still there) and go on."""
        done, self.inflight = self.inflight, None
        if self.on_line:
            self.on_line = False
            self._uid = self._draft_key = None
            self.input.value = ""
        if done is not None and self._draft is not None:
            self._draft.remember(done.text)
        self._write_draft()
        self._release()
        self._send_next()

    def failed(self, message: EntryFailed) -> None:
        done, self.inflight = self.inflight, None
        field = self.input
        if self.on_line:
            self.on_line = False
            if field.held and done is not None:
                # Keys typed after the Enter are the next entries, not more of this one: the
                # refused text moves aside (↑ brings it back) instead of merging with them.
                field.value = ""
                self.draft().remember(done.text)
                self._say(f"{message.message} — not saved; ↑ brings the text back")
        elif done is not None:
            self.draft().remember(done.text)
            self._say(f"{message.message} — a waiting entry was not saved; ↑ brings it back")
        self._write_draft()
        self._release()
        self._send_next()

    def _send_next(self) -> None:
        if self.inflight is None and self.queue:
            item = self.queue.popleft()
            self.inflight, self.on_line = item, False
            self.post_message(EntrySubmitted(item.kind, item.text, item.uid, item.typed_at))
        self._show_waiting()

    def _resume_waiting(self) -> None:
        """Entries left waiting by a quit or a crash: saved now, in order, before anything new."""
        draft = self.draft()
        if draft is not None and draft.waiting and self.inflight is None and not self.queue:
            self.queue.extend(draft.waiting)
            draft.waiting = []
            self._send_next()

    def _release(self) -> None:
        """Replay what was typed while the line held its keys."""
        self.remove_class("-saving")
        field = self.input
        field.holding = False
        held, field.held = field.held, []
        for pos, event in enumerate(held):
            if isinstance(event, events.Paste):
                field.insert_pasted(event.text)
                continue
            assert isinstance(event, events.Key)
            key = event.key
            if key in ORDERED_KEYS:
                if key == "escape" and not self.on_line:
                    self.action_cancel()
                    # The keys after the Esc were meant for whatever has the focus now.
                    self.wapp.keyflow.give_back(held[pos + 1:])
                    return
                self.run_key(key)
                if field.holding:  # an Enter: the rest waits for that save
                    field.held = held[pos + 1:] + field.held
                    return
            elif event.is_printable and event.character:
                field.insert_text_at_cursor(event.character)
            elif key in REPLAY_ACTIONS:
                getattr(field, f"action_{REPLAY_ACTIONS[key]}")()
            else:
                self.wapp.keyflow.give_back([event])  # not the line's: the app's (ctrl+q...)

    # ------------------------------------------------------------------ the draft on disk
    def draft(self):
        if self._draft is None:
            store = self.wapp.drafts()
            ref = getattr(self.screen, "ref", None)
            if store is None or not ref:
                return None
            self._ref = ref
            self._draft = store.load(ref)
        return self._draft

    def _changed(self) -> None:
        if self._draft is None:
            return
        if self._draft_timer is None:
            self._draft_timer = self.set_timer(DRAFT_DEBOUNCE, self._write_draft)

    def _write_draft(self) -> None:
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._draft_timer = None
        draft = self.draft()
        if draft is None:
            return
        from warroom.base.errors import WarroomError

        draft.kind = self.kind
        draft.text = self.input.value
        pending: list[Any] = ([self.inflight] if self.inflight is not None and not self.on_line else [])
        draft.waiting = pending + list(self.queue)
        try:
            self.wapp.drafts().save(self._ref, draft)
        except WarroomError as exc:
            self._say(str(exc))

    def on_unmount(self) -> None:
        """The app exits (q, Ctrl+Q, Ctrl+C): whatever is on the line now is on disk."""
        if self._draft is not None:
            self._write_draft()

    def _show_waiting(self) -> None:
        label = self.query_one("#entry-waiting", Label)
        count = self.waiting
        label.update(Content.styled(f" {count} waiting to be saved ", "bold reverse") if count
                     else Content(""))
        label.display = bool(count)

    def _say(self, message: str, *, error: bool = True) -> None:
        show = getattr(self.screen, "show_status", None)
        if show is not None:
            show(message, error=error)
