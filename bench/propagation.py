"""Propagation latency: from a note's commit in one process to its arrival in another's feed.

    python bench/propagation.py [--notes 300] [--interval S] [--pg URL | --no-pg]

A writer process logs notes through the domain API at random moments (mean gap 50 ms) and
stamps each right after its commit returns; a reader process runs the change feed and stamps
each entry as the feed delivers it. Both stamps are CLOCK_MONOTONIC (one clock per host, shared
by processes). Each figure has a floor measured in the same run, with the same writer, by a raw
reader doing the same job with nothing in between:

- SQLite, polling every ``--interval`` (default: the app's poll interval): ChangeFeed.poll()
  against a raw sqlite3 loop (``PRAGMA data_version``, then ``seq > last``) at the same interval;
  and the same pair at 10 ms, where the interval no longer hides the feed's own cost.
- PostgreSQL LISTEN (how an open screen follows PostgreSQL): ChangeFeed.wait() against raw
  psycopg (LISTEN, then one SELECT of the new rows per notification).
- PostgreSQL polling at the app's interval (the fallback when LISTEN is lost): ChangeFeed.poll()
  against a raw ``seq > last`` poll at the same interval.

PostgreSQL: ``--pg URL`` or WARROOM_TEST_PG_URL; a scratch schema is created and dropped.
Prints p50, p99 and max for each figure and its floor, and the ratios.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from warroom.core.domain import Warroom  # noqa: E402
from warroom.store import Store  # noqa: E402
from warroom.store.feed import DEFAULT_INTERVAL, ChangeFeed  # noqa: E402

MEAN_GAP = 0.05


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def app_interval() -> float:
    """The interval the Textual app polls at, if the app is there to ask."""
    try:
        from warroom.app.screens.war_room import POLL_SECONDS
        return float(POLL_SECONDS)
    except Exception:
        return DEFAULT_INTERVAL


# ---------------------------------------------------------------- processes
def writer(db: str, ref: str, notes: int, seed: int, go, out) -> None:
    w = Warroom(Store.open(db), user="writer", host="bench", session="writer")
    rng = random.Random(seed)
    go.wait()
    stamps = {}
    for i in range(notes):
        time.sleep(rng.uniform(0, 2 * MEAN_GAP))
        entry = w.note(ref, f"note {i}")
        stamps[entry.seq] = time.monotonic()
    w.store.close()
    out.send(stamps)


def reader(kind: str, db: str, ref: str, last: int, interval: float, ready, out) -> None:
    seen: dict[int, float] = {}
    deadline = [float("inf")]

    def done() -> bool:
        return last in seen or time.monotonic() > deadline[0]

    if kind in ("feed-poll", "feed-wait"):
        store = Store.open(db)
        feed = ChangeFeed(store, ref)
        feed.poll()
        ready.set()
        deadline[0] = time.monotonic() + 600
        while not done():
            got = feed.poll() if kind == "feed-poll" else feed.wait(1.0)
            now = time.monotonic()
            for e in got:
                seen[e.seq] = now
            if kind == "feed-poll":
                time.sleep(interval)
        feed.close()
        store.close()
    elif kind == "sqlite-raw-poll":
        conn = sqlite3.connect(db, isolation_level=None)
        iid = conn.execute("SELECT id FROM incidents WHERE ref = ?", (ref,)).fetchone()[0]
        top = conn.execute("SELECT max(seq) FROM entries WHERE incident_id = ?", (iid,)).fetchone()[0]
        version = None
        ready.set()
        deadline[0] = time.monotonic() + 600
        while not done():
            v = conn.execute("PRAGMA data_version").fetchone()[0]
            if v != version:
                version = v
                rows = conn.execute("SELECT seq, uid, kind, author, text, data, hash FROM entries "
                                    "WHERE incident_id = ? AND seq > ? ORDER BY seq",
                                    (iid, top)).fetchall()
                now = time.monotonic()
                for row in rows:
                    seen[row[0]] = now
                if rows:
                    top = rows[-1][0]
            time.sleep(interval)
        conn.close()
    elif kind in ("pg-raw-listen", "pg-raw-poll"):
        import psycopg
        from sqlalchemy.engine import make_url
        from sqlalchemy import create_engine

        engine = create_engine(db)
        cargs, params = engine.dialect.create_connect_args(make_url(db))
        params.pop("context", None)
        conn = psycopg.connect(*cargs, autocommit=True, **params)
        listen = psycopg.connect(*cargs, autocommit=True, **params)
        listen.execute("LISTEN warroom_entries")
        iid = conn.execute("SELECT id FROM incidents WHERE ref = %s", (ref,)).fetchone()[0]
        top = conn.execute("SELECT max(seq) FROM entries WHERE incident_id = %s", (iid,)).fetchone()[0]
        query = ("SELECT seq, uid, kind, author, text, data, hash FROM entries "
                 "WHERE incident_id = %s AND seq > %s ORDER BY seq")
        ready.set()
        deadline[0] = time.monotonic() + 600
        while not done():
            if kind == "pg-raw-listen":
                for _ in listen.notifies(timeout=1.0, stop_after=1):
                    pass
            else:
                time.sleep(interval)
            rows = conn.execute(query, (iid, top)).fetchall()
            now = time.monotonic()
            for row in rows:
                seen[row[0]] = now
            if rows:
                top = rows[-1][0]
        conn.close()
        listen.close()
        engine.dispose()
    out.send(seen)


def run_pair(ctx, kind: str, db: str, notes: int, interval: float, seed: int) -> list[float]:
    """One writer, one reader of the given kind, on a fresh incident. Latencies in seconds."""
    w = Warroom(Store.open(db), user="bench")
    ref = w.declare(f"propagation {kind} {uuid.uuid4().hex[:6]}").incident
    first = w.store.last_seq(ref)
    w.store.close()
    ready, go = ctx.Event(), ctx.Event()
    r_out, r_in = ctx.Pipe(duplex=False)
    w_out, w_in = ctx.Pipe(duplex=False)
    rp = ctx.Process(target=reader, args=(kind, db, ref, first + notes, interval, ready, r_in))
    wp = ctx.Process(target=writer, args=(db, ref, notes, seed, go, w_in))
    rp.start()
    wp.start()
    if not ready.wait(60):
        raise SystemExit(f"{kind}: the reader did not start")
    time.sleep(0.2)
    go.set()
    committed, seen = w_out.recv(), r_out.recv()
    wp.join()
    rp.join()
    missing = [seq for seq in committed if seq not in seen]
    if missing:
        raise SystemExit(f"{kind}: {len(missing)} entries never arrived (first #{missing[0]})")
    return [seen[seq] - at for seq, at in committed.items()]


def line(label: str, samples: list[float]) -> str:
    ms = [s * 1000 for s in samples]
    return f"  {label:<34} p50 {pct(ms, 50):8.2f} ms   p99 {pct(ms, 99):8.2f} ms   max {max(ms):8.2f} ms"


def compare(title: str, figure: list[float], floor: list[float], figure_label: str,
            floor_label: str) -> None:
    print(title)
    print(line(figure_label, figure))
    print(line(floor_label, floor))
    r50 = pct(figure, 50) / pct(floor, 50) if pct(floor, 50) > 0 else float("nan")
    r99 = pct(figure, 99) / pct(floor, 99) if pct(floor, 99) > 0 else float("nan")
    print(f"  ratio figure/floor                 p50 {r50:8.2f} x    p99 {r99:8.2f} x")
    print()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=300)
    parser.add_argument("--interval", type=float, default=None,
                        help="poll interval in seconds (default: the app's)")
    parser.add_argument("--pg", default=os.environ.get("WARROOM_TEST_PG_URL"))
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()
    interval = args.interval if args.interval is not None else app_interval()
    ctx = mp.get_context("spawn")
    print(f"propagation latency, commit in one process -> delivered in another; {args.notes} notes "
          f"per run, random gaps (mean {MEAN_GAP * 1000:.0f} ms), {os.cpu_count()} CPUs\n")

    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.db")
        for step in (interval, 0.01):
            fig = run_pair(ctx, "feed-poll", db, args.notes, step, 1)
            flo = run_pair(ctx, "sqlite-raw-poll", db, args.notes, step, 1)
            compare(f"SQLite, polling every {step * 1000:.0f} ms", fig, flo,
                    "ChangeFeed.poll()", "floor: raw sqlite3 poll")

    if args.no_pg or not args.pg:
        print("PostgreSQL: skipped (give --pg URL or set WARROOM_TEST_PG_URL)")
        return 0
    from sqlalchemy import create_engine, text

    schema = f"wr_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.pg)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in args.pg else "?"
    url = f"{args.pg}{sep}options=-csearch_path%3D{schema}"
    try:
        Store.open(url).close()
        fig = run_pair(ctx, "feed-wait", url, args.notes, interval, 2)
        flo = run_pair(ctx, "pg-raw-listen", url, args.notes, interval, 2)
        compare("PostgreSQL, LISTEN/NOTIFY", fig, flo, "ChangeFeed.wait()",
                "floor: raw psycopg LISTEN + SELECT")
        fig = run_pair(ctx, "feed-poll", url, args.notes, interval, 3)
        flo = run_pair(ctx, "pg-raw-poll", url, args.notes, interval, 3)
        compare(f"PostgreSQL, polled every {interval * 1000:.0f} ms (feed LISTENs in between)",
                fig, flo, "ChangeFeed.poll()", "floor: raw psycopg poll")
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
