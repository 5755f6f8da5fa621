"""The real app on a real pseudo-terminal: what a person's terminal receives, byte for byte.

Waiting is on the terminal's own output (a marker appearing), never on sleeps; the time
limits are caps for a loaded machine, not what is being tested."""

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

from tests.conftest import REPO

LIMIT = 30.0


class Terminal:
    def __init__(self, argv: list[str], *, cols: int = 100, rows: int = 30,
                 env: dict[str, str] | None = None) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        full = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor")
        full.pop("TEXTUAL", None)
        full.update(env or {})
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=full,
                                     cwd=str(REPO), start_new_session=True, close_fds=True)
        os.close(slave)
        self.master = master
        self.output = bytearray()

    def send(self, data: bytes | str) -> int:
        """Type (or paste) ``data``; returns where the output stood, for :meth:`wait_for`."""
        mark = len(self.output)
        os.write(self.master, data.encode() if isinstance(data, str) else data)
        return mark

    def paste(self, text: str) -> int:
        return self.send(b"\x1b[200~" + text.encode() + b"\x1b[201~")

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
            if left <= 0 or not self._read(left):
                tail = bytes(self.output[-600:])
                raise AssertionError(f"{want!r} never appeared on the terminal; last: {tail!r}")

    def drain(self, limit: float = LIMIT) -> None:
        """Read until the program exits and closes the terminal."""
        deadline = time.monotonic() + limit
        while self._read(max(deadline - time.monotonic(), 0)):
            pass

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # the program exited: EIO
            return False
        if not chunk:
            return False
        self.output += chunk
        return True

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


def warroom(*args: str) -> list[str]:
    return [sys.executable, "-m", "warroom", *args]
