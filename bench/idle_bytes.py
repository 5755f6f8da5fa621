"""Bytes an idle war room writes to its terminal each second: what a lead on a bad link pays.

    python bench/idle_bytes.py [--seconds 60] [--settle 4] [--dump DIR]

``warroom open REF`` on a real pseudo-terminal (80x24 and 120x40), nobody typing, real clock,
for two incidents in a real SQLite file: the sample incident (``warroom demo``'s, timers live)
and a freshly declared dxw incident. Every byte the program writes is read; from the moment
the loaded screen shows, plus ``--settle`` seconds, the bytes read over ``--seconds`` divided by
the wall time is the figure. The default window is a whole minute, so that each value showing
minutes turns once in it, as it does every minute for a lead watching.

The floor, measured in the same run on the same kind of terminal: a minimal Textual app that
shows one label per value the war room shows changing (its countdowns and elapsed times, read
from the same incident at start, in the war room's own words) and updates each on the same
schedule: a countdown every second in its last minute (or first minute late), every minute
otherwise; an elapsed time, and how long a role has been vacant, every minute.
Ratio = figure / floor.
Targets: ratio ≤ 2 and under 1,000 B/s at 120x40.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
from _pty import Terminal, read_all, warroom  # noqa: E402

SIZES = ((80, 24), (120, 40))

# The floor: one Label per changing value, each showing that value as the war room does (the
# same words, from warroom.core.durations, so each changes on the war room's schedule: a
# countdown every minute, every second in its last minute or its first minute late; an elapsed
# time every minute; a vacant role's time every minute, its first included). The values come
# in as JSON on argv: [[seconds, style], ...], where a countdown's seconds are those left
# (negative once late) and an elapsed time's (or a vacant role's) those since.
FLOOR = textwrap.dedent("""
    import json, sys, time
    from datetime import timedelta
    sys.path.insert(0, sys.argv[2])
    from textual.app import App
    from textual.widgets import Label
    from warroom.core.durations import format_duration

    VALUES = json.loads(sys.argv[1])
    START = float(sys.argv[3])  # the wall-clock instant the values were read

    def text(seconds, style):
        if style == "vacant":  # whole minutes from the first ("vacant 0m")
            return format_duration(timedelta(seconds=seconds + time.time() - START), "elapsed")
        if style == "countdown":
            left = seconds - (time.time() - START)
            return format_duration(timedelta(seconds=left), "countdown", round_up=left > 0)
        return format_duration(timedelta(seconds=seconds + time.time() - START), "elapsed")

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


def watch_both(app_argv: list[str], floor_argv: list[str], size: tuple[int, int],
               seconds: float, settle: float) -> tuple[float, float, bytes]:
    """(app's bytes per second, floor's, the app's idle bytes): both programs on their own pty
    at once, read over the same window (the same minutes turn for both), from when both
    show their loaded screen plus ``settle``."""
    cols, rows = size
    with Terminal(app_argv, cols=cols, rows=rows) as app, \
            Terminal(floor_argv, cols=cols, rows=rows) as floor:
        app.wait_for(b" entries", limit=60)
        floor.wait_for(b"floor-ready-marker", limit=60)
        read_all([app, floor], settle)
        marks = len(app.output), len(floor.output)
        start = time.monotonic()
        read_all([app, floor], seconds)
        took = time.monotonic() - start
        got = bytes(app.output[marks[0]:])
        return len(got) / took, (len(floor.output) - marks[1]) / took, got


def changing_values(db: str, ref: str) -> tuple[list[tuple[float, str]], float]:
    """What the war room shows ticking for this incident: each applicable timer's seconds left
    (a countdown; negative once late), the elapsed time, each role holder's time; and the
    wall-clock instant they were read at."""
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
            if current.kind == "vacant":  # "vacant 0m", "vacant 1m": never seconds
                values.append((-left.total_seconds(), "vacant"))
                continue
            values.append((left.total_seconds(), "countdown"))
        values.append((state.duration(now).total_seconds(), "elapsed"))
        for holder in state.roles.values():
            values.append(((now - holder.since).total_seconds(), "elapsed"))
        return values, now.timestamp()
    finally:
        w.close()


INCIDENTS = ("sample incident", "fresh dxw incident")


def make_incident(label: str, folder: Path) -> tuple[str, str]:
    """(db, ref): the sample incident or a dxw one declared now, in a database of its own."""
    from warroom.core.domain import Warroom
    from warroom.demo import load_demo
    folder.mkdir(parents=True)
    db = str(folder / "bench.db")
    if label == "sample incident":
        return db, load_demo(db, user="bench")
    with Warroom.open(db, user="bench", create=True) as w:
        return db, w.declare("Payments API returning 500s", profile="dxw", lead="bench").incident


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--settle", type=float, default=4.0)
    parser.add_argument("--dump", metavar="DIR", help="write each run's idle bytes here")
    args = parser.parse_args()
    print(f"idle bytes written to the terminal, {args.seconds:g} s after loading + "
          f"{args.settle:g} s; floor: a minimal Textual app with one label per changing value, "
          "same schedule, on its own pty over the same window\n")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for label in INCIDENTS:
            for size in SIZES:
                # A database for each run, made just before it: a run's presence outlives it by
                # half a minute ("bench ×2" turning to "bench" would change the next one's board).
                db, ref = make_incident(label, Path(tmp, f"{label.split()[0]}-{size[0]}x{size[1]}"))
                values, read_at = changing_values(db, ref)
                app, floor, got = watch_both(
                    warroom("--db", db, "--as", "bench", "open", ref),
                    [sys.executable, "-c", FLOOR, json.dumps(values), str(REPO), repr(read_at)],
                    size, args.seconds, args.settle)
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
                      f"{'ok' if good else 'OVER target'}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
