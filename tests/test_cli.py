"""The command line as a script or a person uses it: output, exit codes, one-line errors."""

from __future__ import annotations

import json
import os

import pytest

from tests.conftest import dump, export_doc, run_cli, seed


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "team.db")


def one_line_error(result, code=1):
    assert result.returncode == code, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_declare_prints_the_reference_alone(db):
    result = run_cli("--db", db, "declare", "Checkout 503s", "--severity", "P2",
                     "--profile", "modernisation-platform")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "INC-1\n"
    result = run_cli("declare", "--db", db, "Second", "--service", "networking", "--lead", "ana",
                     "--profile", "modernisation-platform", "--security")
    assert result.stdout == "INC-2\n"
    listed = json.loads(run_cli("list", "--json", "--db", db).stdout)
    assert [(i["ref"], i["severity"]) for i in listed] == [("INC-2", "p3"), ("INC-1", "p2")]


def test_db_and_as_before_or_after_the_command(db, monkeypatch):
    seed(db, title="x")
    assert run_cli("note", "--db", db, "--as", "zoe", "after").returncode == 0
    assert run_cli("--db", db, "--as", "yan", "note", "before").returncode == 0
    assert run_cli("note", "from env", env={"WARROOM_DB": db, "WARROOM_USER": "xi"}).returncode == 0
    doc = export_doc(db)
    assert [(e["author"], e["text"]) for e in doc["entries"][1:]] == [
        ("zoe", "after"), ("yan", "before"), ("xi", "from env")]


def test_default_database_is_in_the_data_folder(tmp_path):
    env = {"WARROOM_DATA_DIR": str(tmp_path / "xdg" / "warroom")}
    assert run_cli("declare", "x", env=env).stdout == "INC-1\n"
    assert (tmp_path / "xdg" / "warroom" / "warroom.db").is_file()


def test_note_from_stdin_kind_and_backdating(db):
    seed(db, title="x")
    result = run_cli("--db", db, "note", "--kind", "result", input="line one\nline two\n")
    assert result.stdout == "INC-1#2\n"
    result = run_cli("--db", db, "note", "--at", "2026-11-22T09:00:00Z", "first alert")
    assert result.returncode == 0
    doc = export_doc(db)
    assert doc["entries"][1]["kind"] == "result"
    assert doc["entries"][1]["text"] == "line one\nline two"
    assert doc["entries"][2]["occurred_at"] == "2026-11-22T09:00:00.000000Z"


@pytest.mark.parametrize("args,code,fragment", [
    (["frobnicate"], 2, "invalid choice"),
    (["declare"], 2, "required: title"),
    (["list", "--bogus"], 2, "unrecognized arguments"),
    (["export", "INC-1", "--format", "pdf"], 2, "invalid choice"),
    (["note", "--incident", "INC-404", "hello"], 1, "no incident 'INC-404'"),
    (["note", "--kind", "gossip", "hello"], 1, "unknown entry kind 'gossip'"),
    (["note", "--kind", "action", "no owner"], 1, "needs an owner"),
    (["note", "--at", "soon", "x"], 1, "not an ISO time"),
    (["note", "   "], 1, "note text is empty"),
    (["declare", "x", "--severity", "P7", "--profile", "modernisation-platform"], 1, "unknown severity 'P7'"),
    (["declare", "x", "--service", "Mainframe"], 1, "unknown service 'Mainframe'"),
    (["declare", "x", "--profile", "nope"], 1, "unknown profile 'nope'"),
    (["declare", "   "], 1, "title is empty"),
    (["export", "INC-404"], 1, "no incident 'INC-404'"),
    (["verify", "INC-404"], 1, "no incident 'INC-404'"),
    (["import", "/nonexistent/file.json"], 1, "cannot be read"),
])
def test_bad_input_one_line_and_nothing_lost(db, args, code, fragment):
    seed(db, "kept")
    before = dump(db)
    line = one_line_error(run_cli("--db", db, *args), code)
    assert fragment in line
    assert dump(db) == before  # every row of every table, as it was


