"""Each command imports only what it needs: the scripted commands on SQLite load neither the
terminal UI (Textual, Rich) nor the PostgreSQL driver and dialect. What is loaded is read from
the real command's own ``sys.modules`` as it exits, in a child process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO
from warroom.core.domain import Warroom
from warroom.store import Store

UNWANTED = ("textual", "rich", "psycopg", "apscheduler", "sqlalchemy.dialects.postgresql")

# Runs `python -m warroom ARGS...` and, on the way out, prints the unwanted modules it loaded.
PROBE = f"""
import atexit, runpy, sys
UNWANTED = {UNWANTED!r}
def report():
    loaded = sorted(m for m in sys.modules if any(m == u or m.startswith(u + ".") for u in UNWANTED))
    print("LOADED:" + " ".join(loaded), file=sys.stderr)
atexit.register(report)
sys.argv = ["warroom", *sys.argv[1:]]
runpy.run_module("warroom", run_name="__main__", alter_sys=True)
"""


@pytest.fixture
def db(db_path, clock):
    store = Store.open(db_path)
    with store:
        Warroom(store, clock=clock, user="alice").declare("Checkout 503s")
    store.close()
    return db_path


@pytest.mark.parametrize("args", [
    ["note", "--incident", "INC-1", "Deploy 4512 rolled back"],
    ["list"],
    ["export", "INC-1", "-o", "{tmp}/INC-1.md"],
    ["verify", "INC-1"],
], ids=lambda a: a[0])
def test_a_scripted_command_on_sqlite_loads_no_ui_and_no_postgresql(db, tmp_path, args):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    done = subprocess.run([sys.executable, "-c", PROBE, "--db", str(db), *argv], cwd=str(REPO),
                          env=dict(os.environ), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    loaded = [line for line in done.stderr.splitlines() if line.startswith("LOADED:")]
    assert loaded == ["LOADED:"], loaded
