"""Note commit latency: the domain API (validation, numbering, hash chain, durable commit)
against the floor of a raw sqlite3 INSERT + COMMIT with the same durability settings.

    python bench/note_latency.py [--notes 2000]

Prints p50 and p99 for both, and the ratio. Target: p99 ≤ 2× the floor.
"""

from __future__ import annotations

import argparse
import statistics
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from warroom.core.domain import Warroom  # noqa: E402
from warroom.store import Store  # noqa: E402


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class DomainWriter:
    def __init__(self, folder: Path) -> None:
        self.store = Store.open(folder / "domain.db")
        self.w = Warroom(self.store, user="bench", host="bench-host", session="bench")
        self.ref = self.w.declare("Bench incident").incident

    def write(self, text: str) -> None:
        self.w.note(self.ref, text)

    def close(self) -> None:
        self.store.close()


class RawWriter:
    """The floor: one prepared INSERT inside BEGIN IMMEDIATE / COMMIT, same pragmas."""

    def __init__(self, folder: Path) -> None:
        self.conn = sqlite3.connect(folder / "raw.db", isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute("PRAGMA busy_timeout=5000")
        self.conn.execute("CREATE TABLE entries (id INTEGER PRIMARY KEY, incident_id INTEGER,"
                          " seq INTEGER, uid TEXT UNIQUE, kind TEXT, author TEXT,"
                          " occurred_at TEXT, text TEXT, UNIQUE (incident_id, seq))")
        self.seq = 0

    def write(self, text: str) -> None:
        self.seq += 1
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute("INSERT INTO entries (incident_id, seq, uid, kind, author, occurred_at,"
                          " text) VALUES (1, ?, ?, 'note', 'bench', '2026-01-01T00:00:00Z', ?)",
                          (self.seq, f"uid-{self.seq}", text))
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--notes", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="warroom-bench-", dir=Path.cwd()) as tmp:
        domain, raw = DomainWriter(Path(tmp)), RawWriter(Path(tmp))
        dom: list[float] = []
        flo: list[float] = []
        # Alternate note by note, so that disk and CPU noise falls on both alike.
        for i in range(20 + args.notes):
            text = f"note {i}: checkout 5xx at {i % 100}% on pod web-{i % 7}"
            for writer, samples in ((domain, dom), (raw, flo)):
                start = time.perf_counter()
                writer.write(text)
                if i >= 20:  # warm-up
                    samples.append(time.perf_counter() - start)
        domain.close()
        raw.close()
    raw = flo
    ms = 1000
    print(f"note commit latency over {len(dom)} notes (SQLite WAL, synchronous=FULL, on {Path.cwd()})")
    print(f"  warroom domain API : p50 {statistics.median(dom) * ms:7.3f} ms"
          f"   p99 {pct(dom, 99) * ms:7.3f} ms")
    print(f"  raw sqlite3 (floor): p50 {statistics.median(raw) * ms:7.3f} ms"
          f"   p99 {pct(raw, 99) * ms:7.3f} ms")
    print(f"  ratio              : p50 {statistics.median(dom) / statistics.median(raw):5.2f}x     "
          f"p99 {pct(dom, 99) / pct(raw, 99):5.2f}x   (target p99 ≤ 2.00x)")


if __name__ == "__main__":
    main()
