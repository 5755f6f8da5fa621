"""Tables, and the triggers that make the entry log append-only in the database itself."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

SCHEMA_VERSION = 1
"""Bump on every incompatible change; a database stamped newer than this is refused."""

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
                          "incidents": ("incidents_no_delete",)}
"""What a complete PostgreSQL schema has; an older database missing one gets POSTGRES_TRIGGERS again."""
