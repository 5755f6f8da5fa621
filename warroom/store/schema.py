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

3 (heads): the ``heads`` table (each incident's last entry and its hash, written with every
entry, so an entry deleted from or forged onto the end shows), the ``seals`` table (an HMAC of
each entry written while the database has a chain key), the database's identity in
``warroom_meta`` (what its chain key is filed under), and the incidents table guarded like the
entries.

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

# Each incident's chain head: its last entry's number and hash, moved forward in the same
# transaction as each entry is written. Guarded by triggers: never deleted, and an UPDATE only
# moves it to the new last entry, so deleting the last entry or forging one onto the end (the
# two changes the chain alone cannot see) leaves the head behind or ahead. ``ref`` is the
# incident's reference when its head was first written: a reference changed shows too.
heads = Table(
    "heads",
    metadata,
    Column("incident_id", Integer, ForeignKey("incidents.id"), primary_key=True,
           autoincrement=False),
    Column("ref", String(64), nullable=False),
    Column("last_seq", Integer, nullable=False),
    Column("head_hash", String(64), nullable=False),
)

# An entry's seal: HMAC-SHA256 (warroom.base.chain.seal) with the database's chain key, a
# secret kept in the user's config folder, never here. Written with the entry while a key
# exists; a chain re-hashed without the key cannot carry valid seals.
seals = Table(
    "seals",
    metadata,
    Column("entry_id", Integer, ForeignKey("entries.id"), primary_key=True, autoincrement=False),
    Column("seal", String(64), nullable=False),
)

DATABASE_ID = "database_id"
"""The warroom_meta key of the database's identity (random; copied with a backup): what its
chain key is filed under."""

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

# What the database itself refuses, per table: (table, operation, message). Both dialects'
# triggers are generated from this. The heads table also takes an UPDATE, but only one that
# advances the head to the incident's new last entry (:data:`HEAD_MOVES_ONLY_FORWARD`).
GUARDS: tuple[tuple[str, str, str], ...] = (
    ("entries", "UPDATE", "entries are append-only: write an amendment instead"),
    ("entries", "DELETE", "entries are append-only: nothing is ever deleted"),
    ("incidents", "UPDATE", "incidents are append-only: a reference is never changed"),
    ("incidents", "DELETE", "incidents are never deleted"),
    ("attachments", "UPDATE", "attachments are append-only: attach a new file instead"),
    ("attachments", "DELETE", "attachments are append-only: nothing is ever deleted"),
    ("heads", "DELETE", "chain heads are append-only: nothing is ever deleted"),
    ("seals", "UPDATE", "seals are append-only: nothing is ever changed"),
    ("seals", "DELETE", "seals are append-only: nothing is ever deleted"),
)
HEAD_MESSAGE = "chain heads are append-only: a head only moves forward to the new last entry"

# A head row names an entry of its incident that exists, is the last, and (on UPDATE) follows
# the old head directly: the row moves forward one entry at a time, with the entries.
HEAD_MOVES_ONLY_FORWARD = """
    NOT EXISTS (SELECT 1 FROM entries WHERE incident_id = NEW.incident_id
                AND seq = NEW.last_seq AND hash = NEW.head_hash)
    OR EXISTS (SELECT 1 FROM entries WHERE incident_id = NEW.incident_id AND seq > NEW.last_seq)"""
HEAD_UPDATE_FORWARD = """
    NEW.incident_id <> OLD.incident_id OR NEW.ref <> OLD.ref OR NEW.last_seq <> OLD.last_seq + 1
    OR NOT EXISTS (SELECT 1 FROM entries WHERE incident_id = NEW.incident_id
                   AND seq = NEW.last_seq AND prev_hash = OLD.head_hash)"""


def _trigger_name(table: str, operation: str) -> str:
    return f"{table}_no_{operation.lower()}"


def _sqlite_triggers() -> list[str]:
    ddl = [f"""CREATE TRIGGER IF NOT EXISTS {_trigger_name(table, op)} BEFORE {op} ON {table}
       BEGIN SELECT RAISE(ABORT, '{message}'); END""" for table, op, message in GUARDS]
    for op in ("INSERT", "UPDATE"):
        condition = HEAD_MOVES_ONLY_FORWARD + (" OR" + HEAD_UPDATE_FORWARD if op == "UPDATE" else "")
        ddl.append(f"""CREATE TRIGGER IF NOT EXISTS heads_{op.lower()}_forward BEFORE {op} ON heads
       WHEN {condition}
       BEGIN SELECT RAISE(ABORT, '{HEAD_MESSAGE}'); END""")
    return ddl


SQLITE_TRIGGERS = _sqlite_triggers()


def _pg_guard(table: str, name: str, events: str, each: str, message: str) -> str:
    return f"""IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = '{name}'
                        AND tgrelid = '{table}'::regclass) THEN
           CREATE TRIGGER {name} BEFORE {events} ON {table}
             FOR EACH {each} EXECUTE FUNCTION warroom_append_only('{message}');
         END IF;"""


