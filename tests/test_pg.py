"""PostgreSQL: the same schema and guarantees as SQLite, writers on several machines at once.

Each test gets a fresh schema (the ``pg_url`` fixture) and skips with a reason when
WARROOM_TEST_PG_URL is unset; ``.ci/run`` sets it."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from tests.conftest import REPO, run_cli, seed
from warroom.base.clock import FrozenClock
from warroom.core.domain import Warroom
from warroom.base.errors import StoreError
from warroom.store import Store
from warroom.store.feed import ChangeFeed

pytestmark = pytest.mark.pg


def _sql(url: str, statement: str, **params):
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return result.all() if result.returns_rows else None
    finally:
        engine.dispose()


def _triggers(url: str) -> set[str]:
    rows = _sql(url, "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND "
                     "tgrelid IN (to_regclass('entries'), to_regclass('incidents'))")
    return {r[0] for r in rows}


# ---------------------------------------------------------------- schema
ALL_TRIGGERS = {"entries_no_update", "entries_no_delete", "entries_no_truncate", "entries_notify",
                "entries_db_role", "incidents_no_update", "incidents_no_delete",
                "incidents_no_truncate"}


def test_a_fresh_schema_gets_every_trigger_even_if_another_schema_has_them(pg_url):
    # The test server's other schemas already hold these trigger names: the check is per table.
    Store.open(pg_url).close()
    assert _triggers(pg_url) == ALL_TRIGGERS


def test_entries_are_append_only_in_the_database_itself(pg_url):
    w = Warroom(Store.open(pg_url), user="lead")
    ref = w.declare("x").incident
    w.note(ref, "original")
    w.store.close()
    for statement in ("UPDATE entries SET text = 'doctored'", "DELETE FROM entries",
                      "TRUNCATE entries CASCADE", "DELETE FROM incidents"):
        with pytest.raises(DBAPIError, match="append-only|never deleted"):
            _sql(pg_url, statement)
    assert [r[0] for r in _sql(pg_url, "SELECT text FROM entries ORDER BY seq")] == ["x", "original"]


def test_a_database_missing_its_triggers_gets_them_back_when_opened(pg_url):
    Store.open(pg_url).close()
    _sql(pg_url, "DROP TRIGGER entries_notify ON entries")
    _sql(pg_url, "DROP TRIGGER entries_no_update ON entries")
    Store.open(pg_url, readonly=True).close()  # a read-only open changes nothing
    assert _triggers(pg_url) == ALL_TRIGGERS - {"entries_notify", "entries_no_update"}
    Store.open(pg_url).close()
    assert _triggers(pg_url) == ALL_TRIGGERS


def test_a_newer_schema_version_is_refused_with_one_line_and_left_alone(pg_url):
    Store.open(pg_url).close()
    _sql(pg_url, "UPDATE warroom_meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="schema version 99 is newer"):
        Store.open(pg_url)
    done = run_cli("--db", pg_url, "list")
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("warroom: ")
    assert "schema version 99 is newer than this warroom supports" in done.stderr
    assert "Traceback" not in done.stderr
    done = run_cli("--db", pg_url, "declare", "should not be written")
    assert done.returncode == 1 and "newer" in done.stderr
    assert _sql(pg_url, "SELECT value FROM warroom_meta WHERE key = 'schema_version'") == [("99",)]
    assert _sql(pg_url, "SELECT count(*) FROM incidents") == [(0,)]


def test_an_unreachable_server_is_one_line(tmp_path):
    done = run_cli("--db", "postgresql+psycopg://nobody@127.0.0.1:1/nowhere", "list")
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("warroom: ")
    assert "Traceback" not in done.stderr


def test_the_privileges_the_readme_lists_are_enough(pg_url):
    """A team's everyday database user: no CREATE, only the grants the README names."""
    Store.open(pg_url).close()
    schema = _sql(pg_url, "SELECT current_schema()")[0][0]
    role = f"wr_user_{uuid.uuid4().hex[:8]}"
    grants = [
        f'CREATE ROLE {role} LOGIN',
        f'GRANT USAGE ON SCHEMA "{schema}" TO {role}',
        f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA "{schema}" TO {role}',
        f'GRANT SELECT, INSERT ON "{schema}".entries TO {role}',
        f'GRANT SELECT, INSERT, UPDATE ON "{schema}".incidents TO {role}',
        f'GRANT SELECT ON "{schema}".warroom_meta TO {role}',
        f'GRANT SELECT, INSERT, UPDATE ON "{schema}".heads TO {role}',
        f'GRANT SELECT, INSERT ON "{schema}".seals TO {role}',
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON "{schema}".presence TO {role}',
    ]
    for statement in grants:
        _sql(pg_url, statement)
    user_url = pg_url.replace("://postgres@", f"://{role}@", 1)
    assert user_url != pg_url, "the test server URL must name the postgres user"
    try:
        w = Warroom(Store.open(user_url), user="scribe")
        ref = w.declare("x").incident
        w.note(ref, "everyday work")
        with ChangeFeed(w.store, ref) as feed:
            assert feed.mode == "listen"
            assert [e.seq for e in feed.poll()] == [1, 2]
        w.store.heartbeat("s", ref, "scribe", "h", "2026-11-22T14:00:00Z")
        assert [p.author for p in w.store.present(ref, "2026-11-22T14:00:01Z")] == ["scribe"]
        w.store.leave("s")
        assert w.store.verify(ref)[1] is None
        w.store.close()
    finally:
        _sql(pg_url, f"DROP OWNED BY {role}")
        _sql(pg_url, f"DROP ROLE {role}")


