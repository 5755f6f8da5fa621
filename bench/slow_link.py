"""The war room over a slow link: does typing still echo at once?

    python bench/slow_link.py [--rate 5120] [--keys 15] [--cols 120] [--rows 40]

``warroom open`` on the sample incident, on a real pseudo-terminal whose reader takes at most
``--rate`` bytes a second (5 KB/s: a tethered phone through a jump host), in 20 ms slices, as a
slow ssh connection drains a terminal. What the app writes and the reader has not taken waits
in the pty (and then in the app's writer), as it would in the network's buffers.

Measured, each with the floor of the same steps read at full speed in the same run:
- load: spawn to the loaded screen (`` entries`` in the title) arriving through the link;
- echo, idle: the note line open, ``--keys`` keys typed one at a time, 300 ms apart (a
  person typing); the time from each key to its character arriving through the link;
- echo behind a repaint: the terminal resized (a whole new frame to send), a key typed at
  once: the time until its character arrives (what a full repaint costs on the link).
"""

from __future__ import annotations

import argparse
import fcntl
import os
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
from _pty import Terminal, warroom  # noqa: E402

SLICE = 0.02
KEYS = "§¶¤µ¢£¥©®°±¬¦þðæ"  # typed one each: characters no frame of the sample holds


class Link:
    """Reads a terminal at ``rate`` bytes a second (0: as fast as it comes)."""

    def __init__(self, term: Terminal, rate: int) -> None:
        self.term, self.rate = term, rate

    def until(self, done: Callable[[], bool], limit: float = 120.0) -> float:
        """Read until ``done()``; returns the seconds it took."""
        start = time.monotonic()
        next_slice = start
        while not done():
            now = time.monotonic()
            if now - start > limit:
                raise SystemExit(f"gave up after {limit:g} s (rate {self.rate}, {waiting(self.term)} "
                                 f"bytes waiting); last: {bytes(self.term.output[-300:])!r}")
            if not self.rate:
                self.term.read(0.05)
                continue
            allowance = max(int(self.rate * SLICE), 1)
            before = len(self.term.output)
            while len(self.term.output) - before < allowance:
                if not self.term.read(0, size=allowance - (len(self.term.output) - before)):
                    break
            next_slice += SLICE
            time.sleep(max(next_slice - time.monotonic(), 0))
        return time.monotonic() - start

    def idle(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        self.until(lambda: time.monotonic() >= end)

    def caught_up(self) -> None:
        """Read until nothing the app wrote waits for the link any more (for 0.3 s: a
        blinking cursor's few bytes a second go through at once)."""
        empty_since = [time.monotonic()]

        def done() -> bool:
            now = time.monotonic()
            if waiting(self.term):
                empty_since[0] = now
            return now - empty_since[0] >= 0.3

        self.until(done)


def waiting(term: Terminal) -> int:
    """Bytes the app wrote that the reader has not taken yet (in the pty)."""
    got = fcntl.ioctl(term.master, termios.FIONREAD, b"\0\0\0\0")
    return struct.unpack("i", got)[0]


def session(folder: Path, rate: int, keys: int, cols: int, rows: int) -> dict[str, object]:
    """One run on its own sample database, drafts and settings (a draft left by the run
    before would fill the note line)."""
    from warroom.demo import load_demo

    folder.mkdir()
    db = str(folder / "sample.db")
    ref = load_demo(db, user="bench")
    env = {"WARROOM_CONFIG_DIR": str(folder / "config"), "WARROOM_DATA_DIR": str(folder / "data")}
    with Terminal(warroom("--db", db, "--as", "bench", "open", ref), cols=cols, rows=rows,
                  env=env) as term:
        link = Link(term, rate)
        loaded = link.until(lambda: b" entries" in term.output)
        link.caught_up()
        mark = term.send(b"n")
        link.until(lambda: "happened".encode() in term.output[mark:])
        link.caught_up()
        echoes = []
        for char in KEYS[:keys]:
            want = char.encode()
            mark = term.send(want)
            echoes.append(link.until(lambda: want in term.output[mark:]))
            link.idle(0.3)
        link.caught_up()
        # A resize: the whole screen again, then a key at once.
        fcntl.ioctl(term.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols - 2, 0, 0))
        os.killpg(term.proc.pid, signal.SIGWINCH)
        time.sleep(0.3)  # the app has had the resize and queued its repaint
        want = KEYS[-1].encode()
        mark = term.send(want)
        behind = link.until(lambda: want in term.output[mark:])
        backlog = len(term.output) - mark
        link.caught_up()
        return {"load": loaded, "echoes": echoes, "behind": behind, "backlog": backlog,
                "bytes": len(term.output)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=5120, help="bytes a second the reader takes")
    parser.add_argument("--keys", type=int, default=15)
    parser.add_argument("--cols", type=int, default=120)
    parser.add_argument("--rows", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        slow = session(Path(tmp, "slow"), args.rate, args.keys, args.cols, args.rows)
        fast = session(Path(tmp, "fast"), 0, args.keys, args.cols, args.rows)
    print(f"the sample incident at {args.cols}x{args.rows}, read at {args.rate} B/s "
          f"(floor: the same steps read at full speed)\n")

    def ms(seconds: object) -> str:
        return f"{float(seconds) * 1000:8.0f} ms"  # type: ignore[arg-type]

    def row(label: str, figure: float, floor: float, extra: str = "") -> None:
        print(f"  {label:<34} {ms(figure)}   floor {ms(floor)}   ratio {figure / floor:6.2f}x{extra}")

    row("load, through the link", slow["load"], fast["load"])  # type: ignore[arg-type]
    se, fe = slow["echoes"], fast["echoes"]
    row("echo, idle: median", statistics.median(se), statistics.median(fe))  # type: ignore[arg-type]
    row("echo, idle: worst", max(se), max(fe))  # type: ignore[arg-type]
    row("echo behind a resize's repaint", slow["behind"], fast["behind"],  # type: ignore[arg-type]
        f"   ({slow['backlog']} bytes arrived with it)")
    print(f"  bytes written in the whole session: {slow['bytes']} (through the link), "
          f"{fast['bytes']} (read at full speed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
