"""Several terminals on one incident: the change feed, presence, and who wrote what where.

Every test that takes ``backend`` runs on one SQLite file and on PostgreSQL (the latter skips
with a reason when WARROOM_TEST_PG_URL is unset)."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from datetime import timedelta

import pytest

from tests.conftest import REPO, run_cli, seed
from warroom.base.clock import FrozenClock, format_time
from warroom.core.domain import Warroom
from warroom.core.state import project
from warroom.core.text import sanitize
from warroom.base.errors import NotFound, ReadOnlyStore
from warroom.store import Store
from warroom.store.feed import DEFAULT_INTERVAL, ChangeFeed

# The promise: each terminal sees the others' entries within a second. How long it takes is
# bench/propagation.py's figure; these tests check what arrives, waiting at most _until_seen's limit.


@pytest.fixture(params=["sqlite", "pg"])
def backend(request, tmp_path) -> str:
    """A database URL (or path) two terminals can share."""
    if request.param == "pg":
        return request.getfixturevalue("pg_url")
    return str(tmp_path / "team.db")


def _terminal(db: str, user: str, session: str) -> Warroom:
    return Warroom(Store.open(db), user=user, host=f"{user}-laptop", session=session)


@pytest.fixture
def two(backend):
    """Two terminals on one database: the lead and the scribe, each with its own engine."""
    lead, scribe = _terminal(backend, "lead", "s-lead"), _terminal(backend, "scribe", "s-scribe")
    yield lead, scribe
    lead.store.close()
    scribe.store.close()


def _until_seen(feed: ChangeFeed, want: int, *, limit: float = 5.0, use_wait: bool = False):
    """Poll as an open screen does (every DEFAULT_INTERVAL) until entry #want arrives.
    Returns the entries delivered."""
    start = time.monotonic()
    got = []
    while time.monotonic() - start < limit:
        got += feed.wait(DEFAULT_INTERVAL) if use_wait else feed.poll()
        if got and got[-1].seq >= want:
            return got
        if not use_wait:
            time.sleep(DEFAULT_INTERVAL)
    raise AssertionError(f"entry #{want} not seen in {limit}s (got {[e.seq for e in got]})")


# ---------------------------------------------------------------- seen by the other terminal
@pytest.mark.parametrize("use_wait", [False, True], ids=["poll", "wait"])
def test_entry_saved_in_one_terminal_shows_in_the_other_within_a_second(two, use_wait):
    lead, scribe = two
    ref = lead.declare("Checkout 503s").incident
    feed = ChangeFeed(scribe.store, ref)
    try:
        assert [e.seq for e in feed.poll()] == [1]
        assert feed.poll() == []  # nothing new: nothing delivered twice
        saved = lead.note(ref, "Deploy 4512 rolled back")
        got = _until_seen(feed, saved.seq, use_wait=use_wait)
        assert [(e.seq, e.text, e.author, e.host, e.session) for e in got] == [
            (2, "Deploy 4512 rolled back", "lead", "lead-laptop", "s-lead")]
        # And the other way round, on a feed of the lead's own.
        back = ChangeFeed(lead.store, ref, after=2)
        try:
            scribe.log(ref, "decision", "Freeze deploys until the fix is out")
            got = _until_seen(back, 3, use_wait=use_wait)
            assert got[0].author == "scribe" and got[0].kind == "decision"
        finally:
            back.close()
    finally:
        feed.close()


def test_severity_change_and_role_handover_show_in_the_other_terminal(two):
    lead, scribe = two
    ref = lead.declare("Checkout 503s", profile="modernisation-platform", severity="P3",
                       lead="alice").incident
    feed = ChangeFeed(scribe.store, ref)
    try:
        state = project(ref, feed.poll())  # what the scribe's screen shows
        assert state.severity == "p3" and state.holder("lead") == "alice"

        sev = lead.change_severity(ref, "P1", "Payments down for all users")
        got = _until_seen(feed, sev.seq)
        for entry in got:
            state.apply(entry)
        assert state.severity == "p1"
        assert state.severity_history[-1].reason == "Payments down for all users"

        hand = lead.assign_role(ref, "lead", "bob", note="going off shift")
        got = _until_seen(feed, hand.seq)
        for entry in got:
            state.apply(entry)
        assert state.holder("lead") == "bob"
        assert state.role_history[-1].before == "alice"
        # Folding the feed gives exactly what a fresh read of the log gives.
        fresh = project(ref, scribe.store.entries(ref))
        assert (fresh.severity, fresh.holder("lead"), fresh.last_seq) == \
               (state.severity, state.holder("lead"), state.last_seq)
    finally:
        feed.close()


def test_entry_written_by_another_process_is_seen_within_a_second(backend):
    ref = seed(backend, title="Checkout 503s")
    store = Store.open(backend)
    feed = ChangeFeed(store, ref)
    try:
        assert [e.seq for e in feed.poll()] == [1]
        done = run_cli("--db", backend, "--as", "oncall", "note", "--incident", ref, "paged")
        assert done.returncode == 0, done.stderr
        got = _until_seen(feed, 2)  # the process has exited: its commit is long done
        assert got[0].author == "oncall" and got[0].text == "paged"
    finally:
        feed.close()
        store.close()


# ---------------------------------------------------------------- the feed itself
def test_feed_delivers_own_entries_in_order_each_once(two):
    lead, scribe = two
    ref = lead.declare("x").incident
    feed = ChangeFeed(lead.store, ref)
    try:
        seen = [e.seq for e in feed.poll()]
        for i in range(5):
            (lead if i % 2 else scribe).note(ref, f"n{i}")
            seen += [e.seq for e in feed.poll()]  # poll right after a save, as the screen does
        while feed.last_seq < 6:
            seen += [e.seq for e in feed.wait(1.0)]
        assert seen == [1, 2, 3, 4, 5, 6]
        assert feed.poll() == []
    finally:
        feed.close()


def test_a_poll_right_after_a_save_shows_the_save(two):
    """The screen polls right after Enter: its own entry must be there, not a tick later
    (on PostgreSQL the NOTIFY can trail the commit by a moment)."""
    lead, _ = two
    ref = lead.declare("x").incident
    with ChangeFeed(lead.store, ref) as feed:
        feed.poll()
        for i in range(20):
            saved = lead.note(ref, f"n{i}")
            assert [e.seq for e in feed.poll()] == [saved.seq]


def test_feed_starts_after_the_given_seq_and_knows_the_canonical_ref(two):
    lead, _ = two
    ref = lead.declare("x").incident
    for i in range(3):
        lead.note(ref, f"n{i}")
    with ChangeFeed(lead.store, ref.lower(), after=2) as feed:
        assert feed.ref == ref
        assert [e.seq for e in feed.poll()] == [3, 4]


def test_feed_on_an_unknown_incident_says_so(two):
    lead, _ = two
    with pytest.raises(NotFound, match="INC-9"):
        ChangeFeed(lead.store, "INC-9")


def test_wait_returns_empty_after_the_timeout_and_close_ends_it_at_once(two):
    lead, _ = two
    ref = lead.declare("x").incident
    feed = ChangeFeed(lead.store, ref, after=1)
    start = time.monotonic()
    assert feed.wait(0.3) == []
    assert time.monotonic() - start >= 0.25  # it waited out its timeout
    result = {}

    def waiter():
        result["got"] = feed.wait(30)
        result["at"] = time.monotonic()

    thread = threading.Thread(target=waiter)
    thread.start()
    time.sleep(0.2)
    closed_at = time.monotonic()
    feed.close()
    thread.join(20)
    assert not thread.is_alive()
    assert result["got"] == [] and result["at"] - closed_at < 15  # not the 30 s it asked for
    assert feed.poll() == []  # a closed feed is quiet, not an error
    feed.close()  # twice is fine


def test_poll_from_another_thread_is_not_held_up_by_a_waiter(two):
    lead, _ = two
    ref = lead.declare("x").incident
    feed = ChangeFeed(lead.store, ref, after=1)
    thread = threading.Thread(target=feed.wait, args=(30,))
    thread.start()
    try:
        time.sleep(0.1)
        start = time.monotonic()
        assert feed.poll() == []
        assert time.monotonic() - start < 15  # not held until the waiter's 30 s are up
    finally:
        feed.close()
        thread.join(5)


WRITER = textwrap.dedent("""
    import sys
    from warroom.core.domain import Warroom
    from warroom.store import Store
    db, ref, who, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    w = Warroom(Store.open(db), user=who)
    for i in range(count):
        w.note(ref, f"{who} {i}")