# ---------------------------------------------------------------- concurrent writers
WRITERS, NOTES = 4, 500

WRITER = textwrap.dedent("""
    import sys
    from warroom.core.domain import Warroom
    from warroom.store import Store
    db, ref, who, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    w = Warroom(Store.open(db), user=who)
    for i in range(count):
        w.note(ref, f"{who} note {i}")
""")


def _holes_watcher(url: str, incident_id: int, stop: threading.Event, seen: list):
    """Read the incident over and over, each read its own snapshot: if numbers ever committed
    out of order, some snapshot would hold #n+1 without #n (count < max)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            while not stop.is_set():
                count, top = conn.execute(text(
                    "SELECT count(*), coalesce(max(seq), 0) FROM entries WHERE incident_id = :i"),
                    {"i": incident_id}).one()
                seen.append((count, top))
    finally:
        engine.dispose()


def test_four_processes_500_notes_each_at_once(pg_url):
    """Nothing lost, numbers unique and contiguous, the chain verifies; and every snapshot a
    reader took had no hole, so a feed reading 'seq > last seen' never skips an entry."""
    ref = seed(pg_url, title="Checkout 503s")
    assert ref == "INC-1"
    store = Store.open(pg_url)
    feed = ChangeFeed(store, ref)
    assert feed.mode == "listen"
    delivered = [e.seq for e in feed.poll()]
    stop, snapshots = threading.Event(), []
    watcher = threading.Thread(target=_holes_watcher,
                               args=(pg_url, store.incident(ref).id, stop, snapshots))
    watcher.start()
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, pg_url, ref, f"w{n}", str(NOTES)],
                              cwd=REPO, stderr=subprocess.PIPE, text=True)
             for n in range(WRITERS)]
    try:
        while any(p.poll() is None for p in procs):
            delivered += [e.seq for e in feed.wait(0.5)]
        errors = [p.stderr.read() for p in procs]
        assert [p.returncode for p in procs] == [0] * WRITERS, errors
        total = 1 + WRITERS * NOTES
        deadline = time.monotonic() + 5
        while feed.last_seq < total and time.monotonic() < deadline:
            delivered += [e.seq for e in feed.wait(0.5)]
    finally:
        stop.set()
        watcher.join(30)
        feed.close()

    entries = store.entries(ref)
    assert [e.seq for e in entries] == list(range(1, total + 1))
    assert delivered == list(range(1, total + 1))
    count, bad, _ = store.verify(ref)
    assert bad is None and count == total
    texts = [e.text for e in entries]
    assert len(set(texts)) == total
    for n in range(WRITERS):  # each writer's notes, all there, in the order it wrote them
        mine = [int(e.text.rsplit(" ", 1)[1]) for e in entries if e.author == f"w{n}"]
        assert mine == list(range(NOTES))
    assert len(snapshots) > 50
    assert all(count == top for count, top in snapshots), \
        [s for s in snapshots if s[0] != s[1]][:5]
    store.close()
    done = run_cli("--db", pg_url, "verify", ref)
    assert done.returncode == 0 and f"{total} entries intact" in done.stdout


def test_real_warroom_note_processes_at_once(pg_url):
    ref = seed(pg_url, title="x")
    procs = [subprocess.Popen([sys.executable, "-m", "warroom", "note", "--db", pg_url, "--as",
                               f"p{n}", "--incident", ref, f"proc {n}"], cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for n in range(8)]
    results = [(p.communicate(timeout=120), p.returncode) for p in procs]
    assert all(code == 0 for _, code in results), results
    assert sorted(out.strip() for (out, _), _ in results) == sorted(f"{ref}#{i}" for i in range(2, 10))
    store = Store.open(pg_url)
    entries = store.entries(ref)
    assert [e.seq for e in entries] == list(range(1, 10))
    assert sorted(e.text for e in entries[1:]) == sorted(f"proc {n}" for n in range(8))
    assert store.verify(ref)[1] is None
    store.close()


# ---------------------------------------------------------------- moving incidents
def _rich_incident(db: str) -> str:
    """An incident with every kind of entry and awkward text in it."""
    clock = FrozenClock("2026-11-22T14:00:00Z")
    w = Warroom(Store.open(db), clock=clock, user="alice", host="alice-laptop", session="s1")
    ref = w.declare("Checkout 503s | *all* users", severity="sev2", services=["API"],
                    description="Payments fail with 503.\nSecond line `code`", lead="alice").incident
    steps = [
        lambda: w.note(ref, "First alert fired", at="2026-11-22T13:55:00Z"),
        lambda: w.log(ref, "decision", "Roll back deploy 4512 — agreed by 👩‍💻 team"),
        lambda: w.log(ref, "action", "@bob roll back 4512"),
        lambda: w.log(ref, "change", "kubectl rollout undo deploy/checkout"),
        lambda: w.log(ref, "result", "Error rate back to 0.1%"),
        lambda: w.assign_role(ref, "scribe", "carol"),
        lambda: w.assign_role(ref, "lead", "bob", note="shift change"),
        lambda: w.change_severity(ref, "sev1", "All payments down"),
        lambda: w.set_services(ref, ["API", "Website"]),
        lambda: w.set_flags(ref, customer_impacting=True),
        lambda: w.post_update(ref, "We are investigating problems with payments.",
                              template="investigating", next_update=timedelta(minutes=30)),
        lambda: w.write_summary(ref, "Rolled back; watching error rates", prompted=True),
        lambda: w.log_ticket(ref, "AWS", "case 123"),
        lambda: w.log_escalation(ref, "Second line / on-call engineer"),
        lambda: w.add_followup(ref, "@dave add a canary for checkout"),
        lambda: w.mark_done(ref, 5),  # the action (1 declared, 2 lead, 3 note, 4 decision)
        lambda: w.amend(ref, 4, "Roll back deploy 4512 (not 4511)"),
        lambda: w.record_prompt(ref, "summary", "snoozed", reason="busy",
                                until=clock.now() + timedelta(minutes=10)),
        lambda: w.change_status(ref, "resolved", "Fixed by rollback <script>alert(1)</script>"),
    ]
    for step in steps:
        clock.advance(timedelta(minutes=3))
        step()
    w.store.close()
    return ref


def test_json_export_import_round_trip_sqlite_to_postgresql_to_sqlite(pg_url, tmp_path):
    first, last = str(tmp_path / "laptop.db"), str(tmp_path / "restored.db")
    ref = _rich_incident(first)
    files = [tmp_path / "from-sqlite.json", tmp_path / "from-pg.json", tmp_path / "back.json"]

    def run(*args):
        done = run_cli(*args)
        assert done.returncode == 0, done.stderr
        return done

    run("--db", first, "export", ref, "--format", "json", "-o", str(files[0]))
    assert run("--db", pg_url, "import", str(files[0])).stdout.strip() == ref
    run("--db", pg_url, "export", ref, "--format", "json", "-o", str(files[1]))
    assert run("--db", last, "import", str(files[1])).stdout.strip() == ref
    run("--db", last, "export", ref, "--format", "json", "-o", str(files[2]))

    docs = [json.loads(f.read_text(encoding="utf-8")) for f in files]
    assert docs[0]["entries"] and len(docs[0]["entries"]) == 21
    assert docs[0] == docs[1] == docs[2]
    assert files[0].read_bytes() == files[1].read_bytes() == files[2].read_bytes()
    for db in (pg_url, last):
        assert "21 entries intact" in run("--db", db, "verify", ref).stdout
    # The report reads the same wherever the incident lives (once the report exists).
    if importlib.util.find_spec("warroom.core.report") is not None:
        import re

        reports = [run("--db", db, "export", ref).stdout for db in (first, pg_url, last)]
        # ...except who really wrote each entry where it was written: the laptop knows its
        # operating-system user; a copy knows only who imported it (issue 18).
        native = re.sub(r" \(written by [^)]*\)", "", reports[0])
        assert native == reports[1] == reports[2]
    # Importing it twice is refused, and nothing changes.
    again = run_cli("--db", pg_url, "import", str(files[0]))
    assert again.returncode == 1 and "already exists" in again.stderr


# ---------------------------------------------------------------- the feed on PostgreSQL
def test_feed_reads_what_was_written_while_its_connection_died_and_listens_again(pg_url):
    w = Warroom(Store.open(pg_url), user="lead")
    ref = w.declare("x").incident
    store = Store.open(pg_url)
    feed = ChangeFeed(store, ref)
    try:
        assert feed.mode == "listen" and [e.seq for e in feed.poll()] == [1]
        (conn,) = store.notices._conns  # the one pooled connection: reads, writes and LISTEN
        _sql(pg_url, "SELECT pg_terminate_backend(:pid)", pid=conn.info.backend_pid)
        w.note(ref, "written while the listener was dying")
        got, deadline = [], time.monotonic() + 2.0
        while not got and time.monotonic() < deadline:
            got = feed.wait(0.2)
        assert [e.seq for e in got] == [2]
        assert feed.mode == "listen" and store.notices._conns[0] is not conn
        w.note(ref, "by notification, on the new connection")
        assert [e.seq for e in feed.wait(1.0)] == [3]
        assert feed.poll() == []
    finally:
        feed.close()
        store.close()
        w.store.close()


def test_feed_polls_behind_a_transaction_pooler(pg_url):
    w = Warroom(Store.open(pg_url), user="lead")
    ref = w.declare("x").incident
    store = Store.open(pg_url + "&pool_mode=transaction", readonly=True)
    feed = ChangeFeed(store, ref)
    try:
        assert feed.mode == "poll" and "transaction" in feed.listen_error
        assert store.notices is None
        assert [e.seq for e in feed.poll()] == [1]
        w.note(ref, "still seen")
        start = time.monotonic()
        assert [e.seq for e in feed.wait(30)] == [2]
        assert time.monotonic() - start < 15  # woken by a poll, not by the end of the wait
    finally:
        feed.close()
        store.close()
        w.store.close()


def test_feed_polls_in_a_database_without_the_notify_trigger(pg_url):
    w = Warroom(Store.open(pg_url), user="lead")
    ref = w.declare("x").incident
    _sql(pg_url, "DROP TRIGGER entries_notify ON entries")  # an old schema we may not change
    feed = ChangeFeed(Store.open(pg_url, readonly=True), ref)
    try:
        assert feed.mode == "poll" and "trigger" in feed.listen_error
        assert [e.seq for e in feed.poll()] == [1]
        w.note(ref, "seen without NOTIFY")
        start = time.monotonic()
        assert [e.seq for e in feed.wait(30)] == [2]
        assert time.monotonic() - start < 15  # woken by a poll, not by the end of the wait
    finally:
        feed.close()
        feed.store.close()
        w.store.close()


def test_idle_listening_feed_does_not_query(pg_database_url, monkeypatch):
    """While nothing is written, polls cost no round trip: they only look at the socket.

    A database of its own (NOTIFY reaches every listener of a database: other tests' INC-1
    would wake this feed), and the feed's clock held still while it polls (on a loaded machine
    twenty polls could span its periodic re-read, RECHECK_AFTER)."""
    from types import SimpleNamespace

    from warroom.store import feed as feed_module

    url = pg_database_url
    w = Warroom(Store.open(url), user="lead")
    ref = w.declare("x").incident
    store = Store.open(url)
    feed = ChangeFeed(store, ref)
    try:
        feed.poll()
        calls = []
        real = feed._read
        feed._read = lambda: calls.append(1) or real()
        with monkeypatch.context() as frozen:
            still = time.monotonic()
            frozen.setattr(feed_module, "time", SimpleNamespace(monotonic=lambda: still))
            for _ in range(20):
                assert feed.poll() == []
        assert calls == []
        w.note(ref, "now there is something")
        assert [e.seq for e in feed.wait(1.0)] == [2] and len(calls) == 1
    finally:
        feed.close()
        store.close()
        w.store.close()


def test_notifications_for_other_incidents_do_not_wake_a_feed(pg_url):
    w = Warroom(Store.open(pg_url), user="lead")
    ref, other = w.declare("x").incident, w.declare("y").incident
    feed = ChangeFeed(w.store, ref)
    try:
        feed.poll()
        w.note(other, "elsewhere")
        start = time.monotonic()
        assert feed.wait(0.5) == []
        assert time.monotonic() - start >= 0.45
        w.note(ref, "here")
        assert [e.text for e in feed.wait(1.0)] == ["here"]
    finally:
        feed.close()
        w.store.close()
