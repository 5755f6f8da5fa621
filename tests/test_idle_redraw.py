"""An idle war room on a real pseudo-terminal redraws only what changed.

The app runs at 120x40 on a fresh dxw incident with nobody typing; every byte it writes during
five idle seconds is read and cut at its cursor-position sequences (``ESC[row;colH``): each
piece that draws something is a write to that screen cell. The tests count the screen regions
written, not bytes or time, and replay each write onto the screen as it stood: a write must
start on a cell it changes (a countdown's digits, not its row from the pane's left border). Countdowns show whole minutes (``in 27m``) and seconds only in their
last minute (``in 30s``): with a countdown in its last minute, the timers pane is written, and
only on the rows of its countdowns; with none (a fresh incident too: its vacant roles show
whole minutes, ``vacant 0m``), nothing at all is written unless a minute turns
meanwhile. The timeline, the key bar and (unless an elapsed minute rolled over meanwhile) the
summary and role board are never written."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone

from tests.pty_terminal import Terminal, warroom
from warroom.core.domain import Warroom

COLS, ROWS = 120, 40
IDLE = 5.0
POSITION = re.compile(rb"\x1b\[(\d+);(\d+)H")
NOT_DRAWN = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|[\r\n]")


def written(data: bytes) -> list[tuple[int, int, str]]:
    """(row, column, text drawn) for each cursor position followed by something drawn."""
    out = []
    marks = list(POSITION.finditer(data))
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(data)
        text = NOT_DRAWN.sub(b"", data[m.end():end]).decode("utf-8", "replace")
        if text:
            out.append((int(m.group(1)), int(m.group(2)), text))
    return out


Grid = dict[int, dict[int, str]]


def replay(grid: Grid, row: int, col: int, text: str) -> int:
    """Draw ``text`` at (row, col) on ``grid``; returns how many of its first cells already
    showed what it draws (a write that starts on a changed cell returns 0)."""
    line = grid.setdefault(row, {})
    same = 0
    while same < len(text) and line.get(col + same) == text[same]:
        same += 1
    for i, ch in enumerate(text):
        line[col + i] = ch
    return same


def layout(before: bytes) -> tuple[int, list[int], Grid]:
    """Where the panes ended up, from the screen as the frames before the idle window left it
    (every write replayed onto a grid): the timeline's top border row, the left column of
    each top pane (summary, roles, timers) read from the top row's corners, and the grid."""
    grid: Grid = {}
    for row, col, text in written(before):
        replay(grid, row, col, text)
    def text_of(row: int) -> str:
        line = grid.get(row, {})
        return "".join(line.get(c, " ") for c in range(1, max(line, default=0) + 1))
    starts = [i + 1 for i, ch in enumerate(text_of(1)) if ch == "╭"]
    timeline = next((row for row in sorted(grid) if "╭─ Timeline" in text_of(row)), 0)
    return timeline, starts, grid


def pane(row: int, col: int, timeline: int, starts: list[int]) -> str:
    if row >= timeline:
        return "timeline and below"
    names = ["summary", "roles", "timers"]
    return names[max(i for i, at in enumerate(starts) if at <= col)]


def crosses_minute(declared: datetime, start: float, end: float) -> bool:
    """Did an elapsed-minutes figure (summary, role board) change between start and end (wall
    clock seconds, a second's margin either side)?"""
    def minutes(at: float) -> int:
        return int((at - declared.timestamp()) // 60)
    return minutes(start - 1) != minutes(end + 1)


def idle_writes(tmp_path, declared: datetime) -> tuple[dict[str, set[tuple[int, int]]], int, bool]:
    """Which panes were written (rows and columns) in five idle seconds, where the timeline
    starts, and whether a minute turned meanwhile."""
    db = str(tmp_path / "idle.db")
    with Warroom.open(db, user="lee") as w:
        ref = w.declare("Payments API returning 500s", profile="dxw", lead="lee",
                        at=declared).incident
    term = Terminal(warroom("--db", db, "--as", "lee", "open", ref), cols=COLS, rows=ROWS)
    try:
        term.wait_for(" entries")
        term.read_for(3.0)  # the load's last frames (the rest of the log, the panes)
        mark, start = len(term.output), time.time()
        term.read_for(IDLE)
        end = time.time()
        before, idle = bytes(term.output[:mark]), bytes(term.output[mark:])
    finally:
        term.close()

    timeline, starts, grid = layout(before)
    assert timeline > 1 and len(starts) == 3, f"panes not found: {timeline}, {starts}"
    by_pane: dict[str, set[tuple[int, int]]] = {}
    for row, col, text in written(idle):
        by_pane.setdefault(pane(row, col, timeline, starts), set()).add((row, col))
        # Only what changed is written: not a pane's row from its border, not a whole value
        # whose first cells stayed as they were.
        assert col not in starts and "│" not in text, (
            f"row {row} rewritten from the pane's border: {text!r} at column {col}")
        unchanged = replay(grid, row, col, text)
        assert unchanged == 0, (
            f"{text!r} written at {row},{col} though its first {unchanged} cells showed it already")
    return by_pane, timeline, crosses_minute(declared, start, end)


def test_an_idle_war_room_redraws_only_the_countdowns(tmp_path):
    # dxw's lead summary is due 30 minutes after declaring: it is in its last minute.
    declared = datetime.now(timezone.utc) - timedelta(minutes=29, seconds=20)
    by_pane, timeline, minute_turned = idle_writes(tmp_path, declared)
    assert by_pane.get("timers"), f"no countdown ticked in {IDLE}s"
    assert "timeline and below" not in by_pane, (
        f"the timeline (or the lines under it) was redrawn while idle: {by_pane}")
    if not minute_turned:
        assert "summary" not in by_pane, f"the summary pane was redrawn while idle: {by_pane}"
        assert "roles" not in by_pane, f"the role board was redrawn while idle: {by_pane}"
    # The countdowns' rows, not the pane: its borders top and bottom are never written.
    rows = {row for row, _ in by_pane["timers"]}
    assert 1 not in rows and max(rows) < timeline - 1, f"the timers pane was redrawn: {rows}"


def test_countdowns_showing_minutes_write_nothing_until_their_minute_turns(tmp_path):
    # Every countdown of a fresh dxw incident shows minutes (in 27m, vacant 3m): they turn with
    # the minutes since declaring, as the elapsed time does.
    declared = datetime.now(timezone.utc) - timedelta(minutes=3, seconds=20)
    by_pane, _timeline, minute_turned = idle_writes(tmp_path, declared)
    if not minute_turned:
        assert by_pane == {}, f"an idle war room wrote while no minute turned: {by_pane}"
    else:
        assert "timeline and below" not in by_pane, by_pane


def test_a_fresh_incident_writes_nothing_in_its_first_minute(tmp_path):
    # Declared just now: its vacant roles show whole minutes from the first (vacant 0m), as
    # the elapsed time does; no countdown is in its last minute. Nothing ticks each second.
    declared = datetime.now(timezone.utc) - timedelta(seconds=2)
    by_pane, _timeline, minute_turned = idle_writes(tmp_path, declared)
    if not minute_turned:
        assert by_pane == {}, f"a fresh war room wrote in its first minute: {by_pane}"
