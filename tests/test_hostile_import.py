"""Crafted imports and wrong-shaped rows: each is refused in one line or imported and fully
usable; a bad row already in a database is shown as damaged and never stops a reader."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from warroom.base.chain import GENESIS, chain_hash
from warroom.base.clock import FrozenClock
from warroom.base.model import Entry
from warroom.cli import main
from warroom.core import importing
from warroom.core.domain import Warroom
from warroom.core.entry_data import clean, data_problem, readable
from warroom.core.state import project
from warroom.store import Store

OSC52 = "\x1b]52;c;ZWNobyBwd25lZA==\x07"
BIDI = "\u202e"


def run(*argv: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    import sys

    out, err = io.StringIO(), io.StringIO()
    old = sys.stdin
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin))
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(argv))
    finally:
        sys.stdin = old
    return code, out.getvalue(), err.getvalue()


def full_incident(store: Store) -> str:
    clock = FrozenClock("2026-11-22T14:00:00Z")
    w = Warroom(store, user="ana", clock=clock)
    ref = w.declare("Checkout down", services=[], lead="ana").incident
    clock.advance(60)
    w.change_severity(ref, "sev1", "worse")
    w.change_status(ref, "identified", "found it")
    w.assign_role(ref, "scribe", "bo")
    w.set_flags(ref, security=False, customer_impacting=True)
    a = w.log(ref, "action", "restart @bo")
    w.add_followup(ref, "postmortem @ana")
    w.mark_done(ref, a.seq)
    w.amend(ref, a.seq, "restart pods @bo")
    w.post_update(ref, "We are on it", next_update=timedelta(minutes=30))
    w.write_summary(ref, "Summary so far")
    w.record_prompt(ref, "lead_summary", "dismissed", reason="busy")
    w.log_escalation(ref, "vendor")
    w.log_ticket(ref, "AWS", "case-1")
    w.record_system(ref, "something", {"event": "x"})
    return ref


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("WARROOM_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("WARROOM_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


@pytest.fixture(scope="module")
def export_doc(tmp_path_factory):
    with Store.open(tmp_path_factory.mktemp("src") / "src.db") as s:
        ref = full_incident(s)
        return Warroom(s, user="x").export_json(ref)


def rehash(doc: dict) -> dict:
    """What an attacker does after editing: recompute every hash so the chain holds."""
    prev = GENESIS
    ref = doc["incident"]["ref"]
    for item in doc["entries"] if isinstance(doc["entries"], list) else ():
        if not isinstance(item, dict):
            continue
        item["prev_hash"] = prev
        fields = {k: item[k] for k in ("seq", "uid", "kind", "author", "occurred_at",
                                       "recorded_at", "text", "data", "amends", "host", "session")}
        item["hash"] = chain_hash(prev, Entry(incident=ref, **fields))
        prev = item["hash"]
    doc["chain_head"] = prev
    return doc


def crafted(doc: dict) -> list[tuple[str, object]]:
    """(name, document or raw bytes) for every way we know to make an export hostile."""
    cases: list[tuple[str, object]] = []

    def variant(name: str, change, *, hashed: bool = True) -> None:
        d = copy.deepcopy(doc)
        d["incident"]["ref"] = f"INC-{1000 + len(cases)}"  # not under the hash
        for item in d["entries"]:  # uids are unique per database: a fresh set per case
            item["uid"] = f"{item['uid'][:40]}-{len(cases)}"
        if hashed:
            change(d)
            rehash(d)
        else:
            rehash(d)
            change(d)
        cases.append((name, d))

    for pos, item in enumerate(doc["entries"]):
        kind = item["kind"]

        def set_data(value, pos=pos):
            return lambda d: d["entries"][pos].__setitem__("data", value)

        variant(f"{kind}: data is a list", set_data([1, 2]))
        variant(f"{kind}: data is a string", set_data("x"))
        for key, value in item["data"].items():
            def drop(d, pos=pos, key=key):
                del d["entries"][pos]["data"][key]

            def put(new, pos=pos, key=key):
                return lambda d: d["entries"][pos]["data"].__setitem__(key, new)
            variant(f"{kind}: without {key}", drop)
            variant(f"{kind}: {key} is a list", put([["deep"]]))
            variant(f"{kind}: {key} is a number", put(12345))
            variant(f"{kind}: {key} is an object", put({"a": {"b": {"c": {"d": {"e": 1}}}}}))
            variant(f"{kind}: {key} has OSC 52", put(f"x{OSC52}"))
            variant(f"{kind}: {key} has a bidi override", put(f"{BIDI}gnp.exe"))
            variant(f"{kind}: {key} is huge", put("y" * 30_000))
        for field in ("author", "text", "host", "session", "uid"):
            def ctl(d, pos=pos, field=field):
                d["entries"][pos][field] = d["entries"][pos][field] + OSC52
            variant(f"{kind}: {field} has OSC 52", ctl)
        variant(f"{kind}: extra key with controls", set_data({**item["data"], "x": "\x1b[31m"}))
        variant(f"{kind}: occurred_at year 999",
                lambda d, pos=pos: d["entries"][pos].__setitem__("occurred_at",
                                                                  "999-01-01T00:00:00.000000Z"))
        variant(f"{kind}: seq is text", lambda d, pos=pos: d["entries"][pos].__setitem__("seq", "1"))
    variant("broken chain", lambda d: d["entries"][2].__setitem__("text", "edited"), hashed=False)
    variant("unknown kind", lambda d: d["entries"][3].__setitem__("kind", "bogus"))
    variant("ref lower-case", lambda d: d["incident"].__setitem__("ref", "inc-1"))
    variant("ref with escape", lambda d: d["incident"].__setitem__("ref", "INC-\x1b[2J"))
    variant("ref too long", lambda d: d["incident"].__setitem__("ref", "INC-" + "9" * 100))
    variant("number disagrees", lambda d: d["incident"].__setitem__("number", 1))
    variant("number huge", lambda d: d["incident"].__setitem__("number", 10 ** 30))
    variant("number is text", lambda d: d["incident"].__setitem__("number", "x"))
    variant("profile with controls", lambda d: d["incident"].__setitem__("profile", "de\x07fault"))
    variant("created_at nonsense", lambda d: d["incident"].__setitem__("created_at", "yesterday"))
    variant("version is text", lambda d: d.__setitem__("version", "1"))
    variant("version newer", lambda d: d.__setitem__("version", 99))
    variant("no entries", lambda d: d.__setitem__("entries", []))
    variant("entries is an object", lambda d: d.__setitem__("entries", {}))
    variant("entry is a list", lambda d: d["entries"].__setitem__(1, [1]))
    variant("first is not declared", lambda d: d.__setitem__("entries", d["entries"][1:]))
    cases.append(("deep nesting", b"[" * 200_000 + b"]" * 200_000))
    cases.append(("deep object", b'{"a":' * 100_000 + b"1" + b"}" * 100_000))
    cases.append(("not utf-8", b"\xff\xfe{}"))
    cases.append(("not json", b"{"))
    cases.append(("empty", b""))
    cases.append(("a number", b"1e999999"))
    ok = copy.deepcopy(doc)
    ok["incident"]["ref"] = "INC-60"
    cases.append(("a sound export", ok))
    return cases


def usable(db: Path) -> None:
    """Everything a reader does works on the whole database."""
    for argv in (["list", "--all"], ["list", "--all", "--json"]):
        code, out, err = run("--db", str(db), *argv)
        assert code == 0, (argv, err)
        assert "\x1b" not in out and BIDI not in out
    with Store.open(db, readonly=True) as s:
        refs = [r.ref for r in s.incidents()]
    for ref in refs:
        for argv in (["export", ref], ["export", ref, "--format", "json"],
                     ["export", ref, "--public"], ["verify", ref]):
            code, out, err = run("--db", str(db), *argv)
            assert code == 0, (argv, err)
    code, out, err = run("--db", str(db), "note", "still works")
    assert code == 0, err


def test_crafted_import_corpus(env, export_doc, monkeypatch):
    monkeypatch.setattr(importing, "MAX_IMPORT_BYTES", 1_000_000)
    db = env / "team.db"
    with Store.open(db) as s:
        full_incident(s)
    cases = crafted(export_doc)
    refused = imported = 0
    for n, (name, doc) in enumerate(cases):
        path = env / f"case{n}.json"
        path.write_bytes(doc if isinstance(doc, bytes) else json.dumps(doc).encode())
        before = db.read_bytes()
        code, out, err = run("--db", str(db), "import", str(path))
        assert code in (0, 1), (name, code, err)
        assert "Traceback" not in err and len(err.strip().splitlines()) <= 1, (name, err)
        if code == 1:
            refused += 1
            assert db.read_bytes() == before, name
            assert err.startswith("warroom: "), (name, err)
        else:
            imported += 1
            assert run("--db", str(db), "list", "--all")[0] == 0, name
    usable(db)  # list, export (both, and public) and verify of every incident, then a note
    print(f"\ncrafted imports: {len(cases)} tried, {refused} refused in one line, "
          f"{imported} imported and usable")
    assert imported >= 20 and refused >= 300


def test_oversized_import_refused_without_reading_it_all(env, monkeypatch):
    monkeypatch.setattr(importing, "MAX_IMPORT_BYTES", 1000)
    big = env / "big.json"
    big.write_bytes(b" " * 5000)
    code, out, err = run("--db", str(env / "new.db"), "import", str(big))
    assert code == 1 and "longer than 1,000 bytes" in err
    assert not (env / "new.db").exists()  # a refused import creates nothing
    code, out, err = run("--db", str(env / "new.db"), "import", "/dev/zero")
    assert code == 1 and not (env / "new.db").exists()


def test_failed_import_leaves_no_empty_database(env):
    bad = env / "bad.json"
    bad.write_text('{"format": "warroom-export", "version": 1, "incident": {}, "entries": []}')
    code, out, err = run("--db", str(env / "fresh.db"), "import", str(bad))
    assert code == 1 and len(err.splitlines()) == 1
    assert not (env / "fresh.db").exists()


def test_number_comes_from_the_ref(env, export_doc):
    db = env / "team.db"
    doc = copy.deepcopy(export_doc)
    doc["incident"]["ref"], doc["incident"]["number"] = "INC-3", 1
    path = env / "inc3.json"
    path.write_text(json.dumps(doc))
    assert run("--db", str(db), "import", str(path))[0] == 0
    refs = [run("--db", str(db), "declare", f"n{i}")[1].strip() for i in range(4)]
    assert refs == ["INC-4", "INC-5", "INC-6", "INC-7"]


# ---------------------------------------------------------------- rows already in a database
def insert_raw(db: Path, ref: str, kind: str, data: object, text: str = "tampered",
               occurred: str = "2026-11-22T15:00:00.000000Z") -> None:
    """A row written behind the app's back, correctly chained and its head moved (so verify
    passes)."""
    con = sqlite3.connect(db)
    try:
        inc_id = con.execute("SELECT id FROM incidents WHERE ref = ?", (ref,)).fetchone()[0]
        seq, prev = con.execute("SELECT seq, hash FROM entries WHERE incident_id = ? "
                                "ORDER BY seq DESC LIMIT 1", (inc_id,)).fetchone()
        entry = Entry(incident=ref, seq=seq + 1, uid=f"raw{seq}", kind=kind, author="mallory",
                      occurred_at=occurred, recorded_at="2026-11-22T15:00:00.000000Z",
                      text=text, data=data)  # type: ignore[arg-type]
        digest = chain_hash(prev, entry)
        con.execute("INSERT INTO entries (incident_id, seq, uid, kind, author, host, session, "
                    "occurred_at, recorded_at, text, data, amends, prev_hash, hash) VALUES "
                    "(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (inc_id, seq + 1, entry.uid, kind, "mallory", "", "", occurred,
                     entry.recorded_at, text, json.dumps(data), None, prev, digest))
        # The recorded head moves with it, as any writer's does (the triggers allow that).
        con.execute("UPDATE heads SET last_seq = ?, head_hash = ? WHERE incident_id = ?",
                    (seq + 1, digest, inc_id))
        con.commit()
    finally:
        con.close()


@pytest.mark.parametrize("kind,data", [
    ("severity", {}), ("severity", {"to": ["x"]}), ("status", {"to": None}),
    ("role", {"person": "x"}), ("declared", []), ("services", {"services": "abc"}),
    ("status", {"to": f"resolved{OSC52}"}), ("severity", {"to": f"sev1{BIDI}"}),
    ("done", {"target": "x"}), ("comms", {"next_update_s": "soon"}),
    ("prompt", {"until": "never"}), ("bogus", {}),
])
def test_a_wrong_shaped_row_is_shown_damaged_and_breaks_nothing(env, kind, data):
    db = env / "team.db"
    with Store.open(db) as s:
        ref = full_incident(s)
        Warroom(s, user="b").declare("another one")
    insert_raw(db, ref, kind, data)
    with Store.open(db, readonly=True) as s:
        state = project(ref, s.iter_entries(ref))
    assert state.damaged == [state.last_seq]
    usable(db)


def test_an_unpadded_year_row_reads(env):
    db = env / "team.db"
    with Store.open(db) as s:
        ref = full_incident(s)
    insert_raw(db, ref, "note", {}, occurred="999-01-01T00:00:00.000000Z")
    usable(db)


def test_domain_cleans_every_string_in_data(env):
    with Store.open(env / "t.db") as s:
        w = Warroom(s, user="a")
        ref = w.declare("x").incident
        e = w.record_system(ref, "note", {"title": f"evil{OSC52}", "list": [f"a{BIDI}b"]})
        assert e.data == {"title": "evil", "list": ["ab"]}
    assert clean("severity", {"to": "sev1\x1b[31m"}) == {"to": "sev1"}
    assert data_problem("severity", {"to": "sev1\x1b[31m"})
    with pytest.raises(Exception, match="'to' is missing"):
        clean("severity", {"from": "sev2"})


def test_readable_keeps_sound_entries_as_they_are(export_doc):
    for raw in export_doc["entries"]:
        fields = {k: raw[k] for k in ("seq", "uid", "kind", "author", "occurred_at",
                                      "recorded_at", "text", "data", "amends", "host", "session")}
        entry = Entry(incident="INC-1", **fields)
        assert readable(entry) is entry, raw["kind"]


def test_list_and_profiles_print_no_control_characters(env):
    profiles = env / "config" / "profiles"
    profiles.mkdir(parents=True)
    from warroom.locations import builtin_profiles_dir

    src = (builtin_profiles_dir() / "default.toml").read_text()
    (profiles / "evil.toml").write_text(src.replace('name = "default"', 'name = "evil"', 1)
                                        .replace('label = "', 'label = "\\u001b]0;pwn\\u0007', 1))
    code, out, err = run("profiles")
    assert "\x1b" not in out and "\x07" not in out and "\x1b" not in err
