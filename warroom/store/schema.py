"""Tables, and the triggers that make the entry log append-only in the database itself."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from sqlalchemy import (
    Column,
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

SCHEMA_VERSION = 2
"""Bump on every incompatible change; a database stamped newer than this is refused.

2 (attachments): the ``attachments`` table (files and captured command output, linked from the
entry whose data holds their SHA-256). An older database is migrated when opened for writing
(:data:`MIGRATIONS`)."""

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
)

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
POSTGRES_TRIGGER_NAMES = {"entries": ("entries_append_only", "entries_no_truncate", "entries_notify"),
                          "incidents": ("incidents_no_delete",),
                          "attachments": ("attachments_append_only", "attachments_no_truncate")}
"""What a complete PostgreSQL schema has; an older database missing one gets POSTGRES_TRIGGERS again."""


def migrate_to_attachments(conn: "Connection") -> None:
    """Version 1 → 2, in the caller's write transaction: the attachments table (its triggers
    follow with the dialect's list). Nothing existing changes, so chains stay valid."""
    metadata.create_all(conn, tables=[attachments])


MIGRATIONS: dict[int, Callable[["Connection"], None]] = {2: migrate_to_attachments}
"""Version N: what brings a database from N-1 to N. The store runs each step above the
database's version in order, then stamps it :data:`SCHEMA_VERSION`."""
