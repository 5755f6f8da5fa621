"""The four seed processes end to end (issue 13), through the domain API on a frozen clock.

Each test runs a realistic incident the way the team's document says: declare, tick the
declare checklist, the first update, roles, escalation, support ticket, the security or
customer flag where the process has one, a severity change, resolve with its checklist. The
comments name the line of reference/process-audit.md each assertion answers (✘ or ◐ there).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from warroom.base.errors import ValidationError, WarroomError
from warroom.core.domain import Warroom
from warroom.core.roles import role_warnings
from warroom.core.rules import changes_by_others, out_of_hours_scope
from warroom.core.summary_draft import summary_draft
from warroom.core.timers import compute_timers, find
from warroom.core.timers import TimerState as S

UTC = timezone.utc
LONDON = ZoneInfo("Europe/London")


def london(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON).astimezone(UTC)


def timer(wr, ref, timer_id):
    found = find(compute_timers(wr.incident_profile(ref), wr.state(ref), wr.clock.now()), timer_id)
    assert found is not None, timer_id
    return found


def tick_all(wr, ref, name="declare"):
    for step in wr.incident_profile(ref).checklists[name]:
        wr.tick_checklist(ref, name, step)
    assert wr.state(ref).checklist_open(name, wr.incident_profile(ref).checklists[name]) == []


def as_user(wr, user):
    """The same log, another person typing."""
    return Warroom(wr.store, wr.profiles, clock=wr.clock, user=user, host="h", session=user)


def section(report: str, title: str) -> str:
    return report.split(f"## {title}", 1)[1].split("\n## ", 1)[0]


def test_modernisation_platform(wr):
    wr.clock.set(london("2026-11-23 14:00"))
    prof = wr.profile("modernisation-platform")
    # ✘ "If torn, choose the higher" is not the document's: no severity_note, none shown.
    assert prof.severity_note == ""
    ref = wr.declare("Checkout 503s", profile="modernisation-platform", severity="p2",
                     services=["networking"]).incident
    # ◐ the pending status-page update is part of declaring: the update is due at once.
    t = timer(wr, ref, "status_update")
    assert t.due_at == london("2026-11-23 14:00") and t.state is S.DUE
    # ✘ warroom's own cadences say so.
    assert "warroom default" in timer(wr, ref, "summary").detail
    # ◐ declare steps (/pd trigger, public channel, volunteers, status page) ticked, each an entry.
    tick_all(wr, ref)
    wr.clock.set(london("2026-11-23 14:05"))
    wr.post_update(ref, "We are investigating a problem affecting networking.",
                   template="investigating")
    t = timer(wr, ref, "status_update")
    assert t.due_at == london("2026-11-23 15:05") and "warroom default" in t.detail
    wr.assign_role(ref, "lead", "grace")
    wr.assign_role(ref, "scribe", "sam")
    # ◐ AWS support: logged as a ticket with the case id.
    wr.log_ticket(ref, "aws", "171682304100512", "Raised from core-network-services")
    # No escalation chain and no deadline: recording one is still possible and reported.
    wr.log_escalation(ref, "Head of Hosting (duty manager)")
    wr.set_facts(ref, security=True, reason="the NACL change exposed a subnet")
    wr.change_severity(ref, "p1", "every member application is down")
    wr.clock.set(london("2026-11-23 15:00"))
    wr.change_status(ref, "resolved", "Reverted the NACL change",
                     checklist={s: True for s in prof.checklists["resolve"]})
    review = timer(wr, ref, "review")
    assert review.due_at == london("2026-11-30 15:00") and "warroom default" in review.detail
    report = wr.export_report(ref, tz="UTC")
    tickets = section(report, "Third-party support tickets")
    escalations = section(report, "Escalations")
    assert "| AWS | 171682304100512 |" in tickets and "Head of Hosting" not in tickets
    assert "| Head of Hosting (duty manager) | not in the profile's chain |" in escalations
    assert "AWS" not in escalations
    post = section(report, "Post-incident")
    assert "warroom default" in post and "per Modernisation" not in post
    assert post.count("- [x]") == len(prof.checklists["declare"])
    with pytest.raises(WarroomError, match="security incident"):
        wr.export_report(ref, public=True)  # a security incident: refused as before


def test_analytical_platform(wr):
    wr.clock.set(london("2026-11-23 09:00"))
    prof = wr.profile("analytical-platform")
    # ✘ "All Good" is the resolved state, not a live severity.
    with pytest.raises(ValidationError, match="resolved incident"):
        wr.declare("x", profile="analytical-platform", severity="all-good")
    ref = wr.declare("Compute down", profile="analytical-platform", severity="minor",
                     services=["compute"], lead="dana").incident
    with pytest.raises(ValidationError, match="resolved incident"):
        wr.change_severity(ref, "all good", "looks fine")
    # ✘ declaring begins with the status-page update: due at declaration.
    assert timer(wr, ref, "status_update").due_at == london("2026-11-23 09:00")
    assert "part of declaring" in timer(wr, ref, "status_update").detail
    # ◐ the single Slack thread with its :thread: opener: a declare step the lead ticks.
    assert any(":thread:" in step for step in prof.checklists["declare"])
    tick_all(wr, ref)
    wr.post_update(ref, "We are investigating a problem affecting compute.",
                   template="investigating", next_update=timedelta(minutes=30))
    # "Time till Next Update" chosen with the update is honoured (the team's rule, no label).
    t = timer(wr, ref, "status_update")
    assert t.due_at == london("2026-11-23 09:30") and "warroom default" not in t.detail
    # ✘ invented rules labelled.
    assert "warroom default" in timer(wr, ref, "summary").detail
    wr.assign_role(ref, "scribe", "eli")
    wr.log_ticket(ref, "AWS", "case-42")  # ◐ AWS support
    wr.set_facts(ref, customer_impacting=True, reason="user dashboards fail")
    wr.change_severity(ref, "major", "all user applications are down")
    wr.change_status(ref, "resolved", "Node group replaced",
                     checklist={s: True for s in prof.checklists["resolve"]})
    # All Good describes the resolved incident: allowed now.
    wr.change_severity(ref, "all-good", "All Good posted on the status page")
    assert timer(wr, ref, "review").state is S.UPCOMING
    report = wr.export_report(ref, tz="UTC")
    assert "| AWS | case-42 |" in section(report, "Third-party support tickets")
    assert "warroom default" in section(report, "Post-incident")


def test_dxw_critical(wr):
    # Declared in working hours at 17:00; runs into the evening.
    wr.clock.set(london("2026-11-23 17:00"))
    prof = wr.profile("dxw")
    ref = wr.declare("example.com errors", profile="dxw", severity="critical",
                     services=["client sites"], lead="ana").incident
    # ◐ the lead may hand over to someone more senior: the role's description says so (the
    # handover dialog shows it).
    assert "more senior" in prof.role("lead").description
    # ◐ Critical call list: 2nd line, Technical Director, Head of TechOps, ISM, at once.
    t = timer(wr, ref, "escalation")
    assert t.state is S.DUE and t.due_at == london("2026-11-23 17:00")
    for name in ("2nd line support", "Technical Director", "Head of Technical Operations",
                 "Information Security Manager"):
        assert name in t.detail
    assert "Data Protection Officer" not in t.detail
    tick_all(wr, ref)
    wr.post_update(ref, "We are aware of a problem affecting client sites.",
                   template="investigating")
    # ✘ escalation to 2nd line can be recorded; the clock stops once every level is called.
    wr.log_escalation(ref, "2nd line support", how="phone", text="woke Sam")
    assert "2nd line" not in timer(wr, ref, "escalation").detail
    # Who, which level and how: in the lead summary's draft as in the timeline.
    draft = summary_draft(wr.state(ref), wr.entries(ref), profile=prof)
    assert "- Escalated to Level 1 (2nd line support) by phone — woke Sam" in draft
    for name in ("Technical Director", "Head of Technical Operations", "Information Security Manager"):
        wr.log_escalation(ref, name, how="Slack")
    assert timer(wr, ref, "escalation").state is S.NOT_APPLICABLE
    # ✘ client comms manager required when the incident affects clients.
    assert not [t for t in compute_timers(prof, wr.state(ref), wr.clock.now()) if t.id == "vacant_comms"]
    result = wr.set_facts(ref, customer_impacting=True, reason="three client sites are down")
    assert result.roles_now_required == ("Client comms manager",)
    assert timer(wr, ref, "vacant_comms").state is S.DUE
    wr.assign_role(ref, "comms", "cat")
    # Security: the Data Protection Officer joins the call list.
    result = wr.set_facts(ref, security=True, reason="privilege escalation by an unapproved user")
    assert any("Data Protection Officer" in s for s in result.security_steps)
    wr.clock.set(london("2026-11-23 17:10"))
    assert "Data Protection Officer" in timer(wr, ref, "escalation").detail
    wr.log_escalation(ref, "Data Protection Officer")
    assert timer(wr, ref, "escalation").state is S.NOT_APPLICABLE
    # ✘ Critical continues out of hours: no 2-hour stop.
    wr.clock.set(london("2026-11-23 20:30"))
    t = timer(wr, ref, "out_of_hours")
    assert t.state is S.NOT_APPLICABLE and "continues out of hours" in t.detail
    # ◐ "Out of hours ... only respond to critical alerts and emergency tickets": Critical is.
    assert out_of_hours_scope(prof, wr.state(ref), wr.clock.now()) is None
    # Downgraded: the stop runs from 18:00 (declared in hours, still running out of hours).
    wr.change_severity(ref, "minor", "only search is broken now")
    t = timer(wr, ref, "out_of_hours")
    assert t.due_at == london("2026-11-23 20:00") and t.state is S.OVERDUE
    # ...and Minor is not responded to out of hours: said, with when working hours resume.
    scope = out_of_hours_scope(prof, wr.state(ref), wr.clock.now())
    assert scope is not None and scope.short == "Minor out of hours: Critical only till 10:00"
    assert "only respond to critical alerts and emergency tickets" in scope.text
    # In working hours it does not apply.
    assert out_of_hours_scope(prof, wr.state(ref), london("2026-11-24 10:00")) is None
    wr.clock.set(london("2026-11-23 21:00"))
    wr.change_status(ref, "resolved", "Restored from backup",
                     checklist={s: True for s in prof.checklists["resolve"]})
    assert timer(wr, ref, "review").due_at == london("2026-11-30 21:00")
    report = wr.export_report(ref, tz="UTC")
    escalations = section(report, "Escalations")
    assert "| 2nd line support | level 1 of 6 | phone | woke Sam |" in escalations
    assert "Data Protection Officer | level 5 of 6" in escalations
    assert "Not recorded" not in escalations
    timeline = section(report, "Timeline")
    assert "Escalated to Level 1 (2nd line support) by phone — woke Sam |" in timeline
    assert "Escalated to Level 5 (Data Protection Officer) |" in timeline
    # dxw names no role that alone changes production: nothing said about who logged changes.
    assert "changes production" not in report


def test_dxw_minor_out_of_hours_says_who_is_responded_to(wr):
    wr.clock.set(london("2026-11-23 23:10"))
    prof = wr.profile("dxw")
    ref = wr.declare("Search slow", profile="dxw", severity="minor", lead="ana").incident
    scope = out_of_hours_scope(prof, wr.state(ref), wr.clock.now())
    assert scope is not None and "till 10:00" in scope.short
    # An emergency ticket raised to Critical: responded to now.
    wr.change_severity(ref, "critical", "the client raised an emergency ticket")
    assert out_of_hours_scope(prof, wr.state(ref), wr.clock.now()) is None
    # Trivial is retrospective: handled after the fact anyway, nothing to say.
    trivial = wr.declare("Blip at 03:00", profile="dxw", severity="trivial", lead="ana").incident
    assert out_of_hours_scope(prof, wr.state(trivial), wr.clock.now()) is None


def test_dxw_trivial_is_retrospective(wr):
    wr.clock.set(london("2026-11-23 11:00"))
    ref = wr.declare("Short outage at 03:00", profile="dxw", severity="trivial", lead="ana").incident
    ts = compute_timers(wr.profile("dxw"), wr.state(ref), wr.clock.now())
    # ✘ Trivial incidents are retrospective: no live clocks and no review clock.
    assert not [t for t in ts if t.applicable]
    assert "retrospective" in find(ts, "summary").detail
    wr.change_status(ref, "resolved", "Written up")
    assert "retrospective" in timer(wr, ref, "review").detail


def test_govuk_paas_p1(wr):
    wr.clock.set(london("2026-11-23 02:00"))
    prof = wr.profile("govuk-paas")
    ref = wr.declare("Tenants see 500s", profile="govuk-paas", severity="p1",
                     services=["platform"]).incident
    # ◐ respond within 20 minutes: a clock from declaration.
    t = timer(wr, ref, "response")
    assert t.due_at == london("2026-11-23 02:20") and t.state is S.UPCOMING
    # ✘ the "Possible issue being investigated" Statuspage update is part of declaring.
    assert timer(wr, ref, "status_update").due_at == london("2026-11-23 02:00")
    wr.clock.set(london("2026-11-23 02:12"))
    wr.assign_role(ref, "lead", "lee")  # the first response
    t = timer(wr, ref, "response")
    assert t.state is S.NOT_APPLICABLE and "12m after declaring" in t.detail
    wr.assign_role(ref, "comms", "cam")
    # ◐ "only the incident lead can do this" (changes to production): a change logged by
    # someone else is flagged on the role board and in the report; the lead's own, or one that
    # names the lead (recorded on their behalf), is not.
    as_user(wr, "lee").log(ref, "change", "Scaled the router pool to 6")
    as_user(wr, "cam").log(ref, "change", "lee rolled back the router release")
    assert changes_by_others(prof, wr.state(ref)) == []
    cam_change = as_user(wr, "cam").log(ref, "change", "Restarted the API on cell 3")
    [warning] = [w for w in role_warnings(wr.state(ref), prof, wr.clock.now()) if w.kind == "change_by"]
    assert warning.text == f"change #{cam_change.seq} by cam, not lee"
    [found] = changes_by_others(prof, wr.state(ref))
    assert found.text == (f"change #{cam_change.seq} logged by cam, but lee was the Incident lead: "
                          "only the Incident lead changes production")
    tick_all(wr, ref)
    wr.post_update(ref, "We are investigating a possible issue.", template="possible-issue")
    # ✘ "Update tenants hourly".
    assert timer(wr, ref, "status_update").due_at == london("2026-11-23 03:12")
    # ◐ escalation path: the rota, in order.
    wr.log_escalation(ref, "PaaS escalation rota", how="PagerDuty")
    # ◐ AWS / Aiven support.
    wr.log_ticket(ref, "aws", "9876543210", "click to call: critical")
    # ✘ a suspected breach: Information Assurance at once; the flag can be set later.
    result = wr.set_facts(ref, security=True, reason="suspicious API keys in the logs")
    assert result.security_steps[0] == "Alert Information Assurance (IA) immediately"
    t = timer(wr, ref, "escalation")
    assert t.state is S.DUE and "Information Assurance" in t.detail
    wr.log_escalation(ref, "Information Assurance (IA)", how="phone")
    assert timer(wr, ref, "escalation").state is S.NOT_APPLICABLE
    # P2: still hourly (the team's page), not the GDS Way's two hours.
    wr.clock.set(london("2026-11-23 02:40"))
    wr.change_severity(ref, "p2", "some tenants recovered")
    assert timer(wr, ref, "status_update").due_at == london("2026-11-23 03:12")
    wr.clock.set(london("2026-11-23 04:00"))
    wr.change_status(ref, "resolved", "Rolled back the router release",
                     checklist={s: True for s in prof.checklists["resolve"]})
    assert timer(wr, ref, "review").due_at == london("2026-11-30 04:00")
    report = wr.export_report(ref, tz="UTC")
    escalations = section(report, "Escalations")
    assert "First response: 2026-11-23 02:12" in escalations and "target at P1" in escalations
    assert "| PaaS escalation rota | level 1 of 5 | PagerDuty |" in escalations
    assert "| Information Assurance (IA) | level 5 of 5 | phone |" in escalations
    tickets = section(report, "Third-party support tickets")
    assert "| AWS | 9876543210 | click to call: critical |" in tickets
    assert "escalation rota" not in tickets
    timeline = section(report, "Timeline")
    assert "Escalated to Level 1 (PaaS escalation rota) by PagerDuty |" in timeline
    assert "Ticket AWS case 9876543210 — click to call: critical |" in timeline
    changes = section(report, "Actions taken and changes made")
    assert "Only the Incident lead changes production; logged by someone else:" in changes
    assert (f"- `#{cam_change.seq}` at 2026-11-23 02:12:00 UTC by cam: lee was the "
            "Incident lead") in changes
    with pytest.raises(WarroomError, match="security incident"):
        wr.export_report(ref, public=True)  # ✔ still refuses a security incident
