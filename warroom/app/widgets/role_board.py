"""The role board: who holds each role of the profile and for how long, and what to worry about."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from textual.content import Content
from warroom.app.formatting import plain
from warroom.app.widgets.quiet import QuietStatic
from warroom.core.durations import format_duration

if TYPE_CHECKING:
    from warroom.core.profiles import Profile
    from warroom.core.roles import RoleWarning
    from warroom.core.state import IncidentState


class RoleBoard(QuietStatic):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Content("…"), id=id)
        self.border_title = "Roles"
        self.warnings: list[RoleWarning] = []
        self._shown: tuple | None = None

    def on_resize(self) -> None:
        """Names fit the width: redraw with the width the layout gave (it may come after)."""
        if self._shown is not None:
            self.show(*self._shown)

    def show(self, state: IncidentState, profile: Profile, now: datetime,
             warnings: list[RoleWarning], here: list[str] | None = None) -> None:
        self.warnings = warnings
        self._shown = (state, profile, now, warnings, here)
        lines = []
        narrow = self.content_size.width < 30
        for role in profile.roles:
            holder = state.roles.get(role.id)
            name = plain(role.id if narrow else role.name)
            if holder is None:
                required = role.required_for(state.customer_impacting)
                style = "bold reverse $text-error" if required else "$text-muted"
                who = Content.styled("VACANT" if required else "—", style)
                lines.append(Content.assemble((f"{name}: ", ""), who))
            else:
                lines.append(Content.assemble(
                    (f"{name}: ", ""), (plain(holder.person), "bold"),
                    (f" {format_duration(now - holder.since, 'elapsed')}", "$text-muted")))
        for warning in warnings:
            if warning.kind == "vacant":
                continue  # already shown in its row
            lines.append(Content.assemble(("⚠ ", "$text-warning"),
                                          (plain(warning.text), "$text-warning")))
        if here:
            lines.append(Content.assemble(("Here now: ", "$text-muted"),
                                          (plain(", ".join(here)), "")))
        self.set_class(bool(warnings), "-warn")
        self.show_content(Content("\n").join(lines))
