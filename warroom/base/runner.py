"""Run a command as the shell would, pass its input and output through untouched, and keep a
copy of the output: the process side of ``warroom run``.

When our standard output is a terminal the command gets a pseudo-terminal of its own (colours,
prompts, pagers and Ctrl+C behave as usual): our terminal is put in raw mode so every key goes
to the command as typed, the window size is copied and follows SIGWINCH. Otherwise the command
inherits our standard input and writes into pipes that we copy to our standard output and
error. Either way a signal sent to us (SIGTERM, SIGHUP, SIGINT from ``kill``) is passed on to
the command, and we wait for it: its status is what we exit with.

Nothing here knows about incidents; it imports nothing of warroom.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
import tty
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

KEEP_TAIL = 256 * 1024
"""When output is over the limit: how much of its end is kept (the head fills the rest)."""
_CHUNK = 65536


@dataclass
class Capture:
    """The output kept: its head up to ``limit`` less :data:`KEEP_TAIL` bytes, and its end."""

    limit: int
    total: int = 0
    head: bytearray = field(default_factory=bytearray)
    tail: bytearray = field(default_factory=bytearray)

    def add(self, data: bytes) -> None:
        self.total += len(data)
        room = max(self.limit - KEEP_TAIL, 0) - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if data:
            self.tail += data
            if len(self.tail) > 2 * KEEP_TAIL:
                del self.tail[:-KEEP_TAIL]

    def kept(self) -> bytes:
        """What is stored: everything, or the head, a note of what was cut, and the end."""
        if self.total <= self.limit:
            return bytes(self.head + self.tail)
        end = bytes(self.tail[-KEEP_TAIL:])
        cut = self.total - len(self.head) - len(end)
        note = (f"\n[warroom: {cut:,} bytes of output not kept here (the limit is "
                f"{self.limit:,} bytes); the end follows]\n").encode()
        head = bytes(self.head[:max(self.limit - len(end) - len(note), 0)])
        return head + note + end


@dataclass(frozen=True)
class Outcome:
    """How a command ended."""

    returncode: int | None
    """Its exit code, or None when a signal ended it."""
    signal: int | None
    duration_ms: int
    output: bytes
    output_bytes: int
    started_at: float
    """time.time() when it started."""

    @property
    def status(self) -> int:
        """What a shell would say: the exit code, or 128 + the signal's number."""
        if self.signal is not None:
            return 128 + self.signal
        return self.returncode if self.returncode is not None else 1

    @property
    def signal_name(self) -> str:
        if self.signal is None:
            return ""
        try:
            return signal.Signals(self.signal).name
        except ValueError:
            return f"signal {self.signal}"

    @property
    def truncated(self) -> bool:
        return self.output_bytes > len(self.output)


class NotStarted(Exception):
    """The command could not be started: the message and the shell's status (127, 126)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def run(argv: Sequence[str], *, use_pty: bool | None = None, limit: int = 20 * 1024 * 1024,
        stdin: int = 0, stdout: int = 1, stderr: int = 2) -> Outcome:
    """Run ``argv`` (found on PATH like the shell does) and wait for it. ``use_pty``: None
    decides by whether ``stdout`` is a terminal. Leading ``NAME=value`` words set the
    command's environment, as in a shell (``PGPASSWORD=… psql``)."""
    argv = list(argv)
    env = None
    while len(argv) > 1 and _ASSIGNMENT.match(argv[0]):
        name, _, value = argv.pop(0).partition("=")
        env = dict(os.environ) if env is None else env
        env[name] = value

    if use_pty is None:
        use_pty = os.isatty(stdout)
    capture = Capture(limit)
    started, clock = time.time(), time.monotonic()
    forward = _Forwarder()
    try:
        if use_pty:
            code = _run_pty(argv, capture, forward, stdin, stdout, env)
        else:
            code = _run_pipes(argv, capture, forward, stdout, stderr, env)
    finally:
        forward.restore()
    duration = int((time.monotonic() - clock) * 1000)
    returncode, sig = (None, -code) if code < 0 else (code, None)
    return Outcome(returncode, sig, duration, capture.kept(), capture.total, started)


