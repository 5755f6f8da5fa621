"""The lead summary: the same dialog the 30-minute prompt opens, and the ``s`` key."""

from __future__ import annotations

from datetime import timedelta

from textual import on
from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Input, Label

from warroom.app.dialogs.base import Dialog, Save
from warroom.app.formatting import clock_time, countdown, plain


class SummaryPrompt(Dialog):
    TITLE = "Lead summary"

    def __init__(self, save: Save, state, *, late_by: timedelta | None = None,
                 prompted: bool = False, utc: bool = False) -> None:
        super().__init__(save)
        self.state, self.late_by, self.prompted, self.utc = state, late_by, prompted, utc

    def body(self) -> ComposeResult:
        latest = self.state.latest_summary
        if latest is not None:
            yield Label(Content.assemble(
                (f"Last summary {clock_time(latest.occurred, self.utc)} by {plain(latest.author)}: ",
                 "$text-muted"), plain(self.state.current_text(latest))), classes="dialog-text")
        else:
            yield Label(Content.styled("No summary yet.", "$text-muted"), classes="dialog-text")
        if self.late_by:
            yield Label(Content.styled(f"Overdue by {countdown(self.late_by)}", "bold $text-error"))
        yield Label(Content("Where are we: impact, what we know, what we are doing, what is next"))
        yield Input(id="summary-text", placeholder="The summary")

    @on(Input.Submitted, "#summary-text")
    async def _save(self, event: Input.Submitted) -> None:
        text, late, prompted = event.value, self.late_by, self.prompted
        await self.submit(lambda w, ref: w.write_summary(ref, text, late_by=late, prompted=prompted))
