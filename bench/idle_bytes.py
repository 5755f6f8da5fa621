"""Bytes an idle war room writes to its terminal each second: what a lead on a bad link pays.

    python bench/idle_bytes.py [--seconds 15] [--settle 4]

``warroom open REF`` on a real pseudo-terminal (80x24 and 120x40), nobody typing, real clock,
for two incidents in a real SQLite file: the sample incident (``warroom demo``'s, timers live)
and a freshly declared dxw incident. Every byte the program writes is read; from the moment
the loaded screen shows, plus ``--settle`` seconds, the bytes read over ``--seconds`` divided by
the wall time is the figure.

The floor, measured in the same run on the same kind of terminal: a minimal Textual app that
shows one label per value the war room shows changing (its countdowns and elapsed times, read
from the same incident at start, in the war room's own words) and updates each on the same
schedule: a countdown every second in its last minute (or first minute late), every minute
otherwise; an elapsed time every minute. Ratio = figure / floor.
Targets: ratio ≤ 2 and under 1,000 B/s at 120x40.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SIZES = ((80, 24), (120, 40))

# The floor: one Label per changing value, each showing that value as the war room does (the
# same words, from warroom.core.durations, so each changes on the war room's schedule: a
# countdown every minute, every second in its last minute or its first minute late; an elapsed
# time every minute). The values come in as JSON on argv: [[seconds, style], ...], where a
# countdown's seconds are those left (negative once late) and an elapsed time's those since.
FLOOR = textwrap.dedent("""
    import json, sys, time
    from datetime import timedelta
    sys.path.insert(0, sys.argv[2])
    from textual.app import App
    from textual.widgets import Label
    from warroom.core.durations import format_duration

    VALUES = json.loads(sys.argv[1])
    START = time.monotonic()

    def text(seconds, style):
        if style == "countdown":
            left = seconds - (time.monotonic() - START)
            return format_duration(timedelta(seconds=left), "countdown", round_up=left > 0)
        return format_duration(timedelta(seconds=seconds + time.monotonic() - START), "elapsed")

    class Floor(App):
        def compose(self):
            yield Label("floor-ready-marker")
            self.labels = [Label(text(s, u)) for s, u in VALUES]
            yield from self.labels

        def on_mount(self):
            self.set_interval(1, self.tick)

        def tick(self):
            for label, (s, u) in zip(self.labels, VALUES):
                t = text(s, u)
                if str(label.content) != t:
                    label.update(t)

    Floor().run()
""")


def watch(argv: list[str], size: tuple[int, int], marker: bytes, seconds: float,
          settle: float) -> tuple[float, bytes]:
    """(bytes per second while idle, the bytes written meanwhile)."""
    cols, rows = size
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    env = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor")
    env.pop("TEXTUAL", None)
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                            start_new_session=True, close_fds=True)
    os.close(slave)
    seen, phase, deadline = bytearray(), "load", time.monotonic() + 60
    start = 0.0
    mark_at = 0
    try:
        while True:
            now = time.monotonic()
            if phase == "load" and marker in seen:
                phase, deadline = "settle", now + settle
            elif phase == "settle" and now >= deadline:
                phase, deadline, start, mark_at = "measure", now + seconds, now, len(seen)
            elif phase == "measure" and now >= deadline:
                got = bytes(seen[mark_at:])
                return len(got) / (now - start), got
            if phase == "load" and now >= deadline:
                raise SystemExit(f"{argv}: {marker!r} never appeared: {bytes(seen[-300:])!r}")
            ready, _, _ = select.select([master], [], [], max(deadline - now, 0.01))
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    raise SystemExit(f"{argv} exited: {bytes(seen[-300:])!r}")
                seen += chunk
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        os.close(master)


def changing_values(db: str, ref: str) -> list[tuple[float, str]]:
    """What the war room shows ticking for this incident: each applicable timer's seconds left
    (a countdown; negative once late), the elapsed time, each role holder's time."""
    from warroom.base.clock import SystemClock
    from warroom.core.domain import Warroom
    from warroom.core.timers import compute_timers
    w = Warroom.open(db, user="bench")
    try:
        state, profile = w.state(ref), w.incident_profile(ref)
        now = SystemClock().now()
        values: list[tuple[float, str]] = []
        for timer in compute_timers(profile, state, now):
            current = timer.at(now)
            if not current.applicable:
                continue
            left = current.remaining(now)
            if left is None:
                continue
            values.append((left.total_seconds(), "countdown"))
        values.append((state.duration(now).total_seconds(), "elapsed"))
        for holder in state.roles.values():
            values.append(((now - holder.since).total_seconds(), "elapsed"))
        return values
    finally:
        w.close()


def make_incidents(tmp: str) -> list[tuple[str, str, str]]:
    """(label, db, ref): the sample incident and a fresh dxw one."""
    from warroom.core.domain import Warroom
    from warroom.demo import load_demo
    sample_db = str(Path(tmp) / "sample.db")
    sample_ref = load_demo(sample_db, user="bench")
    fresh_db = str(Path(tmp) / "fresh.db")
    with Warroom.open(fresh_db, user="bench", create=True) as w:
        fresh_ref = w.declare("Payments API returning 500s", profile="dxw", lead="bench").incident
    return [("sample incident", sample_db, sample_ref), ("fresh dxw incident", fresh_db, fresh_ref)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--settle", type=float, default=4.0)
    parser.add_argument("--dump", metavar="DIR", help="write each run's idle bytes here")
    args = parser.parse_args()
    print(f"idle bytes written to the terminal, {args.seconds:g} s after loading + "
          f"{args.settle:g} s; floor: a minimal Textual app with one label per changing value, "
          "same schedule\n")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for label, db, ref in make_incidents(tmp):
            values = changing_values(db, ref)
            for size in SIZES:
                app, got = watch([sys.executable, "-m", "warroom", "--db", db, "--as", "bench",
                                  "open", ref], size, b" entries", args.seconds, args.settle)
                floor, _ = watch([sys.executable, "-c", FLOOR, json.dumps(values), str(REPO)], size,
                                 b"floor-ready-marker", args.seconds, args.settle)
                if args.dump:
                    Path(args.dump).mkdir(parents=True, exist_ok=True)
                    name = f"{label.split()[0]}-{size[0]}x{size[1]}.bin"
                    (Path(args.dump) / name).write_bytes(got)
                # Nothing to write and nothing written (every value showing whole minutes, none
                # turning in the window) is the floor itself, not an infinite ratio.
                ratio = app / floor if floor > 0 else (1.0 if app < 1 else float("inf"))
                good = ratio <= 2 and (size != (120, 40) or app < 1000)
                ok = ok and good
                print(f"  {label:<20} {size[0]:>3}x{size[1]:<3} {app:9.0f} B/s   floor "
                      f"{floor:7.0f} B/s ({len(values)} labels)   ratio {ratio:6.2f}x   "
                      f"{'ok' if good else 'OVER target'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
