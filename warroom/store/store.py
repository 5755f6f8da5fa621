"""The store owns SQL: the append-only log, per-incident numbering, the hash chain.

This file keeps the log: opening a database (and its schema), incidents, appending and reading
entries, import, presence, verifying the chain, and turning driver errors into messages. The
SQLite file itself (creating it private, header and version checks, read-only viewers) lives in
:mod:`warroom.store.sqlite_file`, backups in :mod:`warroom.store.backup`, the change feed in
:mod:`warroom.store.feed`.

Nothing above this package builds a query. Every database failure leaves here as a
:class:`~warroom.base.errors.StoreError` whose message names the database and the cause.
"""

from __future__ import annotations

import itertools
import json
import os
import sqlite3
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, TypeVar
from urllib.parse import quote

from sqlalchemy import bindparam, create_engine, event, func, insert, select, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.pool import QueuePool

from warroom.base.clock import format_time, parse_time
from warroom.base.chain import GENESIS, chain_hash, seal, seal_matches
from warroom.base.model import Attachment, Draft, Entry, dumps_data, stored_entry
from warroom.base.files import protect
from warroom.base.urls import driver_package, looks_like_url_without_scheme, redact_secrets, redact_url
from warroom.base.errors import (EntryQueued, NotFound, ReadOnlyStore, StoreAtCapacity, StoreBusy,
                                  StoreError, StoreFull, StoreUnreachable)
from warroom.store import schema
from warroom.store.outbox import Outbox
from warroom.store.listen import Notices, listen_on_pool, pooler_connect_args, split_pool_mode
from warroom.store.timeouts import (WATCHDOG, Guarded, Timeouts, connect_args,
                                    install_server_timeouts, split_timeouts)
from warroom.store.chain_key import ChainKey, create_key, key_path, load_key
from warroom.store.schema import (DATABASE_ID, attachments, entries, heads, incidents, meta_table,
                                  presence, seals)
from warroom.store.sqlite_file import (BUSY_TIMEOUT_MS, FileWatch, check_sqlite_header,
                                       create_private_file,
                                       peek_sqlite_version, remove_snapshot, sqlite_code, tighten,
                                       viewer_uri, why_readonly, writable)

AT_CAPACITY = (
    "too many clients",                  # the server's max_connections
    "too many connections",              # a role's or a database's CONNECTION LIMIT
    "remaining connection slots are reserved",
    "no more connections allowed",       # PgBouncer's max_client_conn / max_db_connections
    "query_wait_timeout",                # PgBouncer: queued for a server connection too long
    "client_login_timeout",
)
"""Words of a driver's or pooler's error that mean: no connection free right now."""

UNREACHABLE = (
    ("connection refused", "connection refused"),
    ("connection timeout expired", "no answer while connecting"),
    ("timeout expired", "no answer while connecting"),
    ("statement timeout", "the server did not answer in time"),
    ("server closed the connection", "the server closed the connection"),
    ("terminating connection", "the server is shutting down"),
    ("shutting down", "the server is shutting down"),
    ("starting up", "the server is starting up"),
    ("in recovery mode", "the server is recovering"),
    ("not yet accepting connections", "the server is starting up"),
    ("could not translate host name", "host name not found"),
    ("name or service not known", "host name not found"),
    ("no route to host", "no route to the host"),
    ("network is unreachable", "network unreachable"),
    ("connection reset", "connection reset"),
    ("broken pipe", "connection lost"),
    ("connection is lost", "connection lost"),
    ("connection is closed", "connection lost"),
    ("consuming input failed", "connection lost"),
    ("could not receive data", "connection lost"),
    ("could not send data", "connection lost"),
    ("ssl syscall", "connection lost"),
    ("ssl connection has been closed", "connection lost"),
    ("bad file descriptor", "connection lost"),
    ("connection failed", "could not connect"),
    ("could not connect", "could not connect"),
    ("no connection to the server", "connection lost"),
    ("eof detected", "connection lost"),
    ("timed out", "no answer in time"),
)
"""Words of a driver's error that mean: the server cannot be reached now, and a few words for
the person instead (the driver's own line is long and often cut off on a status line)."""

PRESENCE_STALE_AFTER = timedelta(seconds=30)
PRESENCE_FORGET_AFTER = timedelta(hours=1)

T = TypeVar("T")


@dataclass(frozen=True)
class IncidentRow:
    id: int
    ref: str
    number: int
    profile: str
    created_at: str
    alias: str = ""
    """The reference it had where it came from, when it was imported under a new one because
    this database already used that one ('' otherwise)."""


@dataclass(frozen=True)
class RecordedHead:
    """An incident's ``heads`` row: what the database recorded as its last entry."""

    ref: str
    seq: int
    hash: str


@dataclass(frozen=True)
class ChainCheck:
    """An incident's chain walked from the first entry, every hash recomputed, then compared
    with the recorded head and, where the database has a chain key, every entry's seal.

    ``problem`` is empty when everything holds. ``first_bad`` is the first entry that fails
    (None when the problem is at the end: the last entry deleted, the head row missing).
    ``head_seq``/``head`` are the recomputed head of the entries that hold."""

    ref: str
    intact: int
    first_bad: Entry | None
    problem: str
    head_seq: int
    head: str
    recorded: RecordedHead | None
    seals: str
    """What was done about seals, in words (checked on how many entries, or why not)."""
    seals_checked: bool

    @property
    def ok(self) -> bool:
        return not self.problem


@dataclass(frozen=True)
class Presence:
    """One open screen: who, on which machine, last heard from when (canonical UTC text)."""

    session: str
    incident: str
    author: str
    host: str
    seen_at: str

    @property
    def seen(self) -> datetime:
        return parse_time(self.seen_at)


def resolve_url(db: str | os.PathLike[str]) -> str:
    """A SQLAlchemy URL as given, or a file path turned into a SQLite URL."""
    value = os.fspath(db)
    if "://" in value:
        return value
    if looks_like_url_without_scheme(value):  # never a folder named after the password
        raise StoreError(f"{redact_url(value)}: looks like a database URL without a scheme "
                         "(start it with postgresql+psycopg://); nothing was created")
    return "sqlite:///" + str(Path(value).expanduser().absolute())


