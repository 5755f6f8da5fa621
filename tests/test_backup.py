"""`warroom backup`: a consistent, private copy of a live database, and why a plain file copy
of a WAL database is not one."""

from __future__ import annotations

import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path


from warroom.cli import main as cli_main
from warroom.core.domain import Warroom
from warroom.store import Store
from tests.conftest import REPO, run_cli

WRITER = textwrap.dedent("""
    import sys
    from warroom.core.domain import Warroom
    from warroom.store import Store
    w = Warroom(Store.open(sys.argv[1]), user=sys.argv[3])
    i = 0
    while True:
        uid = f"{sys.argv[3]}-{i}"
        entry = w.note(sys.argv[2], f"{sys.argv[3]} note {i}", uid=uid)
        sys.stdout.write(f"{entry.seq} {uid}\\n")  # acknowledged: the call returned
        sys.stdout.flush()
        i += 1
""")


class Writers:
    """Writer processes logging notes, and every acknowledgement they printed."""

    def __init__(self, db: Path, ref: str, count: int) -> None:
        self.acks: list[tuple[int, str]] = []
        self.lock = threading.Lock()
        self.procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(db), ref, f"w{n}"],
                                       cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       text=True) for n in range(count)]
        self.threads = [threading.Thread(target=self._read, args=(p,), daemon=True)
                        for p in self.procs]
        for t in self.threads:
            t.start()

    def _read(self, proc: subprocess.Popen) -> None:
        for line in proc.stdout:
            seq, uid = line.split()
            with self.lock:
                self.acks.append((int(seq), uid))

    def acknowledged(self) -> list[tuple[int, str]]:
        with self.lock:
            return list(self.acks)

    def wait_for(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.acknowledged()) < count:
            for p in self.procs:
                assert p.poll() is None, p.stderr.read()
            assert time.monotonic() < deadline, "writers too slow"
            time.sleep(0.01)

    def stop(self) -> None:
        for p in self.procs:
            p.kill()
        for p in self.procs:
            p.wait(10)
            p.stdout.close()
            p.stderr.close()


def _rows(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {uid: seq for seq, uid in conn.execute("SELECT seq, uid FROM entries")}
    finally:
        conn.close()


def test_backup_of_a_live_database_while_two_writers_run(tmp_path):
    db = tmp_path / "live" / "team.db"
    with Store.open(db) as s:
        ref = Warroom(s, user="lead").declare("Backup under load").incident
    writers = Writers(db, ref, 2)
    pinned = None
    try:
        writers.wait_for(40)
        # An open read transaction (any screen reading at that moment) holds the newest
        # entries in the -wal: it makes the plain copy's loss below certain rather than merely
        # likely (without it the .db file still lags by everything written since the last
        # automatic checkpoint, up to ~1,000 pages).
        pinned = sqlite3.connect(db)
        pinned.execute("BEGIN")
        pinned_count = pinned.execute("SELECT count(*) FROM entries").fetchone()[0]
        writers.wait_for(pinned_count + 40)

        before = writers.acknowledged()  # everything acknowledged before the backup started
        plain = tmp_path / "plain" / "team.db"
        plain.parent.mkdir()
        shutil.copyfile(db, plain)  # the contrast: cp team.db, without its -wal
        out = tmp_path / "backups" / "team-copy.db"
        out.parent.mkdir()
        result = run_cli("--db", str(db), "backup", "-o", str(out))
        during = len(writers.acknowledged()) - len(before)
        writers.wait_for(len(writers.acknowledged()) + 20)  # still writing after it
    finally:
        if pinned is not None:
            pinned.close()
        writers.stop()

    assert result.returncode == 0, result.stderr
    printed = result.stdout.strip().splitlines()
    assert printed[0] == str(out)  # then each incident's chain head, recomputed from the copy
    assert len(printed) == 2 and re.fullmatch(r"INC-1: chain head #\d+ [0-9a-f]{64}", printed[1])
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert sorted(p.name for p in out.parent.iterdir()) == ["team-copy.db"]  # one file, no -wal
    copied = _rows(out)
    for seq, uid in before:
        assert copied.get(uid) == seq, f"{uid} (#{seq}) acknowledged before the backup, not in it"
    assert sorted(copied.values()) == list(range(1, len(copied) + 1))  # a consistent prefix
    with Store.open(out, readonly=True) as copy:
        count, bad, _ = copy.verify(ref)
        assert bad is None and count == len(copied)
        assert copy.viewing == ""  # the copy is an ordinary database, not a frozen view
    verified = run_cli("--db", str(out), "verify", ref)
    assert verified.returncode == 0 and f"{len(copied)} entries intact" in verified.stdout

    # The measured contrast: the plain copy of the .db alone lacks what was in the -wal.
    lost = [uid for _, uid in before if uid not in _rows(plain)]
    assert len(lost) >= len(before) - pinned_count > 0
    print(f"\nbackup under 2 writers: {len(before)} acknowledged before it started, all "
          f"{len(copied)} in the copy ({during} written while it ran); a plain copy of the "
          f".db lost {len(lost)} of them")


def test_backup_refuses_to_overwrite(tmp_path):
    db = tmp_path / "w.db"
    with Store.open(db) as s:
        Warroom(s, user="a").declare("x")
    existing = tmp_path / "precious.db"
    existing.write_bytes(b"yesterday's backup")
    result = run_cli("--db", str(db), "backup", "-o", str(existing))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [f"warroom: {existing}: already exists; choose another file "
                     "(nothing was overwritten)"]
    assert existing.read_bytes() == b"yesterday's backup"
    assert sorted(p.name for p in tmp_path.iterdir() if "precious" in p.name) == ["precious.db"]


def test_backup_default_name_next_to_the_database(tmp_path, capsys):
    db = tmp_path / "team.db"
    with Store.open(db) as s:
        w = Warroom(s, user="a")
        ref = w.declare("x").incident
        w.note(ref, "y")
    assert cli_main(["--db", str(db), "backup"]) == 0
    out = capsys.readouterr().out.splitlines()
    printed = Path(out[0])
    assert out[1:] == [f"{ref}: chain head #2 {s_head(printed, ref)}"]
    assert printed.parent == tmp_path
    assert re.fullmatch(r"team-backup-\d{8}-\d{6}\.db", printed.name), printed.name
    assert stat.S_IMODE(printed.stat().st_mode) == 0o600
    with Store.open(printed, readonly=True) as copy:
        assert [e.text for e in copy.entries(ref)] == ["x", "y"]
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")]
    assert leftovers == []


def test_backup_of_a_missing_database_creates_nothing(tmp_path, capsys):
    missing = tmp_path / "typo.db"
    assert cli_main(["--db", str(missing), "backup", "-o", str(tmp_path / "b.db")]) == 1
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [f"warroom: {missing}: no such database"]
    assert list(tmp_path.iterdir()) == []


def s_head(path: Path, ref: str) -> str:
    with Store.open(path, readonly=True) as copy:
        return copy.verify(ref)[2]
