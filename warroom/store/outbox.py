"""The offline outbox: entries kept on this machine while the team database cannot take them.

When a PostgreSQL store cannot be reached (or has no connection free), an entry is written
here instead, durably (SQLite in the user data folder, mode 0600, WAL, ``synchronous=FULL``:
fsynced before the caller is told), with everything the server needs to record it as typed:
its uid, kind, author, the time it was typed. Whatever warroom process of this user next
reaches that database delivers the outbox, oldest first, one entry at a time; the server
numbers and chains each as usual. The uid makes delivery idempotent: an entry whose commit
went through but whose removal from here did not (a kill -9 in between) is found by its uid
and not written twice. One process delivers at a time (a lock file beside the outbox).

Entries are kept per database (its URL without the password) and incident reference.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import stat
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from warroom.base.model import Attachment, Draft

_SCHEMA = """
CREATE TABLE IF NOT EXISTS waiting (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    db TEXT NOT NULL,
    ref TEXT NOT NULL,
    uid TEXT NOT NULL UNIQUE,
    draft TEXT NOT NULL,
    queued_at REAL NOT NULL,
    problem TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS waiting_db ON waiting (db, id);
CREATE TABLE IF NOT EXISTS files (
    uid TEXT NOT NULL,
    pos INTEGER NOT NULL,
    name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    content BLOB NOT NULL,
    PRIMARY KEY (uid, pos)
);
CREATE TABLE IF NOT EXISTS known (
    db TEXT NOT NULL,
    ref TEXT NOT NULL,
    id INTEGER NOT NULL,
    number INTEGER,
    profile TEXT NOT NULL,
    created_at TEXT NOT NULL,
    used_at REAL NOT NULL,
    PRIMARY KEY (db, ref)
);
"""


@dataclass(frozen=True)
class Waiting:
    """One entry in the outbox."""

    id: int
    db: str
    ref: str
    draft: Draft
    files: tuple[Attachment, ...]
    queued_at: float
    problem: str = ""
    """Why it could not be delivered when the database was reachable (an incident that is not
    there): such an entry stays, listed, and blocks nothing."""


MIN_UID_PREFIX = 8
"""The shortest start of a uid that ``warroom outbox --drop`` takes."""


def outbox_path() -> Path:
    from warroom.locations import data_dir

    return data_dir() / "outbox.db"


class Outbox:
    """The outbox file. Safe to share between threads; any number of processes may use it."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or outbox_path()
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None

    # ------------------------------------------------------------------ the file
    def exists(self) -> bool:
        return self.path.exists()

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            from warroom.base.files import make_private_dirs

            folder = self.path.parent
            if not folder.exists():
                make_private_dirs(folder)
            # Never open and close the file itself once it exists: closing any descriptor of
            # it drops every POSIX lock this process's SQLite connections hold on it, and the
            # next process to close its last connection then deletes the -wal under them
            # ("disk I/O error"). Create it 0600 only when absent; chmod by path.
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
            except FileExistsError:
                if stat.S_IMODE(os.stat(self.path).st_mode) != 0o600:
                    os.chmod(self.path, 0o600)
            else:
                os.close(fd)
            conn = sqlite3.connect(str(self.path), timeout=30, isolation_level=None,
                                   check_same_thread=False)
            # One process at a time sets up the file (a new, empty outbox opened by two apps
            # and a command at once: switching it to WAL while another writes its schema fails).
            init = os.open(f"{self.path}.init", os.O_CREAT | os.O_RDWR, 0o600)
            try:
                fcntl.flock(init, fcntl.LOCK_EX)
                conn.execute("PRAGMA busy_timeout=30000")
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=FULL")
                conn.executescript(_SCHEMA)
            finally:
                fcntl.flock(init, fcntl.LOCK_UN)
                os.close(init)
            for suffix in ("-wal", "-shm"):
                side = Path(f"{self.path}{suffix}")
                if side.exists():
                    os.chmod(side, 0o600)
            self._conn = conn
        return self._conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # ------------------------------------------------------------------ entries
    def put(self, db: str, ref: str, draft: Draft, files: tuple[Attachment, ...] = ()) -> int:
        """Keep one entry (durable when this returns); the number now waiting for ``db``."""
        body = json.dumps({"uid": draft.uid, "kind": draft.kind, "author": draft.author,
                           "host": draft.host, "session": draft.session,
                           "occurred_at": draft.occurred_at, "recorded_at": draft.recorded_at,
                           "text": draft.text, "data": draft.data, "amends": draft.amends},
                          ensure_ascii=False)
        with self._lock:
            conn = self._db()
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute("INSERT OR IGNORE INTO waiting (db, ref, uid, draft, queued_at) "
                             "VALUES (?, ?, ?, ?, ?)", (db, ref, draft.uid, body, time.time()))
                for pos, item in enumerate(files):
                    conn.execute("INSERT OR IGNORE INTO files VALUES (?, ?, ?, ?, ?, ?)",
                                 (draft.uid, pos, item.name, item.media_type, item.sha256,
                                  item.content))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            return self.count(db)

    def count(self, db: str | None = None) -> int:
        if not self.exists():
            return 0
        with self._lock:
            conn = self._db()
            if db is None:
                return conn.execute("SELECT count(*) FROM waiting").fetchone()[0]
            return conn.execute("SELECT count(*) FROM waiting WHERE db = ? AND problem = ''",
                                (db,)).fetchone()[0]

    def waiting(self, db: str | None = None, *, stuck: bool = True) -> list[Waiting]:
        """Entries kept, oldest first (for ``db`` only, if given; without the ones that could
        not be delivered unless ``stuck``)."""
        if not self.exists():
            return []
        with self._lock:
            conn = self._db()
            where, args = [], []
            if db is not None:
                where.append("db = ?")
                args.append(db)
            if not stuck:
                where.append("problem = ''")
            sql = ("SELECT id, db, ref, uid, draft, queued_at, problem FROM waiting"
                   + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id")
            rows = conn.execute(sql, args).fetchall()
            out = []
            for id_, db_, ref, uid, body, queued_at, problem in rows:
                d = json.loads(body)
                files = tuple(Attachment(name, media, bytes(content), sha, uid) for
                              name, media, sha, content in conn.execute(
                                  "SELECT name, media_type, sha256, content FROM files "
                                  "WHERE uid = ? ORDER BY pos", (uid,)))
                out.append(Waiting(id_, db_, ref, Draft(**d), files, queued_at, problem))
            return out

    def delivered(self, item: Waiting) -> None:
        with self._lock:
            conn = self._db()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("DELETE FROM waiting WHERE id = ?", (item.id,))
            conn.execute("DELETE FROM files WHERE uid = ?", (item.draft.uid,))
            conn.execute("COMMIT")

    def undeliverable(self, item: Waiting, problem: str) -> None:
        with self._lock:
            self._db().execute("UPDATE waiting SET problem = ? WHERE id = ?",
                               (problem or "refused", item.id))

    def drop(self, uids: list[str]) -> list[Waiting]:
        """Take entries out of the outbox for good, named by uid or a unique start of one
        (at least :data:`MIN_UID_PREFIX` characters), all or none; returns them as they
        were, for the caller to show. ``LookupError`` (its message one line) names the first
        that matches no entry, or more than one."""
        items = self.waiting()
        chosen: dict[int, Waiting] = {}
        for given in uids:
            key = given.strip().lower()
            if len(key) < MIN_UID_PREFIX:
                raise LookupError(f"{given!r}: give at least {MIN_UID_PREFIX} characters of "
                                  "the entry's uid (warroom outbox lists them)")
            found = [i for i in items if i.draft.uid.lower().startswith(key)]
            if not found:
                raise LookupError(f"{given!r}: no entry in the outbox has that uid")
            if len(found) > 1:
                raise LookupError(f"{given!r}: {len(found)} entries in the outbox have uids "
                                  "starting so; give more of it")
            chosen[found[0].id] = found[0]
        with self._lock:
            conn = self._db()
            conn.execute("BEGIN IMMEDIATE")
            try:
                for item in chosen.values():
                    conn.execute("DELETE FROM waiting WHERE id = ?", (item.id,))
                    conn.execute("DELETE FROM files WHERE uid = ?", (item.draft.uid,))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return sorted(chosen.values(), key=lambda item: item.id)

    # ------------------------------------------------------------------ incidents seen
    def remember(self, db: str, ref: str, id_: int, number: int | None, profile: str,
                 created_at: str) -> None:
        """An incident this user used on ``db``: named offline, it is recognised."""
        with self._lock:
            self._db().execute("INSERT OR REPLACE INTO known VALUES (?, ?, ?, ?, ?, ?, ?)",
                               (db, ref.upper(), id_, number, profile, created_at, time.time()))

    def known(self, db: str, ref: str) -> tuple[str, int, int | None, str, str] | None:
        if not self.exists():
            return None
        with self._lock:
            row = self._db().execute("SELECT ref, id, number, profile, created_at FROM known "
                                     "WHERE db = ? AND ref = ?",
                                     (db, ref.strip().upper())).fetchone()
        return (row[0], row[1], row[2], row[3], row[4]) if row else None

    def last_ref(self, db: str) -> str | None:
        """The incident most recently used on ``db`` from here (a note without --incident)."""
        if not self.exists():
            return None
        with self._lock:
            row = self._db().execute("SELECT ref FROM known WHERE db = ? ORDER BY used_at DESC "
                                     "LIMIT 1", (db,)).fetchone()
        return row[0] if row else None

    # ------------------------------------------------------------------ one deliverer
    def delivering(self, timeout: float) -> "_FileLock":
        """Hold the delivery lock (at most ``timeout`` seconds to get it); ``.held`` says."""
        return _FileLock(Path(f"{self.path}.lock"), timeout)


class _FileLock:
    def __init__(self, path: Path, timeout: float) -> None:
        self.path, self.timeout, self.held = path, timeout, False
        self._fd = -1

    def __enter__(self) -> "_FileLock":
        from warroom.base.files import make_private_dirs

        if not self.path.parent.exists():
            make_private_dirs(self.path.parent)
        self._fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self.held = True
                return self
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return self
                time.sleep(0.02)

    def __exit__(self, *exc: Any) -> None:
        if self._fd >= 0:
            if self.held:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = -1


def db_key(url: str) -> str:
    """Which database an entry waits for: its URL without password or warroom's options."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
        parsed = parsed.set(password=None).difference_update_query(
            ["pool_mode", "timeout", "connect_timeout"])
        return parsed.render_as_string(hide_password=True)
    except Exception:
        from warroom.base.urls import redact_url

        return redact_url(url)


def iter_all(outbox: Outbox) -> Iterator[Waiting]:
    yield from outbox.waiting()
