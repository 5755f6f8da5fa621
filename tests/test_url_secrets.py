"""No password from a database URL ever reaches a message, in any form."""

from __future__ import annotations

import contextlib
import io
import os

import pytest

from warroom.base.errors import StoreError
from warroom.base.urls import looks_like_url_without_scheme, redact_secrets, redact_url
from warroom.cli import main
from warroom.store import Store

SECRET = "S3CRETpw"

URLS = [
    f"postgresql+psycopg2://bob:{SECRET}@h/x",            # a driver that is not installed
    f"mysql://bob:{SECRET}@h/x",                           # an unsupported database
    f"oracle://bob:{SECRET}@h/x",
    f"mssql+pyodbc://bob:{SECRET}@h/x",
    f"nosuchdb://bob:{SECRET}@h/x",                        # an unknown dialect
    f"postgresql+psycopg://bob:{SECRET}@127.0.0.1:1/x",    # connection refused
    f"postgresql+psycopg://bob@127.0.0.1:1/x?password={SECRET}",
    f"postgresql+psycopg://bob@127.0.0.1:1/x?sslmode=disable&password={SECRET}",
    f"postgresql+psycopg://bob:{SECRET}/with/slash@127.0.0.1:1/x",
    f"postgresql+psycopg://bob:{SECRET}%40at@127.0.0.1:1/x",
    f"postgresql+psycopg://bob:{SECRET}@h:99999/x",        # an invalid port
    f"postgresql+psycopg://bob:{SECRET}@h:port/x",
    f"bob:{SECRET}@host/x",                                 # no scheme
    f"sqlite://u:{SECRET}@/x",                              # a SQLite URL with credentials
]


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("command", [["list"], ["note", "x"], ["declare", "x"], ["verify", "INC-1"]])
def test_no_password_in_any_message(url, command, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WARROOM_CONFIG_DIR", str(tmp_path / "config"))
    code, out, err = run("--db", url, *command)
    assert code == 1, err
    assert SECRET not in err and SECRET not in out
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert sorted(os.listdir(tmp_path)) == [], "a failing command created something"


@pytest.mark.parametrize("url", URLS)
def test_store_errors_are_masked(url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoreError) as info:
        Store.open(url)
    assert SECRET not in str(info.value)


def test_missing_driver_names_the_package():
    with pytest.raises(StoreError, match=r"pip install psycopg2-binary"):
        Store.open(f"postgresql+psycopg2://bob:{SECRET}@h/x")


def test_redact_url_forms():
    assert redact_url(f"mysql://bob:{SECRET}@h/x") == "mysql://bob:***@h/x"
    assert redact_url(f"pg://h/x?password={SECRET}&a=1") == "pg://h/x?password=***&a=1"
    assert redact_url("pg://bob:a/b@c@h:5/x") == "pg://bob:***@h:5/x"
    assert redact_url("sqlite:////tmp/a@b.db") == "sqlite:////tmp/a@b.db"
    assert redact_url("/home/me/warroom.db") == "/home/me/warroom.db"
    assert looks_like_url_without_scheme(f"bob:{SECRET}@host/x")
    assert not looks_like_url_without_scheme("/tmp/a:b@c")
    assert not looks_like_url_without_scheme("./notes@home.db")
    msg = f'connection to "h" failed: password "{SECRET}" rejected'
    assert SECRET not in redact_secrets(msg, f"pg://bob:{SECRET}@h/x")
