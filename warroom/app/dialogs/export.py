"""Export the Markdown incident report to a file (private, written atomically)."""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Checkbox, Input, Label

from warroom.app.dialogs.base import Dialog
from warroom.errors import WarroomError


class ExportDialog(Dialog):
    TITLE = "Export the report"
    HINT = "Enter writes the file · Tab: public version · Esc cancels"

    def __init__(self, ref: str, state) -> None:
        super().__init__()
        self.ref, self.state = ref, state
        self._confirmed: str | None = None
        self.written: Path | None = None

    def body(self) -> ComposeResult:
        yield Label(Content("Markdown report to:"))
        yield Input(f"./{self.ref}.md", id="export-path")
        yield Checkbox(Content("Public version (no names, no internal notes, secrets redacted)"),
                       id="export-public")
        if self.state is not None and self.state.security:
            yield Checkbox(Content("This is a security incident: publish anyway"), id="export-force")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#export-path", Input).focus()

    @on(Input.Submitted, "#export-path")
    def _go(self, event: Input.Submitted) -> None:
        raw = event.value.strip()
        if not raw:
            self.show_error("give a file name")
            return
        path = Path(raw).expanduser()
        if path.is_dir():
            self.show_error(f"{path} is a folder: give a file name")
            return
        if path.exists() and self._confirmed != raw:
            self._confirmed = raw
            self.show_error(f"{path} exists: press Enter again to replace it")
            return
        public = self.query_one("#export-public", Checkbox).value
        force = bool(self.query("#export-force") and self.query_one("#export-force", Checkbox).value)
        self._write(path, public, force)

    @work(thread=True, exclusive=True, group="export")
    def _write(self, path: Path, public: bool, force: bool) -> None:
        from warroom.cli import write_private_atomic

        try:
            from warroom.core.report import render_report
        except ImportError:
            self.app.call_from_thread(self.show_error, "the report module is not available in this build")
            return
        try:
            content = render_report(self.app.open_warroom(), self.ref, public=public, force=force)
            write_private_atomic(path, content)
        except WarroomError as exc:
            self.app.call_from_thread(self.show_error, str(exc))
            return
        self.written = path
        self.app.call_from_thread(self._done, path)

    def _done(self, path: Path) -> None:
        self.app.notify(f"Report written to {path}", markup=False)
        self.dismiss(str(path))
