"""PostgreSQL LISTEN on the store's own pooled connection: one connection per open screen.

The store's pool keeps one connection (``pool_size=1``). When it connects, it LISTENs on
:data:`~warroom.store.schema.NOTIFY_CHANNEL` (committed at once, so nothing of a transaction is
left behind). psycopg then hands each NOTIFY to :meth:`Notices._on_notify`, whichever thread
happens to be using the connection (a write, a read, the pool's ping); while the connection
sits idle in the pool, the change feed's follower thread ``select()``\\ s on its socket and
drains it with :meth:`Notices.drain` under the connection's own lock. So reads, writes and
LISTEN share one connection, and a second one only exists for the moment two threads need the
database at once (the pool's overflow, closed when given back).

Not used behind a pooler in transaction mode (``pool_mode=transaction`` in the URL): there a
LISTEN would sit on a server connection other clients get next, so the feed polls instead.
"""

from __future__ import annotations

import threading
from typing import Any

from warroom.store.schema import NOTIFY_CHANNEL

BUSY_WAIT = 0.05
"""How long :meth:`Notices.drain` waits for a connection another thread is querying on (that
thread reads the notifications itself meanwhile)."""


class Notices:
    """Which incidents were NOTIFYed, counted, for every feed on one store."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._conns: list[Any] = []   # psycopg connections that LISTEN, alive as far as we know
        self._counts: dict[str, int] = {}
        self.generation = 0
        """Bumped when a listening connection is gained or lost: a feed then reads once
        (what was committed while nobody listened)."""
        self.error: str | None = None
        """Why the last LISTEN failed (a hot standby, a user without the right), or None."""

    # ------------------------------------------------------------------ pool events
    def on_connect(self, dbapi_conn: Any, _record: Any) -> None:
        try:
            dbapi_conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
            dbapi_conn.commit()
        except Exception as exc:  # psycopg.Error: a standby, a pooler refusing it...
            try:
                dbapi_conn.rollback()
            except Exception:
                pass
            self.error = one_line(exc)
            return
        dbapi_conn.add_notify_handler(self._on_notify)
        with self._lock:
            self._conns.append(dbapi_conn)
            self.generation += 1
            self.error = None

    def on_close(self, dbapi_conn: Any, *_rest: Any) -> None:
        with self._lock:
            if any(c is dbapi_conn for c in self._conns):
                self._conns = [c for c in self._conns if c is not dbapi_conn]
                self.generation += 1

    def _on_notify(self, note: Any) -> None:
        with self._lock:
            self._counts[note.payload] = self._counts.get(note.payload, 0) + 1

    # ------------------------------------------------------------------ for the feed
    @property
    def listening(self) -> bool:
        return bool(self._conns)

    def count(self, ref: str) -> int:
        return self._counts.get(ref, 0)

    def fds(self) -> list[int]:
        out = []
        for conn in list(self._conns):
            try:
                fd = conn.pgconn.socket
            except Exception:
                continue
            if fd >= 0:
                out.append(fd)
        return out

    def drain(self) -> None:
        """Read what the server sent to idle listening connections (never blocks on the
        network; waits at most :data:`BUSY_WAIT` for a connection in use). A connection found
        broken stops counting as listening (the pool replaces it at its next checkout)."""
        for conn in list(self._conns):
            lock = getattr(conn, "lock", None)
            if lock is not None and not lock.acquire(timeout=BUSY_WAIT):
                continue  # its user reads the notifications (psycopg calls _on_notify)
            try:
                pgconn = conn.pgconn
                pgconn.consume_input()
                while (note := pgconn.notifies()) is not None:
                    handler = pgconn.notify_handler
                    if handler is not None:
                        handler(note)
                from psycopg import pq

                if pgconn.status != pq.ConnStatus.OK:
                    raise OSError("connection lost")
            except Exception as exc:
                self.error = one_line(exc)
                self.on_close(conn)
            finally:
                if lock is not None:
                    lock.release()


def one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


POOL_MODES = ("session", "transaction")


def split_pool_mode(url: str) -> tuple[str, str]:
    """The URL without its ``pool_mode=`` query option (ours, not the driver's), and that
    option: ``"transaction"`` or ``"session"`` for a PgBouncer in front, ``""`` if absent."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    mode = parsed.query.get("pool_mode", "")
    if not mode:
        return url, ""
    if isinstance(mode, tuple) or mode not in POOL_MODES:
        raise ValueError(f"pool_mode={mode!r} in the URL: use pool_mode=transaction or "
                         "pool_mode=session (how the PgBouncer in front pools)")
    return parsed.difference_update_query(["pool_mode"]).render_as_string(hide_password=False), mode


def pooler_connect_args(mode: str) -> dict[str, Any]:
    """Behind a transaction pooler, nothing may outlive a transaction: psycopg must not
    prepare statements (they stay on one server connection)."""
    return {"prepare_threshold": None} if mode == "transaction" else {}


def listen_on_pool(engine: Any) -> Notices:
    """LISTEN on every connection the engine's pool opens, from now on."""
    from sqlalchemy import event

    notices = Notices()
    event.listen(engine, "connect", notices.on_connect)
    for name in ("close", "close_detached", "invalidate", "soft_invalidate", "detach"):
        event.listen(engine, name, notices.on_close)
    return notices
