"""Throwaway PostgreSQL roles (each with its own schema, on its search_path) and a throwaway
PgBouncer in front of the local server: for the tests and bench/ that count connections, fill
a CONNECTION LIMIT, or go through a real pooler.

A role's own schema, rather than ``options=-csearch_path=...`` in the URL, because PgBouncer
refuses the ``options`` startup parameter: the role's default search_path comes with every
server connection, whichever client it serves.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


class Role:
    """A LOGIN role ``wr_xxx`` owning schema ``wr_xxx``; ``url`` connects as it directly."""

    def __init__(self, base_url: str, *, limit: int | None = None) -> None:
        self.base_url = base_url
        self.name = f"wr_{uuid.uuid4().hex[:12]}"
        self.admin = create_engine(base_url, isolation_level="AUTOCOMMIT", pool_size=1)
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE ROLE "{self.name}" LOGIN'
                              + (f" CONNECTION LIMIT {int(limit)}" if limit is not None else "")))
            conn.execute(text(f'CREATE SCHEMA "{self.name}" AUTHORIZATION "{self.name}"'))
            conn.execute(text(f'ALTER ROLE "{self.name}" SET search_path = "{self.name}"'))
        self.url = self.url_via(None)

    def url_via(self, port: int | None, *, pool_mode: str = "") -> str:
        parsed = make_url(self.base_url).set(username=self.name, password=None)
        if port is not None:
            parsed = parsed.set(host="127.0.0.1", port=port)
        url = parsed.render_as_string(hide_password=False)
        return url + (f"?pool_mode={pool_mode}" if pool_mode else "")

    def backends(self) -> int:
        """Server connections this role holds now."""
        with self.admin.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE usename = :r"),
                                {"r": self.name}).scalar_one()

    def drop(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'ALTER ROLE "{self.name}" NOLOGIN'))
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE usename = :r"), {"r": self.name})
            conn.execute(text(f'DROP SCHEMA "{self.name}" CASCADE'))
            conn.execute(text(f'DROP ROLE "{self.name}"'))
        self.admin.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Bouncer:
    """A PgBouncer process on a free port in front of the server of ``base_url`` (trust auth),
    pooling ``mode`` ("transaction" or "session") with ``pool_size`` server connections per
    database and user."""

    def __init__(self, base_url: str, roles: list[str], *, mode: str, pool_size: int = 2,
                 max_client_conn: int = 1000, query_wait_timeout: int = 120) -> None:
        binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        if not os.path.exists(binary):
            raise FileNotFoundError("pgbouncer is not installed (apt-get install pgbouncer)")
        server = make_url(base_url)
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="warroom-pgbouncer-"))
        self.folder.chmod(0o755)  # pgbouncer drops root for postgres, which must read these
        users = self.folder / "users.txt"
        users.write_text("".join(f'"{r}" ""\n' for r in [server.username or "postgres", *roles]))
        ini = self.folder / "pgbouncer.ini"
        ini.write_text(f"""[databases]
{server.database} = host={server.host or '127.0.0.1'} port={server.port or 5432} dbname={server.database}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {users}
pool_mode = {mode}
default_pool_size = {pool_size}
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = {max_client_conn}
query_wait_timeout = {query_wait_timeout}
server_reset_query = DISCARD ALL
ignore_startup_parameters = extra_float_digits
""")
        for path in (users, ini):
            path.chmod(0o644)
        argv = [binary, str(ini)]
        if os.geteuid() == 0:
            argv[1:1] = ["-u", "postgres"]  # it refuses to run as root
        self.log = open(self.folder / "pgbouncer.log", "wb")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("pgbouncer did not start: "
                                       + (self.folder / "pgbouncer.log").read_text()[-500:])
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # immediate shutdown (before 1.23; later: "fast")
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)
