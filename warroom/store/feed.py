"""The change feed: how an open screen learns of entries written by any other process.

``ChangeFeed.poll()`` never blocks and is cheap when nothing changed:

- **SQLite** (mode ``"probe"``): it asks ``PRAGMA data_version`` on a connection of its own,
  in autocommit mode, so no read transaction is ever held between polls (a checkpoint can
  always run). Only when that number moves does it read the new entries (``seq > last seen``).
- **PostgreSQL** (mode ``"listen"``): a trigger NOTIFYs ``warroom_entries`` with the incident's
  reference at every commit that adds entries, whoever wrote them; the feed LISTENs on a
  dedicated psycopg connection and reads only when its incident was named (and, as a safety
  net, every :data:`RECHECK_AFTER` seconds).
- If LISTEN is unavailable or the connection breaks (mode ``"poll"``), every poll reads the
  entries above the high-water ``seq`` (one indexed query), and the feed tries to LISTEN again
  every :data:`RETRY_AFTER` seconds.

Ordering: entries are delivered in ``seq`` order, each once, with no gaps. That relies on
per-incident numbers committing in order: SQLite has one writer at a time (``BEGIN
IMMEDIATE``), and on PostgreSQL the incident's row lock is held from numbering to commit.

Two ways to drive it (both thread-safe, and they can be mixed):

- call :meth:`ChangeFeed.poll` every :data:`DEFAULT_INTERVAL` seconds (e.g. from a timer, in a
  worker thread), and right after saving an entry;
- or run :meth:`ChangeFeed.wait` in a loop on a background thread: it returns as soon as there
  are new entries (at once on a NOTIFY; within ``interval`` on SQLite) or when the timeout
  passes, and :meth:`ChangeFeed.close` wakes it up at once.
"""

from __future__ import annotations

import select
import socket
import sqlite3
import threading
import time
from typing import Any
from urllib.parse import quote

from warroom.base.model import Entry
from warroom.store.schema import NOTIFY_CHANNEL, entries
from warroom.store.store import Store, row_to_entry

DEFAULT_INTERVAL = 0.25
"""How often an open screen should poll, in seconds (and wait()'s step when it cannot LISTEN)."""
RECHECK_AFTER = 5.0
"""LISTEN mode: read anyway after this many seconds without a notification (a safety net)."""
RETRY_AFTER = 5.0
"""Poll mode on PostgreSQL: try to LISTEN again after this many seconds."""

_SELECT_NEW = ("SELECT " + ", ".join(f'"{c.name}"' for c in entries.c) +
               " FROM entries WHERE incident_id = %s AND seq > %s ORDER BY seq")


