"""`export -o` and `backup -o`: only an absent path or a regular file, never the database,
never through a symlink, never over an existing file unless asked; atomic and 0600."""

from __future__ import annotations

import contextlib
import io
import os
import stat
from pathlib import Path

import pytest

from warroom.base.errors import WarroomError
from warroom.base.files import check_output_path, write_private_atomic
from warroom.cli import main
from warroom.core.domain import Warroom
from warroom.store import Store


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.setenv("WARROOM_CONFIG_DIR", str(tmp_path / "config"))
    path = tmp_path / "w.db"
    with Store.open(path) as s:
        w = Warroom(s, user="ana")
        ref = w.declare("Checkout down").incident
        w.note(ref, "looking")
    return path


def digest(path: Path) -> bytes:
    return path.read_bytes()


def test_dash_is_standard_output(db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run("--db", str(db), "export", "INC-1", "-o", "-")
    assert code == 0 and "Checkout down" in out and not (tmp_path / "-").exists()


def test_export_refuses_the_database_itself(db):
    before = digest(db)
    for target in (db, Path(f"{db}-wal")):
        if not target.exists():
            continue
        code, out, err = run("--db", str(db), "export", "INC-1", "-o", str(target), "--overwrite")
        assert code == 1 and len(err.splitlines()) == 1, err
        assert "refusing to overwrite" in err
    assert digest(db) == before
    with Store.open(db, readonly=True) as s:
        assert len(s.entries("INC-1")) == 2


def test_export_refuses_a_hard_link_to_the_open_database(db, tmp_path):
    link = tmp_path / "innocent.md"
    os.link(db, link)
    with Store.open(db):
        with pytest.raises(WarroomError, match="refusing to overwrite"):
            write_private_atomic(link, "report", overwrite=True)
    assert digest(db)[:16] == b"SQLite format 3\x00"


def test_export_refuses_a_device_node(db):
    code, out, err = run("--db", str(db), "export", "INC-1", "-o", "/dev/null", "--overwrite")
    assert code == 1 and "not a regular file" in err and len(err.splitlines()) == 1
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_export_refuses_a_fifo(db, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    code, out, err = run("--db", str(db), "export", "INC-1", "-o", str(fifo), "--overwrite")
    assert code == 1 and "not a regular file" in err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_export_never_follows_a_symlink(db, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    link = tmp_path / "report.md"
    link.symlink_to(victim)
    code, out, err = run("--db", str(db), "export", "INC-1", "-o", str(link), "--overwrite")
    assert code == 1 and "symbolic link" in err
    assert victim.read_text() == "precious" and link.is_symlink()
    dangling = tmp_path / "dangling.md"
    dangling.symlink_to(tmp_path / "nowhere")
    code, out, err = run("--db", str(db), "export", "INC-1", "-o", str(dangling))
    assert code == 1 and not (tmp_path / "nowhere").exists()


def test_export_refuses_a_folder(db, tmp_path):
    code, out, err = run("--db", str(db), "export", "INC-1", "-o", str(tmp_path))
    assert code == 1 and "is a folder" in err


def test_existing_file_needs_overwrite(db, tmp_path):
    target = tmp_path / "report.md"
    target.write_text("old")
    code, out, err = run("--db", str(db), "export", "INC-1", "-o", str(target))
    assert code == 1 and "already exists; add --overwrite" in err and target.read_text() == "old"
    code, out, err = run("--db", str(db), "export", "INC-1", "-o", str(target), "--overwrite")
    assert code == 0 and "Checkout down" in target.read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_new_file_is_private_and_leaves_no_temp(db, tmp_path):
    target = tmp_path / "out" / "report.json"
    target.parent.mkdir()
    old = os.umask(0)
    try:
        code, out, err = run("--db", str(db), "export", "INC-1", "--format", "json", "-o", str(target))
    finally:
        os.umask(old)
    assert code == 0, err
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.json"]


def test_any_sqlite_file_is_refused_even_with_overwrite(tmp_path):
    import sqlite3

    other = tmp_path / "other.db"  # a database this process never opened through warroom
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    with pytest.raises(WarroomError, match="SQLite database"):
        check_output_path(other, overwrite=True)


def test_backup_refuses_the_same_things(db, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for target, words in ((fifo, "not a regular file"), ("/dev/null", "not a regular file"),
                          (db, "refusing to overwrite"), ("-", "standard output")):
        code, out, err = run("--db", str(db), "backup", "-o", str(target))
        assert code in (1, 2) and words in err and len(err.splitlines()) == 1, (target, err)
