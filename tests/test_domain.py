"""The domain API: every method checks its input against the profile and says what is wrong."""

from __future__ import annotations

from datetime import timedelta

import pytest

from warroom.core.domain import Warroom, assignment_warnings, mentioned_owner, role_warnings
from warroom.core.text import MAX_TEXT, sanitize
from warroom.base.errors import NotFound, ValidationError


@pytest.fixture
def ref(wr):
    return wr.declare("Checkout 503s", severity="SEV2", services=["API"], lead="alice").incident


def test_declare_derives_state(wr, ref, clock):
    state = wr.state(ref)
    assert (state.title, state.severity, state.status) == ("Checkout 503s", "sev2", "investigating")
    assert state.services == ["API"] and state.holder("lead") == "alice"
    assert state.declared_at == clock.now()
    assert [e.kind for e in wr.entries(ref)] == ["declared", "role"]


def test_references_count_up(wr, ref):
    assert ref == "INC-1"
    assert wr.declare("second").incident == "INC-2"


@pytest.mark.parametrize("kind", ["note", "decision", "result", "change", "comms", "summary"])
def test_every_scribe_kind(wr, ref, kind):
    entry = wr.log(ref, kind, f"a {kind}")
    assert (entry.kind, entry.text, entry.author, entry.seq) == (kind, f"a {kind}", "alice", 3)


def test_action_needs_an_owner(wr, ref):
    with pytest.raises(ValidationError, match="needs an owner"):
        wr.log(ref, "action", "restart the pods")
    entry = wr.log(ref, "action", "@bob. restart the pods")
    assert entry.data["owner"] == "bob"
    assert wr.log(ref, "action", "drain node", owner="@carol").data["owner"] == "carol"


def test_mention_parsing():
    assert mentioned_owner("ask @sam.jones to look") == "sam.jones"
    assert mentioned_owner("mail ops@example.com") is None
    assert mentioned_owner("no one") is None


@pytest.mark.parametrize("text,message", [
    ("", "note text is empty"),
    ("   \n\t ", "note text is empty"),
    ("\x1b[2J\x07", "note text is empty"),
    ("x" * (MAX_TEXT + 1), "the limit is 20,000"),
])
def test_bad_text_refused_and_nothing_written(wr, ref, text, message):
    before = wr.entries(ref)
    with pytest.raises(ValidationError, match=message):
        wr.note(ref, text)
    assert wr.entries(ref) == before


def test_unknown_kind(wr, ref):
    with pytest.raises(ValidationError, match="unknown entry kind 'gossip'"):
        wr.log(ref, "gossip", "x")


def test_control_characters_never_reach_the_database(wr, ref):
    hostile = ("ok\x1b]52;c;SGVsbG8=\x07 \x1b[31mred\x1b[0m \x9b2J \u202egnp.exe\u202c"
               " tab\there\r\nnext\x00\x7f\x85")
    entry = wr.note(ref, hostile)
    assert entry.text == "ok red  gnp.exe tab\there\nnext"  # 8-bit CSI removed whole
    stored = wr.store.entry(ref, entry.seq).text
    assert stored == entry.text
    assert sanitize(stored) == stored


def test_unknown_severity_role_service(wr, ref):
    with pytest.raises(NotFound, match="unknown severity 'P9'.*SEV1, SEV2, SEV3"):
        wr.change_severity(ref, "P9", "why")
    with pytest.raises(NotFound, match="unknown role 'pilot'"):
        wr.assign_role(ref, "pilot", "bob")
    with pytest.raises(NotFound, match="unknown service 'Mainframe'"):
        wr.set_services(ref, ["Mainframe"])
    with pytest.raises(NotFound, match="unknown profile 'nope'"):
        wr.declare("x", profile="nope")
    assert len(wr.entries(ref)) == 2


def test_severity_change_needs_reason_and_is_logged(wr, ref):
    with pytest.raises(ValidationError, match="reason"):
        wr.change_severity(ref, "SEV1", "  ")
    with pytest.raises(ValidationError, match="already SEV2"):
        wr.change_severity(ref, "sev2", "same")
    wr.change_severity(ref, "SEV1", "all regions now")
    state = wr.state(ref)
    assert state.severity == "sev1"
    assert [(c.before, c.after) for c in state.severity_history] == [(None, "sev2"), ("sev2", "sev1")]


def texts(warnings):
    return [w.text for w in warnings]


def test_handover_and_warnings(wr, ref, profiles, clock):
    profile = profiles.get("default")
    assert "Scribe is vacant" in texts(role_warnings(wr.state(ref), profile, clock.now()))
    wr.assign_role(ref, "scribe", "alice")
    warned = texts(role_warnings(wr.state(ref), profile, clock.now()))
    assert "alice is both Incident lead and Scribe" in warned
    entry = wr.assign_role(ref, "lead", "bob", note="shift change")
    assert entry.text == "Incident lead handed over from alice to bob: shift change"
    assert entry.data == {"role": "lead", "person": "bob", "previous": "alice", "handover": True}
    with pytest.raises(ValidationError, match="already holds"):
        wr.assign_role(ref, "lead", "bob")
    assert role_warnings(wr.state(ref), profile, clock.now()) == []
    clock.advance(timedelta(hours=2, minutes=1))
    assert any(w.kind == "rotate" for w in role_warnings(wr.state(ref), profile, clock.now()))


