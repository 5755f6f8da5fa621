"""Corrections on screen: the entry under the timeline cursor opened with its history
(:class:`EntryDialog`, Enter), and corrected (:class:`CorrectDialog`, ``m``): its text, its kind,
an action's owner, when it happened. The correction is a new entry that amends the original
(``Warroom.amend``); both are kept, and the timeline shows the latest with ✎."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Input, Label, Static, TextArea

from warroom.app.dialogs.base import Dialog, Save
from warroom.app.formatting import clock_time, entry_text, kind_label, plain
from warroom.base.model import SCRIBE_KINDS, Attachment, Entry
from warroom.app.widgets.fields import Field


@dataclass(frozen=True)
class ShownFile:
    """The file an entry links to, as the entry view shows it: its text (None for a binary
    file or one not there), else a sentence saying what it is."""

    heading: str
    text: str | None
    note: str = ""


def shown_file(entry: Entry, item: Attachment | None) -> ShownFile:
    """Read off the event loop (the text of 20 MB of output takes a moment)."""
    from warroom.core.evidence import human_size, is_text, shown_text

    name = plain(str(entry.data.get("file") or "file"))
    what = "Output" if entry.kind == "result" else "Attached file"
    if item is None:
        return ShownFile(f"{what}: {name}", None,
                         "Not in this database (removed, or never copied here); warroom verify "
                         "says which entries lack their file.")
    heading = f"{what}: {name} · {human_size(item.size)} · {plain(item.media_type)}"
    if entry.data.get("truncated"):
        heading += f" · cut (the command printed {int(entry.data.get('output_bytes') or 0):,} bytes)"
    if is_text(item.content):
        return ShownFile(heading, shown_text(item.content))
    return ShownFile(heading, None,
                     f"A binary file ({item.size:,} bytes, {plain(item.media_type)}), not shown. "
                     f"SHA-256 {item.sha256}. Write it out with: warroom export "
                     f"{entry.incident} --attachments DIR")


def corrected(entry: Entry, fixes: list[Entry]) -> Entry:
    from warroom.app.widgets.timeline import _as_corrected

    return _as_corrected(entry, fixes) if fixes else entry


def _stamp(at: datetime, utc: bool) -> str:
    shown = at.astimezone(timezone.utc) if utc else at.astimezone()
    return shown.strftime("%Y-%m-%d %H:%M") + (" UTC" if utc else "")


class EntryDialog(Dialog):
    """One entry as it reads now, then as first written and each correction (newest last)."""

    TITLE = "Entry"
    HINT = "m corrects it · Esc closes"
    BINDINGS = [Binding("escape,q,enter", "cancel", "close"), Binding("m", "correct", "correct")]

    def __init__(self, entry: Entry, fixes: list[Entry], *, utc: bool, can_correct: bool,
                 file: ShownFile | None = None) -> None:
        super().__init__(None)
        self.entry, self.fixes, self.utc, self.can_correct = entry, fixes, utc, can_correct
        self.file = file
        if file is not None:
            self.add_class("with-file")
            if file.text is not None:
                self.HINT = "↑ ↓ PgUp PgDn Home End scroll · m corrects it · Esc closes"

    def body(self) -> ComposeResult:
        now = corrected(self.entry, self.fixes)
        lines = [Content.assemble((f"#{now.seq} {kind_label(now.kind)}", "bold"),
                                  f" by {plain(now.author)} at {_stamp(now.occurred, self.utc)}"),
                 Content(entry_text(now))]
        if self.entry.recorded_at != self.entry.occurred_at:
            lines.append(Content.styled(f"logged at {_stamp(self.entry.recorded, self.utc)}",
                                        "$text-muted"))
        writer, importer = self.entry.written_by_other(), self.entry.imported_by()
        if writer:
            lines.append(Content.styled(f"written by {plain(writer)} (the database's record), "
                                        f"as {plain(self.entry.author)}", "$warning"))
        elif importer:
            lines.append(Content.styled(f"imported by {plain(importer)}", "$text-muted"))
        if self.fixes:
            lines += [Content(""), Content.styled("History (oldest first)", "bold"),
                      Content.assemble(("as written: ", "$text-muted"),
                                       f"{kind_label(self.entry.kind)}, "
                                       f"{_stamp(self.entry.occurred, self.utc)}: ",
                                       entry_text(self.entry))]
            for fix in self.fixes:
                what = str(fix.data.get("kind") or self.entry.kind)
                lines.append(Content.assemble(
                    (f"✎ #{fix.seq} by {plain(fix.author)} at {_stamp(fix.occurred, self.utc)}: ",
                     "$text-muted"), f"{kind_label(what)}: ", plain(fix.text)))
        output = self.entry.data.get("output")
        if isinstance(output, str) and output:
            lines += [Content(""), Content.styled("Output", "bold"), Content(plain(output))]
        with VerticalScroll(classes="dialog-scroll"):
            yield Static(Content("\n").join(lines), id="entry-text")
        if self.file is not None:
            yield Label(Content.styled(self.file.heading, "bold"), classes="file-heading")
            if self.file.text is not None:
                # Plain text in a read-only editor: never markup, and the terminal sequences
                # were dropped when it was read (warroom.core.evidence.shown_text).
                yield TextArea(self.file.text, read_only=True, soft_wrap=False,
                               show_line_numbers=False, id="entry-file")
            else:
                yield Label(Content(self.file.note), classes="dialog-text", id="entry-file-note")

    def on_mount(self) -> None:
        super().on_mount()
        found = self.query("#entry-file")
        if found:
            area = found.first(TextArea)
            area.focus()
            area.scroll_end(animate=False)  # a command's output: its end first, as on a terminal
            area.move_cursor(area.document.end)

    def action_correct(self) -> None:
        if self.can_correct:
            self.dismiss("correct")


class CorrectDialog(Dialog):
    TITLE = "Correct an entry"
    HINT = "Enter saves the correction (both are kept) · Tab next field · Esc cancels"

    def __init__(self, save: Save, entry: Entry, fixes: list[Entry], *, utc: bool) -> None:
        super().__init__(save)
        self.entry, self.fixes, self.utc = entry, fixes, utc
        self.now = corrected(entry, fixes)

    def body(self) -> ComposeResult:
        now = self.now
        yield Label(Content.assemble((f"#{now.seq} ", "bold"), f"{kind_label(now.kind)} by ",
                                     plain(now.author), f" at {_stamp(now.occurred, self.utc)}"),
                    classes="dialog-text")
        yield Label("Text", classes="field-label")
        yield Field(now.text, id="fix-text", placeholder="The corrected text")
        if now.kind in SCRIBE_KINDS:
            yield Label("Kind (" + ", ".join(SCRIBE_KINDS) + ")", classes="field-label")
            yield Field(now.kind, id="fix-kind", placeholder="Kind: " + ", ".join(SCRIBE_KINDS))
        if now.kind in ("action", "followup"):
            yield Label("Owner", classes="field-label")
            yield Field(str(now.data.get("owner") or ""), id="fix-owner",
                        placeholder="Owner of an action (@name)")
        yield Label("When it happened (HH:MM, or a full ISO time)", classes="field-label")
        yield Field(self._when(now.occurred), id="fix-at",
                    placeholder="When it happened: HH:MM, or a full ISO time")

    def _when(self, at: datetime) -> str:
        return clock_time(at, self.utc)

    def on_mount(self) -> None:
        super().on_mount()
        field = self.query_one("#fix-text", Input)
        field.focus()
        field.cursor_position = len(field.value)

    def _value(self, name: str) -> str | None:
        found = self.query(f"#{name}")
        return found.first(Input).value if found else None

    @on(Input.Submitted)
    async def _save(self, event: Input.Submitted) -> None:
        now = self.now
        text = self._value("fix-text")
        kind = self._value("fix-kind")
        owner = self._value("fix-owner")
        when = (self._value("fix-at") or "").strip()
        try:
            at = self._at(when)
        except ValueError as exc:
            self.show_error(str(exc))
            return
        args: dict[str, Any] = {}
        if kind is not None and kind.strip() and kind.strip().lower() != now.kind:
            args["kind"] = kind.strip().lower()
        if owner is not None and owner.strip().lstrip("@") != str(now.data.get("owner") or ""):
            if owner.strip():
                args["owner"] = owner
        if at is not None:
            args["at"] = at
        new_text = text if text is not None and text != now.text else None
        if new_text is None and not args:
            self.show_error("nothing changed: edit the text, kind, owner or time")
            return
        seq = self.entry.seq
        await self.submit(lambda w, ref: w.amend(ref, seq, new_text, **args))

    def _at(self, when: str) -> str | None:
        """HH:MM on the entry's day (in the zone shown), or an ISO time; None if unchanged."""
        if not when or when == self._when(self.now.occurred):
            return None
        if len(when) <= 5 and ":" in when:
            hours, _, minutes = when.partition(":")
            if not (hours.isdigit() and minutes.isdigit()):
                raise ValueError(f"{when!r} is not a time: write HH:MM, or a full ISO time")
            zone = timezone.utc if self.utc else None
            day = self.now.occurred.astimezone(zone)
            try:
                moved = day.replace(hour=int(hours), minute=int(minutes), second=0, microsecond=0)
            except ValueError:
                raise ValueError(f"{when!r} is not a time of day") from None
            return moved.astimezone(timezone.utc).isoformat()
        return when
