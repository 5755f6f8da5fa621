"""The whole `warroom note` process, from exec to exit: what an alert hook or a script pays per
note. Against the floor of a Python process that imports SQLAlchemy and inserts one row with
sqlite3 under the same durability settings (WAL, synchronous=FULL, busy_timeout, BEGIN
IMMEDIATE ... COMMIT): the least a Python program built on SQLAlchemy could do for one durable
note.

    python bench/note_process.py [--runs 21]

Both write to a real SQLite file (WAL) in a temporary folder under the current directory. The
two programs alternate run by run, so disk and CPU noise falls on both alike; warroom's modules
are byte-compiled first, as an installed copy's are. Prints the median of each, the floor and the
ratio. Target: warroom ≤ 1.3× the floor.
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

FLOOR = r"""
import sys, sqlite3
import sqlalchemy  # noqa: F401  (what any SQLAlchemy program pays at start)
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA journal_mode=WAL")
conn.execute("PRAGMA busy_timeout=5000")
conn.execute("PRAGMA synchronous=FULL")
conn.execute("BEGIN IMMEDIATE")
conn.execute("INSERT INTO entries (incident_id, seq, uid, kind, author, occurred_at, text)"
             " VALUES (1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM entries), lower(hex(randomblob(16))),"
             " 'note', 'bench', '2026-01-01T00:00:00Z', ?)", (sys.argv[2],))
conn.execute("COMMIT")
conn.close()
"""


def run(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, cwd=str(REPO), check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    compileall.compile_dir(str(REPO / "warroom"), quiet=1)
    with tempfile.TemporaryDirectory(prefix="warroom-bench-", dir=Path.cwd()) as tmp:
        folder = Path(tmp)
        env = dict(os.environ, WARROOM_DATA_DIR=str(folder / "data"),
                   WARROOM_CONFIG_DIR=str(folder / "config"), WARROOM_USER="bench")
        env.pop("WARROOM_DB", None)
        db = str(folder / "warroom.db")
        raw = str(folder / "raw.db")
        import sqlite3

        conn = sqlite3.connect(raw)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE entries (id INTEGER PRIMARY KEY, incident_id INTEGER,"
                     " seq INTEGER, uid TEXT UNIQUE, kind TEXT, author TEXT,"
                     " occurred_at TEXT, text TEXT, UNIQUE (incident_id, seq))")
        conn.close()
        subprocess.run([sys.executable, "-m", "warroom", "--db", db, "declare", "Bench incident"],
                       env=env, cwd=str(REPO), check=True, stdout=subprocess.DEVNULL)
        ours: list[float] = []
        floor: list[float] = []
        for i in range(2 + args.runs):  # two warm-up rounds (page cache), not counted
            text = f"note {i}: checkout 5xx on pod web-{i % 7}"
            a = run([sys.executable, "-m", "warroom", "--db", db, "note", "--incident", "INC-1", text], env)
            b = run([sys.executable, "-c", FLOOR, raw, text], env)
            if i >= 2:
                ours.append(a)
                floor.append(b)
    o, f = statistics.median(ours), statistics.median(floor)
    ms = 1000
    print(f"whole `warroom note` process, SQLite WAL + synchronous=FULL, median of {args.runs}:")
    for label, median, samples in (("warroom note             ", o, ours),
                                   ("floor: SQLAlchemy+sqlite3", f, floor)):
        print(f"  {label} {median * ms:6.0f} ms   (min {min(samples) * ms:.0f}, max {max(samples) * ms:.0f})")
    print(f"  ratio {o / f:.2f}x   (target <= 1.3x)")
    # The fastest runs are the least disturbed by other work on the machine: a second view.
    print(f"  ratio of the fastest runs {min(ours) / min(floor):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