def _pg_triggers() -> tuple[list[str], dict[str, tuple[str, ...]]]:
    blocks: list[str] = []
    names: dict[str, list[str]] = {}
    for table, op, message in GUARDS:
        name = _trigger_name(table, op)
        blocks.append(_pg_guard(table, name, op, "ROW", message))
        names.setdefault(table, []).append(name)
    for table in dict.fromkeys(t for t, _, _ in GUARDS):
        message = next(m for t, op, m in GUARDS if t == table and op == "DELETE")
        name = f"{table}_no_truncate"
        blocks.append(_pg_guard(table, name, "TRUNCATE", "STATEMENT", message))
        names[table].append(name)
    blocks.append("""IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'heads_forward'
                        AND tgrelid = 'heads'::regclass) THEN
           CREATE TRIGGER heads_forward BEFORE INSERT OR UPDATE ON heads
             FOR EACH ROW EXECUTE FUNCTION warroom_head_forward();
         END IF;""")
    names["heads"].append("heads_forward")
    blocks.append("""IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'entries_notify'
                        AND tgrelid = 'entries'::regclass) THEN
           CREATE TRIGGER entries_notify AFTER INSERT ON entries
             REFERENCING NEW TABLE AS new_entries
             FOR EACH STATEMENT EXECUTE FUNCTION warroom_notify_entries();
         END IF;""")
    names["entries"] += ["entries_notify", "entries_db_role"]
    ddl = [
        # The message is the trigger's argument (a trigger made by an older warroom has none).
        """CREATE OR REPLACE FUNCTION warroom_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION USING MESSAGE = COALESCE(TG_ARGV[0],
             'entries are append-only: write an amendment instead'); END;
       $$ LANGUAGE plpgsql""",
        f"""CREATE OR REPLACE FUNCTION warroom_head_forward() RETURNS trigger AS $$
       BEGIN
         IF {HEAD_MOVES_ONLY_FORWARD} THEN RAISE EXCEPTION '{HEAD_MESSAGE}'; END IF;
         IF TG_OP = 'UPDATE' AND ({HEAD_UPDATE_FORWARD}) THEN
           RAISE EXCEPTION '{HEAD_MESSAGE}';
         END IF;
         RETURN NEW;
       END;
       $$ LANGUAGE plpgsql""",
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
        # The change feed: one NOTIFY per incident per inserting statement (an import of
        # thousands of entries sends one), delivered at commit, whoever wrote the rows.
        f"""CREATE OR REPLACE FUNCTION warroom_notify_entries() RETURNS trigger AS $$
       BEGIN
         PERFORM pg_notify('{NOTIFY_CHANNEL}', i.ref) FROM incidents i
           WHERE i.id IN (SELECT DISTINCT incident_id FROM new_entries);
         RETURN NULL;
       END;
       $$ LANGUAGE plpgsql""",
        "DO $$ BEGIN\n" + "\n".join(blocks) + "\nEND $$",
    ]
    return ddl, {table: tuple(found) for table, found in names.items()}


POSTGRES_TRIGGERS, POSTGRES_TRIGGER_NAMES = _pg_triggers()
"""The functions and triggers of a complete PostgreSQL schema, and the trigger names per table
(an older database missing one gets POSTGRES_TRIGGERS again)."""

OLD_POSTGRES_TRIGGERS = (("entries", "entries_append_only"), ("entries", "entries_no_truncate"),
                         ("incidents", "incidents_no_delete"),
                         ("attachments", "attachments_append_only"),
                         ("attachments", "attachments_no_truncate"))
"""Triggers of a version 2 PostgreSQL database that version 3 replaces (made again with their
messages, one per operation)."""


def migrate_to_attachments(conn: "Connection") -> None:
    """Version 1 → 2, in the caller's write transaction: the attachments table (its triggers
    follow with the dialect's list). Nothing existing changes, so chains stay valid."""
    metadata.create_all(conn, tables=[attachments])


def migrate_to_heads(conn: "Connection") -> None:
    """Version 2 → 3, in the caller's write transaction: the heads table, built from each
    incident's last entry as stored; the seals table; the database's identity. The triggers
    follow with the dialect's list (older PostgreSQL ones are dropped to be made again with
    their messages). Nothing existing changes, so chains stay valid."""
    import uuid

    from sqlalchemy import func, insert, select

    e, i = entries, incidents
    metadata.create_all(conn, tables=[heads, seals])
    last = (select(e.c.incident_id, func.max(e.c.seq).label("seq"))
            .group_by(e.c.incident_id).subquery())
    rows = conn.execute(select(i.c.id, i.c.ref, e.c.seq, e.c.hash)
                        .join(last, last.c.incident_id == i.c.id)
                        .join(e, (e.c.incident_id == i.c.id) & (e.c.seq == last.c.seq))).all()
    have = set(conn.execute(select(heads.c.incident_id)).scalars())
    rows = [r for r in rows if r.id not in have]
    if rows:
        conn.execute(insert(heads), [dict(incident_id=r.id, ref=r.ref, last_seq=r.seq,
                                          head_hash=r.hash) for r in rows])
    if conn.execute(select(meta_table.c.key).where(meta_table.c.key == DATABASE_ID)).first() is None:
        conn.execute(insert(meta_table).values(key=DATABASE_ID, value=uuid.uuid4().hex))
    if conn.dialect.name == "postgresql":
        for table, name in OLD_POSTGRES_TRIGGERS:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON {table}")



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
    3: migrate_to_heads,
    4: migrate_to_writers,
}
"""Version N: what brings a database from N-1 to N. The store runs each step above the
database's version in order, then stamps it :data:`SCHEMA_VERSION`."""
