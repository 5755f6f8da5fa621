"""The lead summary: the dialog the summary prompt opens when the cadence falls due, and the
``s`` key.

The text starts as a draft built from what happened since the last summary (decisions,
actions, results, changes, open actions); the lead edits it and saves with ctrl+s. When the
summary is due, the lead may instead snooze it for 5, 10 or 15 minutes (with a reason) or
dismiss this one; all three are timeline entries, and a summary written late records by how
much (counted when it is saved, not when the dialog opened).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable

from textual import on
from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from warroom.app.dialogs.base import Save
from warroom.app.dialogs.writing import PlainTextArea, WritingDialog
from warroom.app.formatting import clock_time, fit_label, plain
from warroom.core.timers import describe_lateness
from warroom.core.text import paragraphs
from warroom.app.widgets.fields import Field

__all__ = ["PlainTextArea", "SummaryPrompt"]

SNOOZES = (5, 10, 15)
DISMISS = "dismiss"


class SummaryPrompt(WritingDialog):
    TITLE = "Lead summary"

    def __init__(self, save: Save, state, *, draft: str = "",
                 lateness: Callable[[], timedelta] | None = None, due: bool = False,
                 prompted: bool = False, utc: bool = False,
                 now: Callable[[], datetime] | None = None) -> None:
        super().__init__(save)
        self.state, self.draft, self.prompted, self.utc = state, draft, prompted, utc
        self.lateness = lateness or (lambda: timedelta(0))
        self.due = due or prompted
        self.now = now or (lambda: datetime.now().astimezone())

    @property
    def HINT(self) -> str:  # type: ignore[override]
        if self.due:
            return "ctrl+s saves · Tab: not now (snooze or dismiss) · Esc closes, still due"
        return "ctrl+s saves · Esc cancels"

    def body(self) -> ComposeResult:
        latest = self.state.latest_summary
        if latest is not None:
            said = " · ".join(plain(line) for line in paragraphs(self.state.current_text(latest)))
            head = f"Last summary {clock_time(latest.occurred, self.utc)} by {plain(latest.author)}: "
            # Three lines at most, ended at a word with … when longer (never cut mid-word).
            yield Label(Content.assemble((head, "$text-muted"), fit_label(said, 3 * 70 - len(head))),
                        classes="dialog-text", id="summary-last")
        late = self.lateness()
        if self.prompted or late:
            what = describe_lateness(late)
            what = "due now" if what == "on time" else what
            yield Label(Content.styled(f"The lead summary is {what}", "bold $text-error"),
                        id="summary-due")
        yield Label(Content("Where are we: impact, what we know, what we are doing, what is next"))
        # The lead's own words go first (they are what the summary pane shows), the draft's
        # facts below them to keep, edit or cut.
        text = f"\n\n{self.draft}" if self.draft else ""
        yield self.text_box(text, id="summary-text")
        if self.due:
            yield Label(Content.styled("Not now:", "$text-muted"))
            yield OptionList(*[Option(Content(f"Snooze {m} minutes"), id=str(m)) for m in SNOOZES],
                             Option(Content("Dismiss this summary (skip it)"), id=DISMISS),
                             id="summary-later")
            yield Field(id="summary-reason", placeholder="Why not now (goes in the timeline)")

    def on_mount(self) -> None:
        super().on_mount()
        area = self.box("summary-text")
        self.start_typing(area, (0, 0))  # the first line, left for the lead's own words
        area.focus()

    @property
    def text(self) -> str:
        return self.box("summary-text").text

    async def action_save(self) -> None:
        text, prompted, late = self.text, self.prompted, self.lateness()
        await self.submit(lambda w, ref: w.write_summary(ref, text, late_by=late, prompted=prompted))

    # ------------------------------------------------------------------ not now
    @on(OptionList.OptionSelected, "#summary-later")
    async def _later(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        await self._not_now(str(event.option.id))

    @on(Input.Submitted, "#summary-reason")
    async def _reason(self, event: Input.Submitted) -> None:
        event.stop()
        listing = self.query_one("#summary-later", OptionList)
        if listing.highlighted is None:
            self.show_error("choose snooze or dismiss first (↑↓ above)")
            listing.focus()
            return
        await self._not_now(str(listing.get_option_at_index(listing.highlighted).id))

    async def _not_now(self, choice: str) -> None:
        reason = self.query_one("#summary-reason", Input).value
        if choice != DISMISS and not reason.strip():
            self.show_error("say why you are snoozing it: type the reason, then Enter")
            self.query_one("#summary-reason", Input).focus()
            return
        if choice == DISMISS:
            await self.submit(lambda w, ref: w.record_prompt(ref, "summary", "dismissed",
                                                             reason=reason))
            return
        until = self.now() + timedelta(minutes=int(choice))
        await self.submit(lambda w, ref: w.record_prompt(ref, "summary", "snoozed",
                                                         reason=reason, until=until))
