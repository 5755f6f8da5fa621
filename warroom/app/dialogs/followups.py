"""Follow-ups and actions: the open ones first; Enter marks the highlighted one done; the line at
the bottom adds a follow-up (``@owner`` in the text)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from warroom.app.dialogs.base import Dialog, Save
from warroom.app.formatting import plain
from warroom.core.describe import owner_mentioned


class FollowupsDialog(Dialog):
    TITLE = "Actions and follow-ups"
    HINT = "↑↓ choose · Enter marks done · Tab: new follow-up (@owner) · Esc closes"

    def __init__(self, save: Save, state, *, readonly: bool = False) -> None:
        super().__init__(save)
        self.state, self.readonly = state, readonly

    def body(self) -> ComposeResult:
        yield OptionList(id="followup-list")
        if not self.readonly:
            yield Input(id="followup-new", placeholder="New follow-up: what, @owner")

    def on_mount(self) -> None:
        super().on_mount()
        self._fill()
        self.query_one(OptionList).focus()

    def entries_arrived(self, entries) -> None:
        """The screen's state moved (ours or another terminal's change): redraw the list."""
        self._fill()

    def _fill(self) -> None:
        listing = self.query_one(OptionList)
        keep = listing.highlighted
        items = sorted(self.state.actions.values(), key=lambda a: (a.done, a.seq))
        listing.clear_options()
        if not items:
            listing.add_option(Option(Content.styled("No actions or follow-ups yet", "$text-muted"),
                                      disabled=True))
            return
        for item in items:
            box = ("[x] ", "$text-success") if item.done else ("[ ] ", "bold")
            owner = "" if owner_mentioned(item.owner, item.text) else f"@{plain(item.owner)} "
            listing.add_option(Option(Content.assemble(
                box, (f"#{item.seq} ", "$text-muted"), (item.kind, "$text-muted"), " ",
                (owner, "bold"), plain(item.text),
                (f"  done by {plain(item.done_by)}" if item.done else "", "$text-muted")),
                id=str(item.seq)))
        listing.highlighted = min(keep or 0, listing.option_count - 1)

    @on(OptionList.OptionSelected, "#followup-list")
    async def _done(self, event: OptionList.OptionSelected) -> None:
        if self.readonly or event.option.id is None:
            return
        seq = int(event.option.id)
        item = self.state.actions.get(seq)
        if item is None or item.done:
            self.show_error(f"#{seq} is already done")
            return
        await self.submit(lambda w, ref: w.mark_done(ref, seq), close=False)

    @on(Input.Submitted, "#followup-new")
    async def _add(self, event: Input.Submitted) -> None:
        text = event.value
        if await self.submit(lambda w, ref: w.add_followup(ref, text), close=False):
            event.input.value = ""
