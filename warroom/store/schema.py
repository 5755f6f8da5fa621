"""Tables, and the triggers that make the entry log append-only in the database itself."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from sqlalchemy import (
    Column,
    func,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

SCHEMA_VERSION = 4
"""Bump on every incompatible change; a database stamped newer than this is refused.

2 (attachments): the ``attachments`` table (files and captured command output, linked from the
entry whose data holds their SHA-256). An older database is migrated when opened for writing
(:data:`MIGRATIONS`).

3 (chain heads): reserved for the chain-head table (issue 18, merged separately).

4 (references and writers): references unique whatever their case (a unique index on the
folded reference); ``incidents.alias``, the reference an imported incident had where it came
from when this database already used it; ``entries.db_role``, who really wrote each entry: on
PostgreSQL the authenticated database role, set by a trigger whatever the client sends; on
SQLite the operating-system user, set by the store (never from ``--as``)."""

NOTIFY_CHANNEL = "warroom_entries"
"""PostgreSQL: every insert into entries NOTIFYs this channel with the incident's reference."""

metadata = MetaData()

meta_table = Table(
    "warroom_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

incidents = Table(
    "incidents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ref", String(64), nullable=False, unique=True),
    Column("number", Integer, nullable=False),
    Column("profile", String(64), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("alias", String(64), nullable=False, server_default=""),
)
# "inc-1", "Inc-1" and "INC-1" are one incident: unique on the folded reference (references are
# ASCII, so SQLite's upper() and PostgreSQL's agree with Python's str.upper()).
REF_INDEX = Index("incidents_ref_folded", func.upper(incidents.c.ref), unique=True)

# Times are stored as canonical ISO-8601 UTC text (see core.clock.format_time): identical on
# SQLite and PostgreSQL, sortable, and exactly what the hash chain covers.
entries = Table(
    "entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("incident_id", Integer, ForeignKey("incidents.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("uid", String(64), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("author", String(200), nullable=False),
    Column("host", String(200), nullable=False, default=""),
    Column("session", String(64), nullable=False, default=""),
    Column("occurred_at", String(32), nullable=False),
    Column("recorded_at", String(32), nullable=False),
    Column("text", Text, nullable=False),
    Column("data", Text, nullable=False, default="{}"),
    Column("amends", Integer, nullable=True),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    # Not under the hash and never from the client: the database role (PostgreSQL, a trigger)
    # or the operating-system user (SQLite, the store) that wrote the row. Last, so that a
    # database migrated with ALTER TABLE has its columns in the same order as a new one.
    Column("db_role", String(200), nullable=False, server_default=""),
    UniqueConstraint("incident_id", "seq", name="entries_incident_seq"),
)
Index("entries_kind", entries.c.incident_id, entries.c.kind)

# Files attached to entries (``warroom attach``) and the full output of ``warroom run``: the
# bytes, and what the entry says of them. The entry's data holds the SHA-256, so the chain covers
# the content: verify hashes these bytes again and compares. Append-only like the entries.
attachments = Table(
    "attachments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("incident_id", Integer, ForeignKey("incidents.id"), nullable=False),
    Column("entry_uid", String(64), nullable=False),
    Column("name", String(255), nullable=False),
    Column("media_type", String(100), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),
    UniqueConstraint("entry_uid", "sha256", name="attachments_entry_sha"),
)
Index("attachments_incident", attachments.c.incident_id)

# Who has an incident open right now: heartbeats, not history (rows are replaced).
presence = Table(
    "presence",
    metadata,
    Column("session", String(64), primary_key=True),
    Column("incident_ref", String(64), nullable=False),
    Column("author", String(200), nullable=False),
    Column("host", String(200), nullable=False),
    Column("seen_at", String(32), nullable=False),
)

SQLITE_TRIGGERS = [
    """CREATE TRIGGER IF NOT EXISTS entries_no_update BEFORE UPDATE ON entries
       BEGIN SELECT RAISE(ABORT, 'entries are append-only: write an amendment instead'); END""",
    """CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries
       BEGIN SELECT RAISE(ABORT, 'entries are append-only: nothing is ever deleted'); END""",
    """CREATE TRIGGER IF NOT EXISTS incidents_no_delete BEFORE DELETE ON incidents
       BEGIN SELECT RAISE(ABORT, 'incidents are never deleted'); END""",
    """CREATE TRIGGER IF NOT EXISTS attachments_no_update BEFORE UPDATE ON attachments
       BEGIN SELECT RAISE(ABORT, 'attachments are append-only: attach a new file instead'); END""",
    """CREATE TRIGGER IF NOT EXISTS attachments_no_delete BEFORE DELETE ON attachments
       BEGIN SELECT RAISE(ABORT, 'attachments are append-only: nothing is ever deleted'); END""",
]


POSTGRES_TRIGGERS = [
    """CREATE OR REPLACE FUNCTION warroom_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'entries are append-only: write an amendment instead'; END;
       $$ LANGUAGE plpgsql""",
    """DO $$ BEGIN
         IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'entries_append_only'
                        AND tgrelid = 'entries'::regclass) THEN
           CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON entries
             FOR EACH ROW EXECUTE FUNCTION warroom_append_only();
         END IF;
         IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'entries_no_truncate'
                        AND tgrelid = 'entries'::regclass) THEN
           CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON entries
             FOR EACH STATEMENT EXECUTE FUNCTION warroom_append_only();
         END IF;
         IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'incidents_no_delete'
                        AND tgrelid = 'incidents'::regclass) THEN
           CREATE TRIGGER incidents_no_delete BEFORE DELETE ON incidents
             FOR EACH ROW EXECUTE FUNCTION warroom_append_only();
         END IF;
         IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'attachments_append_only'
                        AND tgrelid = 'attachments'::regclass) THEN
           CREATE TRIGGER attachments_append_only BEFORE UPDATE OR DELETE ON attachments
             FOR EACH ROW EXECUTE FUNCTION warroom_append_only();
         END IF;
         IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'attachments_no_truncate'
                        AND tgrelid = 'attachments'::regclass) THEN
           CREATE TRIGGER attachments_no_truncate BEFORE TRUNCATE ON attachments
             FOR EACH STATEMENT EXECUTE FUNCTION warroom_append_only();
         END IF;
       END $$""",
    # Who really wrote it: the authenticated role (and the role it SET ROLE to, if any),
    # whatever the client put in db_role. Runs before the row is checked or stored.
    """CREATE OR REPLACE FUNCTION warroom_db_role() RETURNS trigger AS $$
       BEGIN
         NEW.db_role := CASE WHEN current_user = session_user THEN session_user::text
                             ELSE session_user::text || ' as ' || current_user::text END;
         -- An import copies entries written elsewhere: this role only imported them.
         IF current_setting('warroom.importing', true) = 'on' THEN
           NEW.db_role := 'imported by ' || NEW.db_role;
         END IF;
         RETURN NEW;
       END;
       $$ LANGUAGE plpgsql""",
    """DO $$ BEGIN
         IF EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'entries'
                    AND column_name = 'db_role' AND table_schema = current_schema())
            AND NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'entries_db_role'
                            AND tgrelid = 'entries'::regclass) THEN
           CREATE TRIGGER entries_db_role BEFORE INSERT ON entries
             FOR EACH ROW EXECUTE FUNCTION warroom_db_role();
         END IF;
       END $$""",
    # The change feed: one NOTIFY per incident per inserting statement (an import of thousands
    # of entries sends one), delivered at commit, whoever wrote the rows.
    f"""CREATE OR REPLACE FUNCTION warroom_notify_entries() RETURNS trigger AS $$
       BEGIN
         PERFORM pg_notify('{NOTIFY_CHANNEL}', i.ref) FROM incidents i
           WHERE i.id IN (SELECT DISTINCT incident_id FROM new_entries);
         RETURN NULL;
       END;
       $$ LANGUAGE plpgsql""",
    """DO $$ BEGIN
         IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'entries_notify'
                        AND tgrelid = 'entries'::regclass) THEN
           CREATE TRIGGER entries_notify AFTER INSERT ON entries
             REFERENCING NEW TABLE AS new_entries
             FOR EACH STATEMENT EXECUTE FUNCTION warroom_notify_entries();
         END IF;
       END $$""",
]
POSTGRES_TRIGGER_NAMES = {"entries": ("entries_append_only", "entries_no_truncate", "entries_notify",
                                      "entries_db_role"),
                          "incidents": ("incidents_no_delete",),
                          "attachments": ("attachments_append_only", "attachments_no_truncate")}
"""What a complete PostgreSQL schema has; an older database missing one gets POSTGRES_TRIGGERS again."""


def migrate_to_attachments(conn: "Connection") -> None:
    """Version 1 → 2, in the caller's write transaction: the attachments table (its triggers
    follow with the dialect's list). Nothing existing changes, so chains stay valid."""
    metadata.create_all(conn, tables=[attachments])


def _reserved_for_heads(conn: "Connection") -> None:
    """Version 2 → 3: a placeholder. Version 3 is the chain-head table (issue 18, branch i18t);
    at merge its ``migrate_to_heads`` replaces this no-op in :data:`MIGRATIONS`."""


def migrate_to_writers(conn: "Connection") -> None:
    """Version 3 → 4, in the caller's write transaction: ``incidents.alias``,
    ``entries.db_role`` (new columns with a default: no row is updated, no trigger fires, chains
    stay valid) and the unique index on the folded reference. A database that already holds
    two references differing only in case (possible before version 4) keeps working without
    the index: the store then checks the folded reference itself before every new one."""
    from sqlalchemy import inspect

    look = inspect(conn)
    for table, column, kind in (("incidents", "alias", "VARCHAR(64)"),
                                ("entries", "db_role", "VARCHAR(200)")):
        if column in {c["name"] for c in look.get_columns(table)}:
            continue  # a database made with these columns, stamped older
        conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column} {kind} NOT NULL DEFAULT ''")
    clash = conn.exec_driver_sql(
        "SELECT upper(ref) FROM incidents GROUP BY upper(ref) HAVING count(*) > 1").first()
    if clash is None:
        conn.exec_driver_sql("CREATE UNIQUE INDEX IF NOT EXISTS incidents_ref_folded "
                             "ON incidents (upper(ref))")


MIGRATIONS: dict[int, Callable[["Connection"], None]] = {
    2: migrate_to_attachments,
    3: _reserved_for_heads,  # i18t's migrate_to_heads replaces this at merge
    4: migrate_to_writers,
}
"""Version N: what brings a database from N-1 to N. The store runs each step above the
database's version in order, then stamps it :data:`SCHEMA_VERSION`."""
