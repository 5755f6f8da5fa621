"""Outage recovery: from the team database's return to the outbox delivered.

    python bench/outage_recovery.py [--cycles 20] [--entries 5]

Starts its own throwaway PostgreSQL cluster (initdb/pg_ctl from /usr/lib/postgresql/15/bin on a
free port, as the postgres user when run as root; never the shared server). Each cycle: the
server is stopped (immediate), ``--entries`` notes are logged through the domain API (they go
to the outbox), the screen's follower starts retrying, and after ``--down`` seconds (±50%) the
server is started again. Stamped from the moment ``pg_ctl start`` is
called (CLOCK_MONOTONIC):

- **figure**: an open screen's follower as the app runs it (warroom.app.live): a loop that tries
  to deliver the outbox, backing off 0.5, 1, 2, 4 s (OUTAGE_BACKOFF) while the server is away,
  but coming back early when a TCP probe (every 0.2 s) finds the server's port open again;
  stamped when the outbox for that database is empty (every entry numbered and committed).
- **floor**: a raw psycopg loop in the same run: connect (connect_timeout=1) every 10 ms until
  one succeeds and ``SELECT 1`` answers: the earliest anyone could have written anything.

Prints p50, p99 and max of each over the cycles, and the ratios. The gap is the app's backoff
(it does not hammer a server that is down), plus the delivery of the entries itself.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.outage_cluster import Cluster, Unavailable  # noqa: E402
from warroom.app.live import OUTAGE_BACKOFF  # noqa: E402
from warroom.base.errors import EntryQueued, StoreAtCapacity, StoreUnreachable  # noqa: E402
from warroom.core.domain import Warroom  # noqa: E402


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def follower(w: Warroom, stop: threading.Event, out: list[float]) -> None:
    """The app's loop: deliver the outbox, back off while unreachable."""
    store = w.store
    assert store.outbox is not None
    delay = 0.0
    while not stop.is_set():
        try:
            store.deliver_outbox()
            if not store.outbox.count(store.key):
                out.append(time.monotonic())
                return
        except (StoreUnreachable, StoreAtCapacity):
            pass
        delay = min(OUTAGE_BACKOFF, delay * 2 or 0.5)
        w.wait_for_database(delay, stop)  # as the app: back early when the port opens


def raw_floor(dsn: str, stop: threading.Event, out: list[float]) -> None:
    import psycopg

    while not stop.is_set():
        try:
            with psycopg.connect(dsn, connect_timeout=1, autocommit=True) as conn:
                conn.execute("SELECT 1").fetchone()
            out.append(time.monotonic())
            return
        except psycopg.Error:
            time.sleep(0.01)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--entries", type=int, default=5)
    parser.add_argument("--down", type=float, default=3.0,
                        help="mean seconds the server stays down (uniform, ±50%%)")
    args = parser.parse_args()
    os.environ.setdefault("WARROOM_DATA_DIR", tempfile.mkdtemp(prefix="warroom-bench-"))
    try:
        cluster = Cluster()
        cluster.start()
    except Unavailable as exc:
        print(f"skipped: cannot start a throwaway PostgreSQL cluster: {exc}")
        return 0
    figures: list[float] = []
    floors: list[float] = []
    try:
        url = cluster.url + "?timeout=3&connect_timeout=2"
        dsn = f"host=127.0.0.1 port={cluster.port} user=postgres dbname=postgres"
        w = Warroom.open(url, user="bench", queue=True)
        ref = w.declare("Outage recovery bench").incident
        n = 0
        for _ in range(args.cycles):
            cluster.stop("immediate")
            for _ in range(args.entries):
                n += 1
                try:
                    w.note(ref, f"entry {n}")
                except EntryQueued:
                    pass
            assert w.store.outbox is not None and w.store.outbox.count(w.store.key) == args.entries
            stop = threading.Event()
            got: list[float] = []
            raw: list[float] = []
            threads = [threading.Thread(target=follower, args=(w, stop, got)),
                       threading.Thread(target=raw_floor, args=(dsn, stop, raw))]
            threads[0].start()  # the screen has been retrying all along the outage
            time.sleep(random.uniform(args.down / 2, args.down * 1.5))
            threads[1].start()
            began = time.monotonic()
            cluster.start()
            for t in threads:
                t.join(60)
            stop.set()
            figures.append(got[0] - began)
            floors.append(raw[0] - began)
        entries = w.entries(ref)
        assert [e.seq for e in entries] == list(range(1, n + 2)), "numbers not contiguous"
        assert len({e.uid for e in entries}) == n + 1, "an entry delivered twice"
        w.close()
    finally:
        cluster.destroy()
    print(f"outage recovery over {args.cycles} cycles, {args.entries} entries kept per outage "
          "(seconds from `pg_ctl start`)")
    for label, fig, flo in (("p50", pct(figures, 50), pct(floors, 50)),
                            ("p99", pct(figures, 99), pct(floors, 99)),
                            ("max", max(figures), max(floors))):
        print(f"  {label}: outbox delivered {fig:6.3f} s   raw psycopg reconnect floor "
              f"{flo:6.3f} s   ratio {fig / flo:5.2f}x   (+{fig - flo:.3f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
