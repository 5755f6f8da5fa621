"""Change severity: the profile's scheme with descriptions, and a reason (required)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from warroom.app.dialogs.base import Dialog, Save
from warroom.app.formatting import badge_style, plain
from warroom.app.widgets.fields import Field


TORN = "If you are torn between two severities, choose the higher one."


class SeverityDialog(Dialog):
    TITLE = "Change severity"
    HINT = "↑↓ choose · Tab to the reason · Enter saves · Esc cancels"

    def __init__(self, save: Save, state, profile) -> None:
        super().__init__(save)
        self.state, self.profile = state, profile

    def body(self) -> ComposeResult:
        if self.profile.severity_note:  # only a process that gives the advice shows it
            yield Label(Content.styled(plain(self.profile.severity_note), "italic"))
        options = []
        for sev in self.profile.severities:
            mark = " (current)" if sev.id == self.state.severity else ""
            prompt = Content.assemble((f" {sev.label} ", badge_style(sev.colour, no_color=self.app.no_color)),
                                      (mark, "bold"), " ", plain(sev.description))
            options.append(Option(prompt, id=sev.id))
        yield OptionList(*options, id="severity-list")
        yield Field(id="severity-reason", placeholder="Reason for the change (required)")

    def on_mount(self) -> None:
        super().on_mount()
        listing = self.query_one(OptionList)
        ids = [s.id for s in self.profile.severities]
        current = ids.index(self.state.severity) if self.state.severity in ids else 0
        # Start on the current severity: v, Tab, reason, Enter must not change it by accident
        # (one step more severe, as it once was, escalated during monitoring).
        listing.highlighted = current
        listing.focus()
        # Highlighting scrolled the list while the dialog was still being sized: once it is,
        # show the list from the top (the current one stays in view).
        self.call_after_refresh(self._from_top)

    def _from_top(self) -> None:
        listing = self.query_one(OptionList)
        listing.scroll_home(animate=False, immediate=True)
        listing.scroll_to_highlight()

    @on(OptionList.OptionSelected, "#severity-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.query_one("#severity-reason", Input).focus()

    @on(Input.Submitted, "#severity-reason")
    async def _save(self, event: Input.Submitted) -> None:
        listing = self.query_one(OptionList)
        if listing.highlighted is None:
            self.show_error("choose a severity")
            return
        sev = listing.get_option_at_index(listing.highlighted).id
        reason = event.value
        await self.submit(lambda w, ref: w.change_severity(ref, sev, reason))