_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")


def _spawn(argv: list[str], **kw: Any) -> subprocess.Popen[bytes]:
    try:
        return subprocess.Popen(argv, **kw)
    except FileNotFoundError:
        raise NotStarted(f"{argv[0]}: command not found", 127) from None
    except PermissionError:
        raise NotStarted(f"{argv[0]}: permission denied", 126) from None
    except OSError as exc:
        raise NotStarted(f"{argv[0]}: {exc.strerror or exc}", 126) from None


class _Forwarder:
    """While the command runs, signals sent to us go to it (a shell waiting on a child ignores
    Ctrl+C itself; the child's answer decides)."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.group = False
        self.saved: dict[int, Any] = {}
        self.cleanups: list[Callable[[], None]] = []

    def start(self, proc: subprocess.Popen[bytes], *, group: bool) -> None:
        self.proc, self.group = proc, group
        for sig in self.SIGNALS:
            self.saved[sig] = signal.signal(sig, self._pass_on)

    def _pass_on(self, signum: int, _frame: Any) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        if not self.group and signum in (signal.SIGINT, signal.SIGQUIT) and _from_terminal():
            return  # Ctrl+C at our terminal: the command, in our process group, has it already
        try:
            if self.group:
                os.killpg(proc.pid, signum)
            else:
                proc.send_signal(signum)
        except (ProcessLookupError, PermissionError):
            pass

    def restore(self) -> None:
        for cleanup in reversed(self.cleanups):
            try:
                cleanup()
            except (OSError, termios.error):
                pass
        self.cleanups.clear()
        for sig, handler in self.saved.items():
            signal.signal(sig, handler)
        self.saved.clear()


def _from_terminal() -> bool:
    """Whether we are in our terminal's foreground process group (so a Ctrl+C there reached
    the command as well as us)."""
    for fd in (0, 1, 2):
        try:
            return os.tcgetpgrp(fd) == os.getpgrp()
        except OSError:
            continue
    return False


def _write_all(fd: int, data: bytes) -> bool:
    """Write everything (a terminal or pipe may take it in parts); False once the reader has
    gone (the command then gets SIGPIPE, as it would have without us)."""
    view = memoryview(data)
    while view:
        try:
            n = os.write(fd, view)
        except BlockingIOError:
            select.select([], [fd], [], 1.0)
            continue
        except InterruptedError:
            continue
        except (BrokenPipeError, OSError) as exc:
            if isinstance(exc, BrokenPipeError) or exc.errno in (errno.EPIPE, errno.EIO,
                                                                    errno.EBADF):
                return False
            raise
        view = view[n:]
    return True


def _run_pipes(argv: list[str], capture: Capture, forward: _Forwarder, stdout: int,
               stderr: int, env: dict[str, str] | None) -> int:
    proc = _spawn(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0, env=env)
    forward.start(proc, group=False)
    assert proc.stdout is not None and proc.stderr is not None
    targets = {proc.stdout.fileno(): stdout, proc.stderr.fileno(): stderr}
    pipes = {proc.stdout.fileno(): proc.stdout, proc.stderr.fileno(): proc.stderr}
    while targets:
        try:
            ready, _, _ = select.select(list(targets), [], [])
        except InterruptedError:
            continue
        for fd in ready:
            try:
                data = os.read(fd, _CHUNK)
            except InterruptedError:
                continue
            if not data:
                del targets[fd]
                pipes[fd].close()
                continue
            capture.add(data)
            if not _write_all(targets[fd], data):
                del targets[fd]  # our reader went away: so does the command's
                pipes[fd].close()
    return _wait(proc)


def _wait(proc: subprocess.Popen[bytes]) -> int:
    while True:
        try:
            return proc.wait()
        except InterruptedError:  # pragma: no cover - PEP 475 retries for us
            continue


def _copy_size(src: int, dest: int) -> None:
    try:
        size = fcntl.ioctl(src, termios.TIOCGWINSZ, b"\0" * 8)
        rows, cols = struct.unpack("HHHH", size)[:2]
        if rows and cols:
            fcntl.ioctl(dest, termios.TIOCSWINSZ, size)
    except OSError:
        pass


def _run_pty(argv: list[str], capture: Capture, forward: _Forwarder, stdin: int,
             stdout: int, env: dict[str, str] | None) -> int:
    master, slave = os.openpty()
    if os.isatty(stdin):
        try:  # the terminal's modes, so the command's terminal starts as ours is
            termios.tcsetattr(slave, termios.TCSANOW, termios.tcgetattr(stdin))
        except termios.error:
            pass
    else:
        try:  # input from a pipe or a file is not typed: the terminal does not echo it
            modes = termios.tcgetattr(slave)
            modes[3] &= ~(termios.ECHO | termios.ECHONL)
            termios.tcsetattr(slave, termios.TCSANOW, modes)
        except termios.error:
            pass
    _copy_size(stdout, slave)

    def controlling_tty() -> None:  # in the child, after setsid: the pty is its terminal
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    try:
        proc = _spawn(argv, stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
                      preexec_fn=controlling_tty, close_fds=True, env=env)
    except BaseException:
        os.close(master)
        os.close(slave)
        raise
    os.close(slave)
    forward.start(proc, group=True)
    forward.cleanups.append(lambda: os.close(master))
    if os.isatty(stdin):
        saved = termios.tcgetattr(stdin)
        tty.setraw(stdin, termios.TCSANOW)
        forward.cleanups.append(lambda: termios.tcsetattr(stdin, termios.TCSADRAIN, saved))
    old_winch = signal.signal(signal.SIGWINCH, lambda *_: _copy_size(stdout, master))
    forward.cleanups.append(lambda: _restore_handler(signal.SIGWINCH, old_winch))

    os.set_blocking(master, False)  # input is queued, never blocks output (cat < big file)
    pending = bytearray()
    stdin_open, eof_sent = True, False
    while True:
        reads = [master] + ([stdin] if stdin_open and len(pending) < _CHUNK else [])
        writes = [master] if pending else []
        try:
            ready, writable, _ = select.select(reads, writes, [], 0.5)
        except InterruptedError:
            continue
        if not ready and not writable and proc.poll() is not None:
            _drain(master, capture, stdout)
            break
        if master in ready:
            try:
                data = os.read(master, _CHUNK)
            except BlockingIOError:
                data = None
            except OSError:  # EIO: the command and everything it started closed the terminal
                data = b""
            if data == b"":
                break
            if data:
                capture.add(data)
                _write_all(stdout, data)
        if writable and pending:
            try:
                del pending[:os.write(master, pending)]
            except BlockingIOError:
                pass
            except OSError:
                pending.clear()
        if stdin_open and stdin in ready:
            try:
                data = os.read(stdin, _CHUNK)
            except OSError:
                data = b""
            if data:
                pending += data
            else:
                stdin_open = False
        if not stdin_open and not pending and not eof_sent:
            eof_sent = True  # end of input: the command's terminal says so (Ctrl+D)
            pending += b"\x04"
    return _wait(proc)


def _restore_handler(sig: int, handler: Any) -> None:
    signal.signal(sig, handler)


def _drain(master: int, capture: Capture, stdout: int) -> None:
    """The command exited but something it started still holds the terminal: take what is
    already written and stop."""
    while True:
        ready, _, _ = select.select([master], [], [], 0.05)
        if not ready:
            return
        try:
            data = os.read(master, _CHUNK)
        except BlockingIOError:
            continue
        except OSError:
            return
        if not data:
            return
        capture.add(data)
        _write_all(stdout, data)


def terminal_output() -> bool:
    """Whether our standard output is a terminal (the command then gets a pty)."""
    try:
        return os.isatty(sys.stdout.fileno())
    except (OSError, ValueError):
        return False
