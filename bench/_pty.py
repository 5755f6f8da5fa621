"""A program on a real pseudo-terminal, read byte for byte: the one pty driver the benches
(bench/idle_bytes.py, bench/idle_cpu.py, bench/slow_link.py) and the terminal tests
(tests/pty_terminal.py) share.

Waiting is on the terminal's own output (a marker appearing), never on sleeps; time limits are
caps for a loaded machine. Plain standard library: importable from the benches (which put
their own folder on sys.path) and from the tests (``from bench._pty import Terminal``, the
repository root being on sys.path there)."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

LIMIT = 30.0
REPO = Path(__file__).resolve().parent.parent


class Terminal:
    """``argv`` running on a fresh ``cols`` x ``rows`` pty in a session of its own. Everything
    it writes is kept in :attr:`output` as it is read."""

    def __init__(self, argv: list[str], *, cols: int = 100, rows: int = 30,
                 env: dict[str, str] | None = None, cwd: str | Path | None = None) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        full = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor")
        full.pop("TEXTUAL", None)
        full.update(env or {})
        self.started = time.monotonic()
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=full,
                                     cwd=None if cwd is None else str(cwd),
                                     start_new_session=True, close_fds=True)
        os.close(slave)
        self.master = master
        self.output = bytearray()

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ typing
    def send(self, data: bytes | str) -> int:
        """Type (or paste) ``data``; returns where the output stood, for :meth:`wait_for`."""
        mark = len(self.output)
        os.write(self.master, data.encode() if isinstance(data, str) else data)
        return mark

    def paste(self, text: str) -> int:
        return self.send(b"\x1b[200~" + text.encode() + b"\x1b[201~")

    # ------------------------------------------------------------------ reading
    def read(self, timeout: float, size: int = 65536) -> bool:
        """Read what is there (up to ``size`` bytes), waiting up to ``timeout`` seconds for it.
        False when nothing came or the program is gone."""
        ready, _, _ = select.select([self.master], [], [], max(timeout, 0))
        if not ready:
            return False
        try:
            chunk = os.read(self.master, size)
        except OSError:  # the program exited: EIO
            return False
        if not chunk:
            return False
        self.output += chunk
        return True

    def wait_for(self, marker: bytes | str, *, since: int = 0, limit: float = LIMIT) -> int:
        """Read until ``marker`` appears in the output after offset ``since``; returns the offset
        just past it."""
        want = marker.encode() if isinstance(marker, str) else marker
        deadline = time.monotonic() + limit
        while True:
            found = self.output.find(want, since)
            if found >= 0:
                return found + len(want)
            left = deadline - time.monotonic()
            if left <= 0 or not self.read(left):
                tail = bytes(self.output[-600:])
                raise AssertionError(f"{want!r} never appeared on the terminal; last: {tail!r}")

    def read_for(self, seconds: float) -> None:
        """Read what the program writes for ``seconds`` (a window observed, not a wait)."""
        until = time.monotonic() + seconds
        while (left := until - time.monotonic()) > 0:
            self.read(left)

    def drain(self, limit: float = LIMIT) -> None:
        """Read until the program exits and closes the terminal."""
        deadline = time.monotonic() + limit
        while self.read(max(deadline - time.monotonic(), 0)):
            pass

    # ------------------------------------------------------------------ the process
    def cpu_seconds(self) -> float:
        """CPU time (user + system) the program has used so far, from /proc."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def exited(self, limit: float = LIMIT) -> int:
        """The program's exit code, once it has exited of itself."""
        return self.proc.wait(limit)

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(10)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.kill()
        try:
            os.close(self.master)
        except OSError:
            pass


def read_all(terminals: list[Terminal], seconds: float) -> None:
    """Read every terminal for the same ``seconds`` (one window, several programs)."""
    until = time.monotonic() + seconds
    by_fd = {t.master: t for t in terminals}
    while (left := until - time.monotonic()) > 0:
        ready, _, _ = select.select(list(by_fd), [], [], left)
        for fd in ready:
            if not by_fd[fd].read(0):
                by_fd.pop(fd)
        if not by_fd:
            return


def warroom(*args: str) -> list[str]:
    """The command line that runs this checkout's warroom."""
    return [sys.executable, "-m", "warroom", *args]