def test_no_open_incident(db):
    line = one_line_error(run_cli("--db", db, "note", "hello"))
    assert "no such database" in line and not os.path.exists(db)  # a typo creates nothing
    from warroom.store import Store

    Store.open(db).close()
    line = one_line_error(run_cli("--db", db, "note", "hello"))
    assert "no open incident" in line


def test_huge_text_refused(db):
    seed(db, title="x")
    line = one_line_error(run_cli("--db", db, "note", input="y" * 100_000))
    assert "100,000 characters; the limit is 20,000" in line


def test_non_utf8_stdin(db, tmp_path):
    import subprocess
    import sys

    seed(db, title="x")
    result = subprocess.run([sys.executable, "-m", "warroom", "--db", db, "note"],
                            input=b"\xff\xfe bad bytes", capture_output=True)
    assert result.returncode == 1 and b"not UTF-8" in result.stderr


def test_import_round_trip_and_bad_files(db, tmp_path):
    seed(db, "a | b `c` [bold]d", title="x", lead="ann")
    out = tmp_path / "inc.json"
    assert run_cli("--db", db, "export", "INC-1", "--format", "json", "-o", str(out)).returncode == 0
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    other = str(tmp_path / "other.db")
    assert run_cli("--db", other, "import", str(out)).stdout == "INC-1\n"
    assert run_cli("--db", other, "export", "INC-1", "--format", "json").stdout == out.read_text()
    assert "already exists" in one_line_error(run_cli("--db", other, "import", str(out)))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert "not a warroom JSON export" in one_line_error(run_cli("--db", other, "import", str(bad)))
    bad.write_text(json.dumps({"format": "something-else"}))
    assert "not a warroom JSON export" in one_line_error(run_cli("--db", other, "import", str(bad)))


def test_profiles_command_and_bad_user_profile(tmp_path):
    config = tmp_path / "cfg"
    (config / "profiles").mkdir(parents=True)
    result = run_cli("profiles", env={"WARROOM_CONFIG_DIR": str(config)})
    assert result.returncode == 0
    for name in ("default", "modernisation-platform", "analytical-platform", "dxw", "govuk-paas"):
        assert name in result.stdout
    from warroom.core.profiles import BUILTIN_DIR

    text = (BUILTIN_DIR / "default.toml").read_text().replace('name = "default"', 'name = "broken"')
    (config / "profiles" / "broken.toml").write_text(text.replace('summary = "30m"', 'summary = "soon"'))
    result = run_cli("profiles", env={"WARROOM_CONFIG_DIR": str(config)})
    assert result.returncode == 1
    assert "cadences.summary" in result.stdout and "broken.toml" in result.stdout
    line = one_line_error(run_cli("--db", str(tmp_path / "w.db"), "declare", "x", "--profile", "broken",
                                  env={"WARROOM_CONFIG_DIR": str(config)}))
    assert "broken.toml" in line and "cadences.summary" in line and "'soon'" in line


def test_version_and_help():
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.startswith("warroom ")
    result = run_cli("--help")
    assert result.returncode == 0 and "declare" in result.stdout and "export" in result.stdout


