"""The process keys (issue 13): escalation (x), support ticket (k), facts (g), checklist (l)
and answering a timer (w), each with its cancel path; the declare checklist after declaring."""

from __future__ import annotations

from textual.widgets import Checkbox, Input, OptionList, SelectionList

from tests.app.conftest import paste, press, ready, rows, settle, writer
from warroom.app.dialogs.process import (ChecklistDialog, EscalationDialog, FactsDialog,
                                         TicketDialog, TimersDialog)
from warroom.app.screens.war_room import WarRoomScreen


def kinds_since(app, before):
    return [(e.kind, e.text) for e in app.screen.timeline._entries[before:]] if isinstance(
        app.screen, WarRoomScreen) else None


async def test_x_records_an_escalation_from_the_chain_and_escape_cancels(make_app, sample_db):
    path, ref = sample_db
    other = writer(path)
    dxw = other.declare("Sites down", profile="dxw", severity="critical", lead="tester").incident
    app = make_app(ref=dxw)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        before = app.screen.state.entry_count
        await press(pilot, "x")
        assert isinstance(app.screen, EscalationDialog)
        await press(pilot, "escape")
        assert isinstance(app.screen, WarRoomScreen) and app.screen.state.entry_count == before
        await press(pilot, "x")
        chain = app.screen.query_one("#escalation-chain", OptionList)
        assert chain.option_count == 7  # six levels and "someone else"
        assert app.screen.query_one("#escalation-to", Input).value == "2nd line support"
        await press(pilot, "enter")  # chosen: on to "how"
        assert app.screen.focused.id == "escalation-how"
        await paste(pilot, "phone")
        await press(pilot, "enter")  # on to the note (Enter does not save from "how")
        assert app.screen.focused.id == "escalation-note"
        await press(pilot, "enter")  # no note: saved as it is
        assert isinstance(app.screen, WarRoomScreen)
        entry = app.screen.timeline._entries[-1]
        assert (entry.kind, entry.data) == ("escalation", {"to": "2nd line support",
                                                          "level": "2nd line support", "level_no": 1,
                                                          "how": "phone"})
        # The timeline says who (which level of the chain) and how.
        assert rows(app)[-1].endswith("Escalated to Level 1 (2nd line support) by phone")
        # The next level still to call is offered next.
        await press(pilot, "x")
        assert app.screen.query_one("#escalation-to", Input).value == "Technical Director"
        await press(pilot, "escape")


