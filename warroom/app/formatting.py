"""How entries and times read on screen (durations: :mod:`warroom.core.durations`). Pure
functions: no widget, no store.

Everything a person typed reaches the screen through :func:`plain`: stored text was sanitised at
the door, but a database written behind the app's back may still hold escape sequences, so
display text is sanitised again (cheap) and folded to one line.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING, Callable

from rich.cells import cell_len, chop_cells

from warroom.base.clock import parse_time
from warroom.base.model import Entry
from warroom.core.describe import describe
from warroom.core.durations import describe_lateness
from warroom.core.entry_data import readable
from warroom.core.text import one_line, paragraphs, sanitize

if TYPE_CHECKING:
    from textual.content import Content

MIN_COLS, MIN_ROWS = 80, 24
"""The smallest terminal that shows every pane and every dialog whole."""
SMALL_TERMINAL = f"Small terminal · enlarge to {MIN_COLS}×{MIN_ROWS}"
"""Said below that size (the war room's notice line, a dialog's bottom border)."""

KIND_LABELS = {
    "escalation": "escalate",
    "declared": "declared",
    "attachment": "file",
    "checklist": "check",
}
KIND_WIDTH = 8

# The hotkey kinds, in the order Tab cycles them.
ENTRY_KINDS = ("note", "decision", "action", "result", "change")


def plain(text: str) -> str:
    """User text as one safe display line (controls removed, newlines shown as ⏎, tabs spaced)."""
    return one_line(sanitize(text)).replace("\t", "    ")


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)[:KIND_WIDTH]


def _run_result(entry: Entry) -> str:
    """A command's result (warroom run): how it ended and the command, then how much output
    it kept; its last lines are one Enter away, not folded into the row."""
    from warroom.core.evidence import human_size

    first, _, tail = entry.text.partition("\n")
    lines = tail.count("\n") + 1 if tail else 0
    size = human_size(int(entry.data.get("size") or 0))
    last = f"last line: {tail.rsplit(chr(10), 1)[-1].strip()} · " if lines else ""
    return plain(f"{first} · {last}output {size} (Enter shows it)")


def entry_text(entry: Entry, severity_label: Callable[[str], str] | None = None,
               utc: bool = False) -> str:
    """The text column of a timeline row: the entry's text, with what the system kinds imply
    (read from the entry's data by :func:`warroom.core.describe.describe`). Values from the data
    are display text too: the whole line is made safe, and a damaged row is shown as such
    (:func:`warroom.core.entry_data.readable`)."""
    entry = readable(entry)
    if entry.kind in MULTI_LINE and "\n" in entry.text.strip():
        # Written in a multi-line box: shown as its lines (the timeline wraps each), with no
        # blank lines or empty headings, rather than one line strung with ⏎.
        lines = [plain(line) for line in paragraphs(sanitize(entry.text))] or [""]
        if entry.kind == "summary":
            late = describe(entry).late_by
            if late is not None:
                lines[-1] += f" (summary {describe_lateness(late)})"
        return "\n".join(lines)
    return plain(_entry_text(entry, severity_label, utc))


MULTI_LINE = frozenset({"summary", "comms", "public"})
"""Kinds written in a multi-line editor."""


def _entry_text(entry: Entry, severity_label: Callable[[str], str] | None = None,
                utc: bool = False) -> str:
    kind = entry.kind
    if kind == "prompt" and isinstance(entry.data.get("until"), str):
        # The log says "until 15:06 UTC"; the screen shows its own zone, named once.
        try:
            until = clock_time(parse_time(entry.data["until"]), utc)
        except ValueError:
            return plain(entry.text)
        return plain(_UNTIL.sub(f"until {until}", entry.text, count=1))
    if kind == "result" and entry.data.get("sha256"):
        return _run_result(entry)
    if kind not in _DESCRIBED:
        return plain(entry.text)
    d = describe(entry)
    text = plain(d.text)
    if kind == "severity":
        label = severity_label or (lambda s: str(s).upper())
        return f"{label(_known(d.before))} → {label(_known(d.after))}: {text}"
    if kind == "status":
        moved = f"{_known(d.before)} → {_known(d.after)}"
        return f"{moved}: {plain(d.note)}" if d.note else moved
    if kind == "amend" and d.target is not None:
        return f"corrects #{d.target}: {text}"
    if kind == "done" and d.target is not None:
        return f"#{d.target} {text}"
    if kind == "declared":
        return f"Declared: {text}"
    if kind in ("escalation", "ticket"):
        return plain(d.line)
    if kind == "summary" and d.late_by is not None:
        return f"{text} (summary {describe_lateness(d.late_by)})"
    return text


_UNTIL = re.compile(r"until [0-9]{2}:[0-9]{2} UTC")
_DESCRIBED = frozenset({"severity", "status", "amend", "done", "declared", "summary",
                        "escalation", "ticket"})


def _known(value: object) -> str:
    return "?" if value is None else str(value)


def shown_zone(utc: bool) -> tzinfo:
    """The zone the app shows its times in: the system's local time, or UTC when toggled."""
    if utc:
        return timezone.utc
    from warroom.core.report.times import local_zone

    zone = local_zone(None)
    if zone is None:
        return timezone.utc
    if zone.zone is not None:
        return zone.zone
    return datetime.now().astimezone().tzinfo or timezone.utc


def zone_name(utc: bool, now: datetime) -> str:
    """The name of that zone, shown once on a screen (its abbreviation now: GMT, BST, UTC),
    so no other time there needs one."""
    return now.astimezone(shown_zone(utc)).tzname() or "local time"


def clock_time(at: datetime, utc: bool) -> str:
    """HH:MM in local time, or UTC when toggled (the report and the CLI speak UTC)."""
    shown = at.astimezone(timezone.utc) if utc else at.astimezone()
    return shown.strftime("%H:%M")


def set_content(widget, content) -> None:
    """``widget.update(content)`` only when it changed, and without a layout pass when every
    line keeps its length (a countdown ticking): an idle war room redraws what moves, nothing
    more."""
    last = getattr(widget, "_warroom_shown", None)
    if last is not None and last == content:
        return
    same_shape = last is not None and [len(x) for x in last.plain.split("\n")] == [
        len(x) for x in content.plain.split("\n")]
    widget._warroom_shown = content
    widget.update(content, layout=not same_shape)


def fit_label(text: str, room: int, short: str | None = None) -> str:
    """A label in ``room`` cells, shortened by rule: whole if it fits, else its short form (an
    abbreviation), else cut with an ellipsis, at a word's end when one is near. Never a word
    cut without the ``…`` that says so."""
    if cell_len(text) <= room:
        return text
    if short is not None and cell_len(short) <= room:
        return short
    text = short or text
    if room <= 1:
        return "…"[:max(room, 0)]
    head = chop_cells(text, room - 1)[0]
    space = head.rstrip().rfind(" ")
    if space >= (room - 1) // 2:  # end at a word when that keeps at least half the room
        head = head[:space]
    return head.rstrip(" ,;:·-") + "…"


def clip_rows(content: Content, width: int, rows: int) -> Content:
    """``content`` wrapped to ``width``, in ``rows`` lines at most (the last ends in … if cut).
    Unknown sizes (before the first layout) leave it whole."""
    from textual.content import Content

    if width <= 1 or rows <= 0:
        return content
    lines = [part for line in content.split("\n") for part in line.wrap(width)]
    if len(lines) <= rows:
        return content
    last = lines[rows - 1]
    text = last.plain.rstrip()
    keep = len(text) if cell_len(text) < width else len(fit_label(text, width)) - 1
    return Content("\n").join([*lines[:rows - 1], last[:keep].rstrip() + "…"])


@lru_cache(maxsize=256)
def rgb(colour: str) -> tuple[int, int, int]:
    """A colour as the screen draws it: a CSS name or hex (Textual's), else a Rich name
    (``dark_orange``, ``grey70``), as profiles write them. Remembered: a Rich name costs
    Textual's parser a search for a suggestion each time (milliseconds, every minute)."""
    from textual.color import Color, ColorParseError

    try:
        c = Color.parse(colour)
        return c.r, c.g, c.b
    except ColorParseError:
        from rich.color import Color as RichColor

        t = RichColor.parse(colour).get_truecolor()
        return t.red, t.green, t.blue


def luminance(colour: tuple[int, int, int]) -> float:
    """WCAG relative luminance."""
    def channel(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(v) for v in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def badge_style(colour: str, *, no_color: bool = False) -> str:
    """A severity badge's style: its colour behind black or white text, whichever reads better
    on it (blue wants white); with NO_COLOR, reversed text, which every terminal can show
    (the label says the severity: the colour only repeats it)."""
    if no_color:
        return "bold reverse"
    try:
        back = rgb(colour)
    except Exception:  # a profile's colour no terminal knows: the label still says it
        return "bold reverse"
    fore = "#000000" if contrast(back, (0, 0, 0)) >= contrast(back, (255, 255, 255)) else "#ffffff"
    return f"bold {fore} on #{back[0]:02x}{back[1]:02x}{back[2]:02x}"
