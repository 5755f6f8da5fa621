"""Fault injection (issue 7): writers killed at random moments, a write lock held too long,
a full disk, read-only files and folders, corrupt or wrong files, tampering.

The promise under test: an entry acknowledged to the person who typed it is never lost, a
failed write says so in one line and can be retried with the same uid (saved exactly once),
and a bad or read-only database is never changed by looking at it.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import event

from warroom.cli import main as cli_main
from warroom.core.domain import Warroom
from warroom.base.errors import StoreBusy, StoreError, StoreFull
from warroom.store import Store
from warroom.store import store as store_module
from tests.conftest import REPO

from tests.fault_writers import note_writer


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def integrity(db: Path) -> str:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# ====================================================================== 1. crash loop
ROUNDS = 120
WRITERS = 4


@pytest.fixture(scope="module")
def forkserver():
    """Writers forked from a server that has imported warroom already (fast restarts).
    pytest is preloaded too: each child re-runs the main script, which under the ``pytest``
    command imports pytest (half a second per writer otherwise)."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["pytest", "tests.fault_writers"])
    return ctx


def _read_acks(folder: Path) -> dict[str, list[tuple[int, str]]]:
    """Every acknowledgement each writer incarnation printed: {name: [(seq, uid), ...]}."""
    acks: dict[str, list[tuple[int, str]]] = {}
    for path in sorted(folder.glob("*.ack")):
        text = path.read_text()
        complete = text[: text.rfind("\n") + 1]  # a line is printed whole or not at all
        acks[path.stem] = [(int(seq), uid) for seq, uid in
                           (line.split() for line in complete.splitlines())]
    return acks


@pytest.mark.slow
def test_crash_loop_sigkill_one_or_all_of_four_writers(tmp_path, forkserver):
    seed = int(os.environ.get("WARROOM_FAULT_SEED") or random.randrange(1 << 30))
    rng = random.Random(seed)
    db = tmp_path / "crash.db"
    with Store.open(db) as s:
        ref = Warroom(s, user="lead").declare("Crash loop").incident
    ack_dir = tmp_path / "acks"
    ack_dir.mkdir()

    running: dict[int, multiprocessing.Process] = {}
    starts = kills = kill_all_rounds = 0
    for round_ in range(ROUNDS):
        for slot in range(WRITERS):
            if slot not in running:
                name = f"w{slot}r{round_}"
                proc = forkserver.Process(target=note_writer, daemon=True,
                                          args=(str(db), ref, name, str(ack_dir / f"{name}.ack")))
                proc.start()
                running[slot] = proc
                starts += 1
        # A random moment: sometimes while a writer is still opening the database, mostly
        # in the middle of a burst of commits.
        time.sleep(rng.choice([0.0, 0.005, 0.02]) if rng.random() < 0.2 else rng.uniform(0.03, 0.2))
        if rng.random() < 0.3:
            victims = list(running)
            kill_all_rounds += 1
        else:
            victims = [rng.choice(list(running))]
        for slot in victims:
            os.kill(running[slot].pid, signal.SIGKILL)
        for slot in victims:
            proc = running.pop(slot)
            proc.join(10)
            assert proc.exitcode == -signal.SIGKILL, (seed, proc.exitcode)
        kills += len(victims)
    for proc in running.values():
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(10)

    assert integrity(db) == "ok", seed
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT seq, uid, text FROM entries").fetchall()
    conn.close()
    seqs = sorted(seq for seq, _, _ in rows)
    assert seqs == list(range(1, len(rows) + 1)), f"numbers not contiguous (seed {seed})"
    stored = {uid: (seq, text) for seq, uid, text in rows}
    acks = _read_acks(ack_dir)
    acked = unacked = 0
    for name, lines in acks.items():
        for seq, uid in lines:
            assert uid in stored, f"acknowledged {uid} (#{seq}) lost (seed {seed})"
            assert stored[uid] == (seq, f"{name} note {uid.rsplit('-', 1)[1]}"), (seed, uid)
        # Each writer writes one note at a time: what it stored is 0..k with no hole, and at
        # most the one note in flight when it was killed was committed but not acknowledged.
        mine = sorted(int(uid.rsplit("-", 1)[1]) for uid in stored if uid.startswith(name + "-"))
        assert mine == list(range(len(mine))), (seed, name)
        assert len(mine) - len(lines) in (0, 1), (seed, name)
        acked += len(lines)
        unacked += len(mine) - len(lines)
    assert acked > ROUNDS, f"the writers hardly wrote anything ({acked}); seed {seed}"
    with Store.open(db, readonly=True) as s:
        count, bad, _ = s.verify(ref)
    assert bad is None and count == len(rows), seed
    print(f"\ncrash loop (seed {seed}): {ROUNDS} rounds, {kills} SIGKILLs ({kill_all_rounds} "
          f"rounds killed all {WRITERS}), {starts} writer starts, {acked} entries acknowledged, "
          f"{unacked} committed in the last instant before the kill; lost: 0")