async def test_escalation_to_nobody_is_refused_in_the_dialog(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        before = app.screen.state.entry_count
        await press(pilot, "x", "enter")  # "someone else": the name is cleared
        assert app.screen.focused.id == "escalation-to"
        await press(pilot, "enter")
        assert isinstance(app.screen, EscalationDialog)
        assert "say who" in str(app.screen.query_one(".dialog-error").render())
        await paste(pilot, "Duty manager")
        await press(pilot, "enter")
        assert app.screen.focused.id == "escalation-how"
        await press(pilot, "ctrl+s")  # saves from any field
        assert isinstance(app.screen, WarRoomScreen)
        assert app.screen.state.entry_count == before + 1
        assert app.screen.state.escalations[-1].data == {"to": "Duty manager"}


async def test_k_logs_a_support_ticket_and_escape_cancels(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        before = app.screen.state.entry_count
        await press(pilot, "k", "escape")
        assert app.screen.state.entry_count == before
        await press(pilot, "k")
        assert isinstance(app.screen, TicketDialog)
        await press(pilot, "enter")  # AWS chosen: on to the case id
        assert app.screen.focused.id == "ticket-case"
        await paste(pilot, "171682304100512")
        await press(pilot, "enter")
        assert app.screen.focused.id == "ticket-note"
        await paste(pilot, "raised from core-network-services")
        await press(pilot, "enter")
        assert isinstance(app.screen, WarRoomScreen)
        entry = app.screen.timeline._entries[-1]
        assert entry.kind == "ticket" and entry.data == {"party": "AWS", "reference": "171682304100512"}
        assert rows(app)[-1].endswith("Ticket AWS case 171682304100512 — raised from core-network-services")
        # Another supplier, typed; Enter on an empty supplier is refused where it is.
        await press(pilot, "k", "up", "enter")
        assert app.screen.focused.id == "ticket-supplier"
        await press(pilot, "enter")
        assert "say which supplier" in str(app.screen.query_one(".dialog-error").render())
        await paste(pilot, "Aiven")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, WarRoomScreen)
        assert rows(app)[-1].endswith("Ticket Aiven (no case id)")


async def test_g_sets_the_security_flag_with_a_reason_and_shows_the_steps(make_app, sample_db):
    path, _ = sample_db
    paas = writer(path).declare("Tenants see 500s", profile="govuk-paas", severity="P1").incident
    app = make_app(ref=paas)
    async with app.run_test(size=(80, 30)) as pilot:
        await ready(pilot)
        before = app.screen.state.entry_count
        await press(pilot, "g", "escape")
        assert app.screen.state.entry_count == before
        await press(pilot, "g")
        assert isinstance(app.screen, FactsDialog)
        await press(pilot, "space")
        assert app.screen.query_one("#facts-security", Checkbox).value
        assert "Information Assurance" in str(app.screen.query_one("#facts-steps").render())
        app.screen.query_one("#facts-reason").focus()
        await press(pilot, "enter")  # no reason: refused, stays open
        assert isinstance(app.screen, FactsDialog)
        await paste(pilot, "keys in a public log")
        await press(pilot, "enter")
        assert isinstance(app.screen, WarRoomScreen)
        assert app.screen.state.security
        notes = [n.message for n in app._notifications]
        assert any("Information Assurance" in m for m in notes)


async def test_l_ticks_and_dismisses_declare_steps_each_an_entry(make_app, sample_db):
    path, _ = sample_db  # (the sample's lead has ticked most steps: a new incident here)
    ref = writer(path).declare("Queue backlog", lead="other").incident
    app = make_app(ref)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        before = app.screen.state.entry_count
        await press(pilot, "l")
        assert isinstance(app.screen, ChecklistDialog)
        await press(pilot, "space", "down")  # tick the first step
        await press(pilot, "tab")
        await paste(pilot, "PagerDuty raised it already")
        await press(pilot, "enter")  # dismiss the second step with the reason
        await press(pilot, "escape")
        await settle(pilot)
        entries = [e for e in app.screen.timeline._entries if e.seq > before]
        assert [(e.kind, e.data["outcome"], e.data["index"]) for e in entries] == [
            ("checklist", "done", 1), ("checklist", "dismissed", 2)]
        steps = app.screen.profile.checklists["declare"]
        assert app.screen.state.checklist_open("declare", steps) == list(steps[2:])


async def test_w_snoozes_and_dismisses_a_timer_with_a_reason_and_do_it_opens_the_dialog(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        before = app.screen.state.entry_count
        await press(pilot, "w", "escape")
        assert app.screen.state.entry_count == before
        await press(pilot, "w")
        assert isinstance(app.screen, TimersDialog)
        assert app.screen.timer.id == "summary"
        await press(pilot, "enter", "down")  # to the answers: "Snooze 10 minutes"
        await press(pilot, "enter")  # a reason is asked for
        await press(pilot, "enter")
        assert isinstance(app.screen, TimersDialog)  # no reason: refused
        await paste(pilot, "on a call with AWS")
        await press(pilot, "enter")
        assert isinstance(app.screen, WarRoomScreen)
        entry = app.screen.timeline._entries[-1]
        assert entry.kind == "prompt" and entry.data["outcome"] == "snoozed"
        assert entry.data["reason"] == "on a call with AWS"
        await press(pilot, "w", "down", "enter")  # the status update timer
        answers = app.screen.query_one("#timer-answer", OptionList)
        answers.highlighted = 4  # dismiss
        await press(pilot, "enter")
        await paste(pilot, "final update already sent")
        await press(pilot, "enter")
        entry = app.screen.timeline._entries[-1]
        assert (entry.data["timer"], entry.data["outcome"]) == ("status_update", "dismissed")
        await press(pilot, "w", "enter", "enter")  # do it now: the summary dialog opens
        await settle(pilot)
        from warroom.app.dialogs.summary_prompt import SummaryPrompt
        assert isinstance(app.screen, SummaryPrompt)


async def test_declaring_opens_the_declare_checklist(make_app, tmp_path):
    app = make_app(ref=None, db=tmp_path / "empty.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await paste(pilot, "Tenants see 500s")
        screen = app.screen
        listing = screen.query_one("#declare-profile", OptionList)
        listing.highlighted = [o.id for o in listing._options].index("govuk-paas")
        await settle(pilot)
        await press(pilot, "ctrl+s")  # the severity was never looked at: asked once
        assert "severity" in str(screen.query_one("#declare-error").render())
        await press(pilot, "ctrl+s")
        for _ in range(20):
            await settle(pilot)
            if isinstance(app.screen, ChecklistDialog):
                break
        assert isinstance(app.screen, ChecklistDialog)
        assert app.screen.checklist == "declare"
        assert app.screen.query_one(SelectionList).option_count == 6


async def test_resolved_incident_shows_the_review_and_post_incident_steps(make_app, sample_db):
    path, ref = sample_db
    writer(path).change_status(ref, "resolved", "Reverted the NACL change")
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        text = str(app.screen.query_one("#timers").render())
        assert "Post-incident re" in text and "Post-incident (l)" in text
        assert "Schedule a blameless" in text


async def test_a_change_by_someone_not_the_lead_is_flagged_on_the_role_board(make_app, sample_db):
    """GOV.UK PaaS: only the incident lead changes production."""
    from warroom.app.widgets.role_board import RoleBoard

    path, _ = sample_db
    other = writer(path)  # types as "other"
    paas = other.declare("Tenants see 500s", profile="govuk-paas", severity="P1", lead="tester").incident
    app = make_app(ref=paas)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        board = app.screen.query_one(RoleBoard)
        await press(pilot, "c")
        await paste(pilot, "Scaled the router pool to 6")
        await press(pilot, "enter")  # the lead's own change: nothing to say
        assert not [w for w in board.warnings if w.kind == "change_by"]
        seq = other.log(paas, "change", "Restarted the API on cell 3").seq
        for _ in range(20):  # written behind the app's back: the feed brings it
            await settle(pilot)
            if [w for w in board.warnings if w.kind == "change_by"]:
                break
        [warning] = [w for w in board.warnings if w.kind == "change_by"]
        assert warning.text == f"change #{seq} by other, not tester"
        shown = " ".join(str(board.render()).split())  # the board wraps its warnings
        assert f"! change #{seq} by other, not tester" in shown
        # Said in full, once, as it arrives.
        said = [n.message for n in app._notifications if "changes production" in n.message]
        assert said == [f"change #{seq} logged by other, but tester was the Incident lead: "
                        "only the Incident lead changes production"]


async def test_dxw_minor_out_of_hours_says_only_critical_is_responded_to(make_app, sample_db):
    from warroom.base.clock import FrozenClock

    path, _ = sample_db
    night = FrozenClock("2026-11-22T23:10:00Z")
    dxw = writer(path, clock=night).declare("Search slow", profile="dxw", severity="minor",
                                            lead="tester").incident
    app = make_app(ref=dxw, clock=night)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        head = str(app.screen.query_one("#summary-head").render())
        assert "Minor out of hours: Critical only till 10:00" in head
        await press(pilot, "v", "up", "up", "enter")  # from Minor up to Critical, with a reason
        await paste(pilot, "the client raised an emergency ticket")
        await press(pilot, "enter")
        for _ in range(10):
            await settle(pilot)
            if app.screen.state.severity == "critical":
                break
        assert "out of hours:" not in str(app.screen.query_one("#summary-head").render())


async def test_handover_dialog_shows_the_whole_role_description_and_the_comms_role_now_required(
        make_app, sample_db):
    """dxw: "If you are not confident being the lead, you should hand it over to someone more
    senior" (the description's last sentence, once cut off); a client comms manager is
    required once the incident affects clients, and is offered first."""
    from warroom.app.dialogs.handover import HandoverDialog

    path, _ = sample_db
    other = writer(path)
    dxw = other.declare("Sites down", profile="dxw", severity="critical", lead="tester").incident
    app = make_app(ref=dxw)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await press(pilot, "o")
        assert isinstance(app.screen, HandoverDialog) and app.screen.role.id == "lead"
        duties = app.screen.query_one("#role-duties")
        assert duties.size.height >= 3  # wrapped, not cut at the dialog's edge
        assert "hand it over to someone more senior" in str(duties.render())
        await press(pilot, "escape")
        other.set_facts(dxw, customer_impacting=True, reason="three client sites are down")
        for _ in range(20):
            await settle(pilot)
            if app.screen.state.customer_impacting:
                break
        await press(pilot, "o")
        assert app.screen.role.id == "comms"
        assert "VACANT" in str(app.screen.query_one("#role-list", OptionList).get_option_at_index(1).prompt)
        await press(pilot, "escape")


async def test_checklist_opens_at_the_first_step_still_to_do(make_app, sample_db):
    app = make_app()  # the sample: its lead ticked every declare step but the fifth
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await press(pilot, "l")
        assert app.screen.query_one(SelectionList).highlighted == 4
        await press(pilot, "escape")
    path, _ = sample_db
    ref = writer(path).declare("Queue backlog", lead="other").incident
    app = make_app(ref)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await press(pilot, "l", "space", "down", "space", "escape")
        await press(pilot, "l")
        assert app.screen.query_one(SelectionList).highlighted == 2
        await press(pilot, "escape")