def test_assignment_warnings_say_what_saving_would_cause(wr, ref, profiles):
    profile = profiles.get("default")
    state = wr.state(ref)  # alice leads (she declared); nobody scribes
    assert texts(assignment_warnings(state, profile, "scribe", "", ["alice"])) == ["Scribe is vacant"]
    assert texts(assignment_warnings(state, profile, "scribe", "bob", ["alice", "bob"])) == []
    assert texts(assignment_warnings(state, profile, "scribe", " Alice ", ["alice"])) == [
        "alice would be both Incident lead and Scribe"]  # one person, however it is typed
    assert texts(assignment_warnings(state, profile, "scribe", "alcie", ["alice", "bob"])) == [
        "alcie has not appeared in this incident before (check the spelling)"]
    assert texts(assignment_warnings(state, profile, "scribe", "BOB", ["alice", "bob"])) == []
    # Someone new joining is not a typo: only a near miss of a known name is questioned.
    assert texts(assignment_warnings(state, profile, "scribe", "carol", ["alice", "bob"])) == []
    assert texts(assignment_warnings(state, profile, "comms", "zoe", [])) == ["Scribe is vacant"]


def test_status_lifecycle(wr, ref):
    with pytest.raises(ValidationError, match="unknown status"):
        wr.change_status(ref, "fixed")
    with pytest.raises(ValidationError, match="resolution note"):
        wr.change_status(ref, "resolved")
    wr.change_status(ref, "identified", "bad deploy")
    wr.change_status(ref, "resolved", "rolled back", checklist={"Users are no longer facing issues": True})
    state = wr.state(ref)
    assert state.status == "resolved" and state.resolved_at is not None and not state.is_open
    last = wr.entries(ref)[-1]
    assert last.data["checklist"]["Users are no longer facing issues"] is True
    assert last.data["checklist"]["The status page shows the resolution"] is False
    wr.change_status(ref, "monitoring", "it came back")  # moving back is allowed and logged
    assert wr.state(ref).resolved_at is None


def test_followups_done_and_amendments(wr, ref):
    act = wr.log(ref, "action", "@bob check LB")
    fup = wr.add_followup(ref, "Write runbook @carol")
    with pytest.raises(ValidationError, match="owner"):
        wr.add_followup(ref, "nobody owns this")
    wr.mark_done(ref, act.seq)
    with pytest.raises(ValidationError, match="already done"):
        wr.mark_done(ref, act.seq)
    with pytest.raises(NotFound, match="no action or follow-up #1"):
        wr.mark_done(ref, 1)
    fix = wr.amend(ref, fup.seq, "Write and publish runbook @dave")
    state = wr.state(ref)
    assert state.actions[act.seq].done and not state.actions[fup.seq].done
    assert state.actions[fup.seq].owner == "dave"
    assert fix.amends == fup.seq
    original = wr.store.entry(ref, fup.seq)
    assert original.text == "Write runbook @carol"  # both kept
    with pytest.raises(NotFound, match="no entry #99"):
        wr.amend(ref, 99, "x")


def test_ticket_escalation_comms_flags(wr, ref):
    wr.log_ticket(ref, "AWS", "case 1234")
    wr.log_escalation(ref, "Second line / on-call engineer")
    entry = wr.post_update(ref, "Investigating", template="investigating", audience="Customers",
                           next_update=timedelta(minutes=30))
    assert entry.data == {"template": "investigating", "audience": "Customers",
                          "services": ["API"], "next_update_s": 1800}
    with pytest.raises(NotFound, match="unknown template"):
        wr.post_update(ref, "x", template="nope")
    wr.set_flags(ref, security=True)
    assert wr.state(ref).security
    with pytest.raises(ValidationError, match="unchanged"):
        wr.set_flags(ref, security=True)


def test_backdating(wr, ref, clock):
    entry = wr.note(ref, "first alert", at="2026-11-22T13:05:00Z")
    assert entry.occurred_at == "2026-11-22T13:05:00.000000Z"
    assert entry.recorded_at == "2026-11-22T14:00:00.000000Z"
    with pytest.raises(ValidationError, match="in the future"):
        wr.note(ref, "x", at="2026-11-22T15:00:00Z")
    with pytest.raises(ValidationError, match="not an ISO time"):
        wr.note(ref, "x", at="yesterday")


def test_export_import_round_trip(wr, ref, tmp_path, profiles):
    from warroom.store import Store

    wr.note(ref, "tab\there | pipe [bold]")
    wr.amend(ref, 3, "corrected")
    doc = wr.export_json(ref)
    other = Store.open(tmp_path / "other.db")
    w2 = Warroom(other, profiles, user="bob")
    assert w2.import_json(doc) == ref
    assert w2.export_json(ref) == doc
    with pytest.raises(Exception, match="already exists"):
        w2.import_json(doc)
    doc["entries"][2]["text"] = "tampered"
    third = Warroom(Store.open(tmp_path / "third.db"), profiles, user="c")
    with pytest.raises(ValidationError, match="does not match its hash chain"):
        third.import_json(doc)
    assert third.store.incidents() == []


def test_an_owner_is_stored_without_its_at_sign_however_it_was_typed():
    from warroom.core.domain import owner_name

    assert owner_name("@sam") == owner_name(" @sam ") == owner_name("sam") == "sam"
    assert owner_name("@ 1") == "1"  # found by the report's property test
    for empty in ("@", " @ ", "@@"):
        with pytest.raises(ValidationError, match="owner is empty"):
            owner_name(empty)