class Store:
    """One database. Open with :meth:`open`; safe to share between threads."""

    busy_timeout_ms: int = BUSY_TIMEOUT_MS
    snapshot: Path | None = None
    """A read-only viewer that could not read the file in place: the private copy it reads."""
    viewing: str = ""
    """A read-only viewer: how it reads the database, in words for the screen ('' if live)."""
    pool_mode: str = ""
    """PostgreSQL behind a pooler: ``"transaction"`` or ``"session"`` (``pool_mode=`` in the
    URL); ``""`` when connected directly."""
    notices: Notices | None = None
    """PostgreSQL, not behind a transaction pooler: the LISTEN on the pooled connection."""
    version: int = schema.SCHEMA_VERSION
    """The database's schema version (a read-only viewer of an older one reads it as it is)."""
    outbox: "Outbox | None" = None
    """PostgreSQL, set by whoever may queue (the app, the command line): entries the server
    cannot take go to this local outbox (:mod:`warroom.store.outbox`) and are delivered later."""
    timeouts: Timeouts = Timeouts()
    unreachable_since: float | None = None
    """When (``time.time()``) this store last found the server unreachable, until it is back."""
    offline: StoreUnreachable | StoreAtCapacity | None = None
    """Opened while the server could not be reached (only with ``offline_ok``): why."""
    writes: int = 0
    """Entries this Store has committed: a change feed on it reads at once after its own saves
    (a NOTIFY from the server may arrive a moment after the commit returns)."""

    def __init__(self, engine: Engine, url: str, *, path: Path | None, readonly: bool) -> None:
        self.engine, self.url, self.path, self.readonly = engine, url, path, readonly
        self.dialect = engine.dialect.name
        self.where = str(path) if path else redact_url(url)
        self._incidents: dict[str, IncidentRow] = {}
        self._guarded: Guarded | None = None
        self._last_cause = "unreachable"
        from warroom.store.outbox import db_key

        self.key = db_key(url) if path is None else str(path)
        # SQLite: who really writes (the operating-system user, never --as); PostgreSQL's
        # trigger sets the database role itself, whatever is sent.
        self.os_user = os_user() if path is not None else ""
        self.files: FileWatch | None = None

    # ----------------------------------------------------------------- opening
    @classmethod
    def open(cls, db: str | os.PathLike[str], *, readonly: bool = False, create: bool = True,
             busy_timeout_ms: int = BUSY_TIMEOUT_MS, offline_ok: bool = False) -> "Store":
        """Open (or create) a database. ``readonly`` opens a viewer that never writes, also on
        a read-only file or folder. ``busy_timeout_ms``: how long a write waits for another
        process's write lock before :class:`StoreBusy` (SQLite)."""
        url = resolve_url(db)
        if "://" not in os.fspath(db):  # a file path: a '?' or '#' in it is part of the name
            return cls._open_sqlite(Path(url[len("sqlite:///"):]), readonly=readonly,
                                    create=create, busy_timeout_ms=busy_timeout_ms)
        try:
            parsed = make_url(url)
        except (ArgumentError, ValueError):
            raise StoreError(f"{redact_url(str(db))}: not a database URL or file path") from None
        if parsed.get_backend_name() == "sqlite" and (parsed.username or parsed.password
                                                      or parsed.host):
            raise StoreError(f"{redact_url(url)}: a SQLite URL names a file, with no user, "
                             "password or host (sqlite:///path/to/file.db); nothing was created")
        if parsed.get_backend_name() == "sqlite":
            if not parsed.database or parsed.database == ":memory:":
                raise StoreError(f"{db}: give a file path; an in-memory database would lose everything")
            return cls._open_sqlite(Path(parsed.database), readonly=readonly, create=create,
                                    busy_timeout_ms=busy_timeout_ms)
        return cls._open_server(url, readonly=readonly, offline_ok=offline_ok)

    @classmethod
    def _open_sqlite(cls, path: Path, *, readonly: bool, create: bool,
                     busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> "Store":
        exists = path.exists()
        if exists and not path.is_file():
            raise StoreError(f"{path}: not a file")
        if not exists:
            if readonly or not create:
                raise NotFound(f"{path}: no such database")
            create_private_file(path)
        else:
            check_sqlite_header(path)
            if not readonly and not writable(path):
                raise ReadOnlyStore(f"{path}: read-only ({why_readonly(path)}); nothing was written")
        uri, snapshot, how = (viewer_uri(path, busy_timeout_ms) if readonly
                              else (f"file:{quote(str(path))}", None, ""))
        try:
            version = peek_sqlite_version(path, uri=uri if readonly else None,
                                           timeout_ms=busy_timeout_ms)
            if readonly and version is None:
                raise NotFound(f"{path}: an empty database (nothing to show yet)")
            if version is not None and version > schema.SCHEMA_VERSION:
                raise StoreError(
                    f"{path}: schema version {version} is newer than this warroom supports "
                    f"({schema.SCHEMA_VERSION}); upgrade warroom to open it"
                )
        except BaseException:
            remove_snapshot(snapshot)
            raise
        engine = _sqlite_engine(path, readonly=readonly, uri=uri, busy_timeout_ms=busy_timeout_ms)
        store = cls(engine, "sqlite:///" + str(path), path=path, readonly=readonly)
        protect(path)  # never replaced by an export (base.files)
        store.busy_timeout_ms, store.snapshot, store.viewing = busy_timeout_ms, snapshot, how
        store.version = version if version is not None else schema.SCHEMA_VERSION
        if not readonly:
            store._guard(store._init_sqlite, version)
            tighten(path)
            store.files = FileWatch(path)
        return store

    @classmethod
    def _open_server(cls, url: str, *, readonly: bool, offline_ok: bool = False) -> "Store":
        try:
            dsn, pool_mode = split_pool_mode(url)
            dsn, timeouts = split_timeouts(dsn)
            # One connection kept per store (an open screen): reads, writes and the feed's
            # LISTEN share it (warroom.store.listen); overflow only while two threads need it.
            engine = create_engine(dsn, pool_pre_ping=True, pool_size=1, max_overflow=4,
                                   connect_args={**connect_args(dsn, timeouts),
                                                 **pooler_connect_args(pool_mode)})
        except NoSuchModuleError:
            raise StoreError(f"{redact_url(url)}: unsupported database (use SQLite or "
                             "postgresql+psycopg://)") from None
        except ImportError:
            package = driver_package(url)
            raise StoreError(f"{redact_url(url)}: the database driver is not installed"
                             + (f" (pip install {package})" if package else "")) from None
        except (ArgumentError, ValueError, TypeError) as exc:
            raise StoreError(f"{redact_url(url)}: {redact_secrets(str(exc), url)}") from None
        store = cls(engine, url, path=None, readonly=readonly)
        if engine.dialect.name != "postgresql":
            raise StoreError(f"{store.where}: unsupported database {engine.dialect.name!r} "
                             "(use SQLite or PostgreSQL)")
        store.pool_mode = pool_mode
        store.timeouts = timeouts
        install_server_timeouts(engine, timeouts)
        store._guarded = Guarded(engine, timeouts)
        if pool_mode != "transaction":
            store.notices = listen_on_pool(engine)
        try:
            store._guard(store._init_server, readonly)
        except (StoreUnreachable, StoreAtCapacity) as exc:
            if offline_ok and not readonly:
                store.offline = exc  # entries go to the outbox until it answers
                return store
            engine.dispose()
            raise
        except BaseException:
            engine.dispose()  # a viewer opened next must not leave this one's connection open
            raise
        return store

    def _init_sqlite(self, version: int | None) -> None:
        raw = self.engine.raw_connection()  # journal mode changes outside any transaction
        try:
            driver = raw.driver_connection
            assert driver is not None  # a checked-out connection has its driver's
            mode = driver.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        finally:
            raw.close()
        if str(mode).lower() != "wal":
            raise StoreError(f"{self.where}: cannot switch to WAL journaling ({mode})")
        if version is None:
            with self._write() as conn:
                schema.metadata.create_all(conn)
                for ddl in schema.SQLITE_TRIGGERS:
                    conn.exec_driver_sql(ddl)
                conn.execute(insert(meta_table).values(key="schema_version",
                                                       value=str(schema.SCHEMA_VERSION)))
                conn.execute(insert(meta_table).values(key=DATABASE_ID, value=_new_database_id()))
        elif version < schema.SCHEMA_VERSION:
            with self._write() as conn:
                self._migrate(conn, version)
                for ddl in schema.SQLITE_TRIGGERS:
                    conn.exec_driver_sql(ddl)

    def _migrate(self, conn: Connection, version: int) -> None:
        """Every step of :data:`schema.MIGRATIONS` above ``version``, in order, in the caller's
        transaction (a failure leaves the database as it was), then the new version stamped."""
        for step in sorted(n for n in schema.MIGRATIONS if n > version):
            schema.MIGRATIONS[step](conn)
        conn.execute(meta_table.update().where(meta_table.c.key == "schema_version")
                     .values(value=str(schema.SCHEMA_VERSION)))
        self.version = schema.SCHEMA_VERSION

    def _init_server(self, readonly: bool) -> None:
        with self.engine.begin() as conn:
            # One creator at a time; the others wait and then see the finished schema.
            conn.execute(text("SELECT pg_advisory_xact_lock(724242)"))
            exists = conn.execute(text("SELECT to_regclass('warroom_meta')")).scalar()
            if exists:
                version = conn.execute(select(meta_table.c.value)
                                       .where(meta_table.c.key == "schema_version")).scalar()
                if version is not None and int(version) > schema.SCHEMA_VERSION:
                    raise StoreError(
                        f"{self.where}: schema version {version} is newer than this warroom "
                        f"supports ({schema.SCHEMA_VERSION}); upgrade warroom to open it")
                self.version = int(version) if version is not None else schema.SCHEMA_VERSION
                if not readonly:
                    if not conn.execute(text(
                            "SELECT has_table_privilege('entries', 'INSERT')")).scalar():
                        # Open as a watcher (Warroom.open(readonly=None) does so on this).
                        raise ReadOnlyStore(f"{self.where}: read-only (this database user may "
                                            "not add entries); nothing was written")
                    if self.version < schema.SCHEMA_VERSION:
                        self._migrate(conn, self.version)
                        for ddl in schema.POSTGRES_TRIGGERS:
                            conn.exec_driver_sql(ddl)
                    else:
                        _ensure_pg_triggers(conn)
                return
            if readonly:
                raise NotFound(f"{self.where}: no warroom schema in this database")
            schema.metadata.create_all(conn)
            for ddl in schema.POSTGRES_TRIGGERS:
                conn.exec_driver_sql(ddl)
            conn.execute(insert(meta_table).values(key="schema_version",
                                                   value=str(schema.SCHEMA_VERSION)))
            conn.execute(insert(meta_table).values(key=DATABASE_ID, value=_new_database_id()))

    # ----------------------------------------------------------------- the chain key
    _database_id: str | None = None
    _key_loaded: bool = False
    _chain_key: ChainKey | None = None

    @property
    def database_id(self) -> str | None:
        """The database's identity (``warroom_meta``; None before schema 3): what its chain
        key is filed under."""
        return self._identity()

    def _identity(self, conn: Connection | None = None) -> str | None:
        """As :attr:`database_id`, read (once) on ``conn`` when given: inside a write
        transaction, never a second connection (a role at its connection limit has none)."""
        if self._database_id is None and self.version >= 3:
            def read(c: Connection) -> str | None:
                return c.execute(select(meta_table.c.value).where(
                    meta_table.c.key == DATABASE_ID)).scalar()
            if conn is not None:
                self._database_id = read(conn)
            else:
                def run() -> str | None:
                    with self.engine.connect() as c:
                        return read(c)
                self._database_id = self._guard(run)
        return self._database_id

    @property
    def chain_key(self) -> ChainKey | None:
        return self._key()

    def _key(self, conn: Connection | None = None) -> ChainKey | None:
        """This database's chain key from the user's config folder, or None. Read once; while
        there is none, looked for again (one stat) each time, so a key made by ``warroom
        chain-key`` while a screen is open seals that screen's next entry too."""
        if not self._key_loaded:
            self._identity(conn)
            self._chain_key = load_key(self.database_id)
            self._key_loaded = True
        elif self._chain_key is None and self._key_file is not None and self._key_file.exists():
            self._chain_key = load_key(self.database_id)
        return self._chain_key

    _key_path: Path | None = None

    @property
    def _key_file(self) -> Path | None:
        if self._key_path is None and self.database_id:
            self._key_path = key_path(self.database_id)
        return self._key_path

    def create_chain_key(self, created_at: datetime | str) -> tuple[ChainKey, bool]:
        """Make this database's chain key (unless it has one): every entry written from now on
        carries a seal. Returns the key and whether it was made now."""
        database = self.database_id
        if database is None:
            raise StoreError(f"{self.where}: this database predates chain keys (schema "
                             f"{self.version}); open it for writing once to upgrade it")
        key, made = create_key(database, _stamp(created_at))
        self._chain_key, self._key_loaded = key, True
        return key, made

    def close(self) -> None:
        self.engine.dispose()
        remove_snapshot(self.snapshot)

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- plumbing
    def _write(self) -> "_WriteTx":
        if self.readonly:
            raise ReadOnlyStore(f"{self.where}: opened read-only; nothing was written")
        if self.files is not None:
            self.files.check()  # a vanished file: refuse before writing anything
        return _WriteTx(self.engine, self.files)

    # Schema 4 added columns; a read-only viewer of an older database reads without them.
    @property
    def _new(self) -> bool:
        return self.version >= 4

    def _select_entries(self) -> Any:
        return select(entries) if self._new else _SELECT_ENTRIES_V3

    def _by_uid(self) -> Any:
        return _BY_UID if self._new else _BY_UID_V3

    def _incident_from(self, row: Any) -> IncidentRow:
        return IncidentRow(row.id, row.ref, row.number, row.profile, row.created_at,
                           row.alias if self._new else "")

    def _guard(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        guarded = self._guarded
        if guarded is None:
            try:
                return fn(*args, **kwargs)
            except (DBAPIError, sqlite3.Error) as exc:
                raise self.translate_error(exc) from None
            except SQLAlchemyError as exc:
                raise StoreError(f"{self.where}: {redact_secrets(str(exc), self.url)}") from None
        # A team database: the call runs under the watchdog's deadline (warroom.store.timeouts).
        token = WATCHDOG.arm(guarded.timeouts.operation, guarded)
        try:
            result = fn(*args, **kwargs)
        except (DBAPIError, sqlite3.Error) as exc:
            if token in guarded.expired:
                err: StoreError = self._unreachable(
                    f"no answer within {guarded.timeouts.operation:g} s")
            else:
                err = self.translate_error(exc)
            if isinstance(err, (StoreUnreachable, StoreAtCapacity)):
                self._last_cause = (err.cause if isinstance(err, StoreUnreachable)
                                    else "no connection free")
                if self.unreachable_since is None:
                    self.unreachable_since = time.time()
            raise err from None
        except SQLAlchemyError as exc:
            raise StoreError(f"{self.where}: {redact_secrets(str(exc), self.url)}") from None
        finally:
            WATCHDOG.disarm(token, guarded)
        self.unreachable_since = None
        return result

    def _unreachable(self, cause: str) -> StoreUnreachable:
        err = StoreUnreachable(f"team database unreachable: {self.where} ({cause})")
        err.cause = cause
        return err

    def translate_error(self, exc: BaseException) -> StoreError:
        """A driver's error (SQLite's or psycopg's, bare or wrapped by SQLAlchemy) as the
        :class:`StoreError` a person reads: the database named, the cause, what to do."""
        orig = getattr(exc, "orig", exc)
        message = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
        message = redact_secrets(message, self.url)  # a driver may quote the password back
        low = message.lower()
        code = sqlite_code(orig)  # SQLite says exactly what went wrong; other drivers in words
        if code is None and self.dialect == "postgresql":
            if "lock timeout" in low:
                return StoreBusy(f"{self.where}: database busy: a lock was held for more than "
                                 f"{self.timeouts.lock_ms / 1000:g} s; nothing was saved; "
                                 "try again")
            if not any(cause in low for cause in AT_CAPACITY):
                for words, cause in UNREACHABLE:
                    if words in low:
                        if words == "statement timeout":
                            cause = (f"no answer within {self.timeouts.statement_ms / 1000:g} "
                                     "s")
                        return self._unreachable(cause)
        if code is None and any(cause in low for cause in AT_CAPACITY):
            # The server's words first (a status line is one row): after libpq's preamble.
            cause = " ".join(message.rsplit("FATAL:", 1)[-1].split()) or message
            err = StoreAtCapacity(
                f"no database connection free: {cause} ({self.where}); nothing was saved; "
                "try again in a moment, or make room: close idle screens, watch read-only "
                "(warroom open --watch), or raise max_connections or the PgBouncer pool "
                "(README: many screens)")
            err.cause = f"{cause} ({self.where})"
            return err
        if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or (
                code is None and ("locked" in low or "busy" in low)):
            held = (f" for more than {self.busy_timeout_ms / 1000:g} s"
                    if self.dialect == "sqlite" else "")
            return StoreBusy(f"{self.where}: database busy: another process held the write "
                             f"lock{held}; nothing was saved; try again")
        if code == sqlite3.SQLITE_FULL or (code is None and "full" in low) or "no space" in low:
            said = "" if low == "database or disk is full" else f" ({message})"
            return StoreFull(f"{self.where}: database or disk is full{said}; nothing was "
                             "saved; free some space and try again")
        if code == sqlite3.SQLITE_READONLY or "readonly" in low or "read-only" in low or "read only" in low:
            return ReadOnlyStore(f"{self.where}: read-only ({message}); nothing was written")
        if (code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
                or "malformed" in low or "not a database" in low or "corrupt" in low):
            return StoreError(f"{self.where}: the database is corrupt ({message}); "
                              "restore it from a backup (warroom backup) or an export")
        if "a head only moves forward" in low:
            return StoreError(f"{self.where}: refused: the incident's recorded chain head does "
                              "not match its last entry (its log was changed behind the app's "
                              "back; warroom verify says what); nothing was written")
        if "append-only" in low or "never deleted" in low:
            return StoreError(f"{self.where}: refused: {message}")
        return StoreError(f"{self.where}: {message}")

    def busy_retry_message(self, attempt: int, exc: BaseException | None = None) -> str:
        """What a screen says while it retries a save this store refused as busy
        (:class:`StoreBusy`, ``exc`` if known) ``attempt`` times so far: retrying and kept first
        (the line is one row), the cause after."""
        if isinstance(exc, StoreAtCapacity):
            return (f"no database connection free, retrying (attempt {attempt + 1}): this entry "
                    f"is kept and will be saved once; {exc.cause}")
        held = f" for over {self.busy_timeout_ms / 1000:g} s" if self.dialect == "sqlite" else ""
        return (f"database busy, retrying (attempt {attempt + 1}): this entry is kept and will be "
                f"saved once; another process has held the write lock{held} ({self.where})")

    # ----------------------------------------------------------------- incidents
    def create_incident(self, profile: str, draft: Draft, *, prefix: str = "INC",
                        ref: str | None = None) -> Entry:
        """Allocate the next reference and write the incident's first entry, atomically.
        Idempotent on ``draft.uid`` like :meth:`append`: a retry returns the first entry of the
        incident the first attempt created."""
        entry = self._guard(self._create_incident_once, profile, draft, prefix, ref)
        self.writes += 1
        return entry

    def _create_incident_once(self, profile: str, draft: Draft, prefix: str,
                              ref: str | None) -> Entry:
        try:
            return self._create_incident(profile, draft, prefix, ref)
        except IntegrityError:
            with self.engine.connect() as conn:
                existing = conn.execute(self._by_uid(), {"uid": draft.uid}).first()
                owner = existing and conn.execute(
                    select(incidents.c.ref).where(incidents.c.id == existing.incident_id)).scalar()
            if existing is None or existing.seq != 1 or existing.kind != draft.kind:
                raise
            return row_to_entry(str(owner), existing)

    def _create_incident(self, profile: str, draft: Draft, prefix: str, ref: str | None) -> Entry:
        with self._write() as conn:
            if self.dialect == "postgresql":
                conn.execute(text("LOCK TABLE incidents IN SHARE ROW EXCLUSIVE MODE"))
            if ref is not None:
                if self._ref_taken(conn, ref):
                    raise StoreError(f"{self.where}: incident {ref} already exists")
                number = self._next_number(conn)
            else:
                ref, number = self._next_free(conn, prefix)
            row = conn.execute(insert(incidents).values(
                ref=ref, number=number, profile=profile, created_at=draft.recorded_at,
            ).returning(incidents.c.id)).scalar_one()
            return self._insert_entry(conn, row, ref, draft, seq=1, prev_hash=GENESIS)

    @staticmethod
    def _next_number(conn: Connection) -> int:
        return (conn.execute(select(func.max(incidents.c.number))).scalar() or 0) + 1

    @staticmethod
    def _ref_taken(conn: Connection, ref: str) -> bool:
        return conn.execute(select(incidents.c.id).where(
            func.upper(incidents.c.ref) == ref.strip().upper()).limit(1)).first() is not None

    def _next_free(self, conn: Connection, prefix: str) -> tuple[str, int]:
        """The next reference: ``PREFIX-N`` with N one above the highest number, and further
        on past any reference already taken whatever its case (an imported INC-9 stored under
        number 4, from before numbers followed references, never blocks a declaration). The
        number is the one in the reference."""
        number = self._next_number(conn)
        while self._ref_taken(conn, f"{prefix}-{number}"):
            number += 1
        return f"{prefix}-{number}", number

    def incident(self, ref: str) -> IncidentRow:
        """An incident by reference, whatever its case (``inc-1`` is ``INC-1``), or by the
        reference it had before it was imported under a new one, where only one incident had
        it and no incident has it as its own reference."""
        # Incident rows never change once written, so a found one is cached: the note hot path
        # then costs no extra query.
        key = ref.strip().upper()
        cached = self._incidents.get(key)
        if cached is not None:
            return cached
        try:
            if self.offline is not None and self.outbox is not None:
                raise self.offline  # opened offline (a one-shot command): do not wait again
            row = self._guard(self._incident_row, ref)
        except (StoreUnreachable, StoreAtCapacity):
            if self.outbox is None or self.readonly:
                raise
            # Offline: an incident this user has used on this database before, or, for an entry
            # the outbox will keep, the reference as typed (delivery checks it is there).
            known = self.outbox.known(self.key, ref)
            if known is not None:
                return IncidentRow(known[1], known[0], known[2] or 0, known[3], known[4])
            return IncidentRow(-1, key, 0, "default", "")
        if row is not None and row.ref.upper() == key:  # an alias may name another one later
            self._incidents[key] = row
            if self.outbox is not None and not self.readonly:
                try:
                    self.outbox.remember(self.key, row.ref, row.id, row.number, row.profile,
                                         row.created_at)
                except (sqlite3.Error, OSError):
                    pass  # a courtesy for later offline use
        if row is None:
            raise NotFound(f"no incident {ref!r} in {self.where} (see: warroom list --all)")
        return row

    def _incident_row(self, ref: str) -> IncidentRow | None:
        key = ref.strip().upper()
        with self.engine.connect() as conn:
            rows = conn.execute(select(*self._incident_columns()).where(
                func.upper(incidents.c.ref) == key).order_by(incidents.c.id)).all()
            if not rows and self._new:
                rows = conn.execute(select(incidents).where(
                    func.upper(incidents.c.alias) == key).order_by(incidents.c.id)).all()
                if len(rows) > 1:
                    raise NotFound(
                        f"{ref.strip()!r} was the reference of {len(rows)} imported incidents "
                        f"({', '.join(r.ref for r in rows)}) in {self.where}; name one of those")
        if not rows:
            return None
        # Before schema 4 two references could differ only in case: the one typed exactly wins.
        exact = [r for r in rows if r.ref == ref.strip()]
        return self._incident_from((exact or rows)[0])

    def _incident_columns(self) -> list[Any]:
        return list(incidents.c) if self._new else [c for c in incidents.c if c.name != "alias"]

    def incidents(self) -> list[IncidentRow]:
        def run() -> list[IncidentRow]:
            with self.engine.connect() as conn:
                rows = conn.execute(select(*self._incident_columns())
                                    .order_by(incidents.c.number, incidents.c.id)).all()
            return [self._incident_from(r) for r in rows]
        return self._guard(run)

    # ----------------------------------------------------------------- entries
    def append(self, ref: str, draft: Draft, files: Iterable[Attachment] = ()) -> Entry:
        """Number, chain and durably commit one entry (and the ``files`` it links to, in the
        same transaction). Idempotent on ``draft.uid``: a retry after a timeout returns the
        entry already written instead of writing it twice."""
        incident = self.incident(ref)
        if self.outbox is not None:
            return self._append_or_queue(incident, draft, tuple(files))
        entry = self._guard(self._append, incident, draft, tuple(files))
        self.writes += 1
        return entry

    def wait_until_reachable(self, seconds: float, stop: Any = None, step: float = 0.2) -> bool:
        """While backing off from an unreachable server: sleep up to ``seconds``, but come
        back as soon as its port, found closed, accepts a TCP connection again (a probe every
        ``step`` s that costs the server nothing: no login, no backend) or ``stop`` (a
        threading.Event) is set. Returns whether the port opened. A server reached another way (a Unix socket, several
        hosts) is not probed: the full wait."""
        import socket as _socket

        deadline = time.monotonic() + seconds
        target = self._probe_target()
        # Early only when the port opens again: a server that accepts TCP but refuses us (full)
        # is not hammered. One starting up or shutting down is tried again every ``step``.
        closed = self._last_cause in _PASSING
        if closed:
            if stop is not None and stop.wait(step):
                return False
            if stop is None:
                time.sleep(step)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if target is not None:
                try:
                    with _socket.create_connection(target, timeout=min(step, left)):
                        if closed:
                            return True
                        target = None  # open all along: wait the full backoff
                except OSError:
                    closed = True
            pause = min(step, max(deadline - time.monotonic(), 0))
            if stop is not None:
                if stop.wait(pause):
                    return False
            else:
                time.sleep(pause)

    def _probe_target(self) -> tuple[str, int] | None:
        try:
            parsed = make_url(self.url)
        except Exception:
            return None
        host = parsed.host
        if not host or "," in host or host.startswith("/"):
            return None
        return host, int(parsed.port or 5432)

    # ----------------------------------------------------------------- the outbox
    def _append_or_queue(self, incident: IncidentRow, draft: Draft,
                         files: tuple[Attachment, ...]) -> Entry:
        """Deliver what waits in the outbox (order), then this entry; when the server cannot
        take it, keep it in the outbox and raise :class:`EntryQueued`."""
        assert self.outbox is not None
        try:
            if self.offline is not None:
                raise self.offline  # found unreachable a moment ago, as it opened
            if self.unreachable_since is not None and self.outbox.count(self.key):
                # Away, with entries already waiting: this one goes behind them at once (an
                # open screen's follower reconnects and delivers; no save waits on a timeout).
                raise self._unreachable(self._last_cause)
            if self.outbox.count(self.key) and not self.deliver_outbox():
                raise self._unreachable("earlier entries are still being delivered from here")
            if incident.id < 0:
                self._incidents.pop(incident.ref, None)
                incident = self.incident(incident.ref)  # reachable now: the real one
                if incident.id < 0:
                    raise self._unreachable(self._last_cause)
            entry = self._guard(self._append, incident, draft, files)
        except (StoreUnreachable, StoreAtCapacity) as exc:
            waiting = self.outbox.put(self.key, incident.ref, draft, files)
            if self.unreachable_since is None:
                self.unreachable_since = time.time()
            noun = "entry" if waiting == 1 else "entries"
            cause = exc.cause if isinstance(exc, StoreUnreachable) else "no connection free"
            raise EntryQueued(
                f"team database unreachable ({cause}): kept in the local outbox, {waiting} "
                f"{noun} waiting; delivered once when the database is back ({self.where})",
                uid=draft.uid, ref=incident.ref, waiting=waiting, draft=draft,
                since=self.unreachable_since) from None
        self.writes += 1
        return entry

    def deliver_outbox(self) -> bool:
        """Deliver this database's outbox, oldest first, each entry once (its uid). True when
        nothing of it is left waiting; False when another process is delivering it right now.
        Raises :class:`StoreUnreachable` / :class:`StoreAtCapacity` if the server went again
        (what was delivered stays delivered)."""
        outbox = self.outbox
        if outbox is None or not outbox.count(self.key):
            return True
        with outbox.delivering(timeout=self.timeouts.operation) as lock:
            if not lock.held:
                return False
            for item in outbox.waiting(self.key, stuck=False):
                try:
                    self._incidents.pop(item.ref.upper(), None)
                    incident = self._guard(self._incident_row, item.ref)
                    if incident is None:
                        raise NotFound(f"no incident {item.ref!r} in {self.where}")
                    self._incidents[incident.ref.upper()] = incident
                    self._guard(self._append, incident, item.draft, item.files)
                except (StoreUnreachable, StoreBusy):
                    raise
                except (NotFound, StoreError) as exc:
                    outbox.undeliverable(item, str(exc))
                    continue
                outbox.delivered(item)
                self.writes += 1
        return True

    def _append(self, incident: IncidentRow, draft: Draft,
                files: tuple[Attachment, ...] = ()) -> Entry:
        try:
            return self._append_new(incident, draft, files)
        except IntegrityError:
            # The uid is unique: a retry of an entry that did commit (the first attempt timed out
            # after COMMIT, say) lands here and gets the entry that is already there.
            with self.engine.connect() as conn:
                existing = conn.execute(self._by_uid(), {"uid": draft.uid}).first()
            if existing is None or existing.incident_id != incident.id:
                raise
            return row_to_entry(incident.ref, existing)

    def _append_new(self, incident: IncidentRow, draft: Draft,
                    files: tuple[Attachment, ...] = ()) -> Entry:
        if files and self.version < 2:
            raise StoreError(f"{self.where}: this database predates attachments (schema "
                             f"{self.version}); open it for writing once to upgrade it")
        with self._write() as conn:
            if self.dialect == "postgresql":
                # The row lock serialises writers per incident: numbers are unique and, because
                # the lock is held until commit, they also commit in order (the change feed
                # relies on that).
                conn.execute(select(incidents.c.id).where(incidents.c.id == incident.id)
                             .with_for_update())
            last = conn.execute(_LAST_OF_INCIDENT, {"iid": incident.id}).first()
            seq, prev = (last.seq + 1, last.hash) if last else (1, GENESIS)
            for item in files:
                conn.execute(insert(attachments).values(
                    incident_id=incident.id, entry_uid=draft.uid, name=item.name,
                    media_type=item.media_type, size=item.size, sha256=item.sha256,
                    content=item.content))
            return self._insert_entry(conn, incident.id, incident.ref, draft, seq=seq, prev_hash=prev)

    def _insert_entry(self, conn: Connection, incident_id: int, ref: str, draft: Draft, *,
                      seq: int, prev_hash: str) -> Entry:
        entry = Entry(
            incident=ref, seq=seq, uid=draft.uid, kind=draft.kind, author=draft.author,
            occurred_at=draft.occurred_at, recorded_at=draft.recorded_at, text=draft.text,
            data=draft.data, amends=draft.amends, host=draft.host, session=draft.session,
            prev_hash=prev_hash,
        )
        digest = chain_hash(prev_hash, entry)
        new_id, role = conn.execute(_INSERT_ENTRY, dict(
            incident_id=incident_id, seq=seq, uid=entry.uid, kind=entry.kind, author=entry.author,
            host=entry.host, session=entry.session, occurred_at=entry.occurred_at,
            recorded_at=entry.recorded_at, text=entry.text, data=dumps_data(entry.data),
            amends=entry.amends, prev_hash=prev_hash, hash=digest, db_role=self.os_user,
        )).one()
        # The head moves with the entry, in the same transaction (triggers allow nothing else).
        conn.execute(_MOVE_HEAD if seq > 1 else _INSERT_HEAD,
                     {"iid": incident_id, "r": ref, "s": seq, "h": digest})
        key = self._key(conn)
        if key is not None:
            conn.execute(_INSERT_SEAL, {"eid": new_id, "v": seal(key.key, ref, seq, digest)})
        return replace(entry, hash=digest, id=new_id, db_role=role)

    def entries(self, ref: str, *, after: int = 0, kinds: Iterable[str] | None = None,
                limit: int | None = None) -> list[Entry]:
        """Entries of one incident with ``seq > after``, in sequence order."""
        return self.entries_of(self.incident(ref), after=after, kinds=kinds, limit=limit)

    def entries_of(self, incident: IncidentRow, *, after: int = 0,
                   kinds: Iterable[str] | None = None, limit: int | None = None) -> list[Entry]:
        """As :meth:`entries`, for an incident already looked up: one query (the change feed's)."""

        def run() -> list[Entry]:
            query = (self._select_entries().where(entries.c.incident_id == incident.id,
                                           entries.c.seq > after).order_by(entries.c.seq))
            if kinds is not None:
                query = query.where(entries.c.kind.in_(list(kinds)))
            if limit is not None:
                query = query.limit(limit)
            with self.engine.connect() as conn:
                ref = incident.ref
                return [row_to_entry(ref, row) for row in conn.execute(query).all()]
        return self._guard(run)

    def new_entries(self, incident: IncidentRow, *, after: int) -> list[Entry]:
        """The change feed's read: entries above ``after``. On PostgreSQL in autocommit (the
        ping and one SELECT: no BEGIN or ROLLBACK round trips, nothing held between them)."""
        if self.dialect != "postgresql":
            return self.entries_of(incident, after=after)

        def run() -> list[Entry]:
            with self.engine.connect() as conn:
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                ref = incident.ref
                return [row_to_entry(ref, row) for row in conn.execute(
                    _NEW_OF_INCIDENT if self._new else _NEW_OF_INCIDENT_V3,
                    {"iid": incident.id, "after": after}).all()]
        return self._guard(run)

    def has_notify_trigger(self) -> bool:
        """PostgreSQL: whether commits to entries NOTIFY (an older schema its user could not
        change may lack the trigger; a feed then polls)."""
        def run() -> bool:
            with self.engine.connect() as conn:
                return conn.execute(text(
                    "SELECT 1 FROM pg_trigger WHERE tgname = 'entries_notify' "
                    "AND tgrelid = to_regclass('entries')")).first() is not None
        return self._guard(run)

    def iter_entries(self, ref: str, *, batch: int = 5000, after: int = 0) -> Iterator[Entry]:
        """All entries of an incident (above ``after``) in batches: big incidents without one
        giant list."""
        while True:
            chunk = self.entries(ref, after=after, limit=batch)
            yield from chunk
            if len(chunk) < batch:
                return
            after = chunk[-1].seq

    def entry(self, ref: str, seq: int) -> Entry:
        found = self.entries(ref, after=seq - 1, limit=1)
        if not found or found[0].seq != seq:
            raise NotFound(f"{ref} has no entry #{seq}")
        return found[0]

    def last_seq(self, ref: str) -> int:
        incident = self.incident(ref)

        def run() -> int:
            with self.engine.connect() as conn:
                return conn.execute(select(func.max(entries.c.seq))
                                    .where(entries.c.incident_id == incident.id)).scalar() or 0
        return self._guard(run)

    # ----------------------------------------------------------------- attachments
    def attachment(self, ref: str, entry_uid: str, sha256: str) -> Attachment | None:
        """The file an entry links to, its bytes as stored now (verify hashes them again), or
        None when there is none (a database from before attachments, or one removed)."""
        incident = self.incident(ref)
        if self.version < 2:
            return None

        def run() -> Attachment | None:
            with self.engine.connect() as conn:
                row = conn.execute(select(attachments).where(
                    attachments.c.incident_id == incident.id,
                    attachments.c.entry_uid == entry_uid,
                    attachments.c.sha256 == sha256)).first()
            if row is None:
                return None
            return Attachment(row.name, row.media_type, bytes(row.content), row.sha256,
                              row.entry_uid)
        return self._guard(run)

    def import_incident(self, ref: str, number: int | None, profile: str, created_at: str,
                        items: list[Entry], files: Iterable[Attachment] = (), *,
                        alias: str = "") -> IncidentRow:
        """Write an exported incident back verbatim: same uids, times and hashes, and the files
        its entries link to. Under its own reference when this database does not use it (in any
        case); otherwise under the next free one, keeping the original as the row's ``alias``
        (the reference is not under the hash, so the chain stays whole). The same incident
        twice (its first entry already here) is refused, naming where it is. ``alias``: the
        one it already had (an export of an incident imported so), kept when its reference is
        free here."""
        return self._guard(self._import, ref, number, profile, created_at, items, tuple(files),
                           alias)

    def _import(self, ref: str, number: int | None, profile: str, created_at: str,
                items: list[Entry], files: tuple[Attachment, ...] = (),
                alias: str = "") -> IncidentRow:
        with self._write() as conn:
            if self.dialect == "postgresql":
                conn.execute(text("LOCK TABLE incidents IN SHARE ROW EXCLUSIVE MODE"))
                conn.execute(text("SET LOCAL warroom.importing = 'on'"))  # db_role: imported by
            first = items[0]
            here = conn.execute(select(incidents.c.ref).join(
                entries, entries.c.incident_id == incidents.c.id).where(
                entries.c.seq == 1,
                (entries.c.uid == first.uid) | (entries.c.hash == first.hash)).limit(1)).first()
            if here is not None:
                raise StoreError(f"{self.where}: this incident already exists here as {here.ref} "
                                 "(same first entry); nothing was imported")
            clash = conn.execute(select(entries.c.uid).where(
                entries.c.uid.in_([e.uid for e in items]))).first()
            if clash:
                raise StoreError(f"{self.where}: entry {clash.uid} already exists in this "
                                 "database; nothing was imported")
            if self._ref_taken(conn, ref):
                if not self._new:
                    raise StoreError(f"{self.where}: incident {ref} already exists; nothing "
                                     "was imported")
                alias = ref
                ref, number = self._next_free(conn, _ref_prefix(ref))
            elif number is None or conn.execute(select(incidents.c.id).where(
                    incidents.c.number == number)).first():
                number = self._next_number(conn)
            values = dict(ref=ref, number=number, profile=profile, created_at=created_at)
            if self._new:
                values["alias"] = alias
            new_id = conn.execute(insert(incidents).values(**values)
                                  .returning(incidents.c.id)).scalar_one()
            extra = {"db_role": f"imported by {self.os_user}"} if self._new else {}
            rows = [dict(incident_id=new_id, seq=e.seq, uid=e.uid, kind=e.kind, author=e.author,
                         host=e.host, session=e.session, occurred_at=e.occurred_at,
                         recorded_at=e.recorded_at, text=e.text, data=dumps_data(e.data),
                         amends=e.amends, prev_hash=e.prev_hash, hash=e.hash, **extra)
                    for e in items]
            for start in range(0, len(rows), 1000):
                conn.execute(insert(entries), rows[start:start + 1000])
            if items:
                self._record_imported_head(conn, new_id, ref, items)
            for item in files:
                conn.execute(insert(attachments).values(
                    incident_id=new_id, entry_uid=item.entry_uid, name=item.name,
                    media_type=item.media_type, size=item.size, sha256=item.sha256,
                    content=item.content))
            return IncidentRow(new_id, ref, number, profile, created_at, alias)

    def _record_imported_head(self, conn: Connection, incident_id: int, ref: str,
                              items: list[Entry]) -> None:
        """An imported incident's head (its chain was checked before this) and, where this
        database has a chain key, its entries sealed: from here on they are this database's."""
        last = items[-1]
        conn.execute(_INSERT_HEAD, {"iid": incident_id, "r": ref, "s": last.seq, "h": last.hash})
        key = self._key(conn)
        if key is None:
            return
        ids = dict(conn.execute(select(entries.c.seq, entries.c.id)
                                .where(entries.c.incident_id == incident_id)).all())
        marks = [{"eid": ids[e.seq], "v": seal(key.key, ref, e.seq, e.hash)} for e in items]
        for start in range(0, len(marks), 1000):
            conn.execute(_INSERT_SEAL, marks[start:start + 1000])

    # ----------------------------------------------------------------- presence
    def heartbeat(self, session: str, ref: str, author: str, host: str,
                  at: datetime | str) -> None:
        """Say that ``session`` has ``ref`` open now (insert or replace its one row). Call it
        every ~10 s while a screen is open; rows older than an hour are swept as it goes."""
        seen = _stamp(at)
        forget = format_time(parse_time(seen) - PRESENCE_FORGET_AFTER)

        def run() -> None:
            from sqlalchemy.dialects.postgresql import insert as pg_insert  # lazy: SQLite never needs it
            upsert = (pg_insert if self.dialect == "postgresql" else sqlite_insert)(presence)
            stmt = upsert.values(session=session, incident_ref=ref, author=author, host=host,
                                 seen_at=seen)
            stmt = stmt.on_conflict_do_update(index_elements=[presence.c.session], set_={
                "incident_ref": stmt.excluded.incident_ref, "author": stmt.excluded.author,
                "host": stmt.excluded.host, "seen_at": stmt.excluded.seen_at})
            with self._write() as conn:
                conn.execute(stmt)
                conn.execute(presence.delete().where(presence.c.seen_at < forget))
        self._guard(run)

    def present(self, ref: str, now: datetime | str,
                stale_after: timedelta | float = PRESENCE_STALE_AFTER) -> list[Presence]:
        """Who has ``ref`` open: sessions whose last heartbeat is within ``stale_after`` of
        ``now``, by author then host. One person in two terminals is two rows."""
        if not isinstance(stale_after, timedelta):
            stale_after = timedelta(seconds=stale_after)
        cutoff = format_time(parse_time(_stamp(now)) - stale_after)

        def run() -> list[Presence]:
            with self.engine.connect() as conn:
                rows = conn.execute(select(presence).where(
                    func.upper(presence.c.incident_ref) == ref.strip().upper(),
                    presence.c.seen_at >= cutoff,
                ).order_by(presence.c.author, presence.c.host, presence.c.session)).all()
            return [Presence(r.session, r.incident_ref, r.author, r.host, r.seen_at) for r in rows]
        return self._guard(run)

    def leave(self, session: str) -> None:
        """The session closed its screen: it is no longer present anywhere."""
        def run() -> None:
            with self._write() as conn:
                conn.execute(presence.delete().where(presence.c.session == session))
        self._guard(run)

    # ----------------------------------------------------------------- integrity
    def verify(self, ref: str) -> tuple[int, Entry | None, str]:
        """:meth:`check_chain` in brief: (entries intact before the first bad one, the first
        bad entry -- or the last one, when the problem is at the end -- or None, why it is bad
        or, when all is well, the recomputed head)."""
        found = self.check_chain(ref)
        if found.ok:
            return found.intact, None, found.head
        return found.intact, found.first_bad or self._last_or_none(ref), found.problem

    def _last_or_none(self, ref: str) -> Entry | None:
        last = self.last_seq(ref)
        return self.entry(ref, last) if last else None

    def recorded_head(self, ref: str) -> RecordedHead | None:
        """The incident's ``heads`` row (None: none recorded, or a database before schema 3)."""
        incident = self.incident(ref)
        if self.version < 3:
            return None

        def run() -> RecordedHead | None:
            with self.engine.connect() as conn:
                row = conn.execute(select(heads).where(heads.c.incident_id == incident.id)).first()
            return RecordedHead(row.ref, row.last_seq, row.head_hash) if row else None
        return self._guard(run)

    def _seals_of(self, ref: str) -> dict[int, str]:
        incident = self.incident(ref)
        if self.version < 3:
            return {}

        def run() -> dict[int, str]:
            with self.engine.connect() as conn:
                return dict(conn.execute(select(seals.c.entry_id, seals.c.seal).join(
                    entries, entries.c.id == seals.c.entry_id).where(
                    entries.c.incident_id == incident.id)).all())
        return self._guard(run)

    def check_chain(self, ref: str) -> ChainCheck:
        """Walk the hash chain, recomputing every hash (nothing stored is trusted), then compare
        the end with the recorded head and check every entry's seal where this database has a
        chain key.

        Caught by the chain: an entry changed, deleted, duplicated, reordered or inserted in
        the middle. By the recorded head: entries deleted from or forged onto the end, the
        incident's reference changed. By the seals: a chain re-hashed after an edit. Without
        a key, a re-hashed chain shows against a head recorded earlier (``--head``,
        ``--against``): today's chain no longer extends it."""
        incident = self.incident(ref)
        key = self.chain_key
        marks = self._seals_of(incident.ref)
        prev, before, count = GENESIS, GENESIS, 0
        last: Entry | None = None
        expected_seq, sealed, seen_seal = 1, 0, False

        def result(problem: str, bad: Entry | None, intact: int, *,
                   recorded: RecordedHead | None = None) -> ChainCheck:
            return ChainCheck(incident.ref, intact, bad, problem, last.seq if last else 0,
                              prev, recorded, seal_words, key is not None)

        if key is not None:
            seal_words = "seals checked with this database's chain key"
        elif marks:
            seal_words = (f"seals NOT checked: entries carry seals but this database's chain key "
                          f"is not here ({self.database_id}.key in the chain-keys folder)")
        else:
            seal_words = "seals not checked: no chain key for this database (warroom chain-key)"

        entries_iter = self.iter_entries(incident.ref)
        while True:
            for entry in entries_iter:
                if entry.seq < expected_seq:
                    return result(f"a second entry #{entry.seq} (added behind the app's back)",
                                  entry, count)
                if entry.seq != expected_seq:
                    return result(f"entry #{expected_seq} before it is missing (deleted behind "
                                  "the app's back)", entry, count)
                if entry.prev_hash != prev:
                    if last is not None and entry.prev_hash == before:
                        return result(f"it was inserted behind the app's back (entry "
                                      f"#{entry.seq} links past it to #{last.seq - 1})",
                                      last, count - 1)
                    return result("its link to the previous entry does not match (an entry was "
                                  "changed, reordered or replaced)", entry, count)
                digest = chain_hash(prev, entry)
                if digest != entry.hash:
                    return result("its contents do not match its hash (changed behind the "
                                  "app's back)", entry, count)
                bad_file = self._attachment_problem(incident.ref, entry)
                if bad_file:
                    return result(bad_file, entry, count)
                mark = marks.get(entry.id)
                if key is not None and mark is not None:
                    if not seal_matches(key.key, incident.ref, entry.seq, digest, mark):
                        return result("its seal does not match (changed and re-hashed behind the "
                                      "app's back, or its incident's reference changed)",
                                      entry, count)
                    sealed += 1
                elif key is not None and (seen_seal or entry.recorded_at >= key.created_at):
                    return result("it carries no seal, though written after the chain key was "
                                  "made (forged behind the app's back, or written by a warroom "
                                  "without this database's chain key)", entry, count)
                seen_seal = seen_seal or mark is not None
                before, prev, last = prev, digest, entry
                count, expected_seq = count + 1, expected_seq + 1
            if self.version < 3:
                seal_words = ("seals not checked: this database predates chain keys (schema "
                              f"{self.version})")
                return ChainCheck(incident.ref, count, None, "", count, prev, None,
                                  seal_words + "; its head was not recorded, so entries deleted "
                                  "from or added at the end cannot show", False)
            # Read after the walk: every entry the walk saw was committed with its head, so the
            # head is at least as far on; if further, an entry committed meanwhile (read on).
            recorded = self.recorded_head(incident.ref)
            if recorded is not None and recorded.seq > count:
                more = self.iter_entries(incident.ref, after=count)
                first = next(more, None)
                if first is not None:
                    entries_iter = itertools.chain([first], more)
                    continue
            break
        if key is not None:
            seal_words = (f"seals checked with this database's chain key: {sealed} of {count} "
                          "entries sealed" + (f" (the {count - sealed} before are older than the "
                                              "key)" if sealed < count else ""))
        if recorded is None:
            if count == 0:
                return result("", None, 0)
            return result("no chain head is recorded for it (removed behind the app's back)",
                          None, count)
        if recorded.ref != incident.ref:
            return result(f"its recorded chain head belongs to {recorded.ref}: the incident's "
                          "reference was changed behind the app's back", None, count,
                          recorded=recorded)
        if recorded.seq > count:
            return result(f"the chain ends at entry #{count} but its recorded head is entry "
                          f"#{recorded.seq} ({recorded.hash}): the last entries were deleted "
                          "behind the app's back", None, count, recorded=recorded)
        if recorded.seq < count:
            assert last is not None
            forged = self.entry(incident.ref, recorded.seq + 1)
            return ChainCheck(incident.ref, recorded.seq, forged,
                              f"it was added after the recorded chain head (entry "
                              f"#{recorded.seq}): forged onto the end behind the app's back",
                              last.seq, prev, recorded, seal_words, key is not None)
        if recorded.hash != prev:
            return result(f"the recorded chain head ({recorded.hash}) is not the chain's "
                          f"recomputed head (the chain was re-hashed or replaced behind the "
                          "app's back)", None, count, recorded=recorded)
        return result("", None, count, recorded=recorded)

    def seq_of_hash(self, ref: str, digest: str) -> int | None:
        """The number of the incident's entry whose stored hash is ``digest`` (None if none):
        once :meth:`check_chain` has recomputed every hash, where a head recorded earlier is."""
        incident = self.incident(ref)

        def run() -> int | None:
            with self.engine.connect() as conn:
                return conn.execute(select(entries.c.seq).where(
                    entries.c.incident_id == incident.id, entries.c.hash == digest)
                    .order_by(entries.c.seq).limit(1)).scalar()
        return self._guard(run)

    def _attachment_problem(self, ref: str, entry: Entry) -> str | None:
        """What is wrong with the file an entry links to (its SHA-256 is in the entry's data,
        under the chain): missing, or its bytes changed."""
        want = entry.data.get("sha256") if isinstance(entry.data, dict) else None
        if not isinstance(want, str) or not want:
            return None
        import hashlib

        name = str(entry.data.get("file") or "its attachment")
        found = self.attachment(ref, entry.uid, want)
        if found is None:
            return f"its attachment {name!r} is missing (removed behind the app's back)"
        if hashlib.sha256(found.content).hexdigest() != want:
            return (f"its attachment {name!r} does not match the SHA-256 the entry recorded "
                    "(its bytes were changed behind the app's back)")
        return None

    def backup(self, dest: Path | None = None, *, at: datetime | None = None) -> Path:
        """A consistent copy of a live SQLite database (the online backup API), mode 0600.
        Without ``dest``: next to the database, named after it and the local time ``at``."""
        from warroom.store.backup import backup

        return backup(self, dest, at=at)


# The hot path's statements, built once (building a Core statement per note costs more than
# executing it).
_SELECT_ENTRIES_V3 = select(*[c for c in entries.c if c.name != "db_role"])
"""Entries of a database older than schema 4 (a read-only viewer cannot add the column)."""
_BY_UID = select(entries).where(entries.c.uid == bindparam("uid"))
_BY_UID_V3 = _SELECT_ENTRIES_V3.where(entries.c.uid == bindparam("uid"))
_LAST_OF_INCIDENT = (select(entries.c.seq, entries.c.hash)
                     .where(entries.c.incident_id == bindparam("iid"))
                     .order_by(entries.c.seq.desc()).limit(1))
_INSERT_ENTRY = insert(entries).returning(entries.c.id, entries.c.db_role)
_INSERT_HEAD = insert(heads).values(incident_id=bindparam("iid"), ref=bindparam("r"),
                                    last_seq=bindparam("s"), head_hash=bindparam("h"))
_MOVE_HEAD = (heads.update().where(heads.c.incident_id == bindparam("iid"))
              .values(last_seq=bindparam("s"), head_hash=bindparam("h")))
_INSERT_SEAL = insert(seals).values(entry_id=bindparam("eid"), seal=bindparam("v"))
_NEW_OF_INCIDENT = (select(entries).where(entries.c.incident_id == bindparam("iid"),
                                          entries.c.seq > bindparam("after"))
                    .order_by(entries.c.seq))
_NEW_OF_INCIDENT_V3 = (_SELECT_ENTRIES_V3.where(entries.c.incident_id == bindparam("iid"),
                                                entries.c.seq > bindparam("after"))
                       .order_by(entries.c.seq))


class _WriteTx:
    """A write transaction: ``BEGIN IMMEDIATE`` on SQLite (take the write lock up front, so the
    busy timeout applies and two writers never read the same last number), plain BEGIN elsewhere.
    On a SQLite file, the files are checked again after COMMIT: a save into a deleted or replaced
    file is never acknowledged (:class:`FileWatch`)."""

    def __init__(self, engine: Engine, files: "FileWatch | None" = None) -> None:
        self.engine = engine
        self.files = files

    def __enter__(self) -> Connection:
        self.conn = self.engine.connect()
        try:
            if self.engine.dialect.name == "sqlite":
                self.conn = self.conn.execution_options(warroom_begin="IMMEDIATE")
            self.tx = self.conn.begin()
        except BaseException:
            self.conn.close()  # BEGIN IMMEDIATE timed out (busy): give the connection back
            raise
        return self.conn

    def __exit__(self, exc_type: Any, *rest: Any) -> None:
        try:
            if exc_type is None:
                self.tx.commit()
                if self.files is not None:
                    self.files.check(committed=True)
            else:
                self.tx.rollback()
        finally:
            self.conn.close()


_PASSING = {"the server is starting up", "the server is shutting down",
            "the server is recovering", "connection refused"}
"""Causes that pass by themselves within moments (a restart under way)."""


def _sqlite_engine(path: Path, *, readonly: bool, uri: str | None = None,
                   busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Engine:
    uri = uri or f"file:{quote(str(path))}" + ("?mode=ro" if readonly else "")

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(uri, uri=True, timeout=busy_timeout_ms / 1000,
                               check_same_thread=False, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=FULL")
        return conn

    engine = create_engine("sqlite://", creator=connect, poolclass=QueuePool)

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("warroom_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _ensure_pg_triggers(conn: Connection) -> None:
    """A database made by an older warroom (or a copy restored without its triggers) gets the
    missing ones. Best effort: a user without CREATE still works; the feed then polls."""
    wanted = sum(len(names) for names in schema.POSTGRES_TRIGGER_NAMES.values())
    found = sum(conn.execute(text(
        "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND "
        "tgrelid = to_regclass(:t) AND tgname = ANY(:n)"),
        {"t": table, "n": list(names)}).scalar() or 0
        for table, names in schema.POSTGRES_TRIGGER_NAMES.items())
    if found == wanted:
        return
    try:
        with conn.begin_nested():
            for ddl in schema.POSTGRES_TRIGGERS:
                conn.exec_driver_sql(ddl)
    except DBAPIError:
        pass


def row_to_entry(ref: str, row: Any) -> Entry:
    """An entry from a row of ``entries`` with its columns in table order (``select(entries)``,
    the feed's ``_SELECT_NEW``): unpacked by position, which is several times cheaper than
    looking each column up by name, and an incident export reads every row. A row of a
    database older than schema 4 has no ``db_role``."""
    (id_, _incident_id, seq, uid, kind, author, host, session, occurred_at, recorded_at, text,
     data, amends, prev_hash, digest, *role) = row
    return stored_entry(ref, seq, uid, kind, author, occurred_at, recorded_at, text,
                        json.loads(data) if data and data != "{}" else {}, amends, host,
                        session, prev_hash, digest, id_, role[0] if role else "")


def _ref_prefix(ref: str) -> str:
    """What a new reference for an imported one starts with: its letters (``OPS-3`` → OPS)."""
    import re

    match = re.match(r"([A-Za-z][A-Za-z0-9]*)-[0-9]+\Z", ref)
    return match.group(1).upper() if match else "INC"


def os_user() -> str:
    """The operating-system user this process runs as (from the password database, not from
    the environment, which anyone can set)."""
    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError, AttributeError):
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else os.environ.get("USERNAME", "")


def _new_database_id() -> str:
    import uuid

    return uuid.uuid4().hex


def _stamp(at: datetime | str) -> str:
    return format_time(at if isinstance(at, datetime) else parse_time(at))


