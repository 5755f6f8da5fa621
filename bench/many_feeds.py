"""Many watching screens on one PostgreSQL: connections used and propagation, direct and
through PgBouncer, against a raw psycopg floor in the same run.

    python bench/many_feeds.py [--sizes 10,50,100,200] [--notes 40] [--pool 20] [--pg URL]

For each size N, N change feeds (``Store.open(url, readonly=True)`` + ``ChangeFeed``, each
followed by its own thread in ``wait()``, as a screen does) run in a few worker processes; the
main process logs ``--notes`` notes (one every 100 ms) and stamps each commit
(CLOCK_MONOTONIC, shared by processes); each feed stamps each entry as it is delivered.
Figures: server connections the role holds while all N follow (pg_stat_activity), p50/p99/max
from commit to delivery over every (feed, entry), how many feeds could not open, and the CPU
the server spent meanwhile (the role's backends, and PgBouncer's process, from /proc).

- direct: LISTEN on each feed's one connection. Floor: N raw psycopg connections that LISTEN
  and SELECT the new rows per notification.
- PgBouncer, transaction mode, ``--pool`` server connections: the feeds poll (no LISTEN
  there) every ``ChangeFeed`` interval. Floor: N raw psycopg connections through the same
  PgBouncer, each polling ``seq > last`` at that interval (autocommit, no prepared statements).

Direct runs use a throwaway role with a CONNECTION LIMIT (default 60) so that the shared
server keeps room for everyone else: sizes above it show what happens at capacity (feeds
refused, each with the one-line message). Target: at most 1 connection per feed direct; 200
feeds through a pool of 20 with p99 <= 1 s.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.pg_roles import Bouncer, Role  # noqa: E402
from warroom.core.domain import Warroom  # noqa: E402
from warroom.store import Store  # noqa: E402
from warroom.store.feed import DEFAULT_INTERVAL, ChangeFeed  # noqa: E402

GAP = 0.1


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")


def _psycopg_dsn(url: str) -> str:
    from sqlalchemy.engine import make_url

    u = make_url(url.split("?")[0])
    return f"host={u.host} port={u.port or 5432} dbname={u.database} user={u.username}"


def _raw_follow(dsn: str, incident_id: int, how: str, stop: threading.Event,
                out: list, ready: threading.Barrier | None) -> None:
    import psycopg

    try:
        conn = psycopg.connect(dsn, autocommit=True, prepare_threshold=None)
    except psycopg.Error:
        out.append(("refused", 0, 0.0))
        if ready:
            ready.wait()
        return
    last = 0
    query = "SELECT seq FROM entries WHERE incident_id = %s AND seq > %s ORDER BY seq"
    if how == "listen":
        conn.execute("LISTEN warroom_entries")
    if ready:
        ready.wait()
    try:
        while not stop.is_set():
            if how == "listen":
                got = list(conn.notifies(timeout=0.5, stop_after=1))
                if not got:
                    continue
            else:
                stop.wait(DEFAULT_INTERVAL)
            for (seq,) in conn.execute(query, (incident_id, last)).fetchall():
                out.append(("seen", seq, time.monotonic()))
                last = seq
    finally:
        conn.close()


def _feed_follow(url: str, ref: str, stop: threading.Event, out: list,
                 ready: threading.Barrier | None) -> None:
    from warroom.base.errors import WarroomError

    try:
        store = Store.open(url, readonly=True)
        feed = ChangeFeed(store, ref, after=1)
    except WarroomError as exc:
        out.append(("refused", 0, str(exc)))
        if ready:
            ready.wait()
        return
    if ready:
        ready.wait()
    try:
        while not stop.is_set():
            for e in feed.wait(0.5):
                out.append(("seen", e.seq, time.monotonic()))
    finally:
        feed.close()
        store.close()


def worker(kind: str, url: str, ref: str, incident_id: int, n: int, started, stop_evt, q) -> None:
    stop = threading.Event()
    outs: list[list] = [[] for _ in range(n)]
    ready = threading.Barrier(n + 1)
    threads = []
    for i in range(n):
        if kind == "feed":
            t = threading.Thread(target=_feed_follow, args=(url, ref, stop, outs[i], ready))
        else:
            t = threading.Thread(target=_raw_follow,
                                 args=(_psycopg_dsn(url), incident_id, kind, stop, outs[i], ready))
        t.start()
        threads.append(t)
    ready.wait()
    started.set()
    stop_evt.wait()
    stop.set()
    for t in threads:
        t.join(30)
    q.put(outs)


def _proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _server_pids(role: Role) -> list[int]:
    from sqlalchemy import text

    with role.admin.connect() as conn:
        return [r[0] for r in conn.execute(text(
            "SELECT pid FROM pg_stat_activity WHERE usename = :r"), {"r": role.name})]


def run_one(kind: str, url: str, role: Role, ref: str, incident_id: int, n: int, notes: int,
            writer: Warroom, extra_pids: list[int]) -> dict:
    ctx = mp.get_context("fork")
    procs_n = max(1, min(4, n // 25))
    sizes = [n // procs_n + (1 if i < n % procs_n else 0) for i in range(procs_n)]
    q = ctx.Queue()
    stop_evt = ctx.Event()
    starts = [ctx.Event() for _ in sizes]
    procs = [ctx.Process(target=worker, args=(kind, url, ref, incident_id, size, st, stop_evt, q))
             for size, st in zip(sizes, starts)]
    for p in procs:
        p.start()
    for st in starts:
        st.wait(120)
    time.sleep(1.0)  # let every follower settle into its wait
    connections = role.backends()
    pids = _server_pids(role) + extra_pids
    cpu0, t0 = sum(_proc_cpu(p) for p in pids), time.monotonic()
    committed: dict[int, float] = {}
    for i in range(notes):
        e = writer.note(ref, f"note {i}")
        committed[e.seq] = time.monotonic()
        time.sleep(GAP)
    time.sleep(2.0)
    server_cpu = (sum(_proc_cpu(p) for p in pids) - cpu0) / (time.monotonic() - t0)
    stop_evt.set()
    results = [q.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
    delays, refused, missing, refusal = [], 0, 0, ""
    for outs in results:
        for out in outs:
            seen = [x for x in out if x[0] == "seen"]
            if any(x[0] == "refused" for x in out):
                refused += 1
                refusal = refusal or next(str(x[2]) for x in out if x[0] == "refused")
                continue
            got = {s: at for _k, s, at in seen if s in committed}
            missing += len(committed) - len(got)
            delays.extend(at - committed[s] for s, at in got.items())
    return dict(kind=kind, n=n, connections=connections, refused=refused, missing=missing,
                p50=pct(delays, 50), p99=pct(delays, 99), max=max(delays) if delays else float("nan"),
                server_cpu=server_cpu, refusal=refusal)


def show(label: str, r: dict, floor: dict | None) -> None:
    ratio = f"   p99 vs floor {r['p99'] / floor['p99']:5.2f}x" if floor and floor["p99"] > 0 else ""
    print(f"  {label:<34} N={r['n']:>3}  server conns {r['connections']:>3}"
          f"  refused {r['refused']:>3}  missing {r['missing']:>3}"
          f"  p50 {r['p50'] * 1000:7.1f} ms  p99 {r['p99'] * 1000:7.1f} ms"
          f"  max {r['max'] * 1000:7.1f} ms  server CPU {r['server_cpu'] * 100:5.1f}%{ratio}")
    if r["refusal"] and label.startswith("warroom"):
        print(f"      refused with: {r['refusal'][:200]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,50,100,200")
    parser.add_argument("--notes", type=int, default=40)
    parser.add_argument("--pool", type=int, default=20)
    parser.add_argument("--direct-limit", type=int, default=60)
    parser.add_argument("--pg", default=os.environ.get("WARROOM_TEST_PG_URL"))
    args = parser.parse_args()
    if not args.pg:
        print("needs --pg URL or WARROOM_TEST_PG_URL")
        return 2
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"{args.notes} notes, one every {GAP * 1000:.0f} ms; feeds poll every "
          f"{DEFAULT_INTERVAL * 1000:.0f} ms where they cannot LISTEN\n")

    direct = Role(args.pg, limit=args.direct_limit)
    pooled = Role(args.pg)
    bouncer = None
    try:
        bouncer = Bouncer(args.pg, [pooled.name], mode="transaction", pool_size=args.pool,
                          max_client_conn=1000)
        for role, url, label, floor_kind, extra in (
                (direct, direct.url, f"direct (CONNECTION LIMIT {args.direct_limit})", "listen", []),
                (pooled, pooled.url_via(bouncer.port, pool_mode="transaction"),
                 f"PgBouncer transaction, pool {args.pool}", "poll", [bouncer.proc.pid])):
            print(label)
            with Store.open(role.url) as setup:
                w = Warroom(setup, user="bench", session="bench")
                ref = w.declare("Many watchers").incident
                incident_id = setup.incident(ref).id
            writer = Warroom(Store.open(url), user="writer", session="writer")
            for n in sizes:
                floor = run_one(floor_kind, url, role, ref, incident_id, n, args.notes, writer, extra)
                mine = run_one("feed", url, role, ref, incident_id, n, args.notes, writer, extra)
                show(f"raw psycopg {floor_kind} (floor)", floor, None)
                show("warroom ChangeFeed", mine, floor)
            writer.close()
            print()
    finally:
        if bouncer is not None:
            bouncer.stop()
        direct.drop()
        pooled.drop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
