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


def needs_postgresql(item) -> bool:
    """A test that takes ``pg_url``, or a backend fixture parametrized with "pg"."""
    if {"pg_url", "pg_role", "bouncer"} & set(getattr(item, "fixturenames", ())):
        return True
    callspec = getattr(item, "callspec", None)
    return callspec is not None and "pg" in callspec.params.values()


def pytest_collection_modifyitems(config, items):
    """Every test that needs PostgreSQL is marked ``pg`` (so ``-m "not pg"`` leaves them all
    out). Tests marked ``slow`` (long fault-injection loops) run only with WARROOM_RUN_SLOW=1,
    which .ci/run sets; otherwise they are skipped and say how to run them."""
    for item in items:
        if needs_postgresql(item):
            item.add_marker(pytest.mark.pg)
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


@pytest.fixture(params=["sqlite", "pg"])
def team_db(request, tmp_path) -> str:
    """A team database, once as a SQLite file and once as a PostgreSQL schema."""
    if request.param == "pg":
        return request.getfixturevalue("pg_url")
    return str(tmp_path / "team.db")


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


@pytest.fixture
def pg_database_url():
    """A URL to a fresh PostgreSQL database of its own, dropped afterwards: for tests of
    LISTEN/NOTIFY, whose channels are per database (a fresh schema's first incident is INC-1
    in every other test's schema too, and their NOTIFYs would reach this test's feeds)."""
    base = pg_base_url()
    if not base:
        pytest.skip("PostgreSQL tests need WARROOM_TEST_PG_URL (set by .ci/run)")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"wr_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(base).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def pg_role():
    """Make throwaway roles, each with its own schema (``pg_role(limit=3)``: a CONNECTION
    LIMIT); all dropped afterwards, their connections ended."""
    base = pg_base_url()
    if not base:
        pytest.skip("PostgreSQL tests need WARROOM_TEST_PG_URL (set by .ci/run)")
    from tests.pg_roles import Role

    made: list[Role] = []

    def make(limit: int | None = None) -> Role:
        made.append(Role(base, limit=limit))
        return made[-1]
    yield make
    for role in made:
        role.drop()


@pytest.fixture(params=["transaction", "session"])
def bouncer(request, pg_role):
    """(url through a real PgBouncer, the role, the pool mode): a throwaway PgBouncer on a
    free port in front of the local PostgreSQL, pooling 2 server connections; skipped when the
    pgbouncer program is not installed (.ci/run installs it)."""
    import shutil

    from tests.pg_roles import Bouncer

    if not (shutil.which("pgbouncer") or os.path.exists("/usr/sbin/pgbouncer")):
        pytest.skip("pgbouncer is not installed (apt-get install pgbouncer; .ci/run does)")
    role = pg_role()
    running = Bouncer(pg_base_url() or "", [role.name], mode=request.param,
                      pool_size=2 if request.param == "transaction" else 10)
    try:
        yield role.url_via(running.port, pool_mode=request.param), role, request.param
    finally:
        running.stop()


def open_domain(db, *, clock=None, user: str = "alice") -> Warroom:
    """The domain API over a database, in this process: how a test builds what a command then
    works on, without starting a process per step. Close it with ``w.store.close()``."""
    return Warroom(Store.open(db), clock=clock, user=user, host="test-host", session="setup")


def seed(db, *notes: str, title: str = "Existing", user: str = "alice", **declare) -> str:
    """Declare an incident in ``db`` (created if need be) and add ``notes``; returns its ref."""
    w = open_domain(db, user=user)
    try:
        ref = w.declare(title, **declare).incident
        for text in notes:
            w.note(ref, text)
        return ref
    finally:
        w.store.close()


def export_doc(db, ref: str = "INC-1") -> dict:
    """The incident's lossless JSON export, read in this process."""
    w = open_domain(db)
    try:
        return w.export_json(ref)
    finally:
        w.store.close()


def dump(db) -> list[str]:
    """Everything in a SQLite database file, as SQL text: equal before and after means a
    command changed nothing."""
    import sqlite3

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def run_cli(*args: str, input: str | None = None, env: dict | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess:
    """Run the real command line in a child process."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "warroom", *args], input=input,
                          capture_output=True, text=True, env=full_env, timeout=timeout,
                          cwd=str(REPO))
