"""Process profiles: the built-ins match their reference documents, and the loader reports
every problem in a profile file as FILE: KEY: PROBLEM."""

from __future__ import annotations

import string
from datetime import time, timedelta
from pathlib import Path

import pytest

from warroom.core.profiles import (
    BUILTIN_DIR,
    BUILTIN_NAMES,
    OutOfHours,
    ProfileRegistry,
    parse_profile,
)
from warroom.base.errors import NotFound, ProfileError

REFERENCE_DOCS = {
    "modernisation-platform": "modernisation-platform.txt",
    "analytical-platform": "analytical-platform.txt",
    "dxw": "dxw.txt",
    "govuk-paas": "govuk-paas.txt",
}
TEMPLATE_FIELDS = {"services", "next_update"}


@pytest.fixture(scope="module")
def builtins() -> ProfileRegistry:
    return ProfileRegistry(user_dir=None)


# --- every built-in -------------------------------------------------------------------------


def test_every_builtin_ships_and_loads(builtins):
    assert sorted(builtins.names()) == sorted(BUILTIN_NAMES)
    for name in BUILTIN_NAMES:
        profile = builtins.get(name)
        assert profile.name == name
        assert profile.origin == "built-in"
        assert profile.path == BUILTIN_DIR / f"{name}.toml"
        assert profile.default_severity in {s.id for s in profile.severities}
        assert profile.services, name
        assert any(r.id == "lead" and r.required for r in profile.roles), name
        assert profile.checklists["resolve"] and profile.checklists["post_incident"], name


@pytest.mark.parametrize("name", sorted(REFERENCE_DOCS))
def test_builtin_names_its_reference_document(builtins, name):
    assert REFERENCE_DOCS[name] in builtins.get(name).source


@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_builtin_templates_only_use_known_placeholders(builtins, name):
    for tpl in builtins.get(name).templates:
        fields = {f for _, f, _, _ in string.Formatter().parse(tpl.text) if f is not None}
        assert fields <= TEMPLATE_FIELDS, (name, tpl.id, fields - TEMPLATE_FIELDS)


# --- dxw --------------------------------------------------------------------------------------


def test_dxw_severities_and_immediate_escalation(builtins):
    dxw = builtins.get("dxw")
    assert [(s.id, s.label) for s in dxw.severities] == [
        ("critical", "Critical"), ("major", "Major"), ("minor", "Minor"), ("trivial", "Trivial"),
    ]
    # "If the incident is critical or major then you should immediately escalate to 2nd line"
    assert {s.id for s in dxw.severities if s.escalate_immediately} == {"critical", "major"}
    assert "outage of one or more sites" in dxw.severity("critical").description
    assert "site search" in dxw.severity("Major").description
    assert "retrospective" in dxw.severity("trivial").description.lower()
    assert dxw.severity_note == "If you're torn between two categories, opt for the higher one."
    assert "If you are unsure, then assume it is an incident." in dxw.incident_criteria


def test_dxw_cadences(builtins):
    c = builtins.get("dxw").cadences
    assert c.summary == timedelta(minutes=30)  # incident.io prompts every 30 mins
    assert c.status_update == timedelta(hours=1)  # hourly client updates
    assert c.escalate_after == timedelta(minutes=30)
    assert c.rotation == timedelta(hours=2)  # "more than a couple of hours"
    assert c.review_within == timedelta(days=7)  # "about a week later"
    # Critical "continues out of hours until it can be downgraded": no stop for it.
    # "only respond to critical alerts and emergency tickets" out of hours.
    assert c.out_of_hours == OutOfHours(time(18, 0), time(10, 0), timedelta(hours=2),
                                        ("critical",), ("critical",),
                                        "only respond to critical alerts and emergency tickets")


def test_dxw_roles_escalation_and_follow_up(builtins):
    dxw = builtins.get("dxw")
    assert dxw.role("lead").name == "Incident lead" and dxw.role("lead").required
    comms = dxw.role("comms")
    assert comms.name == "Client comms manager" and not comms.required
    assert "impacts clients" in comms.description
    names = [e.name for e in dxw.escalation]
    assert names[0] == "2nd line support"
    assert names[1:4] == ["Technical Director", "Head of Technical Operations",
                          "Information Security Manager"]
    dpo = dxw.escalation[4]
    assert dpo.name == "Data Protection Officer" and "security" in dpo.when
    assert "#general" in dxw.escalation[-1].when
    post = " ".join(dxw.checklists["post_incident"]).lower()
    assert "about a week later" in post
    assert "draft" in post and "a few days in advance" in post
    assert "trivial" in post and "recurring" in post


# --- analytical-platform ----------------------------------------------------------------------