# ---------------------------------------------------------------------- the process (issue 13)
def test_escalation_and_ticket_from_the_command_line_clear_the_clock_and_reach_the_report(db):
    from warroom.core.domain import Warroom
    from warroom.core.profiles import ProfileRegistry
    from warroom.core.timers import compute_timers, find
    from warroom.store import Store

    assert run_cli("--db", db, "declare", "Sites down", "--profile", "dxw", "--severity",
                   "major", "--lead", "ana").stdout == "INC-1\n"

    def escalation_timer():
        with Store.open(db) as store:
            w = Warroom(store, ProfileRegistry())
            return find(compute_timers(w.incident_profile("INC-1"), w.state("INC-1"),
                                       w.clock.now()), "escalation")

    assert escalation_timer().alerting  # Major: escalate to 2nd line at once
    assert one_line_error(run_cli("--db", db, "note", "--kind", "escalation", input=""), 2).startswith(
        "warroom: --kind escalation needs --to")
    assert one_line_error(run_cli("--db", db, "note", "--kind", "ticket", "--case", "1", input=""), 2)
    result = run_cli("--db", db, "note", "--kind", "escalation", "--to", "2nd line support",
                     "--how", "phone", "Woke Sam", input="")
    assert result.returncode == 0 and result.stdout == "INC-1#3\n", result.stderr
    result = run_cli("--db", db, "note", "--kind", "ticket", "--supplier", "AWS", "--case",
                     "171682304100512", input="")
    assert result.stdout == "INC-1#4\n", result.stderr
    timer = escalation_timer()
    assert not timer.applicable and "escalated to 2nd line support" in timer.detail
    report = run_cli("--db", db, "export", "INC-1").stdout
    section = report.split("## Escalations", 1)[1].split("\n## ", 1)[0]
    assert "| 2nd line support | level 1 of 6 | phone | Woke Sam | " in section
    section = report.split("## Third-party support tickets", 1)[1].split("\n## ", 1)[0]
    assert "| AWS | 171682304100512 |  | tester |" in section  # no note given: none repeated
    # The timeline row says the supplier and case, and who was escalated to and how.
    timeline = report.split("## Timeline", 1)[1].split("\n## ", 1)[0]
    assert "Ticket AWS case 171682304100512 |" in timeline
    assert "Escalated to Level 1 (2nd line support) by phone — Woke Sam |" in timeline
    assert "no escalations" not in report.lower()


def test_a_change_by_someone_not_the_lead_is_saved_and_warned_about(db):
    """GOV.UK PaaS: only the incident lead changes production."""
    run_cli("--db", db, "declare", "Tenants see 500s", "--profile", "govuk-paas", "--severity", "P1",
            "--lead", "lee")
    own = run_cli("--db", db, "--as", "lee", "note", "--kind", "change", "Scaled the router pool")
    assert (own.returncode, own.stderr) == (0, "")
    other = run_cli("--db", db, "--as", "cam", "note", "--kind", "change", "Restarted the API")
    assert other.returncode == 0 and other.stdout == "INC-1#4\n"
    assert other.stderr == ("warning: change #4 logged by cam, but lee was the Incident lead: "
                            "only the Incident lead changes production\n")
    report = run_cli("--db", db, "export", "INC-1").stdout
    assert "- `#4` at " in report and " by cam: lee was the Incident lead" in report


def test_declaring_out_of_hours_below_critical_says_what_is_responded_to(tmp_path):
    from warroom.base.clock import FrozenClock
    from warroom.cli import _out_of_hours_scope
    from warroom.core.domain import Warroom
    from warroom.core.profiles import ProfileRegistry
    from warroom.store import Store

    with Store.open(tmp_path / "w.db") as store:
        w = Warroom(store, ProfileRegistry(), clock=FrozenClock("2026-11-23T23:10:00Z"), user="ana")
        minor = w.declare("Search slow", profile="dxw", severity="minor").incident
        assert _out_of_hours_scope(w, minor) == (
            "Out of hours until 10:00: only respond to critical alerts and emergency tickets. "
            "This incident is Minor, not Critical.")
        critical = w.declare("Sites down", profile="dxw", severity="critical").incident
        assert _out_of_hours_scope(w, critical) == ""


def test_set_changes_facts_with_a_reason_and_shows_the_security_steps(db):
    run_cli("--db", db, "declare", "Tenants see 500s", "--profile", "govuk-paas", "--severity", "P1")
    result = run_cli("--db", db, "set", "INC-1", "--security", "--service", "AWS",
                     "--impact-started", "2026-01-05T09:00:00Z", "--reason", "keys in a public log")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "INC-1#2 Flagged: security incident: keys in a public log",
        "INC-1#3 Impacted services: AWS infrastructure: keys in a public log",
        "INC-1#4 keys in a public log"]
    assert "Alert Information Assurance (IA) immediately" in result.stderr
    assert one_line_error(run_cli("--db", db, "set", "INC-1", "--security"), 2).startswith(
        "warroom: the following arguments are required: --reason")
    assert one_line_error(run_cli("--db", db, "set", "INC-1", "--security", "--reason", "again"))
    refused = run_cli("--db", db, "export", "INC-1", "--public")
    assert refused.returncode == 1 and "security" in refused.stderr
