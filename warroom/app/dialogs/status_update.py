"""Compose a status update: a template from the profile, the text, and when the next one is due
(which restarts the update timer). The rules (the default interval, filling a template) live
in :mod:`warroom.core.updates`."""

from __future__ import annotations

from datetime import datetime

from textual import on
from textual.app import ComposeResult
from textual.content import Content
from textual.suggester import SuggestFromList
from textual.binding import Binding
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from warroom.app.dialogs.base import Save
from warroom.app.dialogs.writing import WritingDialog
from warroom.app.formatting import plain
from warroom.app.widgets.checks import SelectionList
from warroom.core.durations import format_duration, parse_duration
from warroom.core.text import sanitize
from warroom.core.updates import draft_update, next_update_interval
from warroom.app.widgets.fields import Field


class StatusUpdateDialog(WritingDialog):
    TITLE = "Status update"
    HINT = "↑↓ template · Tab next field · ctrl+s saves and copies · ^y copy · Esc"
    BINDINGS = [Binding("ctrl+y", "copy", "copy", priority=True)]

    def __init__(self, save: Save, state, profile, now: datetime) -> None:
        super().__init__(save)
        self.state, self.profile, self.now = state, profile, now
        self.interval = next_update_interval(profile, state)
        self._filled = ""

    def body(self) -> ComposeResult:
        options = [Option(Content("Blank"), id="")]
        for tpl in self.profile.templates:
            mark = " ←" if tpl.status and tpl.status == self.state.status else ""
            options.append(Option(Content.assemble(plain(tpl.name), (mark, "bold")), id=tpl.id))
        yield OptionList(*options, id="template-list")
        # Several lines, wrapped, all in view: the update is read before it is sent.
        yield self.text_box(id="update-text", placeholder="The update as people will read it")
        with_next = format_duration(self.interval).replace(" ", "")
        yield Label(Content("Next update in (e.g. 30m, 1h):"))
        yield Field(with_next, id="update-next")
        yield Field(id="update-audience", placeholder="Audience (optional): "
                    + ", ".join(self.profile.audiences),
                    suggester=SuggestFromList(list(self.profile.audiences), case_sensitive=False))
        if self.profile.services:
            chosen = set(self.state.services)
            yield SelectionList[str](*[(Content(plain(name)), name, name in chosen)
                                       for name in self.profile.services], id="update-services")

    def on_mount(self) -> None:
        super().on_mount()
        listing = self.query_one(OptionList)
        ids = [t.id for t in self.profile.templates]
        matching = [i + 1 for i, t in enumerate(self.profile.templates) if t.status == self.state.status]
        listing.highlighted = matching[0] if matching else (1 if ids else 0)
        listing.focus()
        self._fill()

    @on(OptionList.OptionHighlighted, "#template-list")
    def _moved(self, event: OptionList.OptionHighlighted) -> None:
        self._fill()

    @on(OptionList.OptionSelected, "#template-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.query_one("#update-text").focus()

    def _template_id(self) -> str | None:
        listing = self.query_one(OptionList)
        if listing.highlighted is None:
            return None
        return listing.get_option_at_index(listing.highlighted).id or None

    def _fill(self) -> None:
        tid = self._template_id()
        text = ""
        if tid:
            try:
                next_in = parse_duration(self.query_one("#update-next", Input).value)
            except ValueError:
                next_in = self.interval
            services = self._services()
            text = draft_update(self.profile.template(tid), self.profile,
                                self.state.services if services is None else services,
                                self.now, next_in)
        field = self.box("update-text")
        self._filled = field.text = text
        self.start_typing(field)  # at its first blank to fill, else at its end

    @on(Input.Submitted, "#update-next, #update-audience")
    async def _save(self, event: Input.Submitted) -> None:
        await self.action_save()

    async def action_save(self) -> None:
        try:
            nxt = parse_duration(self.query_one("#update-next", Input).value)
        except ValueError as exc:
            self.show_error(f"next update: {exc}")
            return
        text = self.box("update-text").text
        audience = self.query_one("#update-audience", Input).value
        tid = self._template_id()
        services = self._services()
        if await self.submit(lambda w, ref: w.post_update(ref, text, template=tid, audience=audience,
                                                          services=services, next_update=nxt),
                             close=False):
            self._copy(text)
            self.dismiss(True)

    def _services(self) -> list[str] | None:
        picked = self.query(SelectionList)
        return list(picked.first().selected) if picked else None

    @on(SelectionList.SelectedChanged, "#update-services")
    def _services_changed(self) -> None:
        self._fill_services()

    def _fill_services(self) -> None:
        """A template's {services} follows the ticked services (typed text is kept)."""
        tid = self._template_id()
        typed = self.box("update-text").text
        if tid and "{services}" in self.profile.template(tid).text and typed == self._filled:
            self._fill()

    def action_copy(self) -> None:
        self._copy(self.box("update-text").text)

    def _copy(self, text: str) -> None:
        """To the clipboard for the status page or chat, by OSC 52 (the terminal must allow
        it; over ssh and in tmux it usually does)."""
        clean = sanitize(text).strip()
        if clean:
            self.app.copy_to_clipboard(clean)
            self.app.notify("Status update copied to the clipboard", timeout=4)