# ====================================================================== 2. lock held too long
HOLD_LOCK = textwrap.dedent("""
    import sqlite3, sys
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")  # the write lock, held until told to let go
    print("locked", flush=True)
    sys.stdin.readline()
    conn.execute("ROLLBACK")
    print("released", flush=True)
    sys.stdin.readline()
""")


@pytest.fixture
def busy_wr(tmp_path, clock):
    store = Store.open(tmp_path / "busy.db", busy_timeout_ms=300)
    w = Warroom(store, clock=clock, user="scribe", host="h", session="s")
    yield w
    store.close()


def _hold_lock(db: Path) -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(db)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    return holder


def _release(holder: subprocess.Popen, how: str) -> None:
    if how == "sigkill":  # the holder dies with the lock: the OS lets it go
        holder.kill()
    else:
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "released"
        holder.stdin.close()
    holder.wait(10)


@pytest.mark.parametrize("how", ["rollback", "sigkill"])
def test_lock_held_too_long_raises_busy_then_retry_saves_once(busy_wr, how):
    w = busy_wr
    ref = w.declare("Lock held").incident
    w.note(ref, "before the lock")
    holder = _hold_lock(w.store.path)
    try:
        started = time.monotonic()
        with pytest.raises(StoreBusy) as info:
            w.note(ref, "the scribe pressed Enter", uid="draft-1")
        waited = time.monotonic() - started
        message = str(info.value)
        assert "\n" not in message and "database busy" in message, message
        assert str(w.store.path) in message and "0.3 s" in message, message
        assert 0.25 <= waited < 3, waited  # the configured busy timeout, not the 5 s default
        # The draft is kept by the caller; while the lock is held, retries keep failing cleanly.
        with pytest.raises(StoreBusy):
            w.note(ref, "the scribe pressed Enter", uid="draft-1")
        assert [e.text for e in w.entries(ref)] == ["Lock held", "before the lock"]
    finally:
        _release(holder, how)
    saved = w.note(ref, "the scribe pressed Enter", uid="draft-1")
    again = w.note(ref, "the scribe pressed Enter", uid="draft-1")  # a second retry: no-op
    assert saved.seq == again.seq == 3
    texts = [e.text for e in w.entries(ref)]
    assert texts == ["Lock held", "before the lock", "the scribe pressed Enter"]
    assert w.store.verify(ref)[1] is None
    # No connection was lost to the failed BEGINs: the pool is whole.
    assert w.store.engine.pool.checkedout() == 0


def test_cli_note_on_a_locked_database_says_busy_in_one_line(tmp_path):
    """The command line's default busy timeout (5 s), end to end."""
    db = tmp_path / "busy.db"
    with Store.open(db) as s:
        ref = Warroom(s, user="a").declare("x").incident
    holder = _hold_lock(db)
    try:
        result = subprocess.run([sys.executable, "-m", "warroom", "--db", str(db), "note",
                                 "--incident", ref, "blocked"], capture_output=True, text=True,
                                cwd=REPO, timeout=60)
    finally:
        _release(holder, "rollback")
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert line.startswith(f"warroom: {db}: database busy") and "5 s" in line, line
    with Store.open(db, readonly=True) as s:
        assert [e.text for e in s.entries(ref)] == ["x"]


def test_retry_after_a_lost_acknowledgement_writes_once(wr, monkeypatch):
    """The commit happened but its acknowledgement was lost (an I/O error reported after
    COMMIT, say): the caller sees a failure, retries with the same uid, and the store hands
    back the entry that is already there."""
    ref = wr.declare("Lost ack").incident
    real_exit = store_module._WriteTx.__exit__
    lost = {"count": 0}

    def commit_then_fail(self, exc_type, *rest):
        real_exit(self, exc_type, *rest)
        if exc_type is None and not lost["count"]:
            lost["count"] += 1
            raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(store_module._WriteTx, "__exit__", commit_then_fail)
    with pytest.raises(StoreError, match="disk I/O error"):
        wr.note(ref, "did it save?", uid="lost-ack-1")
    retried = wr.note(ref, "did it save?", uid="lost-ack-1")
    assert lost["count"] == 1 and retried.seq == 2
    assert [e.uid for e in wr.entries(ref)].count("lost-ack-1") == 1


