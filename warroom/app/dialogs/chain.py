"""Asked before the first entry is added to an incident whose hash chain does not verify."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import Label

from warroom.app.dialogs.base import Dialog


class BrokenChainDialog(Dialog):
    TITLE = "This incident's log does not verify"
    HINT = "y adds it anyway · n or Esc: nothing is written"
    BINDINGS = [Binding("escape", "cancel", "cancel"), Binding("n", "cancel", "no"),
                Binding("y", "accept", "yes")]

    def __init__(self, ref: str, problem: str) -> None:
        super().__init__()
        self.ref, self.problem = ref, problem

    def body(self) -> ComposeResult:
        # Plain text: the problem may quote what is in the database.
        yield Label(Content.styled(f"{self.ref}: {' '.join(self.problem.split())}",
                                   "bold $text-error"), classes="dialog-text")
        yield Label(Content(f"What this screen shows may have been changed behind the app's "
                            f"back (warroom verify {self.ref} says what). Add your entry to "
                            "this log anyway?"), classes="dialog-text")

    def action_accept(self) -> None:
        self.dismiss(True)
