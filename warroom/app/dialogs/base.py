"""What every dialog shares: a titled box, an inline one-line error, Esc to cancel.

The error and the hint (which keys do what) stay at the foot of the box: on a terminal too
small for the dialog the fields scroll above them, and the box's bottom border asks for a
larger terminal (as the war room's notice line does).

A dialog never calls the store: it builds one domain call and hands it to the screen's
``save`` (which runs it off the event loop and pulls the feed); on an error it stays open with
the message, so the person fixes the input instead of retyping it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Awaitable, Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label

from warroom.app.formatting import MIN_COLS, MIN_ROWS, SMALL_TERMINAL

Save = Callable[[Callable[[Any, str], Any]], Awaitable["str | None"]]


class Dialog(ModalScreen[Any]):
    # The dialogs' stylesheet is parsed when the first dialog opens, not before the first
    # frame (a dialog's CSS_PATH would make Textual re-parse every stylesheet instead).
    DEFAULT_CSS = (Path(__file__).parent / "dialogs.tcss").read_text(encoding="utf-8")
    SCOPED_CSS = False
    BINDINGS = [Binding("escape", "cancel", "cancel")]
    TITLE = ""
    HINT = "Enter saves · Esc cancels"

    def __init__(self, save: Save | None = None) -> None:
        super().__init__()
        self.save = save
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as box:
            box.border_title = self.TITLE
            yield from self.body()
            with Vertical(classes="dialog-foot"):
                yield Label(Content(""), classes="dialog-error")
                yield Label(Content(self.HINT), classes="dialog-hint")

    def body(self) -> ComposeResult:
        yield from ()

    def holds_keys(self) -> bool:
        """While a save is in flight, keys typed wait for its outcome (warroom.app.keyflow):
        they belong to the dialog if it stays open, to the screen below if it closes."""
        return self.busy

    def show_error(self, message: str) -> None:
        label = self.query_one(".dialog-error", Label)
        label.update(Content(" ".join(message.split())))
        label.display = bool(message)

    def on_mount(self) -> None:
        self.query_one(".dialog-error", Label).display = False
        self._say_size()

    def on_resize(self) -> None:
        self._say_size()

    def _say_size(self) -> None:
        width, height = self.app.size
        small = width < MIN_COLS or height < MIN_ROWS
        box = self.query_one(".dialog", Vertical)
        box.border_subtitle = SMALL_TERMINAL if small else ""

    async def submit(self, op: Callable[[Any, str], Any], *, close: bool = True) -> bool:
        """Run the domain call; dismiss on success, or show the error and stay open."""
        if self.busy or self.save is None:
            return False
        self.busy = True
        try:
            error = await self.save(op)
        finally:
            self.busy = False
        if error:
            self.show_error(error)
            return False
        self.show_error("")
        if close:
            self.dismiss(True)
        return True

    def action_cancel(self) -> None:
        self.dismiss(None)
