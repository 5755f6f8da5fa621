"""The process dialogs (issue 13): record an escalation (``x``), log a support ticket (``k``),
change the facts (``g``), tick a checklist (``l``) and answer a timer (``w``).

Each shows what the profile says so a lead at 3 a.m. needs nothing else open: the escalation
chain in order (who, when, how), the support contacts (how to reach them, what to say), the
security steps when the security flag is set. Every answer is one domain call, one entry.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from warroom.app.dialogs.base import Dialog, Save
from warroom.app.formatting import plain, shown_zone, zone_name
from warroom.app.widgets.checks import Checkbox, SelectionList
from warroom.app.widgets.fields import Field

OTHER = "__other__"


def _when(text: str) -> Content:
    return Content.styled(plain(text), "$text-muted")


class EscalationDialog(Dialog):
    """The profile's escalation chain in order; the level chosen (or a name typed), how, a note."""

    TITLE = "Record an escalation"
    DEFAULT_CSS = "EscalationDialog #escalation-chain { max-height: 50vh; }"
    HINT = "↑↓ level · Enter: next field, then saves · Ctrl+S saves · Esc cancels"
    BINDINGS = [Binding("ctrl+s", "save", "save")]

    def __init__(self, save: Save, state, profile) -> None:
        super().__init__(save)
        self.state, self.profile = state, profile

    def body(self) -> ComposeResult:
        from warroom.core.timers import escalation_pending

        called = self.state.escalated_to()
        pending = {c.name for c in escalation_pending(self.profile, self.state)}
        options = []
        for i, level in enumerate(self.profile.escalation, 1):
            mark = ("  ✔ called", "$text-success") if level.name.casefold() in called else (
                ("  ● call now", "bold $text-error") if level.name in pending else ("", ""))
            lines = [Content.assemble((f"{i}. {plain(level.name)}", "bold"), mark)]
            if level.when:
                lines.append(Content.assemble("   ", _when(f"When: {level.when}")))
            if level.contact:
                lines.append(Content.assemble("   ", _when(f"How: {level.contact}")))
            options.append(Option(Content("\n").join(lines), id=level.name))
        options.append(Option(Content.styled("Someone else (type who)", "italic"), id=OTHER))
        if not self.profile.escalation:
            yield Label(_when("This process names no escalation chain."), classes="dialog-text")
        yield OptionList(*options, id="escalation-chain")
        yield Field(id="escalation-to", placeholder="Escalated to (who or which level)")
        yield Field(id="escalation-how", placeholder="How (phone, PagerDuty, Slack...) (optional)")
        yield Field(id="escalation-note", placeholder="Note (optional): what you told them")

    def on_mount(self) -> None:
        super().on_mount()
        listing = self.query_one(OptionList)
        pending = [i for i, c in enumerate(self.profile.escalation)
                   if c.name.casefold() not in self.state.escalated_to()
                   and c.required(self.state.severity, self.state.security)]
        listing.highlighted = pending[0] if pending else 0
        listing.focus()

    @on(OptionList.OptionHighlighted, "#escalation-chain")
    def _moved(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id and event.option.id != OTHER:
            self.query_one("#escalation-to", Input).value = event.option.id

    @on(OptionList.OptionSelected, "#escalation-chain")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        target = "#escalation-to" if event.option.id == OTHER else "#escalation-how"
        if event.option.id == OTHER:
            self.query_one("#escalation-to", Input).value = ""
        self.query_one(target).focus()

    @on(Input.Submitted, "#escalation-to, #escalation-how")
    def _next(self, event: Input.Submitted) -> None:
        """Enter moves on to the next field, so a note typed straight after "how" (a fast
        typist, a paste) lands in the note instead of in the war room's keys."""
        event.stop()
        if event.input.id == "escalation-to" and not event.value.strip():
            self.show_error("say who was escalated to (choose a level or type a name)")
            return
        self.show_error("")
        self.query_one("#escalation-how" if event.input.id == "escalation-to"
                       else "#escalation-note").focus()

    @on(Input.Submitted, "#escalation-note")
    async def _save(self, event: Input.Submitted) -> None:
        event.stop()
        await self.action_save()

    async def action_save(self) -> None:
        to = self.query_one("#escalation-to", Input).value
        how = self.query_one("#escalation-how", Input).value
        note = self.query_one("#escalation-note", Input).value
        if not to.strip():
            self.show_error("say who was escalated to (choose a level or type a name)")
            self.query_one("#escalation-to").focus()
            return
        await self.submit(lambda w, ref: w.log_escalation(ref, to, note, how=how))


class TicketDialog(Dialog):
    """The profile's third-party support contacts; the supplier, the case id, a note."""

    TITLE = "Log a support ticket"
    DEFAULT_CSS = "TicketDialog #ticket-suppliers { max-height: 40vh; }"
    HINT = "↑↓ supplier · Enter: next field, then saves · Ctrl+S · Esc cancels"
    BINDINGS = [Binding("ctrl+s", "save", "save")]

    def __init__(self, save: Save, state, profile) -> None:
        super().__init__(save)
        self.state, self.profile = state, profile

    def body(self) -> ComposeResult:
        options = []
        for contact in self.profile.support:
            lines = [Content.styled(plain(contact.party), "bold")]
            if contact.how:
                lines.append(Content.assemble("   ", _when(f"How: {contact.how}")))
            if contact.escalation:
                lines.append(Content.assemble("   ", _when(f"Then: {contact.escalation}")))
            options.append(Option(Content("\n").join(lines), id=contact.party))
        options.append(Option(Content.styled("Another supplier (type it)", "italic"), id=OTHER))
        if not self.profile.support:
            yield Label(_when("This process names no third-party support contacts."),
                        classes="dialog-text")
        yield OptionList(*options, id="ticket-suppliers")
        yield Static(_when("Say: what is affected, since when, the impact on users, what you "
                           "have tried, and the case severity."), classes="dialog-text")
        yield Field(id="ticket-supplier", placeholder="Supplier")
        yield Field(id="ticket-case", placeholder="Case id (as the supplier gave it)")
        yield Field(id="ticket-note", placeholder="Note (optional): what you asked for")

    def on_mount(self) -> None:
        super().on_mount()
        listing = self.query_one(OptionList)
        listing.highlighted = 0
        listing.focus()

    @on(OptionList.OptionHighlighted, "#ticket-suppliers")
    def _moved(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id and event.option.id != OTHER:
            self.query_one("#ticket-supplier", Input).value = event.option.id

    @on(OptionList.OptionSelected, "#ticket-suppliers")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        if event.option.id == OTHER:
            self.query_one("#ticket-supplier", Input).value = ""
            self.query_one("#ticket-supplier").focus()
        else:
            self.query_one("#ticket-case").focus()

    @on(Input.Submitted, "#ticket-supplier, #ticket-case")
    def _next(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "ticket-supplier" and not event.value.strip():
            self.show_error("say which supplier (choose one or type it)")
            return
        self.show_error("")
        self.query_one("#ticket-case" if event.input.id == "ticket-supplier"
                       else "#ticket-note").focus()

    @on(Input.Submitted, "#ticket-note")
    async def _save(self, event: Input.Submitted) -> None:
        event.stop()
        await self.action_save()

    async def action_save(self) -> None:
        supplier = self.query_one("#ticket-supplier", Input).value
        case = self.query_one("#ticket-case", Input).value
        note = self.query_one("#ticket-note", Input).value
        if not supplier.strip():
            self.show_error("say which supplier (choose one or type it)")
            self.query_one("#ticket-supplier").focus()
            return
        await self.submit(lambda w, ref: w.log_ticket(ref, supplier, case, note))


class FactsDialog(Dialog):
    """Security and customer-impacting flags, impacted services and when impact started, with
    a reason. Setting the security flag shows the profile's security steps."""

    TITLE = "Change the facts"
    HINT = "Tab moves · space ticks · Enter in the reason saves · Esc cancels"

    def __init__(self, save: Save, state, profile, notify: Callable[[Any], None] | None = None,
                 *, utc: bool = False, focus: str = "", now: datetime | None = None) -> None:
        super().__init__(save)
        self.state, self.profile = state, profile
        self.after = notify
        self.utc, self.focus_on = utc, focus
        self.now = now or datetime.now(timezone.utc)

    def _typed(self, at: datetime) -> str:
        """When impact started as the field shows it: the app's zone (named in the label), in
        the form the field reads back (a time without a zone is local time)."""
        return at.astimezone(shown_zone(self.utc)).strftime(
            "%Y-%m-%d %H:%M" + ("Z" if self.utc else ""))

    def body(self) -> ComposeResult:
        yield Checkbox(Content("Security incident"), self.state.security, id="facts-security")
        yield Static(Content(""), id="facts-steps", classes="dialog-text")
        yield Checkbox(Content("Customer-impacting"), self.state.customer_impacting,
                       id="facts-customers")
        yield Label(Content("Impacted services (space ticks)"))
        yield SelectionList[str](*[(Content(plain(s)), s, s in self.state.services)
                                   for s in self.profile.services], id="facts-services")
        started = self.state.impact.get("started")
        zone = zone_name(self.utc, started or self.now)
        yield Label(Content(f"Impact started ({zone}; optional)"))
        yield Field(self._typed(started) if started else "", id="facts-started",
                    placeholder="YYYY-MM-DD HH:MM, e.g. 2026-11-22 13:05")
        yield Field(id="facts-reason", placeholder="Reason (required): what you learned")

    def on_mount(self) -> None:
        super().on_mount()
        self._steps()
        self.query_one("#facts-started" if self.focus_on == "started" else "#facts-security").focus()

    @on(Checkbox.Changed, "#facts-security")
    def _steps(self) -> None:
        label = self.query_one("#facts-steps", Static)
        on_now = self.query_one("#facts-security", Checkbox).value
        steps = self.profile.security_steps or ((self.profile.security_note,)
                                                if self.profile.security_note else ())
        if on_now and not self.state.security and steps:
            label.update(Content("\n").join(
                [Content.styled("Security incident: do now", "bold $text-error")]
                + [Content.assemble(("• ", "$text-error"), plain(s)) for s in steps]))
            label.display = True
        else:
            label.display = False

    @on(Input.Submitted, "#facts-started, #facts-reason")
    async def _save(self, event: Input.Submitted) -> None:
        event.stop()
        security = self.query_one("#facts-security", Checkbox).value
        customers = self.query_one("#facts-customers", Checkbox).value
        services = list(self.query_one("#facts-services", SelectionList).selected)
        started = self.query_one("#facts-started", Input).value.strip()
        before = self.state.impact.get("started")
        unchanged_start = before is not None and started == self._typed(before)
        reason = self.query_one("#facts-reason", Input).value
        out: list = []

        def op(w, ref):
            out.append(w.set_facts(
                ref, reason=reason,
                security=None if security == self.state.security else security,
                customer_impacting=None if customers == self.state.customer_impacting else customers,
                services=None if services == self.state.services else services,
                impact_started=None if not started or unchanged_start else started))

        if await self.submit(op) and out and self.after is not None:
            self.after(out[0])


class ChecklistDialog(Dialog):
    """One of the profile's checklists: space ticks (or unticks) a step, an entry each; a
    reason and Enter dismiss the highlighted step (it does not apply)."""

    HINT = "↑↓ step · space ticks · Tab: reason, Enter dismisses it · Esc closes"
    DEFAULT_CSS = "ChecklistDialog #checklist-steps { max-height: 9; }"

    def __init__(self, save: Save, state, profile, name: str = "declare") -> None:
        self.checklist = name  # before the screen's init, which reads the title
        super().__init__(save)
        self.state, self.profile = state, profile
        self.steps = tuple(profile.checklists.get(name, ()))
        self.done = {s for s, e in state.checklists.get(name, {}).items()
                     if e.data.get("outcome") == "done"}
        self.dismissed = {s for s, e in state.checklists.get(name, {}).items()
                          if e.data.get("outcome") == "dismissed"}

    @property
    def TITLE(self) -> str:  # type: ignore[override]
        return {"declare": "Declare checklist", "post_incident": "Post-incident checklist",
                "resolve": "Resolve checklist"}.get(self.checklist, "Checklist")

    def body(self) -> ComposeResult:
        if not self.steps:
            yield Label(_when("This process has no such checklist."), classes="dialog-text")
        yield Label(_when(f"{plain(self.profile.title)}: tick each step as it is done"),
                    classes="dialog-text")
        yield SelectionList[str](*[(self._label(s), s, s in self.done) for s in self.steps],
                                 id="checklist-steps")
        yield Static(Content(""), id="checklist-whole", classes="dialog-text")
        yield Field(id="checklist-reason",
                    placeholder="Does not apply? The reason, then Enter dismisses the step",
                    short="Does not apply? Reason, then Enter")

    def _label(self, step: str) -> Content:
        if step in self.dismissed:
            return Content.assemble((plain(step), "strike $text-muted"), (" (dismissed)", "$text-muted"))
        return Content(plain(step))

    def on_mount(self) -> None:
        super().on_mount()
        listing = self.query_one(SelectionList)
        open_steps = [i for i, s in enumerate(self.steps)
                      if s not in self.done and s not in self.dismissed]
        if open_steps:  # the first step still to do, not the top of a list half ticked
            listing.highlighted = open_steps[0]
        listing.focus()

    @on(SelectionList.SelectionHighlighted, "#checklist-steps")
    def _whole(self, event: SelectionList.SelectionHighlighted) -> None:
        """The highlighted step in full beneath the list (a long one is cut short in it)."""
        step = self.steps[event.selection_index]
        self.query_one("#checklist-whole", Static).update(
            Content.assemble(("▸ ", "$text-muted"), plain(step)))

    @on(SelectionList.SelectionToggled, "#checklist-steps")
    async def _toggled(self, event: SelectionList.SelectionToggled) -> None:
        step = event.selection.value
        outcome = "done" if step in event.selection_list.selected else "undone"
        if await self.submit(lambda w, ref: w.tick_checklist(ref, self.checklist, step, outcome),
                             close=False):
            (self.done.add if outcome == "done" else self.done.discard)(step)

    @on(Input.Submitted, "#checklist-reason")
    async def _dismiss(self, event: Input.Submitted) -> None:
        event.stop()
        listing = self.query_one(SelectionList)
        if listing.highlighted is None:
            self.show_error("choose the step first (↑↓ above)")
            return
        step = self.steps[listing.highlighted]
        reason = event.value
        if await self.submit(lambda w, ref: w.tick_checklist(ref, self.checklist, step, "dismissed",
                                                             reason=reason), close=False):
            self.dismissed.add(step)
            event.input.value = ""
            listing.replace_option_prompt_at_index(listing.highlighted, self._label(step))
            listing.focus()


SNOOZE_MINUTES = (10, 30, 60)
DO_IT = "do"
DISMISS = "dismiss"


class TimersDialog(Dialog):
    """Every running timer; answer the highlighted one: do it now (the dialog whose entry
    satisfies it), snooze it with a reason, or dismiss it with a reason."""

    TITLE = "Answer a timer"
    DEFAULT_CSS = "TimersDialog #timer-list { max-height: 40vh; }"
    HINT = "↑↓ timer · Tab: answer and reason · Enter answers · Esc cancels"

    def __init__(self, save: Save, timers: list, now: Callable[[], datetime],
                 open_for: Callable[[Any], bool]) -> None:
        super().__init__(save)
        self.timers = [t for t in timers if t.applicable]
        self.now, self.open_for = now, open_for

    def body(self) -> ComposeResult:
        now = self.now()
        options = [Option(Content.assemble((plain(t.label), "bold"), "  ",
                                           (t.countdown(now), "bold $text-warning" if t.alerting else ""),
                                           "\n", _when(f"  {t.detail}")), id=t.id)
                   for t in self.timers]
        if not options:
            yield Label(_when("No timer is running."), classes="dialog-text")
        yield OptionList(*options, id="timer-list")
        answers = [Option(Content("Do it now (open what satisfies it)"), id=DO_IT)]
        answers += [Option(Content(f"Snooze {m} minutes"), id=str(m)) for m in SNOOZE_MINUTES]
        answers.append(Option(Content("Dismiss (it does not apply now)"), id=DISMISS))
        yield OptionList(*answers, id="timer-answer")
        yield Field(id="timer-reason", placeholder="Reason (goes in the timeline; required)")

    def on_mount(self) -> None:
        super().on_mount()
        listing = self.query_one("#timer-list", OptionList)
        alerting = [i for i, t in enumerate(self.timers) if t.alerting]
        if self.timers:
            listing.highlighted = alerting[0] if alerting else 0
        self.query_one("#timer-answer", OptionList).highlighted = 0
        listing.focus()

    @property
    def timer(self):
        listing = self.query_one("#timer-list", OptionList)
        return None if listing.highlighted is None else self.timers[listing.highlighted]

    @on(OptionList.OptionSelected, "#timer-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.query_one("#timer-answer").focus()

    @on(OptionList.OptionSelected, "#timer-answer")
    async def _answer_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id == DO_IT:
            await self._answer(DO_IT)
        else:
            self.query_one("#timer-reason").focus()

    @on(Input.Submitted, "#timer-reason")
    async def _reason(self, event: Input.Submitted) -> None:
        event.stop()
        answers = self.query_one("#timer-answer", OptionList)
        choice = answers.get_option_at_index(answers.highlighted or 0).id
        await self._answer(str(choice))

    async def _answer(self, choice: str) -> None:
        timer = self.timer
        if timer is None:
            self.show_error("no timer chosen")
            return
        if choice == DO_IT:
            self.dismiss(None)
            if not self.open_for(timer):
                self.app.notify(f"{timer.label}: answer it by writing the entry it asks for",
                                markup=False)
            return
        reason = self.query_one("#timer-reason", Input).value
        if not reason.strip():
            self.show_error("say why: type the reason, then Enter")
            self.query_one("#timer-reason").focus()
            return
        if choice == DISMISS:
            await self.submit(lambda w, ref: w.record_prompt(ref, timer.id, "dismissed", reason=reason))
            return
        until = self.now() + timedelta(minutes=int(choice))
        await self.submit(lambda w, ref: w.record_prompt(ref, timer.id, "snoozed", reason=reason,
                                                         until=until))
