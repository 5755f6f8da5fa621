"""The change feed: how an open screen learns of entries written by any other process.

``ChangeFeed.poll()`` is cheap when nothing changed: on SQLite it first asks
``PRAGMA data_version`` on a connection it keeps (no read transaction is held between polls);
only when that moves does it read the new entries (``seq > last seen``).
"""

from __future__ import annotations

import sqlite3
import threading
from urllib.parse import quote

from warroom.core.model import Entry
from warroom.store.store import BUSY_TIMEOUT_MS, Store


class ChangeFeed:
    """New entries of one incident, in order, each delivered once.

    A screen shows entries only as the feed delivers them, its own included (poll right after a
    save): applying its own entry directly could put it before a lower-numbered entry another
    process committed a moment earlier."""

    def __init__(self, store: Store, ref: str, after: int = 0) -> None:
        self.store, self.ref, self.last_seq = store, ref, after
        self._lock = threading.Lock()
        self._probe: sqlite3.Connection | None = None
        self._version: int | None = None
        if store.path is not None:
            self._probe = sqlite3.connect(f"file:{quote(str(store.path))}?mode=ro", uri=True,
                                          timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False,
                                          isolation_level=None)

    def _changed(self) -> bool:
        if self._probe is None:
            return True
        version = self._probe.execute("PRAGMA data_version").fetchone()[0]
        changed = version != self._version
        self._version = version
        return changed

    def poll(self) -> list[Entry]:
        """Entries with ``seq`` above the last one seen (thread-safe; call from a worker)."""
        with self._lock:
            if not self._changed():
                return []
            fresh = self.store.entries(self.ref, after=self.last_seq)
            if fresh:
                self.last_seq = fresh[-1].seq
            return fresh

    def close(self) -> None:
        if self._probe is not None:
            self._probe.close()
            self._probe = None
