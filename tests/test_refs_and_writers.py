"""Issue 18, second half: references are one incident whatever their case, an import under a
reference already used takes the next free one and keeps the original as an alias, the same
incident is never imported twice, every entry records who really wrote it (the database role on
PostgreSQL, the operating-system user on SQLite), and schema 2 databases upgrade to 4."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from warroom.cli import main
from warroom.store import Store
from warroom.store import schema
from warroom.store.store import os_user

from tests.conftest import export_doc, open_domain, seed

DATA = Path(__file__).parent / "data"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def ok(*argv: str) -> str:
    code, out, err = run(*argv)
    assert code == 0, (argv, err)
    return out


def write_export(tmp_path: Path, doc: dict, name: str = "inc.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


# ---------------------------------------------------------------------- references and aliases
def test_every_command_takes_the_reference_in_any_case(tmp_path):
    db = str(tmp_path / "w.db")
    assert ok("--db", db, "declare", "Checkout 503s").strip() == "INC-1"
    for typed in ("inc-1", "Inc-1", " INC-1 "):
        ok("--db", db, "note", "--incident", typed, f"typed as {typed.strip()}")
        assert "entries intact" in ok("--db", db, "verify", typed)
        assert ok("--db", db, "export", typed).startswith("# INC-1: Checkout 503s")
    with Store.open(db, readonly=True) as s:
        assert [r.ref for r in s.incidents()] == ["INC-1"]
        assert len(s.entries("iNc-1")) == 4


def test_the_folded_reference_is_unique_in_the_database_itself(tmp_path):
    db = tmp_path / "w.db"
    seed(db)
    conn = sqlite3.connect(db)
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO incidents (ref, number, profile, created_at) "
                     "VALUES ('inc-1', 9, 'default', '2026-11-22T13:00:00.000000Z')")
    conn.close()


def test_moving_a_laptops_incident_into_a_team_database_just_works(tmp_path):
    laptop, team = tmp_path / "laptop.db", tmp_path / "team.db"
    seed(laptop, "found on the laptop", title="Laptop incident")
    for n in range(3):
        seed(team, title=f"Team incident {n + 1}")
    path = write_export(tmp_path, export_doc(laptop))
    code, out, err = run("--db", str(team), "import", str(path))
    assert code == 0, err
    assert out == "INC-4\n"
    assert err == "warroom: imported as INC-4; its reference INC-1 kept as an alias\n"
    listing = ok("--db", str(team), "list", "--all")
    assert "INC-4 (was INC-1)" in listing and "Laptop incident" in listing
    rows = {r["ref"]: r for r in json.loads(ok("--db", str(team), "list", "--all", "--json"))}
    assert rows["INC-4"]["alias"] == "INC-1" and rows["INC-1"]["alias"] is None
    # INC-1 is still the team's own; the imported one is whole under its new reference.
    assert ok("--db", str(team), "export", "INC-1").startswith("# INC-1: Team incident 1")
    report = ok("--db", str(team), "export", "INC-4")
    assert report.startswith("# INC-4: Laptop incident\n\nImported as INC-4; its reference "
                             "where it was logged: INC-1.\n")
    assert "2 entries intact" in ok("--db", str(team), "verify", "INC-4")
    ok("--db", str(team), "note", "--incident", "inc-4", "continued in the team database")
    assert "3 entries intact" in ok("--db", str(team), "verify", "INC-4")
    # Declaring goes on after the highest number, never into a UNIQUE error.
    assert ok("--db", str(team), "declare", "next").strip() == "INC-5"
    # Who imported them is recorded; it is not who wrote them, so nothing claims otherwise.
    with Store.open(team, readonly=True) as s:
        moved = s.entries("INC-4")
    assert [e.imported_by() for e in moved[:2]] == [os_user()] * 2
    assert [e.written_by_other() for e in moved[:2]] == ["", ""]


def test_the_same_incident_imported_twice_is_refused_naming_where_it_is(tmp_path):
    laptop, team = tmp_path / "laptop.db", tmp_path / "team.db"
    seed(laptop, "x", title="Laptop incident")
    seed(team, title="Team incident")
    path = write_export(tmp_path, export_doc(laptop))
    assert ok("--db", str(team), "import", str(path)) == "INC-2\n"
    before = team.read_bytes()
    code, out, err = run("--db", str(team), "import", str(path))
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "already exists here as INC-2 (same first entry)" in err
    assert "nothing was imported" in err
    # Under another reference (the file edited), still the same first entry: refused too.
    doc = json.loads(path.read_text())
    doc["incident"]["ref"] = "OPS-7"
    code, out, err = run("--db", str(team), "import", str(write_export(tmp_path, doc, "b.json")))
    assert code == 1 and "already exists here as INC-2" in err
    assert team.read_bytes() == before


def test_a_case_variant_reference_is_imported_beside_and_reachable(tmp_path):
    laptop, team = tmp_path / "laptop.db", tmp_path / "team.db"
    seed(laptop, "x", title="Lower-case one")
    seed(team, title="Team incident")
    doc = export_doc(laptop)
    doc["incident"]["ref"] = "inc-1"  # not under the hash: the chain still holds
    code, out, err = run("--db", str(team), "import", str(write_export(tmp_path, doc)))
    assert code == 0 and out == "INC-2\n" and "its reference inc-1 kept as an alias" in err
    for ref in ("INC-1", "INC-2"):
        assert "entries intact" in ok("--db", str(team), "verify", ref)
    assert "Team incident" in ok("--db", str(team), "export", "inc-1")


def test_the_alias_travels_with_the_export_and_is_accepted_where_unambiguous(tmp_path):
    laptop, team, archive = tmp_path / "laptop.db", tmp_path / "team.db", tmp_path / "archive.db"
    seed(laptop, "x", title="Laptop incident")
    seed(team, title="Team incident")
    ok("--db", str(team), "import", str(write_export(tmp_path, export_doc(laptop))))
    moved = export_doc(team, "INC-2")
    assert moved["incident"]["alias"] == "INC-1"
    ok("--db", str(archive), "import", str(write_export(tmp_path, moved, "moved.json")))
    # In the archive nothing else is INC-1: the alias names the incident.
    assert ok("--db", str(archive), "list", "--all").startswith("INC-2 (was INC-1)")
    assert ok("--db", str(archive), "export", "INC-1").startswith("# INC-2: Laptop incident")
    ok("--db", str(archive), "note", "--incident", "inc-1", "by its old name")
    assert "3 entries intact" in ok("--db", str(archive), "verify", "INC-2")


def test_an_ambiguous_alias_names_the_candidates(tmp_path):
    archive = tmp_path / "archive.db"
    for n, ref in enumerate(("INC-2", "INC-3")):
        laptop = tmp_path / f"laptop{n}.db"
        seed(laptop, "x", title=f"Laptop {n}")
        doc = export_doc(laptop)
        doc["incident"]["ref"], doc["incident"]["alias"] = ref, "INC-1"
        ok("--db", str(archive), "import", str(write_export(tmp_path, doc, f"{n}.json")))
    before = archive.read_bytes()
    code, out, err = run("--db", str(archive), "note", "--incident", "inc-1", "which one?")
    assert code == 1 and err.count("\n") == 1
    assert "'inc-1' was the reference of 2 imported incidents (INC-2, INC-3)" in err
    assert "name one of those" in err and archive.read_bytes() == before


def test_an_import_under_a_taken_reference_keeps_its_prefix(tmp_path):
    team = tmp_path / "team.db"
    seed(team, title="Team incident")
    for n in range(2):
        laptop = tmp_path / f"laptop{n}.db"
        seed(laptop, "x", title=f"Laptop {n}")
        doc = export_doc(laptop)
        doc["incident"]["ref"] = "OPS-1"
        ok("--db", str(team), "import", str(write_export(tmp_path, doc, f"{n}.json")))
    # The first OPS-1 kept its reference; the second became OPS-2 with the alias OPS-1.
    assert ok("--db", str(team), "list", "--all").splitlines()[0].startswith("OPS-3 (was OPS-1)")
    assert ok("--db", str(team), "export", "OPS-1").startswith("# OPS-1: Laptop 0")


def test_a_number_that_disagrees_with_its_reference_never_blocks_declare(tmp_path):
    db = tmp_path / "w.db"
    seed(db)
    conn = sqlite3.connect(db)  # as an older warroom could leave it: INC-3 under number 2
    conn.execute("INSERT INTO incidents (ref, number, profile, created_at) "
                 "VALUES ('INC-3', 2, 'default', '2026-11-22T13:00:00.000000Z')")
    conn.commit()
    conn.close()
    refs = [ok("--db", str(db), "declare", f"n{i}").strip() for i in range(3)]
    assert refs == ["INC-4", "INC-5", "INC-6"]


# ---------------------------------------------------------------------- who really wrote it
def test_sqlite_records_the_operating_system_user_whatever_as_says(tmp_path):
    db = str(tmp_path / "w.db")
    me = os_user()
    assert me
    ok("--db", db, "--as", me, "declare", "Checkout 503s")
    ok("--db", db, "--as", "mallory", "note", "I was never here")
    with Store.open(db, readonly=True) as s:
        first, second = s.entries("INC-1")
    assert (first.author, first.db_role, first.written_by_other()) == (me, me, "")
    assert (second.author, second.db_role, second.written_by_other()) == ("mallory", me, me)
    said = ok("--db", db, "verify", "INC-1").splitlines()
    assert said[2:] == [f"  written by {me} as mallory: #2"]  # after the seals line
    for n in range(12):
        ok("--db", db, "--as", "mallory", "note", f"again {n}")
    said = ok("--db", db, "verify", "INC-1").splitlines()
    assert said[2:] == [f"  written by {me} as mallory: #2, #3, #4, #5, #6, #7, #8, #9, #10, "
                        "#11, … (13 entries)"]
    report = ok("--db", db, "export", "INC-1")
    assert f"| mallory (written by {me}) |" in report
    assert f"written by {me}" not in ok("--db", db, "export", "INC-1", "--public")


def test_postgresql_records_the_database_role_whatever_the_client_sends(pg_role, tmp_path):
    alice, bob = pg_role(), pg_role()
    # Both roles share alice's schema: bob may read and write it, and nothing else.
    ok("--db", alice.url, "--as", alice.name, "declare", "Shared incident")
    with alice.admin.connect() as conn:
        for grant in (f'GRANT USAGE ON SCHEMA "{alice.name}" TO "{bob.name}"',
                      f'GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA "{alice.name}" '
                      f'TO "{bob.name}"',
                      f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA "{alice.name}" TO "{bob.name}"',
                      f'ALTER ROLE "{bob.name}" SET search_path = "{alice.name}"'):
            conn.execute(text(grant))
    # bob writes, claiming to be alice.
    ok("--db", bob.url, "--as", alice.name, "note", "--incident", "INC-1", "not really alice")
    # bob inserts a row himself, naming alice as the writer: the trigger overrides it.
    forged = create_engine(bob.url)
    with forged.begin() as conn:
        conn.execute(text(
            "INSERT INTO entries (incident_id, seq, uid, kind, author, host, session, "
            "occurred_at, recorded_at, text, data, prev_hash, hash, db_role) VALUES "
            "(1, 99, 'forged-uid', 'note', :a, '', '', '2026-11-22T13:00:00.000000Z', "
            "'2026-11-22T13:00:00.000000Z', 'forged', '{}', '', '', :a)"), {"a": alice.name})
        assert conn.execute(text("SELECT db_role FROM entries WHERE uid = 'forged-uid'")
                            ).scalar_one() == bob.name
        conn.rollback()
    forged.dispose()
    said = ok("--db", alice.url, "verify", "INC-1").splitlines()
    assert said[0].startswith("INC-1: 2 entries intact")
    assert said[2:] == [f"  written by {bob.name} as {alice.name}: #2"]
    report = ok("--db", alice.url, "export", "INC-1")
    assert f"| {alice.name} (written by {bob.name}) |" in report
    with Store.open(alice.url, readonly=True) as s:
        first, second = s.entries("INC-1")
    assert first.db_role == alice.name and first.written_by_other() == ""
    assert second.db_role == bob.name and second.author == alice.name
    # An import by bob: bob imported those entries; he did not write them.
    laptop = tmp_path / "laptop.db"
    seed(laptop, "on the laptop", user="ann")
    ok("--db", bob.url, "import", str(write_export(tmp_path, export_doc(laptop))))
    with Store.open(alice.url, readonly=True) as s:
        moved = s.entries("INC-2")
    assert {e.db_role for e in moved} == {f"imported by {bob.name}"}
    assert {e.imported_by() for e in moved} == {bob.name}
    assert ok("--db", alice.url, "verify", "INC-2").count("\n") == 2  # the head, the seals


# ---------------------------------------------------------------------- schema 2 → 4
def copy_fixture(name: str, tmp_path: Path) -> Path:
    dest = tmp_path / name
    shutil.copyfile(DATA / name, dest)
    dest.chmod(0o600)
    return dest


def test_a_schema_2_database_is_read_as_it_is_and_upgraded_when_written(tmp_path):
    db = copy_fixture("schema-v2.db", tmp_path)
    before = db.read_bytes()
    db.chmod(0o400)  # a file nobody may write: read as it is, without the new columns
    assert "INC-1" in ok("--db", str(db), "list", "--all")
    assert "3 entries intact" in ok("--db", str(db), "verify", "inc-1")
    report = ok("--db", str(db), "export", "INC-1")
    assert "Deploy 4512 rolled back" in report and "written by" not in report
    with Store.open(db, readonly=True) as s:
        assert s.version == 2 and [e.db_role for e in s.entries("INC-1")] == ["", "", ""]
    assert db.read_bytes() == before
    db.chmod(0o600)
    # Opened for writing: migrated in one transaction, chains untouched.
    ok("--db", str(db), "--as", "ann", "note", "--incident", "inc-1", "after the upgrade")
    with Store.open(db, readonly=True) as s:
        assert s.version == schema.SCHEMA_VERSION == 4
        assert [e.db_role for e in s.entries("INC-1")] == ["", "", "", os_user()]
    assert "4 entries intact" in ok("--db", str(db), "verify", "INC-1")
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'incidents_ref_folded'"
                        ).fetchone() is not None
    conn.close()
    assert ok("--db", str(db), "declare", "second").strip() == "INC-2"


def test_a_schema_2_database_with_case_twins_upgrades_and_keeps_both(tmp_path):
    db = copy_fixture("schema-v2-case-twins.db", tmp_path)
    ok("--db", str(db), "note", "--incident", "INC-1", "upgraded")
    assert ok("--db", str(db), "export", "inc-1").startswith("# inc-1: Search slow")
    assert ok("--db", str(db), "export", "INC-1").startswith("# INC-1: Checkout 503s")
    for ref in ("INC-1", "inc-1"):
        assert "entries intact" in ok("--db", str(db), "verify", ref)
    # No folded index (two rows already share it), but nothing new may add a third.
    laptop = tmp_path / "laptop.db"
    seed(laptop, title="Laptop")
    out = ok("--db", str(db), "import", str(write_export(tmp_path, export_doc(laptop))))
    assert out == "INC-3\n"
    assert ok("--db", str(db), "declare", "fresh").strip() == "INC-4"


def test_schema_migrations_are_registered_in_order():
    assert sorted(schema.MIGRATIONS) == [2, 3, 4]
    assert schema.MIGRATIONS[3].__name__ == "migrate_to_heads"
    assert max(schema.MIGRATIONS) == schema.SCHEMA_VERSION


def test_import_refuses_a_reference_that_would_not_fold_alike_everywhere(tmp_path):
    laptop = tmp_path / "laptop.db"
    seed(laptop)
    doc = export_doc(laptop)
    doc["incident"]["ref"] = "İNC-1"  # upper() differs between Python, SQLite and PostgreSQL
    code, out, err = run("--db", str(tmp_path / "t.db"), "import",
                         str(write_export(tmp_path, doc)))
    assert code == 1 and "ASCII" in err and not (tmp_path / "t.db").exists()


def test_open_domain_import_export_returns_the_alias(tmp_path):
    laptop, team = tmp_path / "laptop.db", tmp_path / "team.db"
    seed(laptop)
    seed(team)
    w = open_domain(team)
    try:
        got = w.import_export(export_doc(laptop))
        assert (got.ref, got.alias) == ("INC-2", "INC-1")
        assert w.incident("INC-2").alias == "INC-1"
    finally:
        w.store.close()


# ---------------------------------------------------------------------- vanished files
def test_a_deleted_wal_under_an_open_store_refuses_every_later_save(tmp_path):
    from warroom.base.errors import StoreError

    db = tmp_path / "w.db"
    w = open_domain(db)
    try:
        ref = w.declare("x").incident
        w.note(ref, "before")
        Path(f"{db}-wal").unlink()
        for text_ in ("after", "again"):
            with pytest.raises(StoreError, match="not saved: its -wal file was deleted or "
                                                 "replaced while warroom had it open; "
                                                 "entries since may be lost"):
                w.note(ref, text_)
    finally:
        w.store.close()
    with Store.open(db, readonly=True) as s:
        assert not {"after", "again"} & {e.text for e in s.entries("INC-1")}


def test_a_wal_deleted_between_the_check_and_the_commit_is_caught_after_it(tmp_path):
    from warroom.base.errors import StoreError

    db = tmp_path / "w.db"
    w = open_domain(db)
    try:
        ref = w.declare("x").incident
        watch = w.store.files
        assert watch is not None
        check = watch.check

        def racing(*, committed: bool = False) -> None:
            if not committed:  # the check before writing passes; then the file goes
                check()
                Path(f"{db}-wal").unlink()
                return
            check(committed=True)

        watch.check = racing  # type: ignore[method-assign]
        with pytest.raises(StoreError, match="not saved"):
            w.note(ref, "written into a deleted file")
    finally:
        w.store.close()


def test_a_replaced_database_file_is_refused_by_the_cli_store(tmp_path):
    from warroom.base.errors import StoreError

    db = tmp_path / "w.db"
    w = open_domain(db)
    try:
        ref = w.declare("x").incident
        shutil.copyfile(db, tmp_path / "copy.db")
        (tmp_path / "copy.db").replace(db)
        with pytest.raises(StoreError, match="the database file was replaced by another file"):
            w.note(ref, "lost")
    finally:
        w.store.close()


def test_the_pool_reopening_the_wal_is_not_a_loss(tmp_path):
    db = tmp_path / "w.db"
    w = open_domain(db)
    try:
        ref = w.declare("x").incident
        w.store.engine.dispose()  # every connection closed: SQLite removes its -wal itself
        w.note(ref, "a new -wal, made by SQLite")
        w.note(ref, "and another")
        assert len(w.store.entries(ref)) == 3
    finally:
        w.store.close()
