"""The war-room screen's corrections: ``m`` corrects the entry under the timeline cursor (or the
last one this person wrote), Enter on the timeline opens an entry with its history. Kept apart
from the screen's module so the screen only mixes it in."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import work

from warroom.app.widgets.timeline import Timeline
from warroom.base.model import Entry

CORRECTABLE = frozenset({"note", "decision", "action", "result", "change", "comms", "summary",
                         "escalation", "ticket", "followup"})


class CorrectionsMixin:
    """For WarRoomScreen: needs ``timeline``, ``perform``, ``utc``, ``readonly``, ``app``."""

    if TYPE_CHECKING:
        @property
        def timeline(self) -> Timeline: ...
        perform: Any
        utc: bool
        readonly: bool
        app: Any

    def action_correct(self) -> None:
        entry = self.timeline.cursor_entry() or self._my_last_entry()
        if entry is None:
            self.app.notify("Nothing of yours to correct yet: move the timeline cursor (↑) to "
                            "an entry, then press m", severity="warning", markup=False)
            return
        self._open_correct(entry)

    def _my_last_entry(self) -> Entry | None:
        me = (self.app.user_name or "").casefold()
        mine = [e for e in self.timeline.shown_entries()
                if e.author.casefold() == me and e.kind in CORRECTABLE]
        return max(mine, key=lambda e: e.seq) if mine else None

    def _open_correct(self, entry: Entry) -> None:
        from warroom.app.dialogs.correct import CorrectDialog

        self.app.push_screen(CorrectDialog(self.perform, entry,
                                           self.timeline.corrections(entry.seq), utc=self.utc))

    def on_timeline_opened(self, message: Timeline.Opened) -> None:
        entry = message.entry
        if entry.data.get("sha256"):
            self._load_file(entry)  # a command's output or an attached file: read it first
        else:
            self._open_entry(entry, None)

    def _open_entry(self, entry: Entry, file: Any) -> None:
        from warroom.app.dialogs.correct import EntryDialog

        def chosen(result: Any) -> None:
            if result == "correct":
                self._open_correct(entry)

        self.app.push_screen(EntryDialog(entry, self.timeline.corrections(entry.seq),
                                         utc=self.utc, can_correct=not self.readonly,
                                         file=file), chosen)

    @work(thread=True, group="read-file", exclusive=True)
    def _load_file(self, entry: Entry) -> None:
        """The file off the event loop, through the domain door; then the entry view."""
        from warroom.app.dialogs.correct import shown_file
        from warroom.base.errors import WarroomError

        try:
            item = self.app.open_warroom().attachment(entry.incident, entry.seq)
            file = shown_file(entry, item)
        except WarroomError as exc:
            self.app.call_from_thread(self.app.notify, f"Cannot read the file: {exc}",
                                      severity="error", markup=False)
            return
        self.app.call_from_thread(self._open_entry, entry, file)
