"""Through a real PgBouncer (transaction and session pooling, 2 server connections) in front of
the local PostgreSQL: declare, notes from several writers at once, a watcher's feed delivering
every entry once and in order, and the command line. Transaction mode relies on no session
state: no LISTEN (the feed polls), no prepared statement outliving a transaction (psycopg would
prepare the insert after 5 runs and the next writer on that server connection would fail), no
session-level SET. The app through it: tests/app/test_many_screens.py."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

from tests.conftest import REPO
from warroom.core.domain import Warroom
from warroom.store import Store
from warroom.store.feed import ChangeFeed

WRITERS, NOTES = 3, 25


def test_declare_many_writers_and_a_watcher_through_pgbouncer(bouncer):
    url, role, mode = bouncer
    lead = Warroom(Store.open(url), user="lead", session="lead")
    ref = lead.declare("Checkout down", profile="dxw", severity="major").incident
    watcher = Store.open(url, readonly=True)
    feed = ChangeFeed(watcher, ref)
    assert feed.mode == ("poll" if mode == "transaction" else "listen")
    got: list = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set() or feed.poll():
            got.extend(feed.wait(0.5))

    follower = threading.Thread(target=watch)
    follower.start()
    errors: list[BaseException] = []

    def write(n: int) -> None:
        w = Warroom(Store.open(url), user=f"writer{n}", session=f"w{n}")
        try:
            for i in range(NOTES):  # more than psycopg's prepare threshold (5) each
                w.note(ref, f"writer {n} note {i}")
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            w.close()

    writers = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for t in writers:
        t.start()
    for t in writers:
        t.join(120)
    total = 1 + WRITERS * NOTES
    try:
        assert errors == []
        for _ in range(100):
            if len(got) >= total:
                break
            done.wait(0.1)
    finally:
        done.set()
        follower.join(10)
        feed.close()
        watcher.close()
    assert [e.seq for e in got] == list(range(1, total + 1))  # every entry once, in order
    assert len({e.uid for e in got}) == total
    for n in range(WRITERS):  # each writer's notes in the order it wrote them
        mine = [e.text for e in got if e.author == f"writer{n}"]
        assert mine == [f"writer {n} note {i}" for i in range(NOTES)]
    checked = lead.verify(ref)
    assert checked.ok and checked.intact == total
    lead.close()


def test_the_command_line_through_pgbouncer(bouncer):
    url, role, mode = bouncer
    env = {**os.environ, "WARROOM_DB": url, "WARROOM_USER": "hook"}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "warroom", *args], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=60)

    declared = run("declare", "Payments failing", "--profile", "dxw", "--severity", "major")
    assert declared.returncode == 0, declared.stderr
    ref = declared.stdout.strip()
    for i in range(3):
        noted = run("note", "--incident", ref, f"alert {i} fired")
        assert noted.returncode == 0 and noted.stderr == "", noted.stderr
    listed = run("list")
    assert listed.returncode == 0 and ref in listed.stdout
    with Store.open(url, readonly=True) as store:
        assert [e.text for e in store.entries(ref)][-3:] == [f"alert {i} fired" for i in range(3)]
