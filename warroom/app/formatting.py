"""How entries and times read on screen (durations: :mod:`warroom.core.durations`). Pure
functions: no widget, no store.

Everything a person typed reaches the screen through :func:`plain`: stored text was sanitised at
the door, but a database written behind the app's back may still hold escape sequences, so
display text is sanitised again (cheap) and folded to one line.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

from warroom.base.model import Entry
from warroom.core.describe import describe
from warroom.core.durations import describe_lateness
from warroom.core.entry_data import readable
from warroom.core.text import one_line, sanitize

KIND_LABELS = {
    "escalation": "escalate",
    "declared": "declared",
}
KIND_WIDTH = 8

# The hotkey kinds, in the order Tab cycles them.
ENTRY_KINDS = ("note", "decision", "action", "result", "change")


def plain(text: str) -> str:
    """User text as one safe display line (controls removed, newlines shown as ⏎, tabs spaced)."""
    return one_line(sanitize(text)).replace("\t", "    ")


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)[:KIND_WIDTH]


def entry_text(entry: Entry, severity_label: Callable[[str], str] | None = None) -> str:
    """The text column of a timeline row: the entry's text, with what the system kinds imply
    (read from the entry's data by :func:`warroom.core.describe.describe`). Values from the data
    are display text too: the whole line is made safe, and a damaged row is shown as such
    (:func:`warroom.core.entry_data.readable`)."""
    return plain(_entry_text(readable(entry), severity_label))


def _entry_text(entry: Entry, severity_label: Callable[[str], str] | None = None) -> str:
    kind = entry.kind
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


_DESCRIBED = frozenset({"severity", "status", "amend", "done", "declared", "summary",
                        "escalation", "ticket"})


def _known(value: object) -> str:
    return "?" if value is None else str(value)


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
