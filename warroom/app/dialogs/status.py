"""Change status. Resolving asks for the resolution note and walks the profile's resolve
checklist (as ticked, it is recorded with the status entry)."""

from __future__ import annotations

from rich.cells import cell_len
from textual import on
from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from warroom.app.dialogs.base import Dialog, Save
from warroom.app.formatting import plain
from warroom.app.widgets.checks import SelectionList
from warroom.core.profiles import STATUSES
from warroom.app.widgets.fields import Field

NEXT_HINT = {
    "investigating": "looking for the cause",
    "identified": "the cause is known, a fix is in progress",
    "monitoring": "a fix is applied, watching it",
    "resolved": "users no longer affected (asks for the resolution note)",
    "closed": "post-incident work done",
}


class StatusDialog(Dialog):
    TITLE = "Change status"
    HINT = "↑↓ choose · Tab: checklist (space ticks) and note · Enter saves · Esc cancels"

    def __init__(self, save: Save, state, profile) -> None:
        super().__init__(save)
        self.state, self.profile = state, profile
        self.checklist = tuple(profile.checklists.get("resolve", ()))

    def body(self) -> ComposeResult:
        options = []
        for status in STATUSES:
            mark = " (current)" if status == self.state.status else ""
            options.append(Option(Content.assemble((status, "bold"), mark,
                                                   (f"  {NEXT_HINT[status]}", "$text-muted")),
                                  id=status))
        yield OptionList(*options, id="status-list")
        yield Label(Content.styled("Resolve checklist", "bold"), id="checklist-title")
        yield SelectionList[str](*[(Content(plain(item)), item, False) for item in self.checklist],
                                 id="checklist")
        yield Label(Content(""), id="checklist-item", classes="dialog-text")
        yield Field(id="status-note", placeholder="Note (for resolved: what fixed it, is it temporary?)",
                    short="Note (resolved: what fixed it?)")

    def on_mount(self) -> None:
        super().on_mount()
        listing = self.query_one(OptionList)
        pos = STATUSES.index(self.state.status) if self.state.status in STATUSES else 0
        listing.highlighted = min(pos + 1, len(STATUSES) - 1)
        listing.focus()
        self._show_checklist()

    @property
    def chosen(self) -> str | None:
        listing = self.query_one(OptionList)
        return None if listing.highlighted is None else STATUSES[listing.highlighted]

    @on(OptionList.OptionHighlighted, "#status-list")
    def _moved(self, event: OptionList.OptionHighlighted) -> None:
        self._show_checklist()

    def _show_checklist(self) -> None:
        show = self.chosen == "resolved" and bool(self.checklist)
        self.query_one("#checklist").display = show
        self.query_one("#checklist-title").display = show
        self.call_after_refresh(self._show_item)  # once the list has its width

    @on(SelectionList.SelectionHighlighted, "#checklist")
    def _show_item(self) -> None:
        """A checklist item too long for its row is cut short there: the highlighted one is
        shown whole beneath the list, so nobody ticks what they could not read."""
        listing = self.query_one("#checklist", SelectionList)
        label = self.query_one("#checklist-item", Label)
        item = None
        if listing.display and listing.highlighted is not None:
            item = str(self.checklist[listing.highlighted])
        room = listing.scrollable_content_region.width - 4  # the tick box and its spaces
        whole = item is not None and room > 0 and cell_len(plain(item)) > room
        if item is None:
            item = ""
        label.update(Content.assemble(("▸ ", "$text-muted"), plain(item)) if whole else Content(""))
        label.display = whole

    @on(OptionList.OptionSelected, "#status-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        target = "#checklist" if self.query_one("#checklist").display else "#status-note"
        self.query_one(target).focus()

    @on(Input.Submitted, "#status-note")
    async def _save(self, event: Input.Submitted) -> None:
        status, note = self.chosen, event.value
        if status is None:
            self.show_error("choose a status")
            return
        checklist = None
        if status == "resolved" and self.checklist:
            ticked = set(self.query_one(SelectionList).selected)
            checklist = {item: item in ticked for item in self.checklist}
        await self.submit(lambda w, ref: w.change_status(ref, status, note, checklist=checklist))
