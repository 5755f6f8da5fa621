"""Export the Markdown incident report to a file (private, written atomically)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from warroom.app.dialogs.base import Dialog
from warroom.app.widgets.checks import Checkbox
from warroom.base.errors import WarroomError


if TYPE_CHECKING:
    from warroom.app.host import HostApp

class ExportDialog(Dialog):
    if TYPE_CHECKING:
        app: HostApp

    TITLE = "Export the report"
    HINT = "Enter writes the file · Tab: template, public version · Esc cancels"

    def __init__(self, ref: str, state) -> None:
        super().__init__()
        self.ref, self.state = ref, state
        self._confirmed: str | None = None
        self.written: Path | None = None

    def body(self) -> ComposeResult:
        yield Label(Content("Markdown report to:"))
        yield Input(f"./{self.ref}.md", id="export-path")
        yield OptionList(*self._template_options(), id="export-template")
        yield Checkbox(Content("Public version (no names, no internal notes, secrets redacted)"),
                       id="export-public")
        if self.state is not None and self.state.security:
            yield Checkbox(Content("This is a security incident: publish anyway"), id="export-force")

    def _template_options(self) -> list[Option]:
        """Every report template: the built-ins, then the user's (config folder's templates/)."""
        from warroom.core.report import DEFAULT_TEMPLATE, load_template, template_names

        options = []
        for name in template_names():
            try:
                title = load_template(name).title
            except WarroomError as exc:
                title = f"cannot be used: {exc}"
            mark = " (default)" if name == DEFAULT_TEMPLATE else ""
            options.append(Option(Content.assemble((name, "bold"), mark,
                                                   (f"  {title}", "$text-muted")), id=name))
        return options

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#export-template", OptionList).highlighted = 0
        self.query_one("#export-path", Input).focus()

    @property
    def template(self) -> str | None:
        listing = self.query_one("#export-template", OptionList)
        if listing.highlighted is None:
            return None
        return listing.get_option_at_index(listing.highlighted).id

    @on(OptionList.OptionSelected, "#export-template")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self._export(self.query_one("#export-path", Input).value)

    @on(Input.Submitted, "#export-path")
    def _go(self, event: Input.Submitted) -> None:
        self._export(event.value)

    def _export(self, value: str) -> None:
        raw = value.strip()
        if not raw:
            self.show_error("give a file name")
            return
        path = Path(raw).expanduser()
        if path.is_dir():
            self.show_error(f"{path} is a folder: give a file name")
            return
        from warroom.base.files import check_output_path

        try:  # a device, FIFO, symlink or the database itself is refused before anything else
            exists = check_output_path(path, overwrite=True)
        except WarroomError as exc:
            self.show_error(str(exc))
            return
        if exists and self._confirmed != raw:
            self._confirmed = raw
            self.show_error(f"{path} exists: press Enter again to replace it")
            return
        public = self.query_one("#export-public", Checkbox).value
        force = bool(self.query("#export-force") and self.query_one("#export-force", Checkbox).value)
        self._write(path, public, force, self.template, exists)

    @work(thread=True, exclusive=True, group="export")
    def _write(self, path: Path, public: bool, force: bool, template: str | None,
               replace: bool = False) -> None:
        from warroom.base.files import write_private_atomic

        try:
            content = self.app.open_warroom().export_report(self.ref, public=public, force=force,
                                                            template=template)
            write_private_atomic(path, content, overwrite=replace,
                                 hint="press Enter again to replace it")
        except WarroomError as exc:
            self.app.call_from_thread(self.show_error, str(exc))
            return
        self.written = path
        self.app.call_from_thread(self._done, path)

    def _done(self, path: Path) -> None:
        self.app.notify(f"Report written to {path}", markup=False)
        self.dismiss(str(path))