def test_analytical_platform_impact_levels_and_services(builtins):
    ap = builtins.get("analytical-platform")
    assert [(s.id, s.label) for s in ap.severities] == [
        ("major", "Major"), ("minor", "Minor"), ("all-good", "All Good"),
    ]
    assert ap.severity("all good").description == "Incident has been resolved, all service is restored"
    assert ap.severity("major").description == (
        "The whole platform is down or unavailable, all user applications are unavailable")
    assert ap.default_severity != "all-good"
    assert ap.services == (
        "Cloud Platform",
        "Modernisation Platform",
        "Analytical Platform Ingestion",
        "Analytical Platform Storage",
        "Analytical Platform Compute",
        "Analytical Platform Networking",
        "Analytical Platform Identity",
    )


def test_analytical_platform_roles_support_and_comms(builtins):
    ap = builtins.get("analytical-platform")
    assert ap.role("lead").required
    assert not ap.role("scribe").required
    assert [(s.party, s.how, s.escalation) for s in ap.support] == [
        ("AWS", "Creating a support case", "On the case, or post in #ext-aws"),
    ]
    audiences = " ".join(ap.audiences)
    assert "analytical-platform-support" in audiences and "ask-data-engineering" in audiences
    assert "status page" in audiences.lower()
    assert ap.cadences.status_update is not None
    post = " ".join(ap.checklists["post_incident"]).lower()
    assert "incident report" in post and "blameless post mortem" in post and "runbook" in post


# --- modernisation-platform -------------------------------------------------------------------


def test_modernisation_platform_priorities_services_and_roles(builtins):
    mp = builtins.get("modernisation-platform")
    assert [s.label for s in mp.severities] == ["P1", "P2", "P3"]
    assert mp.severity("p3").description == (
        "Part of the platform is down or unavailable, user applications are still available")
    assert mp.services == (
        "Networking - Modernisation Platform",
        "Operations - Modernisation Platform",
        "Security - Modernisation Platform",
    )
    assert {r.id for r in mp.roles if r.required} == {"lead", "scribe"}
    assert mp.role("lead").name == "Incident Lead"
    assert "declare the incident closed, when appropriate" in mp.role("lead").responsibilities
    assert ("lead", "scribe") in mp.same_person_warnings
    assert mp.security_note


def test_modernisation_platform_support_and_checklists(builtins):
    mp = builtins.get("modernisation-platform")
    assert [(s.party, s.how, s.escalation) for s in mp.support] == [
        ("AWS", "Creating a support case", "On the case, or post in #ext-awssupport"),
    ]
    resolve = " ".join(mp.checklists["resolve"]).lower()
    assert "no longer facing issues" in resolve
    assert "note on the resolution" in resolve
    assert "external pagerduty status page" in resolve
    assert "permanent fix" in resolve
    post = " ".join(mp.checklists["post_incident"]).lower()
    assert "blameless post mortem" in post and "runbook" in post
    assert mp.cadences.summary == timedelta(minutes=30)
    assert mp.cadences.review_within == timedelta(days=7)


# --- govuk-paas -------------------------------------------------------------------------------


def test_govuk_paas_follows_gds_way_priorities(builtins):
    paas = builtins.get("govuk-paas")
    assert [s.label for s in paas.severities] == ["P1", "P2", "P3", "P4"]
    p1, p2, p3, p4 = paas.severities
    assert (p1.respond_within, p1.status_update) == (timedelta(minutes=20), timedelta(hours=1))
    # The team's page updates tenants hourly (the GDS Way's "every 2 hours" is not its rule).
    assert (p2.respond_within, p2.status_update) == (timedelta(minutes=60), timedelta(hours=1))
    assert p3.update_once and p4.update_once and not p1.update_once
    assert p3.respond_within == timedelta(hours=2)
    assert "2 working days" in p3.update_note and "once" in p3.update_note.lower()
    assert "5 working days" in p4.update_note and "once" in p4.update_note.lower()
    # The per-priority interval wins over the profile's cadence (P3: once, after 2 days).
    assert paas.status_update_interval("p3") == timedelta(days=2)
    assert paas.status_update_interval("p1") == timedelta(hours=1)
    assert paas.status_update_interval(None) == timedelta(hours=1)
    assert paas.status_update_interval("p3") != timedelta(hours=1)