class ChangeFeed:
    """New entries of one incident, in order, each delivered once.

    A screen shows entries only as the feed delivers them, its own included (poll right after a
    save): applying its own entry directly could put it before a lower-numbered entry another
    process committed a moment earlier."""

    def __init__(self, store: Store, ref: str, after: int = 0, *,
                 interval: float = DEFAULT_INTERVAL, listen: bool = True) -> None:
        self.store = store
        self._row = store.incident(ref)
        self.ref, self.last_seq, self.interval = self._row.ref, after, interval
        self.listen_error: str | None = None
        """Why the feed is polling instead of listening (PostgreSQL), for a status line."""
        self._lock = threading.Lock()        # guards reads and the connections
        self._wait_lock = threading.Lock()   # held by wait() while it blocks in select
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._closed = False
        self._probe: sqlite3.Connection | None = None
        self._version: int | None = None
        self._listener: Any = None           # a psycopg.Connection in autocommit, LISTENing
        self._can_listen = listen and store.dialect == "postgresql"
        self._dirty = True                   # read at the first poll, whatever the probe says
        self._hit = False                    # a NOTIFY for us arrived during a query
        self._writes = store.writes          # our own saves, as of the last read
        # A read-only viewer of a file in a read-only folder: nobody can write it; read once.
        self._static = bool(getattr(store, "viewing", ""))
        self._last_read = 0.0
        self._next_retry = 0.0
        if store.path is not None and not self._static:
            try:
                self._probe = sqlite3.connect(f"file:{quote(str(store.path))}?mode=ro", uri=True,
                                              timeout=store.busy_timeout_ms / 1000,
                                              check_same_thread=False, isolation_level=None)
            except sqlite3.Error as exc:
                raise store.translate_error(exc) from None
        elif self._can_listen:
            self._connect_listener()

    # ------------------------------------------------------------------ public
    @property
    def mode(self) -> str:
        """``"probe"`` (SQLite), ``"listen"`` (PostgreSQL NOTIFY), ``"poll"`` (fallback), or
        ``"static"`` (a read-only view of a file nobody can write)."""
        if self._static:
            return "static"
        if self._probe is not None:
            return "probe"
        return "listen" if self._listener is not None else "poll"

    def poll(self) -> list[Entry]:
        """Entries with ``seq`` above the last one seen. Never blocks on other writers; safe to
        call from any thread. Raises :class:`~warroom.base.errors.StoreError` if the database cannot
        be read (nothing is skipped: the next poll tries again)."""
        with self._lock:
            if self._closed:
                return []
            if self._static:
                return self._read() if self._dirty else []
            if self._probe is not None:
                return self._poll_sqlite()
            if self._listener is not None:
                own = self.store.writes != self._writes  # we just saved: read, do not wait
                if self._notified() or own or self._dirty or \
                        time.monotonic() - self._last_read >= RECHECK_AFTER:
                    return self._read()
                return []
            if self._can_listen and time.monotonic() >= self._next_retry:
                self._connect_listener()
            return self._read()

    def wait(self, timeout: float) -> list[Entry]:
        """Block until there are new entries (and return them) or ``timeout`` seconds pass
        (and return ``[]``). For a background thread; :meth:`close` ends a wait at once."""
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            fresh = self.poll()
            if fresh or self._closed:
                return fresh
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            self._block(remaining)

    def block(self, timeout: float | None = None) -> None:
        """Sleep until something may have changed (a NOTIFY arrived on PostgreSQL), or
        :meth:`close` was called, or ``timeout`` seconds passed (default
        :data:`RECHECK_AFTER`; without LISTEN: at most ``interval``). Reads nothing: pair it
        with :meth:`poll` in a loop on a background thread when the caller wants to deliver
        what poll returns itself."""
        self._block(RECHECK_AFTER if timeout is None else timeout)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._wake()
            with self._wait_lock:
                if self._probe is not None:
                    self._probe.close()
                    self._probe = None
                self._close_listener()
                self._wake_r.close()
                self._wake_w.close()

    def __enter__(self) -> "ChangeFeed":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ internals
    def _read(self) -> list[Entry]:
        self._dirty = True  # stays set if the read fails: the next poll reads again
        self._writes = self.store.writes
        fresh = self._read_listening() if self._listener is not None else \
            self.store.entries_of(self._row, after=self.last_seq)
        if fresh:
            self.last_seq = fresh[-1].seq
        self._dirty = False
        self._last_read = time.monotonic()
        return fresh

    def _read_listening(self) -> list[Entry]:
        """Read on the LISTEN connection itself: autocommit, so one round trip (a pooled
        connection costs four: ping, BEGIN, SELECT, ROLLBACK), which is what a team on a
        distant server feels. A notification that arrives meanwhile is kept by _on_notify."""
        import psycopg

        try:
            rows = self._listener.execute(_SELECT_NEW, (self._row.id, self.last_seq)).fetchall()
        except psycopg.Error as exc:
            self._lost_listener(exc)
            return self.store.entries_of(self._row, after=self.last_seq)
        return [row_to_entry(self.ref, row) for row in rows]

    def _on_notify(self, note: Any) -> None:
        if note.payload == self.ref:
            self._hit = True

    def _poll_sqlite(self) -> list[Entry]:
        assert self._probe is not None
        try:
            version = self._probe.execute("PRAGMA data_version").fetchone()[0]
        except sqlite3.Error as exc:
            raise self.store.translate_error(exc) from None
        if version == self._version and not self._dirty:
            return []
        fresh = self._read()
        self._version = version  # only once read: a failed read is retried next poll
        return fresh

    def _notified(self) -> bool:
        """Drain pending notifications without blocking; True if one named our incident (or the
        connection broke, so that the caller reads what it may have missed)."""
        import psycopg

        pgconn = self._listener.pgconn
        try:
            pgconn.consume_input()
        except psycopg.Error as exc:
            self._lost_listener(exc)
            return True
        if pgconn.status != psycopg.pq.ConnStatus.OK:
            self._lost_listener(None)
            return True
        hit, self._hit = self._hit, False
        while (note := pgconn.notifies()) is not None:
            if note.extra.decode("utf-8", "replace") == self.ref:
                hit = True
        return hit

    def _connect_listener(self) -> None:
        """Open the dedicated LISTEN connection (psycopg, autocommit); on failure poll instead."""
        try:
            import psycopg
            from psycopg.rows import namedtuple_row

            url = self.store.engine.url
            cargs, params = self.store.engine.dialect.create_connect_args(url)
            params.pop("context", None)
            params.setdefault("connect_timeout", 5)
            params.setdefault("application_name", "warroom-feed")
            for key, value in (("keepalives", 1), ("keepalives_idle", 30),
                               ("keepalives_interval", 10), ("keepalives_count", 3)):
                params.setdefault(key, value)
            conn = psycopg.connect(*cargs, autocommit=True, row_factory=namedtuple_row, **params)
            try:
                trigger = conn.execute(
                    "SELECT 1 FROM pg_trigger WHERE tgname = 'entries_notify' "
                    "AND tgrelid = to_regclass('entries')").fetchone()
                if trigger is None:
                    # An older schema its user may not change: nothing would ever be NOTIFYed.
                    self._can_listen = False
                    self.listen_error = "no entries_notify trigger in this database"
                    conn.close()
                    return
                conn.add_notify_handler(self._on_notify)
                conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
            except BaseException:
                conn.close()
                raise
        except Exception as exc:  # psycopg.Error, OSError, ImportError: all mean "poll"
            self.listen_error = _one_line(exc)
            self._next_retry = time.monotonic() + RETRY_AFTER
            return
        self._listener, self.listen_error = conn, None
        self._dirty = True  # anything committed before LISTEN took effect: read it once

    def _lost_listener(self, exc: BaseException | None) -> None:
        self.listen_error = _one_line(exc) if exc else "the LISTEN connection was closed"
        self._next_retry = time.monotonic() + RETRY_AFTER
        self._dirty = True
        self._wake()
        with self._wait_lock:  # a waiter may be in select() on this connection's socket
            self._close_listener()

    def _close_listener(self) -> None:
        if self._listener is not None:
            try:
                self._listener.close()
            except Exception:
                pass
            self._listener = None

    def _block(self, remaining: float) -> None:
        """Sleep until woken, a notification arrives, or the next check is due."""
        with self._wait_lock:
            if self._closed:
                return
            fds: list[Any] = [self._wake_r]
            if self._listener is not None:
                fds.append(self._listener.fileno())
                due = RECHECK_AFTER - (time.monotonic() - self._last_read)
                step = min(remaining, max(due, 0.0) + 0.001)
            else:
                step = min(remaining, self.interval)
            try:
                select.select(fds, [], [], step)
            except (OSError, ValueError):
                time.sleep(min(step, self.interval))
            try:
                while self._wake_r.recv(512):
                    pass
            except (BlockingIOError, OSError):
                pass

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


__all__ = ["ChangeFeed", "DEFAULT_INTERVAL", "RECHECK_AFTER", "RETRY_AFTER"]
