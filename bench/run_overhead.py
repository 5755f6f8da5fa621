"""What ``warroom run`` costs: a command through it against the same command run directly, each
measured in the same run, alternated so that machine noise falls on both alike.

    python bench/run_overhead.py [--rounds 15]

1. ``warroom run -- true`` against ``true`` (the floor), and against ``warroom note`` (the
   floor of any warroom command that writes: Python, SQLAlchemy and the database opened, one
   entry written; ``run`` writes two).
2. A command printing 10 MB, read by this process through a pipe, and under a pseudo-terminal
   (what a person's terminal does), against the same command run directly the same way.

Prints the median wall time of each, the difference and the ratio.
"""

from __future__ import annotations

import argparse
import os
import pty
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
TEN_MB = "import sys\nsys.stdout.buffer.write(b'0123456789abcdef' * 655360)\n"


def timed_pipe(argv: list[str], env: dict[str, str]) -> tuple[float, int]:
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                          cwd=str(ROOT))
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{argv}: exit {done.returncode}: {done.stderr[-300:]!r}")
    return took, len(done.stdout)


def timed_pty(argv: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Run on a fresh pty, reading everything it writes, as a terminal emulator would."""
    master, slave = pty.openpty()
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                            cwd=str(ROOT), start_new_session=True)
    os.close(slave)
    got = 0
    while True:
        ready, _, _ = select.select([master], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        got += len(chunk)
    proc.wait()
    took = time.perf_counter() - start
    os.close(master)
    if proc.returncode != 0:
        raise SystemExit(f"{argv}: exit {proc.returncode}")
    return took, got


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="warroom-bench-") as tmp:
        db = str(Path(tmp) / "bench.db")
        env = dict(os.environ, WARROOM_DB=db, WARROOM_USER="bench",
                   WARROOM_DATA_DIR=str(Path(tmp) / "data"),
                   WARROOM_CONFIG_DIR=str(Path(tmp) / "config"))
        # An installed warroom has its bytecode: compiled once by the warm-up round, not each run.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        subprocess.run([PY, "-m", "warroom", "declare", "Bench incident"], env=env, check=True,
                       capture_output=True, cwd=str(ROOT))
        warroom = [PY, "-m", "warroom"]
        cases = {
            "true (floor)": (timed_pipe, ["true"]),
            "warroom note (a warroom command's floor)": (timed_pipe, warroom + ["note", "x"]),
            "warroom run -- true": (timed_pipe, warroom + ["run", "--", "true"]),
            "10 MB, pipe, direct (floor)": (timed_pipe, [PY, "-c", TEN_MB]),
            "10 MB, pipe, warroom run": (timed_pipe, warroom + ["run", "--", PY, "-c", TEN_MB]),
            "10 MB, pty, direct (floor)": (timed_pty, [PY, "-c", TEN_MB]),
            "10 MB, pty, warroom run": (timed_pty, warroom + ["run", "--", PY, "-c", TEN_MB]),
        }
        samples: dict[str, list[float]] = {name: [] for name in cases}
        sizes: dict[str, int] = {}
        for round_ in range(args.rounds + 1):
            for name, (how, argv) in cases.items():
                took, size = how(argv, env)
                if round_:  # the first round warms up (bytecode, page cache)
                    samples[name].append(took)
                sizes[name] = size
        med = {name: statistics.median(values) for name, values in samples.items()}
    print(f"median of {args.rounds} rounds, cases alternated")
    for name, value in med.items():
        print(f"  {name:<42} {value * 1000:8.1f} ms   ({sizes[name]:,} bytes out)")

    def compare(case: str, floor: str) -> None:
        diff = (med[case] - med[floor]) * 1000
        print(f"{case} vs {floor}: +{diff:.1f} ms, ratio {med[case] / med[floor]:.2f}")

    print()
    compare("warroom run -- true", "true (floor)")
    compare("warroom run -- true", "warroom note (a warroom command's floor)")
    compare("10 MB, pipe, warroom run", "10 MB, pipe, direct (floor)")
    compare("10 MB, pty, warroom run", "10 MB, pty, direct (floor)")


if __name__ == "__main__":
    main()
