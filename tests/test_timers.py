"""The timer engine against real incidents in a real SQLite store, with a frozen clock.

Every timer of every built-in profile; restarts (a fresh projection from a reopened database
gives the same timers); snoozes and dismissals; the out-of-hours edges in Europe/London, both
daylight-saving change days and an incident across midnight.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from warroom.base.clock import FrozenClock
from warroom.core.domain import Warroom
from warroom.core.profiles import BUILTIN_NAMES
from warroom.core.state import IncidentState
from warroom.core.summary_draft import summary_draft
from warroom.core.timers import (
    DUE_GRACE, Timer, TimerState, compute_timers, describe_lateness, find, lateness,
    next_change, summary_lateness, working_hours_resume,
)
from warroom.store import Store

UTC = timezone.utc
LONDON = ZoneInfo("Europe/London")
S = TimerState


def london(text: str) -> datetime:
    """A wall-clock time in London (``2026-03-29 18:00``) as UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=LONDON).astimezone(UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def timers_now(wr: Warroom, ref: str) -> list[Timer]:
    return compute_timers(wr.incident_profile(ref), wr.state(ref), wr.clock.now())


def timer(wr: Warroom, ref: str, timer_id: str) -> Timer:
    found = find(timers_now(wr, ref), timer_id)
    assert found is not None, f"no timer {timer_id}"
    return found


def at(wr: Warroom, when: datetime | str) -> None:
    assert isinstance(wr.clock, FrozenClock)
    wr.clock.set(when)


def declare(wr: Warroom, profile: str, when: datetime | str, **kw) -> str:
    at(wr, when)
    return wr.declare("Sites are down", profile=profile, **kw).incident


def assert_same_after_restart(wr: Warroom, ref: str, db_path) -> list[Timer]:
    """Incremental state (as the app folds the feed) and a fresh projection from a freshly
    opened store give exactly the same timers."""
    now = wr.clock.now()
    profile = wr.incident_profile(ref)
    folded = IncidentState(ref=ref)
    for entry in wr.entries(ref):
        folded.apply(entry)
        folded.apply(entry)  # the feed may repeat itself
    before = compute_timers(profile, folded, now)
    again = Store.open(db_path)
    try:
        fresh = Warroom(again, wr.profiles, clock=FrozenClock(now), user="bob")
        after = compute_timers(fresh.incident_profile(ref), fresh.state(ref), now)
    finally:
        again.close()
    assert after == before
    return after


# ---------------------------------------------------------------------- every profile
@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_every_profile_every_timer_from_declaration(wr, db_path, name):
    prof = wr.profile(name)
    start = utc("2026-11-23T12:00:00")  # Monday, midday, GMT: working hours everywhere
    ref = declare(wr, name, start, lead="alice")
    ts = timers_now(wr, ref)
    ids = [t.id for t in ts]
    assert ids[:5] == ["summary", "status_update", "response", "escalation", "out_of_hours"]
    assert "review" in ids

    summary = find(ts, "summary")
    assert prof.cadences.summary == timedelta(minutes=30)  # every built-in prompts every 30 min
    assert summary.state is S.UPCOMING and summary.due_at == start + prof.cadences.summary

    update = find(ts, "status_update")
    interval = prof.status_update_interval(wr.state(ref).severity)
    if prof.cadences.first_update_at_declaration:  # the first update is part of declaring
        assert update.due_at == start and update.state is S.DUE
    else:
        assert update.due_at == start + interval and update.state is S.UPCOMING

    escalation = find(ts, "escalation")
    if prof.cadences.escalate_after:
        assert escalation.due_at == start + prof.cadences.escalate_after
    else:
        assert escalation.state is S.NOT_APPLICABLE

    ooh = find(ts, "out_of_hours")
    if prof.cadences.out_of_hours:  # declared in working hours: the stop runs from 18:00
        assert ooh.due_at == utc("2026-11-23T20:00:00") and ooh.state is S.UPCOMING
    else:
        assert ooh.state is S.NOT_APPLICABLE

    if prof.cadences.rotation:
        assert find(ts, "rotation_lead").due_at == start + prof.cadences.rotation
    else:
        assert find(ts, "rotation").state is S.NOT_APPLICABLE

    review = find(ts, "review")
    assert review.state is S.NOT_APPLICABLE and "resolution" in review.detail

    vacant = {t.role for t in ts if t.kind == "vacant"}
    assert vacant == {r.id for r in prof.roles if r.required and r.id != "lead"}

    # Half an hour on, nothing written: the summary is due, then counts up as overdue.
    at(wr, start + timedelta(minutes=30))
    assert timer(wr, ref, "summary").state is S.DUE
    at(wr, start + timedelta(minutes=30) + DUE_GRACE)
    summary = timer(wr, ref, "summary")
    assert summary.state is S.OVERDUE
    assert summary.countdown(wr.clock.now()) == "1m late"

    # Resolve: the incident's clocks stop, the review's starts.
    wr.change_status(ref, "resolved", "Rolled back")
    resolved = wr.clock.now()
    ts = assert_same_after_restart(wr, ref, db_path)
    for tid in ("summary", "status_update", "escalation", "out_of_hours"):
        assert find(ts, tid).state is S.NOT_APPLICABLE, tid
    assert not [t for t in ts if t.kind in ("vacant",)]
    review = find(ts, "review")
    assert review.due_at == resolved + prof.cadences.review_within == resolved + timedelta(days=7)
    assert review.state is S.UPCOMING


@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_every_profile_restart_gives_the_same_timers(wr, db_path, name):
    prof = wr.profile(name)
    ref = declare(wr, name, london("2026-11-23 23:10"))  # out of hours, across midnight
    wr.assign_role(ref, prof.roles[0].id, "alice")
    wr.log(ref, "decision", "Fail over to the standby")
    at(wr, london("2026-11-23 23:45"))
    wr.record_prompt(ref, "summary", "snoozed", reason="on a call",
                     until=london("2026-11-23 23:55"))
    wr.post_update(ref, "Investigating", next_update=timedelta(minutes=20))
    at(wr, london("2026-11-24 00:20"))
    wr.write_summary(ref, "Still failing over")
    if len(prof.roles) > 1:
        wr.assign_role(ref, prof.roles[1].id, "bob")
    for minutes in (0, 1, 29, 30, 31, 95, 200, 700):
        at(wr, london("2026-11-24 00:20") + timedelta(minutes=minutes))
        assert_same_after_restart(wr, ref, db_path)


# ---------------------------------------------------------------------- lead summary
def test_summary_restarts_at_each_summary_and_ignores_amendments(wr, db_path):
    ref = declare(wr, "dxw", "2026-11-23T14:00:00Z", lead="alice")
    at(wr, "2026-11-23T14:20:00Z")
    first = wr.write_summary(ref, "Looking at the load balancer")
    t = timer(wr, ref, "summary")
    assert t.due_at == utc("2026-11-23T14:50:00") and t.started_at == utc("2026-11-23T14:20:00")
    at(wr, "2026-11-23T14:40:00Z")
    wr.amend(ref, first.seq, "Looking at the load balancer and DNS")
    assert timer(wr, ref, "summary").due_at == utc("2026-11-23T14:50:00")  # a fix is not a summary
    at(wr, "2026-11-23T14:45:00Z")
    wr.log(ref, "summary", "Typed by hand, not prompted")
    assert timer(wr, ref, "summary").due_at == utc("2026-11-23T15:15:00")
    assert_same_after_restart(wr, ref, db_path)


def test_summary_snooze_holds_the_prompt_and_lateness_still_counts(wr, db_path):
    ref = declare(wr, "dxw", "2026-11-23T14:00:00Z", lead="alice")
    at(wr, "2026-11-23T14:31:00Z")
    assert timer(wr, ref, "summary").state is S.OVERDUE
    wr.record_prompt(ref, "summary", "snoozed", reason="mid-deploy",
                     until=utc("2026-11-23T14:36:00"))
    t = timer(wr, ref, "summary")
    assert t.state is S.SNOOZED and t.snoozed_until == utc("2026-11-23T14:36:00")
    assert t.countdown(wr.clock.now()) == "snoozed until 14:36"
    assert "mid-deploy" in t.detail
    assert t.fires_at == utc("2026-11-23T14:36:00")
    assert next_change(timers_now(wr, ref), wr.clock.now()) == utc("2026-11-23T14:36:00")
    assert_same_after_restart(wr, ref, db_path)

    at(wr, "2026-11-23T14:36:00Z")
    t = timer(wr, ref, "summary")
    assert t.state is S.OVERDUE and t.countdown(wr.clock.now()) == "6m late"
    # Answered at 14:42: twelve minutes late, snooze or not.
    at(wr, "2026-11-23T14:42:00Z")
    late = summary_lateness(wr.incident_profile(ref), wr.state(ref), wr.clock.now())
    assert late == timedelta(minutes=12) and describe_lateness(late) == "12 min late"
    entry = wr.write_summary(ref, "Fixed the DNS", late_by=late, prompted=True)
    assert entry.data == {"prompted": True, "late_by_s": 720}
    t = timer(wr, ref, "summary")
    assert t.state is S.UPCOMING and t.snoozed_until is None  # the old snooze is history
    assert t.due_at == utc("2026-11-23T15:12:00")
    assert lateness(t, wr.clock.now()) == timedelta(0)


def test_summary_snoozed_before_it_falls_due(wr):
    ref = declare(wr, "default", "2026-11-23T14:00:00Z")
    at(wr, "2026-11-23T14:25:00Z")
    wr.record_prompt(ref, "summary", "snoozed", until=utc("2026-11-23T14:40:00"))
    assert timer(wr, ref, "summary").state is S.SNOOZED
    at(wr, "2026-11-23T14:39:59Z")
    assert timer(wr, ref, "summary").state is S.SNOOZED
    at(wr, "2026-11-23T14:40:00Z")
    assert timer(wr, ref, "summary").state is S.OVERDUE


def test_a_snooze_that_ends_before_the_due_time_changes_nothing(wr):
    ref = declare(wr, "default", "2026-11-23T14:00:00Z")
    at(wr, "2026-11-23T14:05:00Z")
    wr.record_prompt(ref, "summary", "snoozed", until=utc("2026-11-23T14:10:00"))
    t = timer(wr, ref, "summary")
    assert t.state is S.UPCOMING and t.snoozed_until is None and t.fires_at == utc("2026-11-23T14:30:00")


def test_summary_snoozed_again_takes_the_latest_snooze(wr):
    ref = declare(wr, "default", "2026-11-23T14:00:00Z")
    at(wr, "2026-11-23T14:31:00Z")
    wr.record_prompt(ref, "summary", "snoozed", until=utc("2026-11-23T14:36:00"))
    at(wr, "2026-11-23T14:36:30Z")
    wr.record_prompt(ref, "summary", "snoozed", until=utc("2026-11-23T14:46:30"))
    at(wr, "2026-11-23T14:40:00Z")
    t = timer(wr, ref, "summary")
    assert t.state is S.SNOOZED and t.countdown(wr.clock.now()) == "snoozed until 14:46"


def test_summary_dismissal_restarts_the_cycle_from_the_dismissal(wr, db_path):
    ref = declare(wr, "dxw", "2026-11-23T14:00:00Z", lead="alice")
    at(wr, "2026-11-23T14:32:00Z")
    wr.record_prompt(ref, "summary", "dismissed", reason="nothing new")
    t = timer(wr, ref, "summary")
    assert t.state is S.UPCOMING and t.due_at == utc("2026-11-23T15:02:00")
    assert "dismissed" in t.detail and "nothing new" in t.detail
    # A later snooze holds the restarted cycle, and lateness counts from 15:02.
    at(wr, "2026-11-23T15:03:00Z")
    wr.record_prompt(ref, "summary", "snoozed", until=utc("2026-11-23T15:10:00"))
    at(wr, "2026-11-23T15:11:00Z")
    t = timer(wr, ref, "summary")
    assert t.state is S.OVERDUE and t.countdown(wr.clock.now()) == "9m late"
    assert lateness(t, wr.clock.now()) == timedelta(minutes=9)
    assert_same_after_restart(wr, ref, db_path)


def test_prompts_for_one_timer_leave_the_others_alone(wr):
    ref = declare(wr, "default", "2026-11-23T14:00:00Z")
    at(wr, "2026-11-23T15:01:00Z")
    wr.record_prompt(ref, "status_update", "snoozed", until=utc("2026-11-23T15:30:00"))
    assert timer(wr, ref, "status_update").state is S.SNOOZED
    assert timer(wr, ref, "summary").state is S.OVERDUE


def test_summary_stops_once_resolved_and_comes_back_if_reopened(wr):
    ref = declare(wr, "default", "2026-11-23T14:00:00Z")
    at(wr, "2026-11-23T14:10:00Z")
    wr.change_status(ref, "resolved", "It was a blip")
    assert timer(wr, ref, "summary").state is S.NOT_APPLICABLE
    assert timer(wr, ref, "summary").countdown(wr.clock.now()) == "—"
    wr.change_status(ref, "investigating", "It is back")
    assert timer(wr, ref, "summary").state is S.UPCOMING


# ---------------------------------------------------------------------- status updates
def test_govuk_paas_updates_tenants_hourly_at_p1_and_p2(wr):
    p1 = declare(wr, "govuk-paas", "2026-11-23T14:00:00Z", severity="P1")
    p2 = declare(wr, "govuk-paas", "2026-11-23T14:00:00Z", severity="P2")
    # The Statuspage incident is part of declaring: the first update is due at once.
    t1, t2 = timer(wr, p1, "status_update"), timer(wr, p2, "status_update")
    assert t1.due_at == t2.due_at == utc("2026-11-23T14:00:00") and t1.state is S.DUE
    assert "part of declaring" in t1.detail
    # After an update the next is an hour later at P1 and at P2 ("update tenants hourly").
    at(wr, "2026-11-23T14:05:00Z")
    wr.post_update(p1, "Possible issue being investigated", template="possible-issue")
    wr.post_update(p2, "Possible issue being investigated", template="possible-issue")
    t1, t2 = timer(wr, p1, "status_update"), timer(wr, p2, "status_update")
    assert t1.due_at == t2.due_at == utc("2026-11-23T15:05:00")
    assert "P1" in t1.detail and "hourly" in t2.detail


def test_govuk_paas_p3_p4_update_once_after_working_days(wr):
    p3 = declare(wr, "govuk-paas", "2026-11-23T14:00:00Z", severity="P3")
    wr.post_update(p3, "Possible issue being investigated", template="possible-issue")
    t = timer(wr, p3, "status_update")
    assert t.interval == timedelta(days=2) and "working days" in t.detail
    assert t.due_at == utc("2026-11-25T14:00:00")
    at(wr, "2026-11-25T13:00:00Z")
    wr.post_update(p3, "Still investigating", template="hourly-update")
    t = timer(wr, p3, "status_update")  # once: no third update is asked for
    assert t.state is S.NOT_APPLICABLE and "once" in t.detail
    p4 = declare(wr, "govuk-paas", "2026-11-23T14:00:00Z", severity="P4")
    wr.post_update(p4, "Possible issue being investigated", template="possible-issue")
    assert timer(wr, p4, "status_update").interval == timedelta(days=5)


def test_the_interval_chosen_with_the_last_update_wins(wr, db_path):
    ref = declare(wr, "analytical-platform", "2026-11-23T14:00:00Z", lead="alice")
    at(wr, "2026-11-23T14:10:00Z")
    wr.post_update(ref, "Investigating", next_update=timedelta(minutes=45))
    t = timer(wr, ref, "status_update")
    assert t.due_at == utc("2026-11-23T14:55:00") and "chosen" in t.detail
    at(wr, "2026-11-23T14:55:30Z")
    assert timer(wr, ref, "status_update").countdown(wr.clock.now()) == "due now"
    # An update without a choice: the profile's hour, from that update.
    wr.post_update(ref, "Still investigating")
    assert timer(wr, ref, "status_update").due_at == utc("2026-11-23T15:55:30")
    assert_same_after_restart(wr, ref, db_path)


def test_status_update_dismissal_and_snooze(wr):
    ref = declare(wr, "dxw", "2026-11-23T14:00:00Z", lead="alice")
    at(wr, "2026-11-23T15:05:00Z")
    wr.record_prompt(ref, "status_update", "dismissed", reason="no clients affected yet")
    assert timer(wr, ref, "status_update").due_at == utc("2026-11-23T16:05:00")


# ---------------------------------------------------------------------- escalation
@pytest.mark.parametrize("severity", ["critical", "major"])
def test_dxw_critical_and_major_escalate_at_once(wr, db_path, severity):
    ref = declare(wr, "dxw", "2026-11-23T14:00:00Z", severity=severity, lead="alice")
    t = timer(wr, ref, "escalation")
    assert t.due_at == utc("2026-11-23T14:00:00") and t.state is S.DUE
    assert "at once" in t.detail and "2nd line" in t.detail
    at(wr, "2026-11-23T14:03:10Z")
    t = timer(wr, ref, "escalation")
    assert t.state is S.OVERDUE and t.countdown(wr.clock.now()) == "3m late"
    assert_same_after_restart(wr, ref, db_path)
    wr.log_escalation(ref, "2nd line support", "Woke up Sam")
    if severity == "critical":  # Critical: the Technical Director and the others too
        t = timer(wr, ref, "escalation")
        assert "Technical Director" in t.detail and "2nd line" not in t.detail
        for level in ("Technical Director", "Head of Technical Operations",
                      "Information Security Manager"):
            wr.log_escalation(ref, level)
    t = timer(wr, ref, "escalation")
    assert t.state is S.NOT_APPLICABLE and "escalated to 2nd line support" in t.detail


@pytest.mark.parametrize("severity", ["minor"])
def test_dxw_less_severe_escalate_after_30_minutes(wr, severity):
    ref = declare(wr, "dxw", "2026-11-23T14:00:00Z", severity=severity, lead="alice")
    t = timer(wr, ref, "escalation")
    assert t.due_at == utc("2026-11-23T14:30:00") and t.state is S.UPCOMING
    at(wr, "2026-11-23T14:17:56Z")
    assert timer(wr, ref, "escalation").countdown(wr.clock.now()) == "in 13m"


def test_raised_to_critical_escalates_from_the_change(wr):
    ref = declare(wr, "dxw", "2026-11-23T14:00:00Z", severity="minor", lead="alice")
    at(wr, "2026-11-23T14:10:00Z")
    wr.change_severity(ref, "critical", "every site is down")
    t = timer(wr, ref, "escalation")
    assert t.due_at == utc("2026-11-23T14:10:00") and t.state is S.DUE
    at(wr, "2026-11-23T14:12:00Z")
    wr.change_severity(ref, "major", "some sites are back")  # still "at once": since 14:10
    assert timer(wr, ref, "escalation").due_at == utc("2026-11-23T14:10:00")
    wr.change_severity(ref, "minor", "only search is broken")
    assert timer(wr, ref, "escalation").due_at == utc("2026-11-23T14:30:00")


def test_escalation_dismissed_at_once_severity_asks_again_after_the_deadline(wr):
    ref = declare(wr, "dxw", "2026-11-23T14:00:00Z", severity="critical", lead="alice")
    at(wr, "2026-11-23T14:02:00Z")
    wr.record_prompt(ref, "escalation", "dismissed", reason="2nd line already here")
    assert timer(wr, ref, "escalation").due_at == utc("2026-11-23T14:32:00")


def test_escalation_not_applicable_once_resolved(wr):
    ref = declare(wr, "default", "2026-11-23T14:00:00Z", severity="SEV1")
    assert timer(wr, ref, "escalation").state is S.DUE
    wr.change_status(ref, "resolved", "Restarted")
    t = timer(wr, ref, "escalation")
    assert t.state is S.NOT_APPLICABLE and "resolved" in t.detail


@pytest.mark.parametrize("name", ["modernisation-platform", "analytical-platform", "govuk-paas"])
def test_processes_without_an_escalation_deadline(wr, name):
    ref = declare(wr, name, "2026-11-23T14:00:00Z")
    t = timer(wr, ref, "escalation")
    assert t.state is S.NOT_APPLICABLE and "no escalation deadline" in t.detail


# ---------------------------------------------------------------------- out of hours
@pytest.mark.parametrize("local, out_of_hours", [
    ("2026-11-23 17:59", False), ("2026-11-23 18:00", True),
    ("2026-11-24 09:59", True), ("2026-11-24 10:00", False),
    # Summer time: the edges are London wall-clock times, an hour off UTC.
    ("2026-07-15 17:59", False), ("2026-07-15 18:00", True),
    ("2026-07-16 09:59", True), ("2026-07-16 10:00", False),
])
def test_out_of_hours_edges(wr, local, out_of_hours):
    declared = london(local)
    ref = declare(wr, "dxw", declared, severity="major", lead="alice")
    t = timer(wr, ref, "out_of_hours")
    if not out_of_hours:  # declared in working hours: the stop runs from 18:00 if still going
        assert t.state is S.UPCOMING and "in working hours" in t.detail
        assert t.due_at.astimezone(LONDON).strftime("%H:%M") == "20:00"
        return
    assert t.state is S.UPCOMING
    assert t.due_at == declared + timedelta(hours=2)
    if local.endswith("18:00"):
        at(wr, declared + timedelta(hours=2))
        assert timer(wr, ref, "out_of_hours").state is S.DUE
        at(wr, declared + timedelta(hours=2, minutes=10))
        t = timer(wr, ref, "out_of_hours")
        assert t.state is S.OVERDUE and "stop unless close" in t.detail
    else:  # 09:59: working hours begin a minute later, and the stop advice lapses with them
        resume = london(local[:11] + "10:00")
        assert t.lapses_at == resume and t.fires_at is None
        assert next_change([t], declared) == resume
        at(wr, resume)
        t = timer(wr, ref, "out_of_hours")
        assert t.state is S.NOT_APPLICABLE and "working hours since 10:00" in t.detail


def test_out_of_hours_incident_across_midnight(wr, db_path):
    declared = london("2026-11-23 23:30")
    ref = declare(wr, "dxw", declared, severity="major", lead="alice")
    t = timer(wr, ref, "out_of_hours")
    assert t.due_at == london("2026-11-24 01:30")
    assert t.lapses_at == london("2026-11-24 10:00")
    # The summary falls due at midnight exactly, on the next day.
    assert timer(wr, ref, "summary").due_at == london("2026-11-24 00:00")
    at(wr, london("2026-11-24 00:10"))
    wr.write_summary(ref, "Database restored from backup")
    at(wr, london("2026-11-24 02:00"))
    ts = assert_same_after_restart(wr, ref, db_path)
    assert find(ts, "out_of_hours").countdown(wr.clock.now()) == "30m late"
    assert find(ts, "summary").due_at == london("2026-11-24 00:40")
    # Still running at 10:00 the next morning: working hours, the stop advice lapses.
    at(wr, london("2026-11-24 10:00"))
    assert timer(wr, ref, "out_of_hours").state is S.NOT_APPLICABLE


def test_incident_running_from_working_hours_into_the_evening_gets_the_stop_from_18(wr):
    # Declared at 17:30, still going at 19:45: out of hours since 18:00, so the two-hour stop
    # runs from 18:00.
    ref = declare(wr, "dxw", london("2026-11-23 17:30"), lead="alice")
    at(wr, london("2026-11-23 19:45"))
    t = timer(wr, ref, "out_of_hours")
    assert t.state is S.UPCOMING and t.due_at == london("2026-11-23 20:00")
    at(wr, london("2026-11-23 20:00"))
    assert timer(wr, ref, "out_of_hours").state is S.DUE
    at(wr, london("2026-11-24 10:00"))
    assert timer(wr, ref, "out_of_hours").state is S.NOT_APPLICABLE


def test_dxw_critical_continues_out_of_hours(wr):
    ref = declare(wr, "dxw", london("2026-11-23 20:00"), severity="critical", lead="alice")
    t = timer(wr, ref, "out_of_hours")
    assert t.state is S.NOT_APPLICABLE and "continues out of hours" in t.detail
    at(wr, london("2026-11-23 21:00"))
    wr.change_severity(ref, "major", "downgraded")
    assert timer(wr, ref, "out_of_hours").due_at == london("2026-11-23 22:00")


def test_spring_forward_day(wr, db_path):
    # 2026-03-29: London goes from 01:00 GMT to 02:00 BST.
    declared = utc("2026-03-29T00:30:00")  # 00:30 GMT
    ref = declare(wr, "dxw", declared, severity="major", lead="alice")
    t = timer(wr, ref, "out_of_hours")
    assert t.due_at == utc("2026-03-29T02:30:00")  # two real hours: 03:30 BST on the wall
    assert t.lapses_at == utc("2026-03-29T09:00:00") == london("2026-03-29 10:00")
    assert timer(wr, ref, "summary").due_at == utc("2026-03-29T01:00:00")  # 02:00 BST
    at(wr, utc("2026-03-29T02:45:00"))
    t = timer(wr, ref, "out_of_hours")
    assert t.state is S.OVERDUE and t.countdown(wr.clock.now()) == "15m late"
    assert_same_after_restart(wr, ref, db_path)
    at(wr, utc("2026-03-29T09:00:00"))
    assert timer(wr, ref, "out_of_hours").state is S.NOT_APPLICABLE
    # The same UTC time reads differently either side of the change: 17:30 UTC is 17:30 GMT
    # (working hours) on the 28th and 18:30 BST (out of hours) on the 29th.
    before = declare(wr, "dxw", utc("2026-03-28T17:30:00"), lead="alice")
    after = declare(wr, "dxw", utc("2026-03-29T17:30:00"), lead="alice")
    assert timer(wr, before, "out_of_hours").due_at == utc("2026-03-28T20:00:00")
    assert timer(wr, after, "out_of_hours").due_at == utc("2026-03-29T19:30:00")


def test_fall_back_day(wr, db_path):
    # 2026-10-25: London goes from 02:00 BST back to 01:00 GMT; 01:30 happens twice.
    declared = utc("2026-10-25T00:30:00")  # 01:30 BST, the first one
    ref = declare(wr, "dxw", declared, severity="major", lead="alice")
    t = timer(wr, ref, "out_of_hours")
    assert t.due_at == utc("2026-10-25T02:30:00")  # 02:30 GMT: two real hours, not one
    assert t.lapses_at == utc("2026-10-25T10:00:00") == london("2026-10-25 10:00")
    at(wr, utc("2026-10-25T01:30:00"))  # 01:30 GMT, the second one: one hour in, not due
    assert timer(wr, ref, "out_of_hours").countdown(wr.clock.now()) == "in 1h 00m"
    assert_same_after_restart(wr, ref, db_path)
    # 09:30 UTC is 10:30 BST on the 24th (working hours) and 09:30 GMT on the 25th (not yet).
    before = declare(wr, "dxw", utc("2026-10-24T09:30:00"), lead="alice")
    after = declare(wr, "dxw", utc("2026-10-25T09:30:00"), lead="alice")
    assert "in working hours" in timer(wr, before, "out_of_hours").detail
    t = timer(wr, after, "out_of_hours")
    assert t.state is S.UPCOMING and t.lapses_at == utc("2026-10-25T10:00:00")


def test_working_hours_resume_handles_windows_within_one_day():
    from warroom.core.profiles import OutOfHours
    from datetime import time
    night = OutOfHours(time(0, 0), time(8, 0), timedelta(hours=1))
    assert night.contains(time(7, 59)) and not night.contains(time(8, 0))
    assert working_hours_resume(night, london("2026-03-29 00:30"), LONDON) == london("2026-03-29 08:00")
    evening = OutOfHours(time(18, 0), time(10, 0))
    assert working_hours_resume(evening, london("2026-10-24 23:00"), LONDON) == utc("2026-10-25T10:00:00")


def test_out_of_hours_dismissed_asks_again_after_another_stint(wr):
    ref = declare(wr, "dxw", london("2026-11-23 20:00"), severity="major", lead="alice")
    at(wr, london("2026-11-23 22:05"))
    wr.record_prompt(ref, "out_of_hours", "dismissed", reason="close: the restore is at 90%")
    t = timer(wr, ref, "out_of_hours")
    assert t.due_at == london("2026-11-24 00:05") and "90%" in t.detail


@pytest.mark.parametrize("name", ["default", "modernisation-platform", "analytical-platform",
                                  "govuk-paas"])
def test_processes_without_an_out_of_hours_rule(wr, name):
    ref = declare(wr, name, london("2026-11-23 23:00"))
    t = timer(wr, ref, "out_of_hours")
    assert t.state is S.NOT_APPLICABLE and "no out-of-hours" in t.detail


# ---------------------------------------------------------------------- role rotation
def test_rotation_one_timer_per_holder_restarting_at_handover(wr, db_path):
    ref = declare(wr, "dxw", "2026-11-23T14:00:00Z", lead="alice")
    at(wr, "2026-11-23T14:30:00Z")
    wr.assign_role(ref, "comms", "carol")
    ts = timers_now(wr, ref)
    lead, comms = find(ts, "rotation_lead"), find(ts, "rotation_comms")
    assert lead.due_at == utc("2026-11-23T16:00:00") and lead.person == "alice"
    assert comms.due_at == utc("2026-11-23T16:30:00") and comms.person == "carol"
    assert "alice" in lead.detail and "Incident lead" in lead.label
    at(wr, "2026-11-23T16:01:00Z")
    assert timer(wr, ref, "rotation_lead").state is S.OVERDUE
    wr.record_prompt(ref, "rotation_lead", "snoozed", until=utc("2026-11-23T16:20:00"))
    assert timer(wr, ref, "rotation_lead").state is S.SNOOZED
    assert_same_after_restart(wr, ref, db_path)
    at(wr, "2026-11-23T16:10:00Z")
    wr.assign_role(ref, "lead", "dave", note="alice needs a break")
    t = timer(wr, ref, "rotation_lead")
    assert t.state is S.UPCOMING and t.person == "dave"  # the snooze was alice's
    assert t.due_at == utc("2026-11-23T18:10:00")
    assert find(timers_now(wr, ref), "rotation_comms").due_at == utc("2026-11-23T16:30:00")


@pytest.mark.parametrize("name", ["modernisation-platform", "analytical-platform", "govuk-paas"])
def test_processes_without_rotation(wr, name):
    ref = declare(wr, name, "2026-11-23T14:00:00Z", lead="alice")
    ts = timers_now(wr, ref)
    assert [t.id for t in ts if t.kind == "rotation"] == ["rotation"]
    assert find(ts, "rotation").state is S.NOT_APPLICABLE


def test_rotation_with_nobody_in_a_role(wr):
    ref = declare(wr, "default", "2026-11-23T14:00:00Z")
    t = timer(wr, ref, "rotation")
    assert t.state is S.NOT_APPLICABLE and "nobody" in t.detail


# ---------------------------------------------------------------------- review
@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_review_due_within_the_window_after_resolution(wr, db_path, name):
    ref = declare(wr, name, "2026-11-23T14:00:00Z", lead="alice")
    at(wr, "2026-11-23T16:00:00Z")
    wr.change_status(ref, "resolved", "Restored")
    t = timer(wr, ref, "review")
    assert t.due_at == utc("2026-11-30T16:00:00") and t.state is S.UPCOMING
    assert t.countdown(wr.clock.now()) == "in 7d 0h"
    at(wr, "2026-11-30T17:00:00Z")
    assert timer(wr, ref, "review").countdown(wr.clock.now()) == "1h 00m late"
    assert_same_after_restart(wr, ref, db_path)
    wr.change_status(ref, "closed", "Review held")
    assert timer(wr, ref, "review").state is S.NOT_APPLICABLE


def test_review_reopened_and_dismissed(wr):
    ref = declare(wr, "dxw", "2026-11-23T14:00:00Z", lead="alice")
    at(wr, "2026-11-23T15:00:00Z")
    wr.change_status(ref, "resolved", "Restored")
    wr.change_status(ref, "investigating", "Broken again")
    assert timer(wr, ref, "review").state is S.NOT_APPLICABLE
    at(wr, "2026-11-23T16:00:00Z")
    wr.change_status(ref, "resolved", "Restored for real")
    assert timer(wr, ref, "review").due_at == utc("2026-11-30T16:00:00")
    wr.record_prompt(ref, "review", "dismissed", reason="trivial: no review needed")
    t = timer(wr, ref, "review")
    assert t.state is S.NOT_APPLICABLE and "trivial" in t.detail


# ---------------------------------------------------------------------- vacant roles
@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_vacant_required_roles_are_due_at_once(wr, name):
    vacant = {r.id for r in wr.profile(name).roles if r.required}
    assert "lead" in vacant  # every built-in process needs someone to lead
    ref = declare(wr, name, "2026-11-23T14:00:00Z")
    ts = [t for t in timers_now(wr, ref) if t.kind == "vacant"]
    assert {t.role for t in ts} == vacant
    for t in ts:
        assert t.state is S.DUE and t.due_at == utc("2026-11-23T14:00:00")
    at(wr, "2026-11-23T15:00:00Z")
    for t in (t for t in timers_now(wr, ref) if t.kind == "vacant"):
        assert t.state is S.DUE  # a condition, not a deadline: it never "counts up" as overdue
        assert t.countdown(wr.clock.now()) == "vacant 1h 00m"


def test_vacancy_runs_from_the_release_and_can_be_dismissed(wr, db_path):
    ref = declare(wr, "default", "2026-11-23T14:00:00Z", lead="alice")
    wr.assign_role(ref, "scribe", "bob")
    assert not [t for t in timers_now(wr, ref) if t.kind == "vacant"]
    at(wr, "2026-11-23T14:20:00Z")
    wr.release_role(ref, "scribe", note="bob went to fix the database")
    t = timer(wr, ref, "vacant_scribe")
    assert t.state is S.DUE and t.due_at == utc("2026-11-23T14:20:00")
    wr.record_prompt(ref, "vacant_scribe", "snoozed", until=utc("2026-11-23T14:30:00"))
    assert timer(wr, ref, "vacant_scribe").state is S.SNOOZED
    at(wr, "2026-11-23T14:30:00Z")
    assert timer(wr, ref, "vacant_scribe").state is S.DUE
    wr.record_prompt(ref, "vacant_scribe", "dismissed", reason="alice scribes too")
    assert timer(wr, ref, "vacant_scribe").state is S.NOT_APPLICABLE
    assert_same_after_restart(wr, ref, db_path)
    # A new vacancy is a new question.
    wr.assign_role(ref, "scribe", "erin")
    at(wr, "2026-11-23T14:40:00Z")
    wr.release_role(ref, "scribe")
    assert timer(wr, ref, "vacant_scribe").state is S.DUE


# ---------------------------------------------------------------------- planning
def test_next_change_walks_every_transition_and_matches_a_recompute(wr):
    """Stepping through time with ``next_change`` and ``Timer.at`` agrees with computing the
    timers afresh at each instant: the scheduler can plan without the log."""
    ref = declare(wr, "dxw", london("2026-11-23 23:50"), severity="minor")
    wr.assign_role(ref, "lead", "alice")
    at(wr, london("2026-11-24 00:05"))
    wr.record_prompt(ref, "summary", "snoozed", until=london("2026-11-24 00:25"))
    wr.post_update(ref, "Investigating", next_update=timedelta(minutes=40))
    start = wr.clock.now()
    profile, state = wr.incident_profile(ref), wr.state(ref)
    planned = compute_timers(profile, state, start)
    now, steps = start, []
    while (nxt := next_change(planned, now)) is not None and len(steps) < 100:
        assert nxt > now
        steps.append(nxt)
        now = nxt
        assert [t.at(now) for t in planned] == compute_timers(profile, state, now)
        # Nothing changes strictly between two planned instants.
        just_before = now - timedelta(microseconds=1)
        assert [t.state_at(just_before) for t in planned] == \
            [t.state for t in compute_timers(profile, state, just_before)]
    summary = find(planned, "summary")
    assert summary.due_at == london("2026-11-24 00:20")
    # Snoozed past its due time: it comes back when the snooze ends, already overdue.
    assert summary.next_change(start) == london("2026-11-24 00:25")
    assert summary.state_at(london("2026-11-24 00:25")) is S.OVERDUE
    assert london("2026-11-24 00:25") in steps
    assert london("2026-11-24 10:00") in steps      # out-of-hours advice lapses
    assert steps == sorted(steps) and len(steps) < 100


def test_next_change_is_none_when_nothing_will_change(wr):
    ref = declare(wr, "modernisation-platform", "2026-11-23T14:00:00Z")
    wr.change_status(ref, "resolved", "done")
    wr.change_status(ref, "closed", "review held")
    assert next_change(timers_now(wr, ref), wr.clock.now()) is None


# ---------------------------------------------------------------------- display
def test_countdown_texts():
    due = utc("2026-11-23T14:30:00")
    t = Timer("summary", "summary", "Lead summary", due, S.UPCOMING, zone="Europe/London")
    # Whole minutes, counted up (a minute begun is a minute left); seconds in the last minute.
    assert t.countdown(due - timedelta(minutes=12, seconds=4)) == "in 13m"
    assert t.countdown(due - timedelta(minutes=12)) == "in 12m"
    assert t.countdown(due - timedelta(minutes=11, seconds=59)) == "in 12m"
    assert t.countdown(due - timedelta(seconds=60)) == "in 1m"
    assert t.countdown(due - timedelta(milliseconds=1)) == "in 1s"
    assert t.countdown(due - timedelta(seconds=45)) == "in 45s"
    assert t.countdown(due - timedelta(hours=1, minutes=5)) == "in 1h 05m"
    assert t.countdown(due) == "due now"
    assert t.countdown(due + timedelta(seconds=59)) == "due now"
    assert t.countdown(due + timedelta(minutes=3, seconds=10)) == "3m late"
    assert t.countdown(due + timedelta(hours=1, minutes=5)) == "1h 05m late"
    summer = Timer("summary", "summary", "Lead summary", utc("2026-07-01T13:30:00"), S.SNOOZED,
                   snoozed_until=utc("2026-07-01T13:35:00"), zone="Europe/London")
    assert summer.countdown(utc("2026-07-01T13:31:00")) == "snoozed until 14:35"  # BST
    assert summer.countdown(utc("2026-07-01T13:31:00"), tz="UTC") == "snoozed until 13:35"
    na = Timer("review", "review", "Post-incident review", None, S.NOT_APPLICABLE)
    assert na.countdown(due) == "—" and not na.applicable


def test_describe_lateness():
    assert describe_lateness(None) == "on time"
    assert describe_lateness(timedelta(0)) == "on time"
    assert describe_lateness(timedelta(seconds=45)) == "45 s late"
    assert describe_lateness(timedelta(minutes=12, seconds=59)) == "12 min late"
    assert describe_lateness(timedelta(hours=1, minutes=5)) == "1 h 05 min late"


# ---------------------------------------------------------------------- the summary draft
def test_summary_draft_covers_what_happened_since_the_last_summary(wr):
    ref = declare(wr, "dxw", "2026-11-23T14:00:00Z", severity="minor", lead="alice")
    old = wr.log(ref, "action", "@bob check the disk")
    wr.log(ref, "decision", "Old decision, already summarised")
    at(wr, "2026-11-23T14:30:00Z")
    wr.write_summary(ref, "Disk is being checked")
    at(wr, "2026-11-23T14:35:00Z")
    wr.log(ref, "note", "Chat about the weather")
    decision = wr.log(ref, "decision", "Roll back release 41")
    wr.amend(ref, decision.seq, "Roll back release 42")
    act = wr.log(ref, "action", "@carol run the rollback")
    wr.log(ref, "change", "helm rollback web 41")
    wr.log(ref, "result", "Error rate\nback to normal")
    wr.mark_done(ref, act.seq)
    wr.change_severity(ref, "major", "search is broken too")
    state = wr.state(ref)
    draft = summary_draft(state, wr.entries(ref), profile=wr.incident_profile(ref))
    assert "Since the last summary (14:30 GMT)" in draft
    assert "Status: investigating; severity: Major" in draft
    assert "- Roll back release 42" in draft and "release 41\n" not in draft
    assert "Old decision" not in draft and "weather" not in draft
    assert "- @carol run the rollback [done]" in draft
    assert "Changes made:\n- helm rollback web 41" in draft
    assert "- Error rate back to normal" in draft
    assert f"Open actions:\n- #{old.seq} @bob check the disk" in draft
    assert "severity minor → major" in draft
    # It is a valid summary as it stands.
    wr.write_summary(ref, draft, prompted=True)


def test_summary_draft_with_nothing_new(wr):
    ref = declare(wr, "default", "2026-11-23T14:00:00Z")
    draft = summary_draft(wr.state(ref), wr.entries(ref))
    assert "Since the incident was declared (14:00 UTC)" in draft
    assert "No decisions, actions, results or changes logged" in draft
    assert "Open actions: none" in draft


def test_the_next_update_offered_is_the_one_chosen_last_time(wr):
    from warroom.core.updates import draft_update, next_update_interval

    ref = declare(wr, "default", "2026-03-10T14:00:00Z")
    prof = wr.incident_profile(ref)
    assert next_update_interval(prof, wr.state(ref)) == (
        prof.status_update_interval(wr.state(ref).severity) or timedelta(hours=1))
    wr.post_update(ref, "Investigating", next_update=timedelta(minutes=20))
    assert next_update_interval(prof, wr.state(ref)) == timedelta(minutes=20)
    template = next(t for t in prof.templates if "{services}" in t.text or "{next_update}" in t.text)
    text = draft_update(template, prof, [], wr.clock.now(), timedelta(minutes=20))
    assert "{services}" not in text and "{next_update}" not in text
