"""Tamper evidence that holds (issue 18): every way of changing a log behind the app's back is
caught by ``warroom verify``, on SQLite and PostgreSQL alike.

- the chain: an entry's text edited;
- the recorded head (the ``heads`` table, moved with each entry in its transaction, guarded
  by triggers): the last entry deleted, a correctly hashed entry forged onto the end, two
  incidents' references swapped;
- a head recorded earlier (``--head`` from a report or verify's output, ``--against`` an
  export or a backup) or the chain key's seals: the whole chain re-hashed after an edit.

Each tampering sets the triggers aside first (tests/tampering.py), as anyone with the file or
a superuser can; the triggers themselves are tested here too.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import FROZEN_AT, REPO, run_cli
from tests.tampering import VARIANTS, forge_append, rehash, tamper, unguarded, edit_text
from warroom.base.clock import FrozenClock
from warroom.core.domain import Warroom
from warroom.store import Store
from warroom.store import schema

CAUGHT = {
    "edit-text": "entry #3 fails verification: its contents do not match its hash",
    "delete-last": "the chain ends at entry #5 but its recorded head is entry #6",
    "forge-append": "entry #7 fails verification: it was added after the recorded chain head",
    "swap-refs": "its recorded chain head belongs to INC-2",
}


@pytest.fixture
def db(team_db) -> str:
    return team_db


def _seed(db: str, *, key: bool = False) -> tuple[str, str]:
    """INC-1 with six entries and INC-2 with three; with ``key``, a chain key made first."""
    w = Warroom(Store.open(db), clock=FrozenClock(FROZEN_AT), user="alice", host="h", session="s")
    try:
        if key:
            w.store.version  # noqa: B018 - the database exists (its identity made) first
            w.create_chain_key()
        one = w.declare("Checkout 503s").incident
        for words in ("paged the DBA", "deploy 4512 rolled back", "errors falling", "resolved?",
                      "monitoring"):
            w.note(one, words)
        two = w.declare("Search slow").incident
        w.note(two, "index rebuilt")
        return one, two
    finally:
        w.store.close()


def _verify(db: str, ref: str, *extra: str):
    return run_cli("--db", db, "verify", ref, *extra)


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


@pytest.mark.parametrize("variant", [v for v in VARIANTS if v != "rehash-after-edit"])
def test_each_tampering_is_caught_by_verify(db, variant):
    one, two = _seed(db)
    before = _verify(db, one)
    assert before.returncode == 0, before.stderr
    assert "(recomputed from the entries; the recorded head agrees)" in before.stdout
    tamper(db, variant, one, two)
    done = _verify(db, one)
    assert done.returncode == 1 and done.stdout == ""
    assert CAUGHT[variant] in _one_line(done.stderr)
    if variant == "swap-refs":  # the other incident's chain says so too
        assert "belongs to INC-1" in _one_line(_verify(db, two).stderr)


def test_a_rehashed_chain_holds_alone_but_not_against_any_earlier_head(db, tmp_path):
    """Re-hashed after an edit (every hash and link, and the recorded head, made to agree): the
    chain holds on its own, but it no longer extends a head recorded before: one printed by
    verify or a report, an export's, a backup's."""
    one, _ = _seed(db)
    head = _verify(db, one).stdout.split()[7]
    assert len(head) == 64
    export = tmp_path / "INC-1.json"
    assert run_cli("--db", db, "export", one, "--format", "json", "-o", str(export)).returncode == 0
    report = run_cli("--db", db, "export", one).stdout
    assert f"warroom verify {one} --head {head}" in report
    against = [str(export)]
    if not db.startswith("postgresql"):
        backup = tmp_path / "copy.db"
        made = run_cli("--db", db, "backup", "-o", str(backup))
        assert made.stdout.splitlines()[1:] == [f"INC-1: chain head #6 {head}",
                                                made.stdout.splitlines()[2]]
        against.append(str(backup))
    extends = _verify(db, one, "--head", head)
    assert extends.returncode == 0 and f"extends the earlier head #6 {head} (--head)" in extends.stdout

    tamper(db, "rehash-after-edit", one)
    alone = _verify(db, one)
    assert alone.returncode == 0 and head not in alone.stdout  # the chain alone cannot tell
    assert "seals not checked: no chain key for this database" in alone.stdout
    for extra in (["--head", head], *(["--against", f] for f in against)):
        done = _verify(db, one, *extra)
        line = _one_line(done.stderr)
        assert done.returncode == 1 and done.stdout == "", extra
        assert f"today's chain does not extend the earlier head #6 {head}" in line \
            or f"today's chain does not extend the earlier head {head}" in line, line
        assert "the log was changed or re-hashed since" in line
    # The report's head is recomputed: it is the new one, not what was printed before.
    assert head not in run_cli("--db", db, "export", one).stdout


def test_the_chain_key_catches_a_rehash_without_any_earlier_copy(db):
    one, _ = _seed(db, key=True)
    done = _verify(db, one)
    assert done.returncode == 0
    assert f"{one}: seals checked with this database's chain key: 6 of 6 entries sealed" in done.stdout
    tamper(db, "rehash-after-edit", one)
    done = _verify(db, one)
    assert done.returncode == 1
    assert "entry #3 fails verification: its seal does not match" in _one_line(done.stderr)


def test_the_chain_key_catches_a_forged_entry_with_its_head_moved(db):
    """A forger who also moves the recorded head (the triggers allow moving it forward to a
    new last entry): only a seal tells the forged entry from a real one."""
    one, _ = _seed(db, key=True)
    with unguarded(db) as conn:
        forge_append(conn, one, move_head=True)
    done = _verify(db, one)
    assert done.returncode == 1
    assert "entry #7 fails verification: it carries no seal" in _one_line(done.stderr)


def test_stripped_seals_are_caught(db):
    one, _ = _seed(db, key=True)
    with unguarded(db) as conn:
        edit_text(conn, one, 2)
        rehash(conn, one)
        conn.execute(text("DELETE FROM seals"))
    done = _verify(db, one)
    assert done.returncode == 1
    assert "entry #1 fails verification: it carries no seal, though written after the chain " \
           "key was made" in _one_line(done.stderr)


def test_without_the_key_file_verify_says_seals_were_not_checked(db, tmp_path):
    one, _ = _seed(db, key=True)
    config = os.environ["WARROOM_CONFIG_DIR"]
    done = run_cli("--db", db, "verify", one, env={"WARROOM_CONFIG_DIR": config + "-elsewhere"})
    assert done.returncode == 0
    assert "seals NOT checked: entries carry seals but this database's chain key is not here" \
        in done.stdout


def test_the_chain_key_lives_outside_the_database_private(db, tmp_path):
    missing = tmp_path / "typo.db"
    refused = run_cli("--db", str(missing), "chain-key")
    assert refused.returncode == 1 and "no such database" in _one_line(refused.stderr)
    assert not missing.exists()
    one, _ = _seed(db)
    made = run_cli("--db", db, "chain-key")
    assert made.returncode == 0, made.stderr
    path = made.stdout.split(": chain key made")[0]
    assert path.startswith(os.environ["WARROOM_CONFIG_DIR"]) and path.endswith(".key")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
    secret = json.loads(open(path).read())["key"]
    again = run_cli("--db", db, "chain-key")
    assert again.returncode == 0 and "already has a chain key; nothing was changed" in again.stdout
    assert json.loads(open(path).read())["key"] == secret
    assert run_cli("--db", db, "note", "--incident", one, "sealed").returncode == 0
    assert "1 of 7 entries sealed (the 6 before are older than the key)" in _verify(db, one).stdout
    # Never in the database.
    engine = create_engine(db if "://" in db else f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            for table in ("warroom_meta", "seals"):
                rows = conn.execute(text(f"SELECT * FROM {table}")).all()
                assert secret not in repr(rows)
    finally:
        engine.dispose()


# ---------------------------------------------------------------- the triggers themselves
@pytest.mark.parametrize("statement, words", [
    ("UPDATE incidents SET ref = 'INC-9' WHERE ref = 'INC-1'", "incidents are append-only"),
    ("DELETE FROM incidents WHERE ref = 'INC-2'", "incidents are never deleted"),
    ("DELETE FROM heads", "chain heads are append-only"),
    ("UPDATE heads SET last_seq = last_seq - 1", "a head only moves forward"),
    ("UPDATE heads SET last_seq = last_seq + 1", "a head only moves forward"),
    ("UPDATE heads SET head_hash = 'x'", "a head only moves forward"),
    ("UPDATE heads SET ref = 'INC-9'", "a head only moves forward"),
    ("INSERT INTO heads (incident_id, ref, last_seq, head_hash) VALUES (99, 'X', 1, 'y')",
     "a head only moves forward"),
    ("DELETE FROM seals", "seals are append-only"),
    ("UPDATE seals SET seal = 'x'", "seals are append-only"),
])
def test_the_database_refuses_what_would_hide_tampering(db, statement, words):
    one, _ = _seed(db, key=True)
    engine = create_engine(db if "://" in db else f"sqlite:///{db}")
    try:
        with pytest.raises(Exception) as info:
            with engine.begin() as conn:
                conn.execute(text(statement))
        assert words in str(info.value)
    finally:
        engine.dispose()
    assert _verify(db, one).returncode == 0


def test_the_postgres_triggers_are_generated_for_every_guarded_table():
    made = "\n".join(schema.POSTGRES_TRIGGERS)
    for table, op, message in schema.GUARDS:
        assert f"BEFORE {op} ON {table}" in made and message in made
    for table in ("entries", "incidents", "attachments", "heads", "seals"):
        assert f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}" in made
    assert set(schema.POSTGRES_TRIGGER_NAMES) == {"entries", "incidents", "attachments", "heads",
                                                  "seals"}


# ---------------------------------------------------------------- older databases
@pytest.mark.parametrize("version", [1, 2])
def test_an_older_database_is_upgraded_with_its_heads(tmp_path, version):
    """A database written by warroom before recorded heads (fixtures from the old DDL) opens,
    is migrated to schema 3 with each incident's head taken from its last entry, and from
    then on catches what the heads catch."""
    db = tmp_path / f"v{version}.db"
    conn = sqlite3.connect(db)
    conn.executescript((REPO / "tests" / "data" / f"schema_v{version}.sql").read_text())
    conn.close()
    with Store.open(db, readonly=True) as viewer:  # a viewer reads it as it is
        assert viewer.version == version
        count, bad, _ = viewer.verify("INC-1")
        assert (count, bad) == (3, None)
    old = run_cli("--db", str(db), "verify", "INC-1")
    assert old.returncode == 0 and "its head was not recorded" in old.stdout
    assert run_cli("--db", str(db), "note", "--incident", "INC-1", "after").returncode == 0
    with Store.open(db) as store:
        assert store.version == schema.SCHEMA_VERSION == 4
        assert store.recorded_head("INC-1").seq == 4
        assert store.recorded_head("INC-2").seq == 2
        assert store.database_id
    done = run_cli("--db", str(db), "verify", "INC-2")
    assert done.returncode == 0 and "the recorded head agrees" in done.stdout
    tamper(str(db), "delete-last", "INC-2")
    assert "the chain ends at entry #1" in _one_line(run_cli("--db", str(db), "verify", "INC-2").stderr)


def test_an_older_postgres_schema_is_upgraded(pg_url):
    """The version 2 schema as an older warroom made it (its triggers included) becomes 3."""
    one, two = _seed(pg_url)
    engine = create_engine(pg_url)
    try:
        with engine.begin() as conn:  # back to what version 2 had
            conn.execute(text("DROP TABLE seals, heads"))
            conn.execute(text("DELETE FROM warroom_meta WHERE key = 'database_id'"))
            conn.execute(text("UPDATE warroom_meta SET value = '2' WHERE key = 'schema_version'"))
            for table, op, _ in schema.GUARDS:
                if table in ("entries", "incidents", "attachments"):
                    conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{op.lower()} ON {table}"))
            conn.execute(text("CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON "
                              "entries FOR EACH ROW EXECUTE FUNCTION warroom_append_only()"))
            conn.execute(text("CREATE TRIGGER incidents_no_delete BEFORE DELETE ON incidents "
                              "FOR EACH ROW EXECUTE FUNCTION warroom_append_only()"))
    finally:
        engine.dispose()
    assert run_cli("--db", pg_url, "note", "--incident", one, "after").returncode == 0
    with Store.open(pg_url) as store:
        assert store.version == 4 and store.recorded_head(one).seq == 7
        assert store.recorded_head(two).seq == 2
    tamper(pg_url, "swap-refs", one, two)
    assert "belongs to INC-2" in _one_line(_verify(pg_url, one).stderr)
