"""A throwaway PostgreSQL cluster the test starts and stops itself, and a TCP proxy that can be
made to hang (accept, never answer). Never the shared server on 5432.

The cluster runs as the ``postgres`` user when we are root (initdb refuses root), through
``runuser``; ``Cluster.start()`` raises :class:`Unavailable` with the reason when that cannot
work, and the tests skip on it.
"""

from __future__ import annotations

import os
import pwd
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")


class Unavailable(Exception):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self) -> None:
        if not (PG_BIN / "initdb").exists():
            raise Unavailable(f"no {PG_BIN}/initdb")
        self.as_user: list[str] = []
        self.owner = None
        if os.geteuid() == 0:
            try:
                self.owner = pwd.getpwnam("postgres")
            except KeyError:
                raise Unavailable("running as root and there is no postgres user") from None
            if not shutil.which("runuser"):
                raise Unavailable("running as root and runuser is missing")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.root = Path(tempfile.mkdtemp(prefix="warroom-outage-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.sockets = self.root / "sock"
        self.sockets.mkdir()
        if self.owner is not None:
            os.chown(self.root, self.owner.pw_uid, self.owner.pw_gid)
            os.chown(self.sockets, self.owner.pw_uid, self.owner.pw_gid)
        self.port = free_port()
        out = self._run([str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
                         "--auth=trust", "-E", "UTF8", "--no-sync"])
        if out.returncode:
            raise Unavailable(f"initdb failed: {out.stderr.strip()[:200]}")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                       f"unix_socket_directories = '{self.sockets}'\nfsync = off\n"
                       "max_connections = 60\nshared_buffers = 16MB\n")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, argv: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.as_user + argv, capture_output=True, text=True, timeout=120,
                              cwd=str(self.root))

    def start(self) -> None:
        out = self._run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                         "-w", "-t", "60", "start"])
        if out.returncode:
            raise Unavailable(f"pg_ctl start failed: {out.stderr.strip()[:200]} "
                              f"{self.log.read_text()[-300:] if self.log.exists() else ''}")

    def stop(self, mode: str = "fast") -> None:
        """``fast``, ``immediate``, or ``kill`` (kill -9 of the postmaster)."""
        if mode == "kill":
            pid = self.pid()
            if pid:
                os.kill(pid, signal.SIGKILL)
                # The children notice the postmaster is gone and exit; wait for them.
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and self._children(pid):
                    time.sleep(0.05)
                for child in self._children(pid):
                    try:
                        os.kill(child, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                (self.data / "postmaster.pid").unlink(missing_ok=True)
                # Its socket lock names a PID that may linger as a zombie (nobody reaps it in a
                # container): the next start would take it for a live postmaster.
                for lock in self.sockets.glob(".s.PGSQL.*.lock"):
                    lock.unlink(missing_ok=True)
                for sock in self.sockets.glob(".s.PGSQL.*"):
                    sock.unlink(missing_ok=True)
            return
        self._run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"])

    def pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def _children(self, pid: int) -> list[int]:
        out = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                fields = stat.rsplit(")", 1)[-1].split()
                if len(fields) > 1 and int(fields[1]) == pid:
                    out.append(int(entry.name))
        return out

    def freeze(self) -> None:
        pid = self.pid()
        if pid:
            os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        pid = self.pid()
        if pid:
            os.kill(pid, signal.SIGCONT)

    def destroy(self) -> None:
        try:
            self.thaw()
            self.stop("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


class Proxy:
    """A TCP proxy on a free port to ``target``. ``hang()``: accept new connections and drop
    nothing, but pass no byte either way (a server that never answers); ``resume()``."""

    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.port = self.listener.getsockname()[1]
        self.hung = threading.Event()
        self.closed = False
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, base: str, port: int) -> str:
        return base.replace(f":{port}/", f":{self.port}/")

    def hang(self) -> None:
        self.hung.set()

    def resume(self) -> None:
        """Back to normal; what was held while hung is dropped (as a failover would)."""
        with self._lock:
            pairs, self._pairs = self._pairs, []
        self.hung.clear()
        for a, b in pairs:
            for s in (a, b):
                try:
                    s.close()
                except OSError:
                    pass

    def close(self) -> None:
        self.closed = True
        self.listener.close()
        self.resume()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.hung.is_set():
                with self._lock:
                    self._pairs.append((client, client))  # held open, never answered
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._pairs.append((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        try:
            while True:
                r, _, _ = select.select([a, b], [], [], 0.2)
                if self.hung.is_set():
                    continue  # hold everything: bytes stay unread in the kernel
                for s in r:
                    data = s.recv(65536)
                    if not data:
                        raise OSError
                    (b if s is a else a).sendall(data)
        except (OSError, ValueError):
            for s in (a, b):
                try:
                    s.close()
                except OSError:
                    pass
