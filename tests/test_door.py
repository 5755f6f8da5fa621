"""The domain API as the only door: one way to open a Warroom, and typed answers for what the
app and the command line used to ask the store (references, the tail and its feed, verify,
backup), plus the people rules the screen uses."""

from __future__ import annotations

import ast
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest

from warroom.base.clock import FrozenClock
from warroom.base.errors import NotFound, ReadOnlyStore
from warroom.core.domain import Warroom
from warroom.core.people import gets_summary_prompt, known_people
from warroom.core.results import Verification

REPO = Path(__file__).resolve().parent.parent


def test_open_is_a_context_manager_and_says_what_it_opened(db_path, clock):
    with Warroom.open(db_path, user="alice", clock=clock) as w:
        ref = w.declare("Checkout 503s").incident
        db = w.database
        assert (db.path, db.dialect, db.readonly, db.where) == (db_path, "sqlite", False, str(db_path))
        assert not w.readonly and w.user == "alice"
    with Warroom.open(db_path, readonly=True) as viewer:
        assert viewer.readonly and viewer.incident(ref.lower()).ref == ref


def test_open_readonly_none_falls_back_to_a_viewer(db_path):
    with Warroom.open(db_path) as w:
        w.declare("x")
    db_path.chmod(0o400)
    try:
        with pytest.raises(ReadOnlyStore):
            Warroom.open(db_path)
        with Warroom.open(db_path, readonly=None) as w:
            assert w.readonly and w.database.readonly
    finally:
        db_path.chmod(0o600)


def test_incident_is_canonical_and_typed(wr):
    ref = wr.declare("x", profile="default").incident
    found = wr.incident(f"  {ref.lower()} ")
    assert (found.ref, found.number, found.profile) == (ref, 1, "default")
    assert wr.canonical_ref(ref.lower()) == ref
    with pytest.raises(NotFound, match="no incident 'INC-9'"):
        wr.incident("INC-9")


def test_load_tail_reads_the_newest_through_a_feed_that_goes_on(wr):
    ref = wr.declare("x").incident
    for n in range(9):
        wr.note(ref, f"note {n}")
    tail = wr.load_tail(ref.lower(), 4)
    try:
        assert (tail.ref, tail.profile, tail.boundary) == (ref, "default", 6)
        assert [e.seq for e in tail.entries] == [7, 8, 9, 10]
        assert [e.seq for e in wr.entries(ref, limit=tail.boundary)] == list(range(1, 7))
        wr.note(ref, "later")
        assert [e.text for e in tail.feed.poll()] == ["later"]
    finally:
        tail.feed.close()
    small = wr.load_tail(ref, 100)
    small.feed.close()
    assert small.boundary == 0 and len(small.entries) == 11


def test_last_seq_and_follow(wr):
    ref = wr.declare("x").incident
    wr.note(ref, "one")
    assert wr.last_seq(ref) == 2
    with wr.follow(ref, after=1) as feed:
        assert [e.seq for e in feed.poll()] == [2]


def test_verify_is_typed(wr, db_path):
    ref = wr.declare("x").incident
    wr.note(ref, "fine")
    good = wr.verify(ref.lower())
    assert isinstance(good, Verification) and good.ok and good.intact == 2 and good.ref == ref
    assert good.head == wr.entries(ref)[-1].hash
    raw = sqlite3.connect(db_path)
    for (name,) in raw.execute("SELECT name FROM sqlite_master WHERE type='trigger'").fetchall():
        raw.execute(f'DROP TRIGGER "{name}"')
    raw.execute("UPDATE entries SET text='forged' WHERE seq=2")
    raw.commit()
    raw.close()
    bad = wr.verify(ref)
    assert not bad.ok and bad.first_bad.seq == 2 and bad.intact == 1 and bad.head is None
    assert "do not match its hash" in bad.detail


def test_backup_default_name_uses_the_domain_clock(db_path):
    clock = FrozenClock(datetime(2026, 11, 22, 14, 5, 0, tzinfo=timezone.utc))
    with Warroom.open(db_path, clock=clock) as w:
        w.declare("x")
    with Warroom.open(db_path, readonly=True, clock=clock) as viewer:
        made = viewer.backup()
    stamp = clock.now().astimezone().strftime("%Y%m%d-%H%M%S")
    assert made == db_path.with_name(f"warroom-backup-{stamp}.db") and made.exists()
    assert made.stat().st_mode & 0o777 == 0o600


def test_the_busy_retry_message_comes_from_the_store(db_path):
    with Warroom.open(db_path, busy_timeout_ms=200) as w:
        message = w.busy_retry_message(1)
    assert message == ("database busy, retrying (attempt 2): this entry is kept and will be "
                       f"saved once; another process has held the write lock for over 0.2 s "
                       f"({db_path})")


def test_speaking_as_shares_the_database(wr):
    ref = wr.declare("x").incident
    bob = wr.speaking_as("bob", host="h2", session="s2")
    entry = bob.note(ref, "hello")
    assert (entry.author, entry.host, entry.session) == ("bob", "h2", "s2")
    assert bob.profiles is wr.profiles and bob.clock is wr.clock


def test_whose_summary_prompt_and_who_is_known(wr):
    ref = wr.declare("x").incident
    assert gets_summary_prompt(wr.state(ref), "anyone")  # vacant: anyone's
    assert gets_summary_prompt(None, "")
    wr.assign_role(ref, "lead", "Alice")
    wr.assign_role(ref, "lead", "bob")
    wr.log(ref, "action", "@carol restart it")
    state = wr.state(ref)
    assert gets_summary_prompt(state, "BOB") and not gets_summary_prompt(state, "alice")
    assert known_people(state, "dave") == ["Alice", "bob", "carol", "dave"]
    assert known_people(state) == ["Alice", "bob", "carol"]


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_the_app_cli_and_demo_never_touch_the_store():
    files = [REPO / "warroom" / "cli.py", REPO / "warroom" / "demo.py",
             *sorted((REPO / "warroom" / "app").rglob("*.py"))]
    for path in files:
        assert not {m for m in _imports(path) if m == "warroom.store" or m.startswith("warroom.store.")}, path
        if path.name != "demo.py":
            assert ".store." not in path.read_text(encoding="utf-8"), path