def test_govuk_paas_roles_templates_escalation_and_support(builtins):
    paas = builtins.get("govuk-paas")
    lead = paas.role("lead")
    assert lead.required and "production access" in lead.description
    assert any("only the incident lead" in r for r in lead.responsibilities)
    assert paas.role("comms").name == "Incident comms" and paas.role("comms").required
    assert not paas.role("team").required
    assert paas.template("Possible issue being investigated").status == "investigating"
    assert paas.template("hourly-update")
    assert paas.template("resolved").status == "resolved"
    names = [e.name for e in paas.escalation]
    assert names.index("PaaS escalation rota") < names.index("Head of Reliability Engineering")
    assert names.index("Head of Reliability Engineering") < names.index("TechOps Programme Director")
    assert names.index("TechOps Programme Director") < names.index("Director for GDS Portfolio Group")
    assert "PagerDuty" in paas.escalation[0].contact
    assert "Information Assurance" in paas.security_note and "immediately" in paas.security_note
    support = {s.party: s for s in paas.support}
    assert set(support) == {"AWS", "Aiven Elasticsearch"}
    assert "click to chat" in support["AWS"].escalation
    assert "same or next business day" in support["Aiven Elasticsearch"].escalation
    assert paas.cadences.review_within == timedelta(days=7)
    post = " ".join(paas.checklists["post_incident"])
    assert "operational" in post and "within one week" in post
    assert "Technical Architect" in post and "Statuspage" in post and "security incident" in post


# --- the loader's error handling --------------------------------------------------------------

