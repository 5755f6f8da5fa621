"""The store: append-only in the database itself, private files, and refusing bad databases
without changing a byte."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import subprocess
import sys

import pytest

from warroom.base.errors import NotFound, ReadOnlyStore, StoreError
from warroom.store import Store
from tests.conftest import run_cli


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_sqlite_settings(store):
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000


@pytest.mark.parametrize("sql", [
    "UPDATE entries SET text = 'rewritten' WHERE seq = 2",
    "DELETE FROM entries WHERE seq = 2",
    "DELETE FROM incidents",
])
def test_database_refuses_update_and_delete(wr, db_path, sql):
    ref = wr.declare("Checkout 503s").incident
    wr.note(ref, "first")
    conn = sqlite3.connect(db_path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only|never deleted"):
        conn.execute(sql)
    conn.close()
    assert [e.text for e in wr.entries(ref)] == ["Checkout 503s", "first"]


def test_files_are_private_under_umask_022(tmp_path):
    script = (
        "import os; os.umask(0o022)\n"
        "from warroom.store import Store\n"
        "from warroom.core.domain import Warroom\n"
        f"s = Store.open({str(tmp_path / 'fresh' / 'sub' / 'w.db')!r})\n"
        "w = Warroom(s, user='a'); ref = w.declare('x').incident; w.note(ref, 'y')\n"
        "import sys; sys.stdout.write('ok'); sys.stdout.flush(); os._exit(0)\n"  # keep -wal/-shm
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.stdout == "ok", out.stderr
    folder = tmp_path / "fresh" / "sub"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    names = {p.name for p in folder.iterdir()}
    assert {"w.db", "w.db-wal", "w.db-shm"} <= names
    for p in folder.iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p


def test_existing_loose_permissions_are_tightened(db_path):
    Store.open(db_path).close()
    os.chmod(db_path, 0o644)
    Store.open(db_path).close()
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600


def test_idempotent_uid_writes_once(wr):
    ref = wr.declare("x").incident
    a = wr.note(ref, "only once", uid="fixed-uid-1")
    b = wr.note(ref, "only once", uid="fixed-uid-1")
    assert a.seq == b.seq
    assert [e.text for e in wr.entries(ref)].count("only once") == 1


def test_hash_chain_detects_a_change_behind_the_apps_back(wr, db_path):
    ref = wr.declare("x").incident
    for i in range(5):
        wr.note(ref, f"note {i}")
    count, bad, head = wr.store.verify(ref)
    assert (count, bad) == (6, None) and len(head) == 64
    conn = sqlite3.connect(db_path)
    conn.execute("DROP TRIGGER entries_no_update")
    conn.execute("UPDATE entries SET text = 'forged' WHERE seq = 4")
    conn.commit()
    conn.close()
    count, bad, why = wr.store.verify(ref)
    assert bad is not None and bad.seq == 4 and count == 3
    result = run_cli("--db", str(db_path), "verify", ref)
    assert result.returncode == 1
    assert "entry #4" in result.stderr and len(result.stderr.strip().splitlines()) == 1


# ---------------------------------------------------------------- bad databases
def _assert_refused(path, *, match, exc=StoreError, command=("list",)):
    before = digest(path)
    with pytest.raises(exc, match=match) as info:
        Store.open(path)
    assert str(path) in str(info.value)
    assert digest(path) == before
    result = run_cli("--db", str(path), *command)
    assert result.returncode == 1, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and "Traceback" not in result.stderr
    assert digest(path) == before


def test_not_a_database(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("# Incident notes\n\n| a | b |\n" * 50)
    _assert_refused(path, match="not a warroom database")


def test_sqlite_but_not_warroom(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    _assert_refused(path, match="not a warroom one")


def test_newer_schema_refused(wr, db_path):
    wr.declare("x")
    wr.store.close()
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE warroom_meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    _assert_refused(db_path, match="schema version 99 is newer")


def test_overwritten_header(wr, db_path):
    wr.declare("x")
    wr.store.close()
    data = bytearray(db_path.read_bytes())
    data[0:16] = b"garbage garbage!"
    db_path.write_bytes(bytes(data))
    _assert_refused(db_path, match="corrupt .*header.*restore it from a backup")


def test_truncated_header(wr, db_path):
    wr.declare("x")
    wr.store.close()
    db_path.write_bytes(db_path.read_bytes()[:40])
    _assert_refused(db_path, match="corrupt")


def test_garbage_page(wr, db_path):
    ref = wr.declare("x").incident
    for i in range(300):
        wr.note(ref, f"note {i} " + "x" * 200)
    wr.store.close()
    data = bytearray(db_path.read_bytes())
    page = 4096
    assert len(data) > 6 * page
    data[1 * page: 6 * page] = b"\xde\xad\xbe\xef" * (5 * page // 4)
    db_path.write_bytes(bytes(data))
    before = digest(db_path)
    result = run_cli("--db", str(db_path), "export", ref, "--format", "json")
    assert result.returncode == 1
    assert "corrupt" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert digest(db_path) == before


def test_read_only_file(wr, db_path):
    wr.declare("x")
    wr.store.close()
    os.chmod(db_path, 0o400)
    try:  # writing is refused; listing works (it only reads)
        _assert_refused(db_path, match="read-only", exc=ReadOnlyStore,
                        command=("note", "--incident", "INC-1", "x"))
        assert run_cli("--db", str(db_path), "list").returncode == 0
        viewer = Store.open(db_path, readonly=True)  # the app's viewer mode still reads it
        assert viewer.incidents()[0].ref == "INC-1"
        viewer.close()
    finally:
        os.chmod(db_path, 0o600)


def test_read_only_folder(wr, db_path):
    wr.declare("x")
    wr.store.close()
    folder = db_path.parent
    os.chmod(folder, 0o500)
    try:
        _assert_refused(db_path, match="read-only", exc=ReadOnlyStore,
                        command=("note", "--incident", "INC-1", "x"))
    finally:
        os.chmod(folder, 0o700)


def test_cannot_create_in_read_only_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    os.chmod(folder, 0o500)
    try:
        result = run_cli("--db", str(folder / "sub" / "w.db"), "declare", "x")
        assert result.returncode == 1
        assert result.stderr.strip().splitlines() == [
            f"warroom: {folder}: read-only folder; cannot create the database {folder / 'sub' / 'w.db'}"]
        assert list(folder.iterdir()) == []
    finally:
        os.chmod(folder, 0o700)


def test_unknown_reference(wr):
    with pytest.raises(NotFound, match="no incident 'INC-404'"):
        wr.note("INC-404", "x")


def test_unsupported_url():
    with pytest.raises(StoreError, match="unsupported"):
        Store.open("mysql+nosuchdriver://x/y")
