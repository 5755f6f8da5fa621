"""Declare an incident: the profile's "is this an incident?" criteria and severity descriptions
beside the form, so the person declaring reads them while choosing ("if torn, choose the higher")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, OptionList
from textual.widgets.option_list import Option

from warroom.app.formatting import badge_style, plain
from warroom.app.widgets.checks import Checkbox, SelectionList
from warroom.base.errors import WarroomError
from warroom.app.widgets.fields import Field


if TYPE_CHECKING:
    from warroom.app.host import HostApp

class ServiceList(SelectionList[str]):
    """Space ticks a service; Enter moves on to the description, as it does from every other
    field (a SelectionList would toggle the service again, and the description typed next
    would be lost on a list that takes no text)."""

    BINDINGS = [Binding("enter", "app.focus_next", "next field", show=False)]


class DeclareScreen(Screen[None]):
    if TYPE_CHECKING:
        app: HostApp

    # Parsed when the screen is first shown (see Dialog.DEFAULT_CSS).
    DEFAULT_CSS = (Path(__file__).parent / "declare.tcss").read_text(encoding="utf-8")
    SCOPED_CSS = False
    BINDINGS = [
        Binding("escape", "cancel", "cancel"),
        Binding("ctrl+s", "declare", "declare"),
    ]

    def __init__(self, *, first: bool = False, profile: str = "default") -> None:
        super().__init__()
        self.first = first
        self.profile_name = profile
        self.busy = False
        self.looked: set[str] = set()
        """The choices the person has visited (profile, severity): declaring without them asks once."""
        self.warned = False

    @property
    def registry(self):
        return self.app.open_warroom().profiles

    @property
    def profile(self):
        return self.registry.get(self.profile_name)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="declare-form") as form:
            form.border_title = "Declare an incident"
            if self.first:
                yield Label(Content.styled("No open incident in this database.", "italic"))
            yield Label(Content(""), id="criteria")
            yield Label(Content("Title"), classes="field-label")
            yield Field(id="declare-title", placeholder="What is broken, as users see it")
            yield Label(Content("Process profile"), classes="field-label")
            yield OptionList(id="declare-profile")
            yield Label(Content(""), id="severity-note", classes="field-label")
            yield OptionList(id="declare-severity")
            yield Label(Content("Impacted services (space ticks)"), classes="field-label")
            yield ServiceList(id="declare-services")
            yield Field(id="declare-description", placeholder="Description (optional)")
            yield Field(self.app.user_name, id="declare-lead", placeholder="Incident lead (name)")
            yield Checkbox(Content("Security incident"), id="declare-security")
            yield Checkbox(Content("Customer-impacting"), id="declare-customers")
            yield Label(Content(""), id="declare-error", classes="dialog-error")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#declare-error").display = False
        profiles = self.query_one("#declare-profile", OptionList)
        names = self.registry.names()
        for name in names:
            profiles.add_option(Option(Content(name), id=name))
        if self.profile_name in names:
            profiles.highlighted = names.index(self.profile_name)
        self._show_profile()
        self.query_one("#declare-title").focus()

    @on(OptionList.OptionHighlighted, "#declare-profile")
    def _profile_moved(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id and event.option.id != self.profile_name:
            self.looked.add("profile")
            self.profile_name = event.option.id
            self._show_profile()

    def _show_profile(self) -> None:
        try:
            prof = self.profile
        except WarroomError as exc:
            self.show_error(str(exc))
            return
        lines = [Content.styled("Is this an incident?", "bold")]
        lines += [Content(f"• {plain(c)}") for c in prof.incident_criteria]
        if prof.security_note:
            lines.append(Content.styled(plain(prof.security_note), "$text-warning"))
        self.query_one("#criteria", Label).update(Content("\n").join(lines))
        # The profile's own advice only: a process that gives none is not made to say
        # "if torn, choose the higher".
        self.query_one("#severity-note", Label).update(Content.assemble(
            ("Severity ", "bold"), (plain(prof.severity_note), "italic")))
        sevs = self.query_one("#declare-severity", OptionList)
        sevs.clear_options()
        for sev in prof.live_severities():
            sevs.add_option(Option(Content.assemble((f" {sev.label} ", badge_style(sev.colour, no_color=self.app.no_color)),
                                                    " ", plain(sev.description)), id=sev.id))
        ids = [s.id for s in prof.live_severities()]
        sevs.highlighted = ids.index(prof.default_severity) if prof.default_severity in ids else 0
        services = self.query_one("#declare-services", SelectionList)
        services.clear_options()
        services.add_options([(Content(plain(s)), s, False) for s in prof.services])

    def show_error(self, message: str) -> None:
        label = self.query_one("#declare-error", Label)
        label.update(Content(" ".join(message.split())))
        label.display = bool(message)

    def on_descendant_focus(self, event) -> None:
        widget = event.widget
        if widget.id == "declare-profile":
            self.looked.add("profile")
        elif widget.id == "declare-severity":
            self.looked.add("severity")
        elif isinstance(widget, SelectionList) and widget.highlighted is None and widget.option_count:
            widget.highlighted = 0  # Space ticks the first service at once, no ↓ needed first

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        """Enter moves to the next field; on the last field (the lead) it declares."""
        event.stop()
        if event.input.id == "declare-lead":
            self.action_declare()
        else:
            self.focus_next()

    @on(OptionList.OptionSelected, "#declare-profile, #declare-severity")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.focus_next()

    def action_declare(self) -> None:
        if self.busy:
            return
        missing = [what for what in ("profile", "severity") if what not in self.looked]
        if missing and not self.warned and self.query_one("#declare-title", Input).value.strip():
            # Declaring with a profile or severity never looked at: ask once.
            sevs = self.query_one("#declare-severity", OptionList)
            chosen = {"profile": self.profile_name,
                      "severity": (sevs.get_option_at_index(sevs.highlighted).id
                                   if sevs.highlighted is not None else "none")}
            self.warned = True
            self.show_error(" and ".join(f"{what} {chosen[what]}" for what in missing)
                            + " not chosen: Ctrl+S again declares with "
                            + ("them" if len(missing) > 1 else "it") + ", or Tab to change")
            return
        sevs = self.query_one("#declare-severity", OptionList)
        severity = sevs.get_option_at_index(sevs.highlighted).id if sevs.highlighted is not None else None
        self.busy = True
        self._declare(
            title=self.query_one("#declare-title", Input).value,
            profile=self.profile_name, severity=severity,
            services=list(self.query_one("#declare-services", SelectionList).selected),
            description=self.query_one("#declare-description", Input).value,
            lead=self.query_one("#declare-lead", Input).value.strip() or None,
            security=self.query_one("#declare-security", Checkbox).value,
            customer_impacting=self.query_one("#declare-customers", Checkbox).value,
        )

    @work(thread=True, exclusive=True, group="declare")
    def _declare(self, **fields) -> None:
        try:
            first = self.app.open_warroom().declare(fields.pop("title"), **fields)
        except WarroomError as exc:
            self.app.call_from_thread(self._failed, str(exc))
            return
        self.app.call_from_thread(self._declared, first.incident)

    def _failed(self, message: str) -> None:
        self.busy = False
        self.show_error(message)

    def _declared(self, ref: str) -> None:
        if self.profile.checklists.get("declare"):
            self.app.checklist_after_declare = ref
        if self.first:
            self.app.open_incident(ref)
        else:
            self.app.pop_screen()
            self.app.open_incident(ref)

    def action_cancel(self) -> None:
        if self.first:
            self.app.exit()
        else:
            self.app.pop_screen()