VALID = """\
name = "{name}"
title = "Test process"
services = ["Web", "API"]

[[severities]]
id = "p1"
label = "P1"

[[severities]]
id = "p2"
label = "P2"

[[roles]]
id = "lead"
name = "Lead"
required = true

[cadences]
summary = "30m"
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _error(tmp_path: Path, name: str, text: str) -> str:
    path = _write(tmp_path, name, text)
    with pytest.raises(ProfileError) as caught:
        ProfileRegistry(user_dir=tmp_path).get(name)
    message = str(caught.value)
    assert str(path) in message, message
    return message


def test_valid_user_profile_loads(tmp_path):
    _write(tmp_path, "mine", VALID.format(name="mine"))
    profile = ProfileRegistry(user_dir=tmp_path).get("mine")
    assert [s.id for s in profile.severities] == ["p1", "p2"]
    assert profile.default_severity == "p2"
    assert profile.cadences.summary == timedelta(minutes=30)


def test_bad_toml_is_reported_with_file_and_line(tmp_path):
    text = VALID.format(name="mine") + "oops = \n"
    message = _error(tmp_path, "mine", text)
    assert "not valid TOML" in message
    assert f"line {text.count(chr(10))}" in message  # the broken line is the last one


def test_unknown_key_is_named(tmp_path):
    message = _error(tmp_path, "mine", 'colour_scheme = "red"\n' + VALID.format(name="mine"))
    assert "colour_scheme: unknown key" in message


def test_unknown_nested_key_is_named_with_its_path(tmp_path):
    text = VALID.format(name="mine").replace('summary = "30m"', 'sumary = "30m"')
    message = _error(tmp_path, "mine", text)
    assert "cadences.sumary: unknown key" in message


def test_duration_without_a_unit_the_parser_knows(tmp_path):
    text = VALID.format(name="mine").replace('summary = "30m"', 'summary = "30 minutes"')
    message = _error(tmp_path, "mine", text)
    assert "cadences.summary:" in message
    assert "'30 minutes' is not a duration" in message


def test_bad_duration_in_a_severity_names_its_index(tmp_path):
    text = VALID.format(name="mine").replace('label = "P2"', 'label = "P2"\nrespond_within = "soon"')
    message = _error(tmp_path, "mine", text)
    assert "severities[1].respond_within:" in message and "'soon'" in message


def test_missing_severities(tmp_path):
    text = 'name = "mine"\n\n[[roles]]\nid = "lead"\nname = "Lead"\n'
    message = _error(tmp_path, "mine", text)
    assert "severities: at least one severity is required" in message


def test_duplicate_severity_ids(tmp_path):
    text = VALID.format(name="mine").replace('id = "p2"', 'id = "p1"')
    message = _error(tmp_path, "mine", text)
    assert "severities: 'p1' appears twice" in message


def test_duplicate_role_ids(tmp_path):
    text = VALID.format(name="mine") + '\n[[roles]]\nid = "lead"\nname = "Second lead"\n'
    message = _error(tmp_path, "mine", text)
    assert "roles: 'lead' appears twice" in message


def test_name_must_match_file_name(tmp_path):
    message = _error(tmp_path, "other", VALID.format(name="mine"))
    assert "name: 'mine' does not match the file name 'other.toml'" in message


def test_bad_timezone(tmp_path):
    text = 'timezone = "Mars/Olympus_Mons"\n' + VALID.format(name="mine")
    message = _error(tmp_path, "mine", text)
    assert "timezone: 'Mars/Olympus_Mons' is not a known time zone" in message


def test_bad_out_of_hours_time(tmp_path):
    text = VALID.format(name="mine") + '\n[cadences.out_of_hours]\nstart = "6pm"\nend = "10:00"\n'
    message = _error(tmp_path, "mine", text)
    assert "cadences.out_of_hours.start: '6pm' is not a time of day" in message


def test_unknown_default_severity(tmp_path):
    text = 'default_severity = "sev9"\n' + VALID.format(name="mine")
    message = _error(tmp_path, "mine", text)
    assert "default_severity: 'sev9' is not one of the severities" in message


def test_same_person_warning_must_name_roles_of_the_profile(tmp_path):
    text = 'same_person_warnings = [["lead", "scribe"]]\n' + VALID.format(name="mine")
    message = _error(tmp_path, "mine", text)
    assert "same_person_warnings[0]: must be a pair of role ids" in message


def test_parse_profile_reports_the_path_it_was_given():
    with pytest.raises(ProfileError, match=r"^profile inline\.toml: severities: "):
        parse_profile("inline.toml", 'name = "inline"\n')


# --- user profiles ----------------------------------------------------------------------------


def test_user_profile_overrides_a_builtin(tmp_path):
    path = _write(tmp_path, "dxw", VALID.format(name="dxw").replace("Test process", "Our dxw"))
    registry = ProfileRegistry(user_dir=tmp_path)
    profile = registry.get("dxw")
    assert profile.title == "Our dxw"
    assert profile.origin == "user (overrides built-in)"
    assert profile.path == path
    assert [s.id for s in profile.severities] == ["p1", "p2"]
    assert registry.files()["dxw"] == (path, "user (overrides built-in)")
    # The built-in itself is untouched for a registry without the user folder.
    assert ProfileRegistry(user_dir=None).get("dxw").origin == "built-in"


def test_user_profile_adds_a_new_one(tmp_path):
    _write(tmp_path, "acme", VALID.format(name="acme"))
    registry = ProfileRegistry(user_dir=tmp_path)
    assert set(registry.names()) == set(BUILTIN_NAMES) | {"acme"}
    assert registry.get("acme").origin == "user"
    assert registry.files()["govuk-paas"][1] == "built-in"


def test_a_broken_user_profile_does_not_break_the_others(tmp_path):
    _write(tmp_path, "broken", "name = ")
    registry = ProfileRegistry(user_dir=tmp_path)
    assert "broken" in registry.names()
    assert registry.get("dxw").origin == "built-in"
    with pytest.raises(ProfileError):
        registry.get("broken")


def test_unknown_profile_lists_the_known_ones(tmp_path):
    with pytest.raises(NotFound, match="unknown profile 'nope'.*dxw"):
        ProfileRegistry(user_dir=tmp_path).get("nope")


# --- out of hours -----------------------------------------------------------------------------


@pytest.mark.parametrize(("hh", "mm", "expected"), [
    (17, 59, False),
    (18, 0, True),
    (23, 59, True),
    (0, 0, True),
    (9, 59, True),
    (10, 0, False),
    (12, 0, False),
])
def test_dxw_out_of_hours_window_crosses_midnight(builtins, hh, mm, expected):
    window = builtins.get("dxw").cadences.out_of_hours
    assert window.contains(time(hh, mm)) is expected


def test_out_of_hours_window_within_one_day():
    window = OutOfHours(time(12, 0), time(14, 0))
    assert not window.contains(time(11, 59))
    assert window.contains(time(12, 0))
    assert window.contains(time(13, 59))
    assert not window.contains(time(14, 0))


def test_process_rules_are_read_and_checked(tmp_path):
    paas, dxw = ProfileRegistry().get("govuk-paas"), ProfileRegistry().get("dxw")
    assert [r.id for r in paas.roles if r.sole_changer] == ["lead"]
    assert not any(r.sole_changer for r in dxw.roles)
    assert dxw.cadences.out_of_hours is not None and dxw.cadences.out_of_hours.respond_at == ("critical",)
    two = VALID.format(name="mine").replace('required = true\n', 'required = true\nsole_changer = true\n')
    two += '\n[[roles]]\nid = "b"\nname = "B"\nsole_changer = true\n'
    assert "roles: only one role can be the sole_changer" in _error(tmp_path, "mine", two)
    ooh = VALID.format(name="mine") + ('\n[cadences.out_of_hours]\nstart = "18:00"\nend = "10:00"\n'
                                       'respond_at = ["p9"]\n')
    assert "cadences.out_of_hours.respond_at: 'p9' is not one of the severities" in _error(
        tmp_path, "mine", ooh)
