"""``warroom attach``: a file kept in the database (SQLite and PostgreSQL alike) with its name,
size, media type and SHA-256 under the chain; ``verify`` catches a changed byte; the export
writes the files beside the report and the report lists them."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from tests.conftest import dump, open_domain, run_cli, seed
from warroom.base.errors import ValidationError
from warroom.core.evidence import MAX_ATTACHMENT
from warroom.store import Store, schema


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "w.db"
    seed(path)
    return path


def _attached(db, seq):
    with Store.open(db) as store:
        entry = store.entry("INC-1", seq)
        return entry, store.attachment("INC-1", entry.uid, entry.data["sha256"])


@pytest.mark.parametrize("name, content, media", [
    ("deploy.txt", b"12:01 deploy 4511 started\n12:03 \x1b[31mFAILED\x1b[0m\n", "text/plain"),
    ("screen.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "image/png"),
    ("empty", b"", "text/plain"),
    ("blob", b"\x00\x01\xff\xfe", "application/octet-stream"),
])
def test_attach_keeps_the_file_byte_for_byte(db, tmp_path, name, content, media):
    path = tmp_path / name
    path.write_bytes(content)
    done = run_cli("--db", str(db), "attach", str(path), "--note", "from the deploy box")
    assert done.returncode == 0, done.stderr
    sha = hashlib.sha256(content).hexdigest()
    assert done.stdout == f"INC-1#2 {sha}\n"
    entry, kept = _attached(db, 2)
    assert entry.kind == "attachment"
    assert entry.data == {"file": name, "size": len(content), "media_type": media, "sha256": sha}
    assert entry.text.endswith(": from the deploy box") and entry.text.startswith(f"Attached {name} (")
    assert kept is not None and kept.content == content and kept.name == name
    assert run_cli("--db", str(db), "verify", "INC-1").returncode == 0


def test_over_the_limit_is_one_line_and_nothing_is_stored(db, tmp_path):
    big = tmp_path / "big.log"
    with open(big, "wb") as handle:
        handle.truncate(MAX_ATTACHMENT + 1)
    before = dump(db)
    done = run_cli("--db", str(db), "attach", str(big))
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == ("warroom: big.log: over the 20.0 MB limit for an attachment; nothing "
                           "was saved (attach an excerpt)\n")
    assert dump(db) == before
    exact = tmp_path / "exact.log"
    with open(exact, "wb") as handle:
        handle.truncate(MAX_ATTACHMENT)
    assert run_cli("--db", str(db), "attach", str(exact)).returncode == 0  # the limit itself fits


def test_attach_mistakes_are_one_line(db, tmp_path):
    before = dump(db)
    for args, said in ((["attach", str(tmp_path / "nope")], "no such file"),
                       (["attach", str(tmp_path)], "a folder, not a file"),
                       (["attach"], "the following arguments are required")):
        done = run_cli("--db", str(db), *args)
        assert done.returncode in (1, 2) and said in done.stderr
        assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr
    assert dump(db) == before


def test_the_domain_refuses_over_the_limit(tmp_path):
    w = open_domain(tmp_path / "x.db")
    try:
        ref = w.declare("t").incident
        with pytest.raises(ValidationError, match="the limit is 20.0 MB; nothing was saved"):
            w.attach(ref, "x", b"\0" * (MAX_ATTACHMENT + 1))
        assert w.last_seq(ref) == 1
    finally:
        w.store.close()


def _behind_the_apps_back(db, sql: str, *params) -> None:
    conn = sqlite3.connect(db)
    try:
        conn.execute("DROP TRIGGER attachments_no_update")
        conn.execute("DROP TRIGGER attachments_no_delete")
        conn.execute(sql, params)
        conn.commit()
    finally:
        conn.close()


def test_verify_catches_one_changed_byte_of_an_attachment(db, tmp_path):
    path = tmp_path / "config.diff"
    path.write_bytes(b"-max_connections = 100\n+max_connections = 500\n")
    run_cli("--db", str(db), "attach", str(path))
    run_cli("--db", str(db), "note", "after the attachment")
    assert run_cli("--db", str(db), "verify", "INC-1").returncode == 0
    _behind_the_apps_back(db, "UPDATE attachments SET content = ?",
                          b"-max_connections = 100\n+max_connections = 900\n")
    done = run_cli("--db", str(db), "verify", "INC-1")
    assert done.returncode == 1
    assert done.stderr == ("warroom: INC-1: entry #2 fails verification: its attachment "
                           "'config.diff' does not match the SHA-256 the entry recorded (its bytes "
                           "were changed behind the app's back); the 1 entries before it are intact\n")


def test_verify_catches_a_removed_attachment_and_a_rewritten_hash_column(db, tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"original")
    run_cli("--db", str(db), "attach", str(path))
    fake = hashlib.sha256(b"forged").hexdigest()
    _behind_the_apps_back(db, "UPDATE attachments SET content = ?, sha256 = ?", b"forged", fake)
    done = run_cli("--db", str(db), "verify", "INC-1")
    assert done.returncode == 1 and "its attachment 'a.txt' is missing" in done.stderr


def test_attachments_are_append_only_in_the_database(db, tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"x")
    run_cli("--db", str(db), "attach", str(path))
    conn = sqlite3.connect(db)
    try:
        for sql in ("UPDATE attachments SET content = x'00'", "DELETE FROM attachments"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                conn.execute(sql)
    finally:
        conn.close()


def test_export_writes_the_files_beside_the_report_which_lists_them(db, tmp_path):
    path = tmp_path / "deploy log.txt"
    path.write_bytes(b"line one\n")
    run_cli("--db", str(db), "attach", str(path))
    run_cli("--db", str(db), "run", "--", "sh", "-c", "echo checked; exit 2")
    out = tmp_path / "report"
    done = run_cli("--db", str(db), "export", "INC-1", "-o", str(tmp_path / "report.md"),
                   "--attachments", str(out))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["0002-deploy log.txt", "0004-sh-output.txt"]
    assert (out / "0002-deploy log.txt").read_bytes() == b"line one\n"
    assert (out / "0004-sh-output.txt").read_bytes() == b"checked\n"
    assert oct((out / "0004-sh-output.txt").stat().st_mode & 0o777) == "0o600"
    report = (tmp_path / "report.md").read_text()
    sha = hashlib.sha256(b"line one\n").hexdigest()
    assert f"| 2 | [0002-deploy log.txt](0002-deploy%20log.txt) | 9 B | text/plain | `{sha}` |" in report
    assert "→ exit 2 after " in report  # the changes made say how the run ended
    again = run_cli("--db", str(db), "export", "INC-1", "--attachments", str(out))
    assert again.returncode == 1 and "already exists" in again.stderr  # never replaced
    public = run_cli("--db", str(db), "export", "INC-1", "--public")
    assert public.returncode == 0 and "0002" not in public.stdout and "sh -c" not in public.stdout
    refused = run_cli("--db", str(db), "export", "INC-1", "--public", "--attachments", str(out))
    assert refused.returncode == 2 and "public" in refused.stderr


def test_a_version_1_database_is_migrated_and_takes_attachments(tmp_path):
    db = tmp_path / "old.db"
    seed(db, "before the upgrade")
    conn = sqlite3.connect(db)  # what warroom wrote before attachments
    conn.execute("DROP TABLE attachments")
    conn.execute("UPDATE warroom_meta SET value = '1' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with Store.open(db, readonly=True) as viewer:  # a viewer reads it as it is
        assert viewer.version == 1 and viewer.verify("INC-1")[1] is None
    path = tmp_path / "a.txt"
    path.write_bytes(b"after")
    done = run_cli("--db", str(db), "attach", str(path))
    assert done.returncode == 0, done.stderr
    with Store.open(db) as store:
        assert store.version == schema.SCHEMA_VERSION
        assert store.verify("INC-1")[1] is None
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT value FROM warroom_meta WHERE key='schema_version'").fetchone() \
            == (str(schema.SCHEMA_VERSION),)
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("DELETE FROM attachments")
    finally:
        conn.close()


def test_attachments_on_postgresql(pg_url, tmp_path):
    w = open_domain(pg_url)
    try:
        ref = w.declare("on the team database").incident
        content = bytes(range(256)) * 1000
        entry = w.attach(ref, "dump.bin", content, note="binary")
        w.run_finished(ref, ["kubectl", "get", "pods", "--token", "abcdefgh12345"],
                       exit_status=0, duration_ms=5, output=b"pod-1 Running abcdefgh12345\n")
        assert w.attachment(ref, entry.seq).content == content
        assert w.verify(ref).first_bad is None
        out = w.attachment(ref, 3)
        assert out is not None and out.content == b"pod-1 Running [redacted: password]\n"
    finally:
        w.store.close()
    from sqlalchemy import create_engine, text

    engine = create_engine(pg_url)
    try:
        with engine.begin() as conn:
            for sql in ("UPDATE attachments SET content = 'x'", "DELETE FROM attachments",
                        "TRUNCATE attachments"):
                with pytest.raises(Exception, match="append-only"):
                    with conn.begin_nested():
                        conn.execute(text(sql))
            conn.execute(text("ALTER TABLE attachments DISABLE TRIGGER USER"))
            conn.execute(text("UPDATE attachments SET content = :c WHERE name = 'dump.bin'"),
                         {"c": content[:-1] + b"\x00"})
            conn.execute(text("ALTER TABLE attachments ENABLE TRIGGER USER"))
    finally:
        engine.dispose()
    w = open_domain(pg_url)
    try:
        found = w.verify(ref)
        assert found.first_bad is not None and found.first_bad.seq == 2
        assert "does not match the SHA-256" in found.detail
    finally:
        w.store.close()


def test_a_json_export_carries_the_files_and_import_gives_them_back(db, tmp_path):
    import base64
    import json

    path = tmp_path / "a.bin"
    path.write_bytes(b"\x00evidence\xff")
    run_cli("--db", str(db), "attach", str(path))
    run_cli("--db", str(db), "run", "--", "sh", "-c", "echo out")
    exported = tmp_path / "inc.json"
    assert run_cli("--db", str(db), "export", "INC-1", "--format", "json", "-o",
                   str(exported)).returncode == 0
    doc = json.loads(exported.read_text())
    assert [base64.b64decode(f["content_base64"]) for f in doc["attachments"]] == [
        b"\x00evidence\xff", b"out\n"]
    elsewhere = tmp_path / "other.db"
    done = run_cli("--db", str(elsewhere), "import", str(exported))
    assert done.returncode == 0, done.stderr
    assert run_cli("--db", str(elsewhere), "verify", "INC-1").returncode == 0
    w = open_domain(elsewhere)
    try:
        assert w.attachment("INC-1", 2).content == b"\x00evidence\xff"
    finally:
        w.store.close()
    doc["attachments"][0]["content_base64"] = base64.b64encode(b"\x00EVIDENCE\xff").decode()
    doctored = tmp_path / "doctored.json"
    doctored.write_text(json.dumps(doc))
    refused = run_cli("--db", str(tmp_path / "third.db"), "import", str(doctored))
    assert refused.returncode == 1
    assert "the attachment of entry #2 does not match its SHA-256" in refused.stderr
    assert not (tmp_path / "third.db").exists()