""")


def test_feed_under_four_concurrent_writers_delivers_everything_in_order(backend):
    """The feed reads 'seq > last seen': that is only safe if numbers commit in order."""
    writers, notes = 4, 100
    ref = seed(backend, title="x")
    store = Store.open(backend)
    feed = ChangeFeed(store, ref)
    batches = [feed.poll()]
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, backend, ref, f"w{n}", str(notes)],
                              cwd=REPO, stderr=subprocess.PIPE, text=True)
             for n in range(writers)]
    try:
        while any(p.poll() is None for p in procs):
            batches.append(feed.poll())
        for p in procs:
            assert p.wait(120) == 0, p.stderr.read()
        deadline = time.monotonic() + 5
        while feed.last_seq < 1 + writers * notes and time.monotonic() < deadline:
            batches.append(feed.wait(0.5))
    finally:
        feed.close()
    delivered = [e.seq for batch in batches for e in batch]
    assert delivered == list(range(1, 2 + writers * notes))
    by_seq = {e.seq: e for e in store.entries(ref)}
    assert all(e == by_seq[e.seq] for batch in batches for e in batch)
    store.close()


def test_sqlite_feed_never_holds_a_read_transaction_between_polls(tmp_path):
    db = tmp_path / "team.db"
    w = Warroom(Store.open(db), user="lead")
    ref = w.declare("x").incident
    for i in range(20):
        w.note(ref, f"n{i}")
    feed = ChangeFeed(Store.open(db), ref)
    assert len(feed.poll()) == 21
    w.note(ref, "one more")
    assert len(feed.poll()) == 1
    assert feed.poll() == []
    # A full checkpoint needs every reader to have let go of its snapshot.
    other = sqlite3.connect(db)
    busy, frames, done = other.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    other.close()
    assert busy == 0 and frames == done == 0
    feed.close()
    feed.store.close()
    w.store.close()


def test_sqlite_feed_works_on_a_readonly_store(tmp_path):
    db = tmp_path / "team.db"
    w = Warroom(Store.open(db), user="lead")
    ref = w.declare("x").incident
    ro = Store.open(db, readonly=True)
    with ChangeFeed(ro, ref) as feed:
        assert [e.seq for e in feed.poll()] == [1]
        w.note(ref, "seen read-only")
        _until_seen(feed, 2)
    ro.close()
    w.store.close()


def test_a_view_of_a_file_nobody_can_write_is_read_once(tmp_path):
    folder = tmp_path / "ro"
    w = Warroom(Store.open(folder / "team.db"), user="lead")
    ref = w.declare("x").incident
    w.note(ref, "last words")
    w.store.close()
    folder.chmod(0o555)
    try:
        viewer = Store.open(folder / "team.db", readonly=True)
        with ChangeFeed(viewer, ref) as feed:
            assert feed.mode == "static"
            assert [e.seq for e in feed.poll()] == [1, 2]
            assert feed.poll() == [] and feed.wait(0.1) == []
        viewer.close()
    finally:
        folder.chmod(0o755)


# ---------------------------------------------------------------- presence
T0 = "2026-11-22T14:00:00Z"


def _at(seconds: float) -> str:
    return format_time(FrozenClock(T0).now() + timedelta(seconds=seconds))


def test_presence_shows_who_has_the_incident_open(two):
    lead, scribe = two
    ref = lead.declare("x").incident
    other = lead.declare("y").incident
    lead.store.heartbeat("s-lead", ref, "lead", "lead-laptop", _at(0))
    scribe.store.heartbeat("s-scribe", ref, "scribe", "scribe-box", _at(5))
    scribe.store.heartbeat("s-comms", other, "comms", "comms-box", _at(5))
    here = scribe.store.present(ref, _at(10))
    assert [(p.session, p.incident, p.author, p.host) for p in here] == [
        ("s-lead", ref, "lead", "lead-laptop"), ("s-scribe", ref, "scribe", "scribe-box")]
    assert here[0].seen_at == _at(0) and here[0].seen == FrozenClock(T0).now()
    assert [p.author for p in lead.store.present(other, _at(10))] == ["comms"]
    assert [p.author for p in lead.store.present(ref.lower(), _at(10))] == ["lead", "scribe"]


def test_presence_goes_stale_after_30_seconds_and_a_heartbeat_brings_it_back(two):
    lead, scribe = two
    ref = lead.declare("x").incident
    lead.store.heartbeat("s-lead", ref, "lead", "h", _at(0))
    assert [p.author for p in scribe.store.present(ref, _at(30))] == ["lead"]
    assert scribe.store.present(ref, _at(31)) == []
    assert [p.author for p in scribe.store.present(ref, _at(31), stale_after=60)] == ["lead"]
    lead.store.heartbeat("s-lead", ref, "lead", "h", _at(40))  # upsert: the same row moves on
    here = scribe.store.present(ref, _at(41))
    assert len(here) == 1 and here[0].seen_at == _at(40)


def test_presence_follows_a_session_to_another_incident_and_leave_removes_it(two):
    lead, scribe = two
    ref, other = lead.declare("x").incident, lead.declare("y").incident
    lead.store.heartbeat("s-lead", ref, "lead", "h", _at(0))
    lead.store.heartbeat("s-lead", other, "lead", "h", _at(1))
    assert scribe.store.present(ref, _at(2)) == []
    assert [p.session for p in scribe.store.present(other, _at(2))] == ["s-lead"]
    lead.store.leave("s-lead")
    assert scribe.store.present(other, _at(2)) == []
    lead.store.leave("s-lead")  # leaving twice is fine


def test_one_person_in_two_terminals_is_two_sessions(two):
    lead, _ = two
    ref = lead.declare("x").incident
    lead.store.heartbeat("a", ref, "lead", "laptop", _at(0))
    lead.store.heartbeat("b", ref, "lead", "tmux-box", _at(0))
    assert [p.host for p in lead.store.present(ref, _at(1))] == ["laptop", "tmux-box"]


def test_long_dead_sessions_are_swept_by_the_next_heartbeat(two):
    lead, _ = two
    ref = lead.declare("x").incident
    lead.store.heartbeat("crashed", ref, "ghost", "h", _at(0))
    lead.store.heartbeat("alive", ref, "lead", "h", _at(2 * 3600))
    here = lead.store.present(ref, _at(2 * 3600), stale_after=timedelta(days=1))
    assert [p.session for p in here] == ["alive"]


def test_heartbeat_on_a_readonly_store_is_refused_clearly(tmp_path):
    db = tmp_path / "team.db"
    w = Warroom(Store.open(db), user="lead")
    ref = w.declare("x").incident
    ro = Store.open(db, readonly=True)
    with pytest.raises(ReadOnlyStore, match="read-only"):
        ro.heartbeat("s", ref, "lead", "h", _at(0))
    assert ro.present(ref, _at(0)) == []
    ro.close()
    w.store.close()


# ---------------------------------------------------------------- who and where
def test_cli_note_records_author_host_and_a_session_per_process(backend):
    ref = seed(backend, title="x")
    for who in ("alice", "bob"):
        done = run_cli("--db", backend, "note", "--as", who, "--incident", ref, f"from {who}")
        assert done.returncode == 0, done.stderr
    done = run_cli("--db", backend, "note", "--incident", ref, "from the env user")
    assert done.returncode == 0, done.stderr
    store = Store.open(backend)
    try:
        notes = store.entries(ref, kinds=["note"])
    finally:
        store.close()
    assert [e.author for e in notes] == ["alice", "bob", "tester"]  # tester: WARROOM_USER
    host = sanitize(socket.gethostname())[:200]
    assert host and all(e.host == host for e in notes)
    sessions = [e.session for e in notes]
    assert all(sessions) and len(set(sessions)) == 3  # each process is its own session
