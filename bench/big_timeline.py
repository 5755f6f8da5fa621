"""Open a 50,000-entry incident in the war room; append one entry and see it drawn.

    python bench/big_timeline.py [--entries 50000] [--appends 5]

Builds the incident with bench/export.py's ``build`` (a realistic mix of kinds, multi-line
pastes, corrections, hash chain and all) into a temporary SQLite file. Then, in a fresh child
process, the real app (``WarroomApp``, headless at 80×24) opens it, and we time:

- open: from creating the app to a usable timeline (the incident loaded through the change feed,
  the last page of the timeline painted, following the bottom). Floor: reading the same
  entries with ``ChangeFeed.poll()`` alone, in the same child: what any viewer must pay.
  Target: 1 s or less. Peak RSS of the child (``ru_maxrss``), target 300 MB or less.
- append: the scribe presses Enter on a note; time until that row is drawn (saved durably,
  read back through the feed, rendered). Floor: the durable ``Warroom.log`` call alone.
  Target: 50 ms or less.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

OPEN_TARGET_S = 1.0
RSS_TARGET_MB = 300
APPEND_TARGET_MS = 50.0


def child(db: str, appends: int) -> dict:
    import asyncio
    import resource

    started = time.perf_counter()
    from textual import events

    from warroom.app.app import WarroomApp

    result: dict = {"import_s": time.perf_counter() - started}

    async def main() -> None:
        t0 = time.perf_counter()
        app = WarroomApp(db=db, user="bench", ref="INC-1",
                         prompts=os.environ.get("BENCH_PROMPTS", "1") == "1")
        from warroom.app.widgets.timeline import Timeline

        # "Usable" is the first line the timeline renders once it holds entries (the frame
        # with the newest page, following the bottom); the pilot's own waiting is not counted.
        painted: dict = {}
        original_render_line = Timeline.render_line

        def first_paint(self, y):
            if self.entry_count and self.scroll_y == self.max_scroll_y > 0 and "at" not in painted:
                painted["at"] = time.perf_counter()
            return original_render_line(self, y)

        Timeline.render_line = first_paint
        async with app.run_test(size=(80, 24)) as pilot:
            screen = app.screen
            while "at" not in painted:
                await pilot.pause(0.001)
            Timeline.render_line = original_render_line
            screen = app.screen
            timeline = screen.timeline
            result["open_s"] = painted["at"] - t0
            result["usable_rows"] = timeline.entry_count
            while screen.state is None:
                await pilot.pause(0.005)
            await pilot.pause()
            result["full_s"] = time.perf_counter() - t0
            result["entries"] = timeline.entry_count
            result["at_bottom"] = timeline.scroll_y == timeline.max_scroll_y
            result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

            # "Drawn" is the first line the timeline renders after the new row was added (the
            # compositor asks for the visible lines of a widget that changed); the pilot's own
            # waiting after the key press is not counted.
            marks: dict = {}
            add, render_line = timeline.add, timeline.render_line

            def traced_add(entries):
                add(entries)
                if any(e.text == marks.get("text") for e in entries):
                    marks["added"] = time.perf_counter()

            def traced_render_line(y):
                if "added" in marks and "drawn" not in marks:
                    marks["drawn"] = time.perf_counter()
                return render_line(y)

            timeline.add, timeline.render_line = traced_add, traced_render_line
            times = []
            for i in range(appends):
                text = f"bench append {i}"
                await pilot.press("n")
                app.focused.post_message(events.Paste(text))
                await pilot.pause()
                marks.clear()
                marks["text"] = text
                t1 = time.perf_counter()
                await pilot.press("enter")
                while "drawn" not in marks:
                    await pilot.pause(0.0005)
                times.append((marks["drawn"] - t1) * 1000)
                await pilot.press("escape")
            result["append_ms"] = times

            # Floors, same process, same database.
            from warroom.store.feed import ChangeFeed

            w = app.open_warroom()
            t2 = time.perf_counter()
            feed = ChangeFeed(w.store, "INC-1")
            feed.poll()
            result["floor_read_s"] = time.perf_counter() - t2
            feed.close()
            floors = []
            for i in range(appends):
                t3 = time.perf_counter()
                w.log("INC-1", "note", f"floor {i}")
                floors.append((time.perf_counter() - t3) * 1000)
            result["floor_log_ms"] = floors
            await pilot.press("q")

    asyncio.run(main())
    return result


def median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=50_000)
    parser.add_argument("--appends", type=int, default=5)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.appends)))
        return 0

    from export import build  # bench/export.py: the shared 'big incident' builder

    with tempfile.TemporaryDirectory(prefix="warroom-bench-") as tmp:
        db = Path(tmp) / "big.db"
        t = time.perf_counter()
        build(db, args.entries)
        print(f"built {args.entries:,} entries in {time.perf_counter() - t:.1f} s")
        env = dict(os.environ, WARROOM_CONFIG_DIR=str(Path(tmp) / "config"),
                   PYTHONPATH=str(ROOT.parent))
        out = subprocess.run([sys.executable, __file__, "--child", str(db), "--appends",
                              str(args.appends)], capture_output=True, text=True, env=env,
                             timeout=600)
        if out.returncode != 0:
            print(out.stderr, file=sys.stderr)
            return 1
        r = json.loads(out.stdout.strip().splitlines()[-1])

    ok = True

    def line(name: str, figure: float, floor: float, unit: str, target: float) -> None:
        nonlocal ok
        passed = figure <= target
        ok = ok and passed
        print(f"{name:<28} {figure:9.1f} {unit}   floor {floor:8.1f} {unit}   "
              f"ratio {figure / floor if floor else float('inf'):5.2f}x   target <= {target:g} {unit}   "
              f"{'ok' if passed else 'MISSED'}")

    print(f"entries shown: {r['entries']:,}; following the bottom: {r['at_bottom']}")
    print(f"{'all ' + format(r['entries'], ',') + ' read, panes filled':<28} {r['full_s'] * 1000:9.1f} ms   "
          f"(the newest {r['usable_rows']:,} were usable before)")
    line("open to usable timeline", r["open_s"] * 1000, r["floor_read_s"] * 1000, "ms",
         OPEN_TARGET_S * 1000)
    rss_ok = r["rss_mb"] <= RSS_TARGET_MB
    ok = ok and rss_ok
    print(f"{'peak RSS':<28} {r['rss_mb']:9.1f} MB   target <= {RSS_TARGET_MB} MB   "
          f"{'ok' if rss_ok else 'MISSED'}")
    line("append: Enter to drawn (med)", median(r["append_ms"]), median(r["floor_log_ms"]), "ms",
         APPEND_TARGET_MS)
    each = ", ".join(f"{t:.0f}" for t in r["append_ms"])
    label = f"append: worst of {len(r['append_ms'])}"
    print(f"{label:<28} {max(r['append_ms']):9.1f} ms   (each: {each})")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
