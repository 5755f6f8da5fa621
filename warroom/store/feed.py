"""The change feed: how an open screen learns of entries written by any other process.

``ChangeFeed.poll()`` never blocks and is cheap when nothing changed:

- **SQLite** (mode ``"probe"``): it asks ``PRAGMA data_version`` on a connection of its own,
  in autocommit mode, so no read transaction is ever held between polls (a checkpoint can
  always run). Only when that number moves does it read the new entries (``seq > last seen``).
- **PostgreSQL** (mode ``"listen"``): a trigger NOTIFYs ``warroom_entries`` with the incident's
  reference at every commit that adds entries, whoever wrote them; the store's one pooled
  connection LISTENs (:mod:`warroom.store.listen`: reads, writes and LISTEN share it), and the
  feed reads only when its incident was named (and, as a safety net, every
  :data:`RECHECK_AFTER` seconds).
- Without LISTEN (mode ``"poll"``: behind a pooler in transaction mode, on a hot standby, a
  database without the trigger, or while the connection is being replaced), every poll reads
  the entries above the high-water ``seq``: one indexed query in autocommit, no transaction,
  no prepared statement, no session state. The pool's next connection LISTENs again by itself.

Ordering: entries are delivered in ``seq`` order, each once, with no gaps. That relies on
per-incident numbers committing in order: SQLite has one writer at a time (``BEGIN
IMMEDIATE``), and on PostgreSQL the incident's row lock is held from numbering to commit.

Two ways to drive it (both thread-safe, and they can be mixed):

- call :meth:`ChangeFeed.poll` every :data:`DEFAULT_INTERVAL` seconds, and right after saving
  an entry;
- or run :meth:`ChangeFeed.wait` (or :meth:`poll` then :meth:`block`) in a loop on one
  long-lived background thread: it returns as soon as there are new entries (at once on a
  NOTIFY; within ``interval`` otherwise) or when the timeout passes, and
  :meth:`ChangeFeed.close` wakes it up at once. How the app follows an incident.
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
from warroom.store.store import Store

DEFAULT_INTERVAL = 0.5
"""How often an open screen should poll, in seconds (and wait()'s step when it cannot LISTEN):
within a second for everyone, and 200 watchers behind a transaction pooler cost the server
half of what they would at 250 ms (bench/many_feeds.py)."""
RECHECK_AFTER = 5.0
"""LISTEN mode: read anyway after this many seconds without a notification (a safety net)."""

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
        self._lock = threading.Lock()        # guards reads
        self._wait_lock = threading.Lock()   # held by wait() while it blocks in select
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._closed = False
        self._probe: sqlite3.Connection | None = None
        self._version: int | None = None
        self._notices = store.notices if listen and store.dialect == "postgresql" else None
        self._heard = (-1, -1)               # (generation, count) of the notices last read at
        self._dirty = True                   # read at the first poll, whatever the probe says
        self._writes = store.writes          # our own saves, as of the last read
        # A read-only viewer of a file in a read-only folder: nobody can write it; read once.
        self._static = bool(getattr(store, "viewing", ""))
        self._last_read = 0.0
        if store.path is not None and not self._static:
            try:
                self._probe = sqlite3.connect(f"file:{quote(str(store.path))}?mode=ro", uri=True,
                                              timeout=store.busy_timeout_ms / 1000,
                                              check_same_thread=False, isolation_level=None)
            except sqlite3.Error as exc:
                raise store.translate_error(exc) from None
        elif store.dialect == "postgresql":
            if not listen:
                self.listen_error = "not listening (asked to poll)"
            elif self._notices is None:
                self.listen_error = (f"behind a pooler in {store.pool_mode} mode, where LISTEN "
                                     "cannot work" if store.pool_mode else "LISTEN unavailable")
            elif not store.has_notify_trigger():
                # An older schema its user may not change: nothing would ever be NOTIFYed.
                self._notices = None
                self.listen_error = "no entries_notify trigger in this database"

    # ------------------------------------------------------------------ public
    @property
    def mode(self) -> str:
        """``"probe"`` (SQLite), ``"listen"`` (PostgreSQL NOTIFY), ``"poll"`` (fallback), or
        ``"static"`` (a read-only view of a file nobody can write)."""
        if self._static:
            return "static"
        if self._probe is not None:
            return "probe"
        return "listen" if self._notices is not None and self._notices.listening else "poll"

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
            notices = self._notices
            if notices is not None:
                notices.drain()
                if notices.listening:
                    self.listen_error = None
                    heard = (notices.generation, notices.count(self.ref))
                    own = self.store.writes != self._writes  # we just saved: read, do not wait
                    if heard != self._heard or own or self._dirty or \
                            time.monotonic() - self._last_read >= RECHECK_AFTER:
                        self._heard = heard  # before reading: a NOTIFY meanwhile reads again
                        return self._read()
                    return []
                self.listen_error = notices.error or "the LISTEN connection was lost"
                self._heard = (-1, -1)  # read once more when it listens again
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
        fresh = self.store.new_entries(self._row, after=self.last_seq)
        if fresh:
            self.last_seq = fresh[-1].seq
        self._dirty = False
        self._last_read = time.monotonic()
        return fresh

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

    def _block(self, remaining: float) -> None:
        """Sleep until woken, a notification arrives, or the next check is due."""
        with self._wait_lock:
            if self._closed:
                return
            fds: list[Any] = [self._wake_r]
            notices = self._notices
            if notices is not None and notices.listening:
                fds.extend(notices.fds())
                due = RECHECK_AFTER - (time.monotonic() - self._last_read)
                step = min(remaining, max(due, 0.0) + 0.001)
            else:
                step = min(remaining, self.interval)
            try:
                select.select(fds, [], [], step)
            except (OSError, ValueError):  # a connection closed under us: its fd is gone
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


__all__ = ["ChangeFeed", "DEFAULT_INTERVAL", "RECHECK_AFTER"]
