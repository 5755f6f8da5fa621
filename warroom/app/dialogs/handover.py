"""Assign or hand over a role. Warns, before saving, when the lead would also be the scribe (or
any pair the profile says should be two people) and when a required role is vacant."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.content import Content
from textual.suggester import SuggestFromList
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from warroom.app.dialogs.base import Dialog, Save
from warroom.app.formatting import clip_rows, plain
from warroom.app.widgets.fields import Field

if TYPE_CHECKING:
    from warroom.core.roles import RoleWarning


class HandoverDialog(Dialog):
    TITLE = "Assign or hand over a role"
    HINT = "↑↓ role · Tab to the name · Enter saves · Esc cancels"
    # The role's description wraps: its last sentence may be the one that matters (dxw: "If
    # you are not confident being the lead, hand it over to someone more senior").
    # (8 rows on a short terminal, more on a taller one; when cut, the last row ends in …, so
    # the name field is not pushed off a small screen and nothing stops with nothing said.)
    DEFAULT_CSS = "HandoverDialog #role-duties, HandoverDialog #role-warnings { width: 100%; }"

    def __init__(self, save: Save, state, profile, people: list[str]) -> None:
        super().__init__(save)
        self.state, self.profile, self.people = state, profile, people

    def body(self) -> ComposeResult:
        options = []
        for role in self.profile.roles:
            holder = self.state.holder(role.id)
            required = role.required_for(self.state.customer_impacting)
            who = (plain(holder), "bold") if holder else (
                ("VACANT", "bold $text-error") if required else ("vacant", "$text-muted"))
            options.append(Option(Content.assemble(f"{plain(role.name)}: ", who), id=role.id))
        yield OptionList(*options, id="role-list")
        yield Label(Content(""), id="role-duties", classes="dialog-text")
        yield Field(id="role-person", placeholder="Who takes it (name)",
                    suggester=SuggestFromList(self.people, case_sensitive=False))
        yield Field(id="role-note", placeholder="Handover note (optional): what they need to know",
                    short="Handover note (optional)")
        yield Label(Content(""), id="role-warnings")

    def on_mount(self) -> None:
        super().on_mount()
        listing = self.query_one(OptionList)
        vacant = [i for i, r in enumerate(self.profile.roles)
                  if r.required_for(self.state.customer_impacting) and not self.state.holder(r.id)]
        listing.highlighted = vacant[0] if vacant else 0
        listing.focus()
        self._update()

    @property
    def role(self):
        listing = self.query_one(OptionList)
        return None if listing.highlighted is None else self.profile.roles[listing.highlighted]

    @on(OptionList.OptionHighlighted, "#role-list")
    def _moved(self, event: OptionList.OptionHighlighted) -> None:
        self._update()

    @on(OptionList.OptionSelected, "#role-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.query_one("#role-person").focus()

    @on(Input.Changed, "#role-person")
    def _typed(self, event: Input.Changed) -> None:
        self._update()

    def warnings(self) -> list[RoleWarning]:
        """What the profile's process warns about if this assignment is saved."""
        from warroom.core.roles import assignment_warnings

        role = self.role
        if role is None:
            return []
        return assignment_warnings(self.state, self.profile, role.id,
                                   self.query_one("#role-person", Input).value, self.people)

    def on_resize(self) -> None:
        super().on_resize()
        self._update()

    def _update(self) -> None:
        role = self.role
        duties = "; ".join(role.responsibilities) if role else ""
        about = [Content.styled(plain(role.description), "italic")] if role and role.description else []
        width, height = self.app.size
        text = Content("\n").join(about + [Content.styled(plain(duties), "$text-muted")])
        room = min(width, 76) - 6  # the box's inner width (border, padding, a scroll bar)
        self.query_one("#role-duties", Label).update(clip_rows(text, room, max(8, height // 2 - 4)))
        lines = [Content.styled(f"⚠ {plain(w.text)}", "$text-warning") for w in self.warnings()]
        self.query_one("#role-warnings", Label).update(Content("\n").join(lines))

    @on(Input.Submitted, "#role-person, #role-note")
    async def _save(self, event: Input.Submitted) -> None:
        role = self.role
        person = self.query_one("#role-person", Input).value
        note = self.query_one("#role-note", Input).value
        if role is None:
            self.show_error("choose a role")
            return
        await self.submit(lambda w, ref: w.assign_role(ref, role.id, person, note=note))
