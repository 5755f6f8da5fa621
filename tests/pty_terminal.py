"""The real app on a real pseudo-terminal: what a person's terminal receives, byte for byte.

The driver is bench/_pty.py, shared with the benches that measure the same terminal; here it
runs from the repository's root. Waiting is on the terminal's own output (a marker
appearing), never on sleeps; the time limits are caps for a loaded machine, not what is being
tested."""

from __future__ import annotations

from bench._pty import LIMIT, Terminal as _Terminal, read_all, warroom  # noqa: F401 (re-exported)
from tests.conftest import REPO


class Terminal(_Terminal):
    def __init__(self, argv: list[str], *, cols: int = 100, rows: int = 30,
                 env: dict[str, str] | None = None) -> None:
        super().__init__(argv, cols=cols, rows=rows, env=env, cwd=REPO)
