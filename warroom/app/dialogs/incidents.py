"""The incident switcher: every incident in this database (open ones first), or declare a new one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from warroom.app.dialogs.base import Dialog
from warroom.app.formatting import plain
from warroom.base.errors import WarroomError


if TYPE_CHECKING:
    from warroom.app.host import HostApp

class IncidentsDialog(Dialog):
    if TYPE_CHECKING:
        app: HostApp

    TITLE = "Incidents"
    HINT = "↑↓ choose · Enter opens · Esc cancels"
    DECLARE = "+declare"

    def __init__(self, current: str | None, *, readonly: bool = False) -> None:
        super().__init__()
        self.current, self.readonly = current, readonly

    def body(self) -> ComposeResult:
        yield OptionList(Option(Content("Loading…"), disabled=True), id="incident-list")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(OptionList).focus()
        self._load()

    @work(thread=True, exclusive=True)
    def _load(self) -> None:
        try:
            rows = self.app.open_warroom().list_incidents(include_closed=True)
        except WarroomError as exc:
            self.app.call_from_thread(self.show_error, str(exc))
            return
        self.app.call_from_thread(self._fill, rows)

    def _fill(self, rows) -> None:
        listing = self.query_one(OptionList)
        listing.clear_options()
        if not self.readonly:
            listing.add_option(Option(Content.styled("+ Declare a new incident", "bold"), id=self.DECLARE))
        rows = sorted(rows, key=lambda r: r.status in ("resolved", "closed"))
        for row in rows:
            mark = ("● ", "bold $text-success") if row.ref == self.current else ("  ", "")
            listing.add_option(Option(Content.assemble(
                mark, (f"{row.ref:<8} ", "bold"), (f"{row.severity.upper():<6} ", ""),
                (f"{row.status:<13} ", "$text-muted"), plain(row.title),
                # imported under a new reference: the one it had where it was logged
                (f" (was {plain(row.alias)})" if row.alias else "", "$text-muted")), id=row.ref))
        if self.current:
            for pos in range(listing.option_count):
                if listing.get_option_at_index(pos).id == self.current:
                    listing.highlighted = pos

    @on(OptionList.OptionSelected, "#incident-list")
    def _open(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
