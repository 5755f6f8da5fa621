"""Corrections: ``warroom amend REF#SEQ`` and the domain verb behind it. Both entries are kept,
the latest correction wins, a correction of a correction corrects the original, and the chain
still verifies."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli
from tests.test_cli import one_line_error
from warroom.base.errors import NotFound, ValidationError


@pytest.fixture
def db(tmp_path):
    path = str(tmp_path / "team.db")
    assert run_cli("--db", path, "declare", "Checkout 503s").returncode == 0
    return path


def _doc(db):
    return json.loads(run_cli("--db", db, "export", "INC-1", "--format", "json").stdout)


def test_amend_text_kind_time_and_stdin(db):
    assert run_cli("--db", db, "note", "deploy 4511 rolled bak").stdout == "INC-1#2\n"
    result = run_cli("--db", db, "amend", "INC-1#2", "deploy 4511 rolled back")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "INC-1#3\n"
    result = run_cli("--db", db, "amend", "inc-1#2", "--kind", "decision", input="")
    assert result.returncode == 0, result.stderr
    result = run_cli("--db", db, "amend", "INC-1#2", "--at", "2026-01-02T03:04:00Z", input="")
    assert result.returncode == 0, result.stderr
    result = run_cli("--db", db, "amend", "INC-1#2", input="from stdin\nsecond line\n")
    assert result.returncode == 0, result.stderr
    entries = _doc(db)["entries"]
    assert entries[1]["text"] == "deploy 4511 rolled bak"  # the original is kept as written
    fixes = entries[2:]
    assert all(e["kind"] == "amend" and e["amends"] == 2 for e in fixes)
    assert fixes[0]["data"] == {"kind": "note"}
    assert fixes[1]["text"] == "deploy 4511 rolled back"  # the text carried over
    assert fixes[1]["data"] == {"kind": "decision", "from_kind": "note"}
    assert fixes[2]["data"]["occurred_at"] == "2026-01-02T03:04:00.000000Z"
    assert fixes[2]["data"]["kind"] == "decision"  # each correction carries the whole picture
    assert fixes[3]["text"] == "from stdin\nsecond line"
    assert fixes[3]["data"] == {"kind": "decision", "from_kind": "note",
                                "occurred_at": "2026-01-02T03:04:00.000000Z"}
    verified = run_cli("--db", db, "verify", "INC-1")
    assert verified.returncode == 0 and "intact" in verified.stdout
    report = run_cli("--db", db, "export", "INC-1").stdout
    assert "deploy 4511 rolled bak" in report and "from stdin" in report and "Corrected" in report
    plain = report.replace("\\", "")
    assert "kind note → decision" in plain and "happened at 2026-01-02 03:04" in plain


def test_amending_a_correction_amends_the_original_latest_wins(db):
    run_cli("--db", db, "note", "--kind", "action", "@bob restart the LB")
    assert run_cli("--db", db, "amend", "INC-1#2", "@carol restart the LB").stdout == "INC-1#3\n"
    assert run_cli("--db", db, "amend", "INC-1#3", "@dan restart both LBs").stdout == "INC-1#4\n"
    entries = _doc(db)["entries"]
    assert [e["amends"] for e in entries[2:]] == [2, 2]
    assert entries[3]["data"]["owner"] == "dan"
    assert run_cli("--db", db, "verify", "INC-1").returncode == 0


@pytest.mark.parametrize("args,code,fragment", [
    (["amend", "INC-1#99", "x"], 1, "INC-1 has no entry #99"),
    (["amend", "INC-7#2", "x"], 1, "no incident 'INC-7'"),
    (["amend", "INC-1#2", "   "], 1, "correction text is empty"),
    (["amend", "INC-1#2", ""], 1, "correction text is empty"),
    (["amend", "INC-1", "x"], 1, "is not REF#SEQ"),
    (["amend", "INC-1#2", "--kind", "gossip"], 1, "unknown entry kind 'gossip'"),
    (["amend", "INC-1#2", "--kind", "action"], 1, "needs an owner"),
    (["amend", "INC-1#1", "--kind", "note"], 1, "only these kinds"),
    (["amend", "INC-1#2", "--at", "soon"], 1, "not an ISO time"),
    (["amend", "INC-1#2", "kept"], 1, "nothing to correct"),
    (["amend", "INC-1#2", "--owner", "bob", "x"], 1, "only an action"),
    (["amend"], 2, "required"),
])
def test_bad_corrections_one_line_and_nothing_written(db, args, code, fragment):
    run_cli("--db", db, "note", "kept")
    before = _doc(db)
    line = one_line_error(run_cli("--db", db, *args, input=""), code)
    assert fragment in line
    assert _doc(db) == before


def test_amend_with_nothing_to_say_is_a_usage_error(db):
    run_cli("--db", db, "note", "kept")
    result = run_cli("--db", db, "amend", "INC-1#2", input="")
    # An empty stdin is an empty correction: refused, nothing written.
    assert one_line_error(result, 1).endswith("correction text is empty")


def test_options_before_the_text(db):
    run_cli("--db", db, "note", "kept")
    result = run_cli("--db", db, "amend", "INC-1#2", "--kind", "decision", "kept, decided")
    assert result.returncode == 0, result.stderr
    assert _doc(db)["entries"][-1]["data"] == {"kind": "decision", "from_kind": "note"}


def test_domain_history_and_state(wr):
    ref = wr.declare("Checkout 503s", severity="SEV2", services=["API"], lead="alice").incident
    note = wr.note(ref, "LB flapping")
    wr.amend(ref, note.seq, "LB flapping, restart @bob", kind="action")
    state = wr.state(ref)
    assert state.actions[note.seq].owner == "bob"
    assert state.current_kind(wr.store.entry(ref, note.seq)) == "action"
    fix = wr.amend(ref, note.seq, kind="note")
    assert fix.text == "LB flapping, restart @bob"
    assert note.seq not in wr.state(ref).actions
    hist = wr.history(ref, fix.seq)
    assert hist.original.seq == note.seq and len(hist.corrections) == 2
    assert hist.now.kind == "note" and hist.now.corrected
    with pytest.raises(NotFound):
        wr.amend(ref, 999, "x")
    with pytest.raises(ValidationError, match="nothing to correct"):
        wr.amend(ref, note.seq, kind="note")


def test_done_can_be_undone_by_a_new_entry(wr):
    ref = wr.declare("x").incident
    act = wr.log(ref, "action", "@bob restart the LB")
    wr.mark_done(ref, act.seq, "restarted")
    with pytest.raises(ValidationError, match="open already"):
        wr.reopen(ref, wr.log(ref, "action", "@ann other").seq)
    back = wr.reopen(ref, act.seq, "it fell over again")
    assert back.kind == "done" and back.data == {"target": act.seq, "reopened": True}
    assert back.text == "Reopened: @bob restart the LB: it fell over again"
    state = wr.state(ref)
    assert not state.actions[act.seq].done
    wr.mark_done(ref, act.seq)  # and done again
    assert wr.state(ref).actions[act.seq].done
    report = wr.export_report(ref).replace("\\", "").replace("`", "")
    assert f"Reopened #{act.seq}: @bob restart the LB: it fell over again" in report