def test_retry_from_another_process_after_a_kill_between_commit_and_ack(tmp_path):
    """A writer commits and is killed before it can say so; the retry (same uid, another
    process: the app restarted with the draft it kept) writes nothing new."""
    db = tmp_path / "w.db"
    with Store.open(db) as s:
        ref = Warroom(s, user="a").declare("x").incident
    script = textwrap.dedent("""
        import os, signal, sys
        from warroom.store import Store
        from warroom.core.domain import Warroom
        w = Warroom(Store.open(sys.argv[1]), user="a")
        w.note(sys.argv[2], "committed, never acknowledged", uid="kill-after-commit")
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", script, str(db), ref], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL and proc.stdout == "", proc.stderr
    with Store.open(db) as s:
        w = Warroom(s, user="a", session="restarted")
        entry = w.note(ref, "committed, never acknowledged", uid="kill-after-commit")
        assert entry.seq == 2 and entry.session != "restarted"  # the original, not a new one
        assert [e.uid for e in s.entries(ref)].count("kill-after-commit") == 1


def test_declare_retry_with_the_same_uid_creates_one_incident(wr):
    first = wr.declare("Checkout 503s", uid="declare-1")
    again = wr.declare("Checkout 503s", uid="declare-1")
    assert (again.incident, again.seq, again.uid) == (first.incident, 1, "declare-1")
    assert [row.ref for row in wr.store.incidents()] == [first.incident]


# ====================================================================== 3. disk full
def _cap_pages(store: Store) -> dict:
    """Apply ``PRAGMA max_page_count`` to every connection the store opens from now on (the
    pool is emptied so none escapes); set ``cap["pages"] = None`` and call again to lift it."""
    cap: dict = {"pages": None}

    @event.listens_for(store.engine, "connect")
    def _limit(dbapi_conn, _record):
        if cap["pages"]:
            dbapi_conn.execute(f"PRAGMA max_page_count={cap['pages']}")

    store.engine.dispose()
    return cap


def test_disk_full_says_so_keeps_everything_and_saves_the_retry_once(wr):
    ref = wr.declare("Disk full").incident
    for i in range(20):
        wr.note(ref, f"earlier note {i}")
    before = [(e.seq, e.hash) for e in wr.entries(ref)]
    cap = _cap_pages(wr.store)
    with wr.store.engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
    cap["pages"] = pages + 1  # just above the current size
    wr.store.engine.dispose()
    big = "a long paste from the logs " * 700  # ~19,000 characters: several pages
    for attempt in range(3):  # the app keeps the draft and retries: each time the same answer
        with pytest.raises(StoreFull) as info:
            wr.note(ref, big, uid="full-1")
        message = str(info.value)
        assert "\n" not in message and str(wr.store.path) in message
        assert "full" in message and "free some space" in message, message
    assert [(e.seq, e.hash) for e in wr.entries(ref)] == before
    assert integrity(wr.store.path) == "ok"
    assert wr.store.verify(ref)[1] is None
    # Small entries may still fit in the free space of existing pages; the big one never did.
    cap["pages"] = None  # room is made
    wr.store.engine.dispose()
    saved = wr.note(ref, big, uid="full-1")
    again = wr.note(ref, big, uid="full-1")
    assert saved.seq == again.seq == len(before) + 1
    assert [e.uid for e in wr.entries(ref)].count("full-1") == 1
    assert integrity(wr.store.path) == "ok" and wr.store.verify(ref)[1] is None
    assert wr.store.engine.pool.checkedout() == 0


MOUNT_SCRIPT = textwrap.dedent("""
    set -e
    mount -t tmpfs -o size=1m tmpfs "$1"
    exec "$2" -c "$3" "$1"
""")

ENOSPC_WRITER = textwrap.dedent("""
    import os, subprocess, sys
    from warroom.core.domain import Warroom
    from warroom.base.errors import StoreFull
    from warroom.store import Store
    folder = sys.argv[1]
    db = os.path.join(folder, "w.db")
    store = Store.open(db)
    w = Warroom(store, user="scribe")
    ref = w.declare("Disk full for real").incident
    # Ballast, so that room can be made afterwards; then fill the disk with notes.
    with open(os.path.join(folder, "ballast"), "wb") as fh:
        fh.write(b"x" * 256 * 1024)
    acked = []
    failure = None
    for i in range(10000):
        try:
            acked.append(w.note(ref, f"note {i} " + "y" * 900, uid=f"n{i}").seq)
        except StoreFull as exc:
            failure = str(exc)
            break
    assert failure, "the disk never filled"
    # The command line says so in one line too.
    cli = subprocess.run([sys.executable, "-m", "warroom", "--db", db, "note", "--incident",
                          ref, "z" * 5000], capture_output=True, text=True)
    os.remove(os.path.join(folder, "ballast"))  # room is made
    retried = w.note(ref, f"note {i} " + "y" * 900, uid=f"n{i}")
    again = w.note(ref, f"note {i} " + "y" * 900, uid=f"n{i}")
    rows = [(e.seq, e.uid) for e in store.entries(ref)]
    count, bad, _ = store.verify(ref)
    store.close()
    import json, sqlite3
    check = sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()[0]
    print(json.dumps({"failure": failure, "acked": acked, "retried": [retried.seq, again.seq],
                      "rows": rows, "verify": [count, bad is None], "integrity": check,
                      "cli": [cli.returncode, cli.stderr]}))
""")


def test_real_enospc_on_a_tiny_filesystem(tmp_path):
    """The same with a real full disk: a 1 MiB tmpfs in a private mount namespace (needs
    root and unshare; skipped elsewhere). The -wal cannot grow: StoreFull, nothing lost."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("a real full disk needs root and unshare(1) for a private tmpfs")
    probe = subprocess.run(["unshare", "-m", "sh", "-c", f"mount -t tmpfs -o size=64k tmpfs {tmp_path}"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a private tmpfs here: {probe.stderr.strip()}")
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    result = subprocess.run(["unshare", "-m", "sh", "-c", MOUNT_SCRIPT, "sh", str(mnt),
                             sys.executable, ENOSPC_WRITER], capture_output=True, text=True,
                            cwd=REPO, timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert "database or disk is full" in out["failure"] and "\n" not in out["failure"]
    code, err = out["cli"]
    assert code == 1 and one_line(err).startswith("warroom: ") and "full" in err, err
    acked, rows = out["acked"], out["rows"]
    assert len(acked) > 10
    seqs = [seq for seq, _ in rows]
    assert seqs == list(range(1, len(rows) + 1))
    assert set(acked) <= set(seqs)
    assert out["retried"][0] == out["retried"][1] == len(acked) + 2  # declared + acked + retry
    assert len(rows) == len(acked) + 2
    assert out["verify"] == [len(rows), True] and out["integrity"] == "ok"


# ====================================================================== 4. read-only
_DROP = "-dac_override,-dac_read_search,-fowner"


def as_plain_user(argv: list[str]) -> list[str]:
    """Run ``argv`` the way a person's process runs: root ignores permission bits, so as root
    the command runs without the capabilities that let it (setpriv); otherwise as is."""
    if os.geteuid() != 0:
        return argv
    setpriv = shutil.which("setpriv")
    if not setpriv:
        pytest.skip("running as root without setpriv(1): cannot honour permission bits")
    cmd = [setpriv, f"--bounding-set={_DROP}", f"--inh-caps={_DROP}", "--", *argv]
    probe = subprocess.run(cmd[:-len(argv)] + ["true"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot drop root's capabilities here: {probe.stderr.strip()}")
    return cmd


def snapshot_folder(folder: Path) -> dict[str, str]:
    return {p.name: digest(p) for p in sorted(folder.iterdir())}


def lock_down(folder: Path, *, folder_too: bool = True) -> None:
    for p in folder.iterdir():
        os.chmod(p, 0o400)
    if folder_too:
        os.chmod(folder, 0o500)


def unlock(folder: Path) -> None:
    os.chmod(folder, 0o700)
    for p in folder.iterdir():
        os.chmod(p, 0o600)


VIEWER = textwrap.dedent("""
    import json, os, sys
    from warroom.core.domain import Warroom
    from warroom.base.errors import ReadOnlyStore
    from warroom.store import Store
    store = Store.open(sys.argv[1], readonly=True)
    ref = store.incidents()[0].ref
    entries = store.entries(ref)
    count, bad, head = store.verify(ref)
    try:
        Warroom(store, user="viewer").note(ref, "must not be written")
        refused = None
    except ReadOnlyStore as exc:
        refused = str(exc)
    snap = store.snapshot
    store.close()
    print(json.dumps({"texts": [e.text for e in entries], "seqs": [e.seq for e in entries],
                      "verify": [count, bad is None], "viewing": store.viewing,
                      "refused": refused, "snapshot_left": bool(snap and os.path.exists(snap))}))
""")


@pytest.fixture
def wal_copies(tmp_path):
    """A live database whose -wal holds entries never checkpointed, copied (while its writer
    is still open) as a backup tool that copies folders would: with and without the -shm; and
    the same database after a clean close (everything checkpointed, no -wal)."""
    live = tmp_path / "live" / "w.db"
    with Store.open(live) as store:  # yesterday's entries: checkpointed into the file
        w = Warroom(store, user="scribe")
        ref = w.declare("Read-only viewing").incident
        for i in range(5):
            w.note(ref, f"yesterday {i}")
    store = Store.open(live)  # today's: only in the -wal while the writer is open
    w = Warroom(store, user="scribe")
    for i in range(30):
        w.note(ref, f"note {i}")
    expected = [e.text for e in w.entries(ref)]
    assert Path(f"{live}-wal").stat().st_size > 0
    copies = {}
    for name, suffixes in (("db+wal+shm", ("", "-wal", "-shm")), ("db+wal", ("", "-wal")),
                           ("ro-file", ("", "-wal", "-shm"))):
        folder = tmp_path / name
        folder.mkdir()
        for suffix in suffixes:
            shutil.copyfile(f"{live}{suffix}", folder / f"w.db{suffix}")
        copies[name] = folder / "w.db"
    store.close()  # checkpoints; the -wal goes
    (tmp_path / "db-only").mkdir()
    shutil.copyfile(live, tmp_path / "db-only" / "w.db")
    copies["db-only"] = tmp_path / "db-only" / "w.db"
    # The trap: reading the copy as immutable (as a naive read-only fallback would) ignores the
    # -wal and silently shows fewer entries.
    naive = sqlite3.connect(f"file:{copies['db+wal']}?immutable=1", uri=True)
    shown = naive.execute("SELECT count(*) FROM entries").fetchone()[0]
    naive.close()
    assert shown == 6 < len(expected)
    yield copies, expected
    for path in copies.values():
        unlock(path.parent)


@pytest.mark.parametrize("variant", ["db+wal+shm", "db+wal", "db-only", "ro-file"])
def test_viewer_shows_every_entry_of_a_read_only_wal_database(wal_copies, variant):
    copies, expected = wal_copies
    db = copies[variant]
    lock_down(db.parent, folder_too=variant != "ro-file")
    before = snapshot_folder(db.parent)
    result = subprocess.run(as_plain_user([sys.executable, "-c", VIEWER, str(db)]),
                            capture_output=True, text=True, cwd=REPO, timeout=60)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["texts"] == expected, variant
    assert out["seqs"] == list(range(1, len(expected) + 1))
    assert out["verify"] == [len(expected), True]
    assert out["refused"] and "read-only" in out["refused"] and str(db) in out["refused"]
    assert not out["snapshot_left"]
    assert out["viewing"].startswith("read-only")  # the screen can say it is not live
    # Not a byte changed, and no -shm or -wal left behind (a read-only one would later stop
    # the owner's own writer once the file is writable again).
    assert snapshot_folder(db.parent) == before


CLI_BATCH = textwrap.dedent("""
    import contextlib, io, json, sys
    from warroom.cli import main
    db, export = sys.argv[1], sys.argv[2]
    commands = {
        "note": ["note", "--incident", "INC-1", "should not be saved"],
        "declare": ["declare", "should not exist"],
        "import": ["import", export],
        "list": ["list", "--all"],
        "export": ["export", "INC-1"],
        "verify": ["verify", "INC-1"],
        "backup": ["backup", "-o", sys.argv[3]],
    }
    results = {}
    for name, args in commands.items():
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(["--db", db, *args])
            except BaseException as exc:  # a traceback would be a bug: report it
                code, err = -1, io.StringIO(f"{type(exc).__name__}: {exc}")
        results[name] = [code, out.getvalue(), err.getvalue()]
    print(json.dumps(results))
""")


@pytest.mark.parametrize("what", ["file", "folder"])
def test_cli_on_a_read_only_database_writes_nothing(tmp_path, what):
    folder = tmp_path / "ro"
    db = folder / "w.db"
    with Store.open(db) as s:
        w = Warroom(s, user="a")
        ref = w.declare("x").incident
        w.note(ref, "kept")
        export = tmp_path / "inc.json"
        other = w.export_json(ref)
    other["incident"]["ref"] = "INC-77"
    export.write_text(json.dumps(other))
    (tmp_path / "out").mkdir()
    lock_down(folder, folder_too=what == "folder")
    before = snapshot_folder(folder)
    try:
        result = subprocess.run(as_plain_user([sys.executable, "-c", CLI_BATCH, str(db),
                                               str(export), str(tmp_path / "out" / "b.db")]),
                                capture_output=True, text=True, cwd=REPO, timeout=120)
        assert result.returncode == 0, result.stderr
        after = snapshot_folder(folder)
    finally:
        unlock(folder)
    assert after == before  # not a byte, not a new file
    results = json.loads(result.stdout)
    for name in ("note", "declare", "import"):
        code, out, err = results[name]
        assert code == 1, (name, results[name])
        line = one_line(err)
        assert line.startswith(f"warroom: {db}: read-only") and "nothing was written" in line, line
    # Listing, exporting, verifying and backing up only read: they work on a read-only database.
    code, out, err = results["list"]
    assert code == 0 and out.startswith("INC-1"), results["list"]
    code, out, err = results["export"]
    assert code == 0 and "kept" in out, results["export"]
    code, out, err = results["verify"]
    assert code == 0 and out.startswith("INC-1: 2 entries intact"), results["verify"]
    code, out, err = results["backup"]
    assert code == 0 and out.splitlines()[0] == str(tmp_path / "out" / "b.db"), results["backup"]
    with Store.open(tmp_path / "out" / "b.db", readonly=True) as s:
        assert [e.text for e in s.entries("INC-1")] == ["x", "kept"]


# ====================================================================== 5. corrupt or wrong files
def _commands(tmp_path: Path) -> dict[str, list[str]]:
    export = tmp_path / "other.json"
    if not export.exists():
        with Store.open(tmp_path / "other.db") as s:
            w = Warroom(s, user="a")
            w.declare("another incident")
            doc = w.export_json("INC-1")
        doc["incident"]["ref"] = "INC-900"
        export.write_text(json.dumps(doc))
    return {
        "list": ["list", "--all"],
        "export": ["export", "INC-1"],
        "export-json": ["export", "INC-1", "--format", "json"],
        "note": ["note", "--incident", "INC-1", "a note into a broken file"],
        "note-latest": ["note", "a note into the latest incident"],
        "verify": ["verify", "INC-1"],
        "backup": ["backup", "-o", str(tmp_path / "backup.db")],
        "declare": ["declare", "a new incident in a broken file"],
        "import": ["import", str(export)],
    }


@pytest.fixture(scope="module")
def full_db(tmp_path_factory) -> bytes:
    """A checkpointed database with 300 entries: the entries table spans many pages."""
    path = tmp_path_factory.mktemp("full") / "w.db"
    with Store.open(path) as s:
        w = Warroom(s, user="a")
        ref = w.declare("Checkout 503s").incident
        for i in range(300):
            w.note(ref, f"note {i} " + "x" * 200)
    return path.read_bytes()


def _entries_root_page(data: bytes, tmp_path: Path) -> int:
    probe = tmp_path / "probe.db"
    probe.write_bytes(data)
    conn = sqlite3.connect(probe)
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'entries'").fetchone()[0]
    conn.close()
    probe.unlink()
    return root


def _broken(kind: str, data: bytes, tmp_path: Path) -> bytes:
    page = 4096
    if kind == "garbage-entries-page":
        root = _entries_root_page(data, tmp_path)
        junk = random.Random(7).randbytes(page)
        return data[:(root - 1) * page] + junk + data[root * page:]
    if kind == "overwritten-header":
        return b"garbage garbage!" + data[16:]
    if kind == "truncated":
        return data[: len(data) // 2]
    if kind == "markdown":
        return ("# INC-1: checkout 503s\n\n| time | what |\n|---|---|\n" * 200).encode()
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["garbage-entries-page", "overwritten-header", "truncated",
                                  "markdown"])
def test_every_command_refuses_a_broken_file_in_one_line(tmp_path, full_db, kind, capsys):
    commands = _commands(tmp_path)
    db = tmp_path / ("notes.md" if kind == "markdown" else "w.db")
    db.write_bytes(_broken(kind, full_db, tmp_path))
    before = digest(db)
    for name, args in commands.items():
        code = cli_main(["--db", str(db), *args])
        out, err = capsys.readouterr()
        assert code == 1, (kind, name, out, err)
        line = one_line(err)
        assert line.startswith(f"warroom: {db}: "), (kind, name, line)
        if kind == "markdown":
            assert "not a warroom database" in line and "check the --db path" in line, line
        elif kind == "overwritten-header":  # the right file, damaged: what to do is restore
            assert "corrupt" in line and "header" in line and "restore" in line, line
        else:
            assert "corrupt" in line and "restore" in line, (name, line)  # what to do
        assert digest(db) == before, (kind, name)
        assert not (tmp_path / "backup.db").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(db.name)) in (
        [db.name], [db.name, f"{db.name}-shm"], [db.name, f"{db.name}-shm", f"{db.name}-wal"])


def test_real_cli_on_a_garbage_page_one_line_exit_1(tmp_path, full_db):
    """End to end through a real process: no traceback, exit 1, byte-identical."""
    db = tmp_path / "w.db"
    db.write_bytes(_broken("garbage-entries-page", full_db, tmp_path))
    before = digest(db)
    result = subprocess.run([sys.executable, "-m", "warroom", "--db", str(db), "note",
                             "--incident", "INC-1", "x"], capture_output=True, text=True,
                            cwd=REPO, timeout=60)
    assert result.returncode == 1 and "corrupt" in one_line(result.stderr)
    assert digest(db) == before


@pytest.mark.parametrize("name", ["export", "verify", "backup"])
def test_a_garbage_leaf_page_is_found_by_whatever_reads_everything(tmp_path, full_db, name,
                                                                 capsys):
    """A bad page deep in the table: commands that read every entry report it. (Appending a
    new entry does not read old pages, and may succeed: it overwrites nothing, and verify,
    export and backup keep saying the file is corrupt.)"""
    page = 4096
    root = _entries_root_page(full_db, tmp_path)
    leaf = root + 12  # a leaf of the entries table, mid-incident
    db = tmp_path / "w.db"
    db.write_bytes(full_db[:(leaf - 1) * page] + b"\xde\xad\xbe\xef" * (page // 4)
                   + full_db[leaf * page:])
    before = digest(db)
    code = cli_main(["--db", str(db), *_commands(tmp_path)[name]])
    out, err = capsys.readouterr()
    assert code == 1 and "corrupt" in one_line(err), (out, err)
    assert digest(db) == before


# ====================================================================== 7. tamper evidence
@pytest.fixture
def tampered(wr):
    """INC-1 with ten entries, and a connection that can change it behind the app's back
    (the append-only triggers dropped, as anyone with the file can)."""
    ref = wr.declare("Tamper evidence").incident
    for i in range(2, 11):
        wr.note(ref, f"note {i}")
    count, bad, head = wr.store.verify(ref)
    assert (count, bad) == (10, None)
    conn = sqlite3.connect(wr.store.path, isolation_level=None)
    conn.execute("DROP TRIGGER entries_no_update")
    conn.execute("DROP TRIGGER entries_no_delete")
    yield wr, ref, conn, head
    conn.close()


def _forge(conn, wr, ref: str, seq: int, prev_hash: str, text: str) -> None:
    """Insert a well-formed entry with a correct hash for its content and link: a forger who
    knows the algorithm."""
    from warroom.base.model import Entry
    from warroom.store.store import chain_hash

    entry = Entry(incident=ref, seq=seq, uid=f"forged-{seq}", kind="note", author="alice",
                  occurred_at="2026-11-22T14:00:00Z", recorded_at="2026-11-22T14:00:00Z",
                  text=text, host="test-host", session="s1", prev_hash=prev_hash)
    conn.execute(
        "INSERT INTO entries (incident_id, seq, uid, kind, author, host, session, occurred_at,"
        " recorded_at, text, data, amends, prev_hash, hash) VALUES "
        "(1, ?, ?, 'note', 'alice', 'test-host', 's1', ?, ?, ?, '{}', NULL, ?, ?)",
        (seq, entry.uid, entry.occurred_at, entry.recorded_at, text, prev_hash,
         chain_hash(prev_hash, entry)))


def _hash_of(conn, seq: int) -> str:
    return conn.execute("SELECT hash FROM entries WHERE seq = ?", (seq,)).fetchone()[0]


def _verify_cli(db: Path, ref: str, capsys) -> tuple[int, str, str]:
    code = cli_main(["--db", str(db), "verify", ref])
    out, err = capsys.readouterr()
    return code, out, err


def _changes(kind: str, conn, wr, ref: str) -> None:
    if kind == "deleted":
        conn.execute("DELETE FROM entries WHERE seq = 5")
    elif kind == "deleted-first":
        conn.execute("DELETE FROM entries WHERE seq = 1")
    elif kind == "changed-text":
        conn.execute("UPDATE entries SET text = 'we never said that' WHERE seq = 5")
    elif kind == "changed-prev-hash":
        conn.execute("UPDATE entries SET prev_hash = ? WHERE seq = 5", (_hash_of(conn, 2),))
    elif kind == "reordered":  # entries #5 and #6 swap places
        conn.execute("UPDATE entries SET seq = -5 WHERE seq = 5")
        conn.execute("UPDATE entries SET seq = 5 WHERE seq = 6")
        conn.execute("UPDATE entries SET seq = 6 WHERE seq = -5")
    elif kind == "inserted":  # a forged #5, correctly linked and hashed; the rest renumbered
        conn.execute("UPDATE entries SET seq = seq + 1000 WHERE seq >= 5")
        conn.execute("UPDATE entries SET seq = seq - 999 WHERE seq >= 1005")
        _forge(conn, wr, ref, 5, _hash_of(conn, 4), "the fix was approved by the CAB")
    else:
        raise AssertionError(kind)


@pytest.mark.parametrize("kind, seq, intact, why", [
    ("deleted", 6, 4, "entry #5 before it is missing (deleted behind the app's back)"),
    ("deleted-first", 2, 0, "entry #1 before it is missing"),
    ("changed-text", 5, 4, "its contents do not match its hash"),
    ("changed-prev-hash", 5, 4, "its link to the previous entry does not match"),
    ("reordered", 5, 4, "its link to the previous entry does not match"),
    ("inserted", 5, 4, "it was inserted behind the app's back (entry #6 links past it to #4)"),
])
def test_verify_reports_the_first_tampered_entry(tampered, capsys, kind, seq, intact, why):
    wr, ref, conn, _ = tampered
    _changes(kind, conn, wr, ref)
    wr.store._incidents.clear()
    count, bad, detail = wr.store.verify(ref)
    assert bad is not None and (bad.seq, count) == (seq, intact), (kind, bad, count, detail)
    assert why in detail
    code, out, err = _verify_cli(wr.store.path, ref, capsys)
    assert code == 1 and out == ""
    line = one_line(err)
    assert line.startswith(f"warroom: {ref}: entry #{seq} fails verification: ") and why in line
    assert line.endswith(f"the {intact} entries before it are intact")


@pytest.mark.parametrize("kind, why", [
    ("tail-deleted", "the chain ends at entry #9 but its recorded head is entry #10"),
    ("tail-forged", "entry #11 fails verification: it was added after the recorded chain head"),
])
def test_changes_at_the_end_show_against_the_recorded_head(tampered, capsys, kind, why):
    """The chain alone cannot see the last entry removed, or a correctly forged one added at
    the end; the head recorded with each entry (the heads table) does (tests/test_tamper.py
    has the rest)."""
    wr, ref, conn, head = tampered
    code, out, _ = _verify_cli(wr.store.path, ref, capsys)
    assert code == 0 and out.splitlines()[0] == (
        f"{ref}: 10 entries intact; chain head #10 {head} (recomputed from the entries; the "
        "recorded head agrees)")
    if kind == "tail-deleted":
        conn.execute("DELETE FROM entries WHERE seq = 10")
    else:
        _forge(conn, wr, ref, 11, head, "forged at the end")
    code, out, err = _verify_cli(wr.store.path, ref, capsys)
    assert code == 1 and out == "" and why in one_line(err)
