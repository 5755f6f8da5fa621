"""Timeouts for a team database (PostgreSQL): nothing waits unbounded on a server that is gone.

- **Connect**: :data:`CONNECT_TIMEOUT` seconds (libpq's ``connect_timeout``; a
  ``connect_timeout=N`` in the URL wins).
- **TCP keepalives**: a peer that vanished (a dropped VPN, a dead host) is noticed in about
  :data:`KEEPALIVE_IDLE` + :data:`KEEPALIVE_INTERVAL` × :data:`KEEPALIVE_COUNT` seconds, and
  ``tcp_user_timeout`` drops a connection whose sent data stays unacknowledged.
- **Server side**: ``statement_timeout`` and ``lock_timeout`` for every transaction, set with
  ``SET LOCAL`` semantics (``set_config(..., true)``) at its start, so nothing outlives the
  transaction: correct behind PgBouncer in transaction mode, where a session setting would
  leak to whichever client gets that server connection next.
- **A watchdog** (client side): a server that accepts connections but never answers (a
  stopped postmaster, a half-open proxy) defeats all of the above; every database call runs
  under a deadline of :attr:`Timeouts.operation` seconds, and when it passes, the sockets of the
  connections in use are shut down, so the blocked call fails at once (the pool drops them).

``timeout=N`` in the URL (warroom's own option, removed before the driver sees the URL) sets
the operation deadline; the statement and lock timeouts follow from it.
"""

from __future__ import annotations

import heapq
import socket
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any

CONNECT_TIMEOUT = 5
"""Seconds to establish a connection (libpq ``connect_timeout``)."""
OPERATION_TIMEOUT = 15.0
"""Seconds any one database call may take before the watchdog ends it."""
KEEPALIVE_IDLE, KEEPALIVE_INTERVAL, KEEPALIVE_COUNT = 10, 5, 3


@dataclass(frozen=True)
class Timeouts:
    connect: float = CONNECT_TIMEOUT
    operation: float = OPERATION_TIMEOUT

    @property
    def statement_ms(self) -> int:
        """Server side: a statement may run this long (below the watchdog's deadline, so the
        server says it first when it can)."""
        return max(100, int(self.operation * 1000 * 2 / 3))

    @property
    def lock_ms(self) -> int:
        return max(50, int(self.operation * 1000 / 3))


def split_timeouts(url: str) -> tuple[str, Timeouts]:
    """The URL without warroom's ``timeout=`` option, and the timeouts it asks for (its
    ``connect_timeout=``, libpq's, stays in the URL for the driver)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    query = parsed.query
    connect: float = CONNECT_TIMEOUT
    raw_connect = query.get("connect_timeout")
    if raw_connect is not None:
        connect = _seconds(raw_connect, "connect_timeout")
    operation = OPERATION_TIMEOUT
    raw_op = query.get("timeout")
    if raw_op is not None:
        operation = _seconds(raw_op, "timeout")
        url = parsed.difference_update_query(["timeout"]).render_as_string(hide_password=False)
    # A connect that takes longer than an operation may: the operation waits for it.
    return url, Timeouts(connect=connect, operation=max(operation, 0.5))


def _seconds(value: Any, name: str) -> float:
    if isinstance(value, tuple):
        value = value[-1]
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} in the URL: give a number of seconds") from None
    if not number > 0:
        raise ValueError(f"{name}={value!r} in the URL: give a number of seconds above 0")
    return number


def connect_args(url: str, timeouts: Timeouts) -> dict[str, Any]:
    """libpq options: the connect timeout (unless the URL has one), keepalives, and the
    unacknowledged-data timeout."""
    from sqlalchemy.engine import make_url

    args: dict[str, Any] = {}
    query = make_url(url).query
    if "connect_timeout" not in query:
        args["connect_timeout"] = max(1, int(round(timeouts.connect)))
    for key, value in (("keepalives", 1), ("keepalives_idle", KEEPALIVE_IDLE),
                       ("keepalives_interval", KEEPALIVE_INTERVAL),
                       ("keepalives_count", KEEPALIVE_COUNT),
                       ("tcp_user_timeout", int(timeouts.operation * 1000))):
        if key not in query:
            args[key] = value
    return args


def install_server_timeouts(engine: Any, timeouts: Timeouts) -> None:
    """Every transaction starts with its own statement and lock timeouts (``SET LOCAL``)."""
    from sqlalchemy import event

    statement = (f"SELECT set_config('statement_timeout', '{timeouts.statement_ms}', true), "
                 f"set_config('lock_timeout', '{timeouts.lock_ms}', true)")

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql(statement)


class Watchdog:
    """Deadlines for database calls, on one daemon thread shared by every store."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._heap: list[tuple[float, int, Any]] = []
        self._seq = 0
        self._wake = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None

    def arm(self, seconds: float, guard: "Guarded") -> int:
        with self._lock:
            self._seq += 1
            token = self._seq
            heapq.heappush(self._heap, (time.monotonic() + seconds, token, guard))
            guard.live.add(token)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="warroom-watchdog",
                                                daemon=True)
                self._thread.start()
            self._wake.notify()
        return token

    def disarm(self, token: int, guard: "Guarded") -> None:
        with self._lock:
            guard.live.discard(token)
            guard.expired.discard(token)

    def _run(self) -> None:
        while True:
            with self._lock:
                while True:
                    now = time.monotonic()
                    while self._heap and self._heap[0][1] not in self._heap[0][2].live:
                        heapq.heappop(self._heap)
                    if self._heap and self._heap[0][0] <= now:
                        _, token, guard = heapq.heappop(self._heap)
                        # Still running after its deadline: ended now, and again every
                        # REPEAT seconds until it returns (a pool that reconnects under it).
                        heapq.heappush(self._heap, (now + REPEAT, token, guard))
                        break
                    self._wake.wait(self._heap[0][0] - now if self._heap else 60.0)
            guard.expire(token)


REPEAT = 0.25
"""After a call's deadline, how often the watchdog ends what it is still blocked on."""
WATCHDOG = Watchdog()


class Guarded:
    """The connections of one engine, and what to do when a call on them runs out of time."""

    def __init__(self, engine: Any, timeouts: Timeouts) -> None:
        from sqlalchemy import event

        self.timeouts = timeouts
        self.live: set[int] = set()
        self.expired: set[int] = set()
        self._conns: "weakref.WeakSet[Any]" = weakref.WeakSet()
        self._conns_lock = threading.Lock()

        def on_connect(dbapi_conn: Any, _record: Any) -> None:
            with self._conns_lock:
                self._conns.add(dbapi_conn)
        event.listen(engine, "connect", on_connect)

    def expire(self, token: int) -> None:
        """The call ``token`` ran out of time: shut down every connection in use (a call
        blocked on a silent server holds its connection's lock), so it fails now."""
        self.expired.add(token)
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            lock = getattr(conn, "lock", None)
            if lock is not None and lock.acquire(blocking=False):
                lock.release()  # idle: not what is stuck
                continue
            shutdown(conn)


def shutdown(conn: Any) -> None:
    try:
        fd = conn.pgconn.socket
    except Exception:
        return
    if fd is None or fd < 0:
        return
    try:
        sock = socket.fromfd(fd, socket.AF_INET, socket.SOCK_STREAM)
    except OSError:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        sock.close()
