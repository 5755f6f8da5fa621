"""Several writers at once, and a writer killed mid-burst: nothing lost, numbers contiguous."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from warroom.store import Store
from tests.conftest import REPO, seed

WRITERS = 4
NOTES = 500

# A child process that runs the real command-line entry point NOTES times in-process:
# argument parsing, opening the database, the domain call and the commit, exactly as
# `warroom note` does, without paying interpreter start-up 2,000 times.
CLI_LOOP = textwrap.dedent("""
    import sys
    from warroom.cli import main
    db, ref, who, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    failures = 0
    for i in range(count):
        rc = main(["--db", db, "--as", who, "note", "--incident", ref, f"{who} note {i}"])
        failures += rc != 0
    sys.exit(1 if failures else 0)
""")


def _contiguous(db, ref):
    store = Store.open(db)
    try:
        entries = store.entries(ref)
        count, bad, _ = store.verify(ref)
    finally:
        store.close()
    seqs = [e.seq for e in entries]
    assert seqs == list(range(1, len(seqs) + 1))
    assert bad is None and count == len(seqs)
    return entries


def test_four_cli_writers_500_notes_each(tmp_path):
    db = str(tmp_path / "team.db")
    ref = seed(db, title="Checkout 503s", severity="P2", profile="modernisation-platform")
    assert ref == "INC-1"
    procs = [subprocess.Popen([sys.executable, "-c", CLI_LOOP, db, ref, f"w{n}", str(NOTES)],
                              cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for n in range(WRITERS)]
    outputs = [p.communicate(timeout=600) for p in procs]
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err
        assert "locked" not in err and "busy" not in err
    entries = _contiguous(db, ref)
    assert len(entries) == 1 + WRITERS * NOTES
    texts = {e.text for e in entries}
    for n in range(WRITERS):
        for i in range(NOTES):
            assert f"w{n} note {i}" in texts
    # Each writer's own notes are in the order it wrote them.
    for n in range(WRITERS):
        mine = [int(e.text.rsplit(" ", 1)[1]) for e in entries if e.author == f"w{n}"]
        assert mine == list(range(NOTES))


def test_real_warroom_processes_at_once(tmp_path):
    """The same through separate `python -m warroom note` processes (fewer: start-up is slow)."""
    db = str(tmp_path / "team.db")
    ref = seed(db, title="x")
    procs = [subprocess.Popen([sys.executable, "-m", "warroom", "--db", db, "note", "--incident",
                               ref, f"proc {n}"], cwd=REPO, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for n in range(8)]
    results = [(p.communicate(timeout=120), p.returncode) for p in procs]
    assert all(code == 0 for _, code in results), results
    printed = sorted(out.strip() for (out, _), _ in results)
    assert printed == sorted(f"INC-1#{i}" for i in range(2, 10))
    assert len(_contiguous(db, ref)) == 9


WRITER = textwrap.dedent("""
    import sys
    from warroom.store import Store
    from warroom.core.domain import Warroom
    w = Warroom(Store.open(sys.argv[1]), user="killed")
    i = 0
    while True:
        entry = w.note(sys.argv[2], f"burst {i}")
        sys.stdout.write(f"{entry.seq} {i}\\n")
        sys.stdout.flush()
        i += 1
""")


@pytest.mark.parametrize("round_", range(3))
def test_sigkill_mid_burst_loses_nothing_acknowledged(tmp_path, round_):
    db = str(tmp_path / "w.db")
    ref = seed(db, title="x")
    rng = random.Random(round_)
    stop_after = rng.randint(20, 200)
    proc = subprocess.Popen([sys.executable, "-c", WRITER, db, ref], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    acked = []
    for line in proc.stdout:
        acked.append(tuple(map(int, line.split())))
        if len(acked) >= stop_after:
            os.kill(proc.pid, signal.SIGKILL)  # mid-burst: it is already writing the next one
            break
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    # Lines it printed before the kill but we had not read yet were acknowledged too.
    acked += [tuple(map(int, line.split())) for line in proc.stdout.read().splitlines()]
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = {row[0]: row[1] for row in conn.execute(
        "SELECT seq, text FROM entries WHERE kind = 'note'")}
    conn.close()
    for seq, i in acked:
        assert stored[seq] == f"burst {i}"
    # Perhaps one more committed after the last acknowledgement; never fewer, never a gap.
    assert len(stored) in (len(acked), len(acked) + 1)
    _contiguous(db, ref)
