"""Durations and entry descriptions: the one home each for parsing and showing a duration, and
for reading what an entry changed."""

from datetime import timedelta

import pytest

from warroom.base.model import Entry
from warroom.core.describe import describe, owner_mentioned
from warroom.core.durations import describe_lateness, format_duration, parse_duration

T = timedelta


@pytest.mark.parametrize("delta, style, kw, shown", [
    (T(seconds=45), "span", {}, "45s"),
    (T(minutes=12, seconds=4), "span", {}, "12m"),
    (T(minutes=12, seconds=4), "span", {"precise": True}, "12m 04s"),
    (T(hours=1, minutes=5), "span", {}, "1h 05m"),
    (T(days=7), "span", {}, "7d"),
    (T(days=7), "span", {"precise": True}, "7d 0h"),
    (T(days=2, hours=3), "span", {}, "2d 3h"),
    (-T(minutes=3), "span", {}, "3m"),
    (T(minutes=12, seconds=3, milliseconds=500), "span", {"precise": True, "round_up": True},
     "12m 04s"),
    (T(milliseconds=1), "span", {"precise": True, "round_up": True}, "1s"),
    (T(hours=1, minutes=30), "cadence", {}, "1h 30m"),
    (T(hours=1), "cadence", {}, "1h"),
    (T(0), "cadence", {}, "0s"),
    (T(minutes=12, seconds=4), "clock", {}, "12:04"),
    (T(hours=1, minutes=5), "clock", {}, "1h 05m"),
    (T(days=1, hours=2), "clock", {}, "1d 2h"),
    (T(seconds=59), "elapsed", {}, "0m"),
    (T(days=1, hours=2, minutes=5), "elapsed", {}, "1d 2h 05m"),
    (-T(minutes=5), "elapsed", {}, "0m"),
])
def test_format_duration_styles(delta, style, kw, shown):
    assert format_duration(delta, style, **kw) == shown


@pytest.mark.parametrize("delta", [T(seconds=30), T(minutes=45), T(hours=1, minutes=30), T(days=7)])
def test_a_cadence_reads_back(delta):
    assert parse_duration(format_duration(delta, "cadence")) == delta


def test_lateness():
    assert describe_lateness(None) == "on time"
    assert describe_lateness(T(minutes=12, seconds=59)) == "12 min late"


def _entry(kind, text, data=None, amends=None):
    return Entry("INC-1", 2, "u", kind, "alice", "2026-11-22T14:00:00.000000Z",
                 "2026-11-22T14:00:00.000000Z", text, data or {}, amends)


def test_describe_reads_the_change_from_data_not_text():
    bare = describe(_entry("status", "Status: resolved", {"from": "monitoring", "to": "resolved"}))
    assert (bare.before, bare.after, bare.note) == ("monitoring", "resolved", "")
    noted = describe(_entry("status", "Status: resolved", {"from": "monitoring", "to": "closed"}))
    assert noted.note == "Status: resolved"  # says something the change does not
    sev = describe(_entry("severity", "worse", {"from": "p3", "to": "p1"}))
    assert (sev.before, sev.after, sev.note) == ("p3", "p1", "worse")
    done = describe(_entry("done", "Done: restart it", {"target": 5}))
    assert (done.target, done.note) == (5, "restart it")
    assert describe(_entry("amend", "fixed", amends=3)).target == 3
    assert describe(_entry("action", "@Sam restart it", {"owner": "sam"})).owner == ""
    assert describe(_entry("action", "restart it", {"owner": "sam"})).owner == "sam"
    assert describe(_entry("summary", "s", {"late_by_s": 90})).late_by == T(seconds=90)


def test_owner_mentioned():
    assert owner_mentioned("", "anything")
    assert owner_mentioned("sam", "ask @SAM")
    assert not owner_mentioned("sam", "ask sam")


def test_describe_an_escalation_says_who_which_level_and_how():
    e = describe(_entry("escalation", "told them the router is down",
                        {"to": "Head of Platform", "level": "Head of Platform", "level_no": 2,
                         "how": "phone"}))
    assert e.line == "Escalated to Level 2 (Head of Platform) by phone — told them the router is down"
    # The text written when no note was given restates the change: no note, no repetition.
    bare = describe(_entry("escalation", "Escalated to Head of Platform (phone)",
                           {"to": "Head of Platform", "level_no": 2, "how": "phone"}))
    assert (bare.note, bare.line) == ("", "Escalated to Level 2 (Head of Platform) by phone")
    # Someone outside the chain, and a "how" that already has its preposition.
    other = describe(_entry("escalation", "Escalated to Duty manager (via Slack)",
                             {"to": "Duty manager", "how": "via Slack"}))
    assert other.line == "Escalated to Duty manager via Slack"
    assert describe(_entry("escalation", "x", {})).line == "Escalated to ? — x"


def test_describe_a_ticket_says_the_supplier_and_case():
    t = describe(_entry("ticket", "click to call", {"party": "AWS", "reference": "12345"}))
    assert t.line == "Ticket AWS case 12345 — click to call"
    bare = describe(_entry("ticket", "Support ticket logged with AWS: 12345",
                           {"party": "AWS", "reference": "12345"}))
    assert bare.line == "Ticket AWS case 12345"
    assert describe(_entry("ticket", "asked by email", {"party": "Aiven", "reference": ""})).line == \
        "Ticket Aiven (no case id) — asked by email"
    assert describe(_entry("ticket", "n", {"party": "AWS", "reference": "case-42"})).line == \
        "Ticket AWS case-42 — n"
