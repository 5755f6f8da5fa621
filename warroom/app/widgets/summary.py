"""The incident summary pane: what is going on, at a glance."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from textual.content import Content
from textual.app import ComposeResult
from textual.containers import Vertical

from warroom.app.formatting import clock_time, plain
from warroom.app.widgets.quiet import QuietStatic, set_title
from warroom.core.durations import format_duration

if TYPE_CHECKING:
    from warroom.core.profiles import Profile
    from warroom.core.state import IncidentState


def severity_badge(profile: Profile, severity: str) -> Content:
    sev = profile.severity_by_id(severity)
    if sev is None:  # an old incident may hold a severity its profile no longer lists
        return Content.styled(f" {plain(str(severity or '?'))} ", "bold reverse")
    return Content.styled(f" {plain(sev.label)} ", f"bold black on {sev.colour}")


class SummaryPane(Vertical):
    """The headline lines never wrap (they end in … instead); the latest summary fills the rest."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "Incident"

    def compose(self) -> ComposeResult:
        yield QuietStatic(Content("Opening…"), id="summary-head")
        yield QuietStatic(Content(""), id="summary-latest")

    def show_loading(self, ref: str, readonly: bool) -> None:
        head = Content.assemble((ref, "bold"), " ", ("read-only", "reverse") if readonly else "")
        self.query_one("#summary-head", QuietStatic).show_content(Content("\n").join(
            [head, Content.styled("Reading the rest of the log…", "$text-muted italic")]))

    def show(self, state: IncidentState, profile: Profile, now: datetime, *, utc: bool = False,
             readonly: bool = False) -> None:
        status_style = "bold $text-success" if not state.is_open else "bold"
        head: list[str | Content | tuple[str, str]] = [
            (state.ref, "bold"), " ", severity_badge(profile, state.severity), " ",
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
        lines = [Content.assemble(*head), Content.styled(plain(state.title), "bold")]
        services = ", ".join(plain(s) for s in state.services) or "none"
        lines.append(Content.assemble(("Services ", "$text-muted"), plain(services)))
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
            summary = Content.assemble(
                (f"Summary {clock_time(latest.occurred, utc)} {plain(latest.author)}: ", "$text-muted"),
                plain(state.current_text(latest)))
        else:
            summary = Content.styled("No lead summary yet (s)", "$text-muted italic")
        set_title(self, f"Incident · {plain(profile.title)}")
        self.query_one("#summary-head", QuietStatic).show_content(Content("\n").join(lines))
        self.query_one("#summary-latest", QuietStatic).show_content(summary)
