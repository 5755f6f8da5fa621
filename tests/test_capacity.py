"""Many screens on one PostgreSQL: each holds at most one connection, and when a role's
CONNECTION LIMIT is full the next one gets a clear one-line message (what is wrong, what to do),
its entry waits and is saved once when a connection frees up."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest

from tests.conftest import REPO
from warroom.base.errors import StoreAtCapacity
from warroom.core.domain import Warroom
from warroom.store import Store
from warroom.store.feed import ChangeFeed

LIMIT = 4


def _watch(url: str, ref: str) -> tuple[Store, ChangeFeed]:
    store = Store.open(url, readonly=True)
    feed = ChangeFeed(store, ref)
    feed.poll()
    return store, feed


def test_an_open_screen_holds_one_connection_reads_writes_and_listen(pg_role):
    role = pg_role()
    lead = Warroom(Store.open(role.url), user="lead")
    ref = lead.declare("x").incident
    feed = ChangeFeed(lead.store, ref)  # what an open screen holds: its store and its feed
    try:
        assert feed.mode == "listen" and [e.seq for e in feed.poll()] == [1]
        lead.note(ref, "mine")
        assert [e.seq for e in feed.poll()] == [2]
        lead.here(ref)
        assert role.backends() == 1
        watchers = [_watch(role.url, ref) for _ in range(3)]
        assert role.backends() == 4  # one each, listening included
        lead.note(ref, "for all")
        assert all([e.seq for e in f.wait(2.0)] == [3] for _s, f in watchers)
        assert role.backends() == 4
        for store, f in watchers:
            f.close()
            store.close()
    finally:
        feed.close()
        lead.close()


def test_a_full_connection_limit_is_said_clearly_and_the_entry_is_saved_once_later(pg_role):
    role = pg_role(limit=LIMIT)
    lead = Warroom(Store.open(role.url), user="lead", session="lead")
    ref = lead.declare("Checkout down").incident
    lead.close()
    writer = Warroom(Store.open(role.url), user="scribe", session="scribe")
    watchers = [_watch(role.url, ref) for _ in range(LIMIT - 1)]  # now the role is full
    assert role.backends() == LIMIT

    # Someone else opening the war room: one line naming the cause and what to do.
    with pytest.raises(StoreAtCapacity) as refused:
        Store.open(role.url)
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith(f'no database connection free: too many connections for role '
                              f'"{role.name}" (')
    assert "too many connections" in message and "warroom open --watch" in message
    assert "max_connections" in message and "nothing was saved" in message

    # An alert hook's `warroom note --no-queue`: the same line on stderr, exit 1, no traceback.
    env = {**os.environ, "WARROOM_DB": role.url, "WARROOM_USER": "hook"}
    hook = subprocess.run([sys.executable, "-m", "warroom", "note", "--no-queue", "--incident",
                           ref, "fired"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert hook.returncode == 1 and "Traceback" not in hook.stderr
    assert hook.stderr.count("\n") == 1 and "no database connection free" in hook.stderr
    # Without --no-queue the note is kept in the local outbox (exit 0, one line), and the next
    # warroom to get a connection delivers it (below: the writer's next note).
    queued = subprocess.run([sys.executable, "-m", "warroom", "note", "--incident", ref,
                             "alert fired"],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert queued.returncode == 0 and queued.stdout == "", queued.stderr
    assert queued.stderr.startswith("warroom: queued: team database unreachable (no connection "
                                    "free): kept in the local outbox, 1 entry waiting")

    # The scribe's own connection is lost (a restart, a pooler) while the room is full: the
    # save is refused as at capacity, nothing written, and the screen would keep the entry.
    writer.store.engine.dispose()  # its one connection gone...
    squatter = _watch(role.url, ref)  # ...and taken by the next watcher at once
    uid = uuid.uuid4().hex
    with pytest.raises(StoreAtCapacity):
        writer.note(ref, "decided to roll back", uid=uid)
    retry_line = writer.busy_retry_message(1, refused.value)
    assert retry_line.startswith("no database connection free, retrying (attempt 2): this entry "
                                 "is kept and will be saved once")
    # A watcher leaves; the same entry (same uid) goes again and is saved once.
    store, feed = squatter
    feed.close()
    store.close()
    writer.note(ref, "decided to roll back", uid=uid)
    writer.note(ref, "decided to roll back", uid=uid)  # a second retry changes nothing
    from warroom.store.outbox import Outbox

    writer.close()  # its connection frees: the next warroom to get in delivers the outbox
    with Warroom.open(role.url, user="hook", queue=True):
        pass
    assert Outbox().count() == 0
    for store, feed in watchers:
        got = feed.wait(2.0)
        got += feed.wait(2.0) if len(got) < 2 else []
        assert [e.text for e in got] == ["decided to roll back", "alert fired"]
        feed.close()
        store.close()
    writer.close()


def test_a_user_without_insert_opens_as_a_watcher_and_a_note_is_one_line(pg_role):
    owner = pg_role()
    lead = Warroom(Store.open(owner.url), user="lead")
    ref = lead.declare("x").incident
    reader = pg_role()
    with owner.admin.connect() as conn:
        from sqlalchemy import text

        for statement in (f'GRANT USAGE ON SCHEMA "{owner.name}" TO "{reader.name}"',
                          f'GRANT SELECT ON ALL TABLES IN SCHEMA "{owner.name}" TO "{reader.name}"',
                          f'ALTER ROLE "{reader.name}" SET search_path = "{owner.name}"'):
            conn.execute(text(statement))
    try:
        viewer = Warroom.open(reader.url, user="viewer", readonly=None)
        assert viewer.readonly
        with ChangeFeed(viewer.store, ref) as feed:
            assert feed.mode == "listen" and [e.seq for e in feed.poll()] == [1]
            lead.note(ref, "seen by the watcher")
            assert [e.seq for e in feed.wait(2.0)] == [2]
            assert reader.backends() == 1  # the failed writer's connection did not linger
        viewer.close()
        env = {**os.environ, "WARROOM_DB": reader.url, "WARROOM_USER": "viewer"}
        hook = subprocess.run([sys.executable, "-m", "warroom", "note", "--incident", ref, "x"],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
        assert hook.returncode == 1 and hook.stderr.count("\n") == 1
        assert "may not add entries" in hook.stderr and "Traceback" not in hook.stderr
    finally:
        lead.close()
