"""Follow-ups and actions: the open ones first. Enter shows the highlighted one in full; ``d``
marks it done, asking for an optional outcome first (Enter saves, Esc does not); ``u`` undoes a
done one (a new entry reopens it). The line at the bottom adds a follow-up (``@owner``)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from warroom.app.dialogs.base import Dialog, Save
from warroom.app.formatting import plain
from warroom.core.describe import owner_mentioned
from warroom.app.widgets.fields import Field


class FollowupsDialog(Dialog):
    TITLE = "Actions and follow-ups"
    HINT = "↑↓ · Enter shows · d done · u undo · Tab: new (@owner) · Esc closes"
    BINDINGS = [Binding("d", "done", "done", show=False), Binding("u", "undo", "undo", show=False)]

    def __init__(self, save: Save, state, *, readonly: bool = False) -> None:
        super().__init__(save)
        self.state, self.readonly = state, readonly
        self.marking: int | None = None
        """The item whose outcome is being asked for (d), before it is marked done."""

    def body(self) -> ComposeResult:
        yield OptionList(id="followup-list")
        yield Label(Content(""), id="followup-detail", classes="dialog-text")
        if not self.readonly:
            yield Field(id="followup-outcome", placeholder="Outcome (optional): Enter marks it "
                                                           "done, Esc does not",
                        short="Outcome (optional), then Enter")
            yield Field(id="followup-new", placeholder="New follow-up: what, @owner")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#followup-detail").display = False
        if not self.readonly:
            self.query_one("#followup-outcome").display = False
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

    def _highlighted(self):
        listing = self.query_one(OptionList)
        if listing.highlighted is None:
            return None
        option = listing.get_option_at_index(listing.highlighted)
        return self.state.actions.get(int(option.id)) if option.id else None

    @on(OptionList.OptionSelected, "#followup-list")
    def _show(self, event: OptionList.OptionSelected) -> None:
        """Enter shows the item in full (it never marks it done: that is d)."""
        item = self.state.actions.get(int(event.option.id)) if event.option.id else None
        if item is None:
            return
        lines = [Content.assemble((f"#{item.seq} {item.kind}", "bold"), f" · owner @{plain(item.owner)}"),
                 Content(plain(item.text))]
        if item.done:
            lines.append(Content.styled(f"done by {plain(item.done_by)}: {plain(item.done_note)}",
                                        "$text-success"))
        detail = self.query_one("#followup-detail", Label)
        detail.update(Content("\n").join(lines))
        detail.display = True

    def action_done(self) -> None:
        item = self._highlighted()
        if self.readonly or item is None:
            return
        if item.done:
            self.show_error(f"#{item.seq} is already done (u reopens it)")
            return
        self.marking = item.seq
        field = self.query_one("#followup-outcome", Input)
        field.value = ""
        field.display = True
        field.focus()

    @on(Input.Submitted, "#followup-outcome")
    async def _done(self, event: Input.Submitted) -> None:
        seq, outcome = self.marking, event.value
        if seq is None:
            return
        if await self.submit(lambda w, ref: w.mark_done(ref, seq, outcome), close=False):
            self._stop_marking()

    def _stop_marking(self) -> None:
        self.marking = None
        field = self.query_one("#followup-outcome", Input)
        field.value = ""
        field.display = False
        self.query_one(OptionList).focus()

    async def action_undo(self) -> None:
        item = self._highlighted()
        if self.readonly or item is None:
            return
        if not item.done:
            self.show_error(f"#{item.seq} is open (d marks it done)")
            return
        seq = item.seq
        await self.submit(lambda w, ref: w.reopen(ref, seq), close=False)

    def action_cancel(self) -> None:
        if self.marking is not None:  # Esc while asked for an outcome: not done after all
            self._stop_marking()
            return
        super().action_cancel()

    @on(Input.Submitted, "#followup-new")
    async def _add(self, event: Input.Submitted) -> None:
        text = event.value
        if await self.submit(lambda w, ref: w.add_followup(ref, text), close=False):
            event.input.value = ""
