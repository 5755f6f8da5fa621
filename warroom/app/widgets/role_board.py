"""The role board: who holds each role of the profile and for how long, and what to worry about."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.cells import cell_len
from textual.content import Content
from warroom.app.formatting import fit_label, plain
from warroom.app.widgets.quiet import QuietStatic
from warroom.app.widgets.timeline import wrap_cells
from warroom.core.durations import format_duration

if TYPE_CHECKING:
    from warroom.core.profiles import Profile
    from warroom.core.roles import RoleWarning
    from warroom.core.state import IncidentState

FRAME = 4
"""Border and padding, left and right."""
HERE = "Here now: "


def pack(names: list[str], room: int) -> list[str]:
    """Names, comma-separated, as many to a line as fit; a name too long for a line ends in …
    (never cut mid-word without it)."""
    lines: list[str] = []
    for i, name in enumerate(names):
        comma = "," if i + 1 < len(names) else ""
        name = fit_label(name, room - len(comma)) + comma
        if lines and cell_len(lines[-1]) + 1 + cell_len(name) <= room:
            lines[-1] += f" {name}"
        else:
            lines.append(name)
    return lines


class RoleBoard(QuietStatic):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Content("…"), id=id)
        self.border_title = "Roles"
        self.warnings: list[RoleWarning] = []
        self._shown: tuple | None = None
        self._row_cache: dict[bool, list[tuple[str, str, str, str]]] = {}

    def on_resize(self) -> None:
        """Names fit the width: redraw with the width the layout gave (it may come after)."""
        if self._shown is not None:
            self.show(*self._shown)

    def _rows(self, short: bool) -> list[tuple[str, str, str, str]]:
        """(role, who, since, style of who) for each role of the profile (worked out once for
        what is shown: the screen asks for the widths twice after each show)."""
        cached = self._row_cache.get(short)
        if cached is None:
            cached = self._row_cache[short] = self._work_out_rows(short)
        return cached

    def _work_out_rows(self, short: bool) -> list[tuple[str, str, str, str]]:
        assert self._shown is not None
        state, profile, now, _warnings, _here = self._shown
        rows = []
        for role in profile.roles:
            holder = state.roles.get(role.id)
            name = plain(role.id if short else role.name)
            if holder is None:
                required = role.required_for(state.customer_impacting)
                rows.append((name, "! VACANT" if required else "—", "",
                             "bold reverse $text-error" if required else "$text-muted"))
            else:
                rows.append((name, plain(holder.person),
                             f" {format_duration(now - holder.since, 'elapsed')}", "bold"))
        return rows

    def natural_width(self, *, short: bool = False) -> int:
        """The width (frame included) at which every role's row shows whole, names in full or
        as ids; warnings and who is here wrap under them."""
        if self._shown is None:
            return 20
        widths = [cell_len(f"{name}: {who}{since}") for name, who, since, _ in self._rows(short)]
        here = self._shown[4] or []
        widths += [cell_len(HERE) + cell_len(plain(person)) for person in here]
        return max(widths or [12]) + FRAME

    def show(self, state: IncidentState, profile: Profile, now: datetime,
             warnings: list[RoleWarning], here: list[str] | None = None) -> None:
        self.warnings = warnings
        self._shown = (state, profile, now, warnings, here)
        self._row_cache = {}
        width = max(self.content_size.width, 12)
        short = self.natural_width() - FRAME > width
        lines = []
        for name, who, since, style in self._rows(short):
            room = width - cell_len(name) - 2
            person = fit_label(who, max(room - cell_len(since), 1))
            lines.append(Content.assemble((f"{name}: ", ""), (person, style),
                                          (since if cell_len(person + since) <= room else "",
                                           "$text-muted")))
        # Warnings wrap under the roles (by words, never cut mid-word).
        for warning in warnings:
            if warning.kind == "vacant":
                continue  # already shown in its row
            for i, part in enumerate(wrap_cells(plain(warning.text), width - 2)):
                lines.append(Content.assemble(("! " if i == 0 else "  ", "$text-warning"),
                                              (part, "$text-warning")))
        if here:
            for i, part in enumerate(pack([plain(p) for p in here], width - cell_len(HERE))):
                lines.append(Content.assemble((HERE if i == 0 else " " * cell_len(HERE),
                                               "$text-muted"), (part, "")))
        self.set_class(bool(warnings), "-warn")
        self.show_content(Content("\n").join(lines))
