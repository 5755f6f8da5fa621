"""The incident summary pane: what is going on, at a glance."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from textual.content import Content
from textual.app import ComposeResult
from textual.containers import Vertical

from warroom.app.formatting import badge_style, clip_rows, clock_time, fit_label, plain
from warroom.app.widgets.quiet import QuietStatic, set_title
from warroom.core.durations import format_duration
from warroom.core.text import paragraphs

if TYPE_CHECKING:
    from warroom.core.profiles import Profile
    from warroom.core.state import IncidentState


def severity_badge(profile: Profile, severity: str, *, no_color: bool = False) -> Content:
    sev = profile.severity_by_id(severity)
    if sev is None:  # an old incident may hold a severity its profile no longer lists
        return Content.styled(f" {plain(str(severity or '?'))} ", "bold reverse")
    return Content.styled(f" {plain(sev.label)} ", badge_style(sev.colour, no_color=no_color))


class SummaryPane(Vertical):
    """The headline lines never wrap (they end in … instead); the latest summary fills the rest."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "Incident"
        self._shown: tuple | None = None

    def on_resize(self) -> None:
        """The title and services wrap to the width the layout gave (it may come after)."""
        if self._shown is not None:
            state, profile, now, utc, readonly, alias = self._shown
            self.show(state, profile, now, utc=utc, readonly=readonly, alias=alias)

    def compose(self) -> ComposeResult:
        yield QuietStatic(Content("Opening…"), id="summary-head")
        yield QuietStatic(Content(""), id="summary-latest")

    def show_loading(self, ref: str, readonly: bool) -> None:
        head = Content.assemble((ref, "bold"), " ", ("read-only", "reverse") if readonly else "")
        self.query_one("#summary-head", QuietStatic).show_content(Content("\n").join(
            [head, Content.styled("Reading the rest of the log…", "$text-muted italic")]))

    def show(self, state: IncidentState, profile: Profile, now: datetime, *, utc: bool = False,
             readonly: bool = False, alias: str = "") -> None:
        status_style = "bold $text-success" if not state.is_open else "bold"
        head: list[str | Content | tuple[str, str]] = [
            (state.ref, "bold"), " ",
        ]
        if alias:  # imported under this reference; the one it had where it was logged
            head += [(f"(was {plain(alias)})", "$text-muted"), " "]
        head += [
            severity_badge(profile, state.severity, no_color=self.app.no_color), " ",
            (plain(state.status), status_style),
        ]
        if state.security:
            head += [" ", ("SECURITY", "bold reverse $text-error")]
        if state.customer_impacting:
            head += [" ", ("customers", "$text-warning")]
        if profile.out_of_hours_at(now):
            head += [" ", ("OOH", "bold $text-warning")]
        if readonly:
            head += [" ", ("read-only", "reverse")]
        self._shown = (state, profile, now, utc, readonly, alias)
        width = self.query_one("#summary-head", QuietStatic).content_size.width or 200
        # The title and the services wrap (two lines each at most, then …): they are what a
        # lead reads first, and are never cut while there is room.
        most = 2 if self.content_size.height >= 8 else 1  # a short pane keeps one line each
        lines = [Content.assemble(*head)]
        lines += [Content.styled(part, "bold") for part in _wrap(plain(state.title), width, most)]
        services = ", ".join(plain(s) for s in state.services) or "none"
        for i, part in enumerate(_wrap(plain(services), width - 9, most)):
            lines.append(Content.assemble(("Services " if i == 0 else " " * 9, "$text-muted"), part))
        since = clock_time(state.declared_at, utc) if state.declared_at else "?"
        span = format_duration(state.duration(now), "elapsed")
        lines.append(Content.assemble(("Elapsed ", "$text-muted"), span,
                                      (f" since {since}", "$text-muted")))
        steps = profile.checklists.get("declare", ())
        todo = state.checklist_open("declare", steps) if state.is_open else []
        if todo:  # unticked declare steps stay in view until done or dismissed
            lines.append(Content.assemble(
                (f"Declare checklist {len(steps) - len(todo)}/{len(steps)} (l): ", "$text-warning"),
                plain(todo[0])))
        from warroom.core.rules import out_of_hours_scope

        scope = out_of_hours_scope(profile, state, now)
        if scope is not None:  # dxw: out of hours, only critical alerts and emergency tickets
            lines.append(Content.styled(plain(scope.short), "$text-warning"))
        latest = state.latest_summary
        if latest is not None:
            said = [plain(line) for line in paragraphs(state.current_text(latest))]
            summary = Content.assemble(
                (f"Summary {clock_time(latest.occurred, utc)} {plain(latest.author)}: ", "$text-muted"),
                "\n".join(said))
            # As many lines as the pane has left; the last ends in … when there is more
            # (never a sentence stopped mid-way with nothing to say so).
            summary = clip_rows(summary, width, self.content_size.height - len(lines))
        else:
            summary = Content.styled("No lead summary yet (s)", "$text-muted italic")
        set_title(self, f"Incident · {plain(profile.title)}")
        self.query_one("#summary-head", QuietStatic).show_content(Content("\n").join(lines))
        self.query_one("#summary-latest", QuietStatic).show_content(summary)


def _wrap(text: str, width: int, most: int) -> list[str]:
    """Word-wrapped to ``width``, at most ``most`` lines (the last ends in … if cut)."""
    from warroom.app.widgets.timeline import wrap_cells

    lines = wrap_cells(text, max(width, 8))
    if len(lines) > most:
        rest = " ".join(lines[most - 1:])
        lines = lines[:most - 1] + [fit_label(rest, max(width, 8))]
    return lines
