"""Folders warroom creates are 0700 whatever the umask; a folder others can write is named."""

from __future__ import annotations

import contextlib
import io
import os
import stat

import pytest

from warroom.cli import main


@pytest.fixture
def umask000():
    old = os.umask(0)
    yield
    os.umask(old)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_data_folder_and_its_missing_parents_are_0700_under_umask_000(tmp_path, monkeypatch,
                                                                       umask000):
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("WARROOM_DATA_DIR", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("WARROOM_CONFIG_DIR", str(tmp_path / "cfg"))
    code, out, err = run("declare", "x")
    assert code == 0, err
    for folder in (home / ".local", home / ".local" / "share", home / ".local" / "share" / "warroom"):
        assert mode(folder) == 0o700, (folder, oct(mode(folder)))
    db = home / ".local" / "share" / "warroom" / "warroom.db"
    assert mode(db) == 0o600


def test_explicit_db_folder_parents_are_0700(tmp_path, monkeypatch, umask000):
    monkeypatch.setenv("WARROOM_CONFIG_DIR", str(tmp_path / "cfg"))
    db = tmp_path / "a" / "b" / "c" / "w.db"
    assert run("--db", str(db), "declare", "x")[0] == 0
    for folder in (tmp_path / "a", tmp_path / "a" / "b", tmp_path / "a" / "b" / "c"):
        assert mode(folder) == 0o700, folder


def test_config_folders_made_by_the_app_are_0700(tmp_path, monkeypatch, umask000):
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("WARROOM_CONFIG_DIR", raising=False)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    from warroom.app.themes import save_theme, settings_path

    save_theme("nord")
    path = settings_path()
    assert path.is_relative_to(home)
    folder = path.parent
    while folder != home:
        assert mode(folder) == 0o700, folder
        folder = folder.parent
    assert mode(path) == 0o600


def test_a_folder_others_can_write_is_named_in_one_warning(tmp_path, monkeypatch):
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    os.chmod(cfg, 0o777)
    monkeypatch.setenv("WARROOM_CONFIG_DIR", str(cfg))
    monkeypatch.setenv("WARROOM_DATA_DIR", str(tmp_path / "data"))
    db = tmp_path / "w.db"
    code, out, err = run("--db", str(db), "declare", "x")
    assert code == 0
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "is writable by other users" in lines[0] and str(cfg) in lines[0]
    os.chmod(cfg, 0o700)
    code, out, err = run("--db", str(db), "list")
    assert code == 0 and "writable by other users" not in err


def test_drafts_and_attachment_folders_and_their_parents_are_0700(tmp_path, umask000):
    from warroom.core.drafts import Drafts, LineDraft

    drafts = Drafts(tmp_path / "data" / "warroom" / "drafts", str(tmp_path / "w.db"), "sam")
    drafts.save("INC-1", LineDraft(text="half a sentence"))
    for folder in (tmp_path / "data", tmp_path / "data" / "warroom",
                   tmp_path / "data" / "warroom" / "drafts"):
        assert mode(folder) == 0o700, (folder, oct(mode(folder)))
    assert mode(drafts.path("INC-1")) == 0o600
    db = tmp_path / "w.db"
    assert run("--db", str(db), "declare", "x")[0] == 0
    assert run("--db", str(db), "export", "INC-1", "-o", str(tmp_path / "r.md"),
               "--attachments", str(tmp_path / "out" / "files"))[0] == 0
    for folder in (tmp_path / "out", tmp_path / "out" / "files"):
        assert mode(folder) == 0o700, (folder, oct(mode(folder)))
