"""Start to first painted frame: ``warroom open REF`` on a real database against a minimal
Textual app (Header, Static, Footer), both in a real pseudo-terminal, in the same run.

    python bench/startup.py [--runs 7] [--entries 2000]

Each run spawns the program on a fresh 80x24 pty and reads what it writes until the first
frame shows a word only the painted screen holds ("Timeline" for warroom, the Static's text
for the floor); the time from spawn to that byte is the figure. The process is then killed.
The database is a real SQLite file holding one incident of ``--entries`` entries (the sample
incident plus notes). warroom's modules are byte-compiled first, as an installed copy's are.
Median of ``--runs``, alternating the two programs.
Target: warroom ≤ 1.3× the minimal app.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import textwrap
import time
from pathlib import Path

MINIMAL = textwrap.dedent("""
    from textual.app import App
    from textual.widgets import Footer, Header, Static

    class Minimal(App):
        def compose(self):
            yield Header()
            yield Static("first-paint-marker")
            yield Footer()

    Minimal().run()
""")


def first_paint(argv: list[str], marker: bytes, env: dict[str, str], timeout: float = 20.0) -> float:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                            start_new_session=True, close_fds=True)
    os.close(slave)
    seen = b""
    try:
        while True:
            left = timeout - (time.perf_counter() - start)
            if left <= 0:
                raise SystemExit(f"no first frame from {argv} within {timeout}s: {seen[-300:]!r}")
            ready, _, _ = select.select([master], [], [], left)
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:
                raise SystemExit(f"{argv} exited before painting: {seen[-300:]!r}")
            seen += chunk
            if marker in seen:
                return time.perf_counter() - start
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        os.close(master)


def compile_package() -> None:
    import compileall

    import warroom

    compileall.compile_dir(str(Path(warroom.__file__).parent), quiet=1)


def build(db: Path, entries: int) -> str:
    from warroom.core.domain import Warroom
    from warroom.core.profiles import ProfileRegistry
    from warroom.demo import load_sample
    from warroom.store import Store

    with Store.open(db) as store:
        ref = load_sample(store, profiles=ProfileRegistry())
        w = Warroom(store, ProfileRegistry(), user="bench")
        for i in range(max(entries - len(store.entries(ref)), 0)):
            w.note(ref, f"bench note {i}: checkout p95 {300 + i % 200} ms")
    return ref


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--entries", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        ref = build(db, args.entries)
        minimal = Path(tmp) / "minimal.py"
        minimal.write_text(MINIMAL)
        env = dict(os.environ, TERM="xterm-256color", COLUMNS="80", LINES="24",
                   WARROOM_CONFIG_DIR=str(Path(tmp) / "config"),
                   WARROOM_DATA_DIR=str(Path(tmp) / "data"))
        # Both programs start from bytecode, as installed packages do (pip compiles them at
        # install): Textual's already is; warroom from a source checkout (an editable
        # install, PYTHONDONTWRITEBYTECODE) would otherwise compile ~30 modules every start.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        compile_package()
        warroom = [sys.executable, "-m", "warroom", "--db", str(db), "open", ref]
        floor_argv = [sys.executable, str(minimal)]
        first_paint(floor_argv, b"first-paint-marker", env)  # warm the OS file cache for both
        first_paint(warroom, b"Timeline", env)
        ours, floor = [], []
        for _ in range(args.runs):
            floor.append(first_paint(floor_argv, b"first-paint-marker", env))
            ours.append(first_paint(warroom, b"Timeline", env))
    o, f = statistics.median(ours), statistics.median(floor)
    print(f"start to first painted frame, median of {args.runs} ({args.entries} entries):")
    print(f"  warroom open      {o * 1000:7.0f} ms"
          f"   (min {min(ours) * 1000:.0f}, max {max(ours) * 1000:.0f})")
    print(f"  floor: minimal    {f * 1000:7.0f} ms"
          f"   (min {min(floor) * 1000:.0f}, max {max(floor) * 1000:.0f})")
    print(f"  ratio             {o / f:7.2f}x   target <= 1.30x  {'OK' if o / f <= 1.3 else 'OVER'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
