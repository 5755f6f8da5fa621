"""Shared fixtures: real SQLite files in tmp_path, a real PostgreSQL schema per test, a frozen clock."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from warroom.base.clock import FrozenClock
from warroom.core.domain import Warroom
from warroom.core.profiles import ProfileRegistry
from warroom.store import Store

REPO = Path(__file__).resolve().parent.parent
FROZEN_AT = "2026-11-22T14:00:00Z"


def pytest_collection_modifyitems(config, items):
    """Tests marked ``slow`` (long fault-injection loops) run only with WARROOM_RUN_SLOW=1,
    which .ci/run sets; otherwise they are skipped and say how to run them."""
    if os.environ.get("WARROOM_RUN_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow fault-injection loop: set WARROOM_RUN_SLOW=1 to run it "
                                   "(.ci/run does)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """No test reads or writes the real user's data or config folders."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("WARROOM_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("WARROOM_CONFIG_DIR", str(home / "config"))
    monkeypatch.delenv("WARROOM_DB", raising=False)
    monkeypatch.setenv("WARROOM_USER", "tester")
    monkeypatch.setenv("TZ", "UTC")


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(FROZEN_AT)


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "data" / "warroom.db"


@pytest.fixture
def store(db_path):
    s = Store.open(db_path)
    yield s
    s.close()


@pytest.fixture
def profiles() -> ProfileRegistry:
    return ProfileRegistry()


@pytest.fixture
def wr(store, profiles, clock) -> Warroom:
    return Warroom(store, profiles, clock=clock, user="alice", host="test-host", session="s1")


def pg_base_url() -> str | None:
    return os.environ.get("WARROOM_TEST_PG_URL")


@pytest.fixture
def pg_url():
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    base = pg_base_url()
    if not base:
        pytest.skip("PostgreSQL tests need WARROOM_TEST_PG_URL (set by .ci/run), "
                    "e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test")
    from sqlalchemy import create_engine, text

    schema = f"wr_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    yield f"{base}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def run_cli(*args: str, input: str | None = None, env: dict | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess:
    """Run the real command line in a child process."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "warroom", *args], input=input,
                          capture_output=True, text=True, env=full_env, timeout=timeout,
                          cwd=str(REPO))
