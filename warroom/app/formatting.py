"""How entries and durations read on screen. Pure functions: no widget, no store.

Everything a person typed reaches the screen through :func:`plain`: stored text was sanitised at
the door, but a database written behind the app's back may still hold escape sequences, so
display text is sanitised again (cheap) and folded to one line.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from warroom.base.model import Entry
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


def entry_text(entry: Entry, severity_label=None) -> str:
    """The text column of a timeline row: the entry's text, with what the system kinds imply.
    Values from the entry's data (a severity's "to", a status) are display text too: the whole
    line is made safe, and a damaged row is shown as such (core.entry_data.readable)."""
    return plain(_entry_text(readable(entry), severity_label))


def _entry_text(entry: Entry, severity_label=None) -> str:
    data = entry.data or {}
    label = severity_label or (lambda s: str(s).upper())
    text = plain(entry.text)
    if entry.kind == "severity":
        return f"{label(data.get('from', '?'))} → {label(data.get('to', '?'))}: {text}"
    if entry.kind == "status":
        moved = f"{data.get('from', '?')} → {data.get('to', '?')}"
        return moved if text == f"Status: {data.get('to')}" else f"{moved}: {text}"
    if entry.kind == "amend" and entry.amends is not None:
        return f"corrects #{entry.amends}: {text}"
    if entry.kind == "done" and data.get("target") is not None:
        return f"#{data['target']} {text}"
    if entry.kind == "declared":
        return f"Declared: {text}"
    if entry.kind == "summary" and data.get("late_by_s"):
        from warroom.core.timers import describe_lateness

        return f"{text} (summary {describe_lateness(timedelta(seconds=data['late_by_s']))})"
    return text


def clock_time(at: datetime, utc: bool) -> str:
    """HH:MM in local time, or UTC when toggled (the report and the CLI speak UTC)."""
    shown = at.astimezone(timezone.utc) if utc else at.astimezone()
    return shown.strftime("%H:%M")


def countdown(delta: timedelta) -> str:
    """A ticking duration: ``12:04`` under an hour, ``1h 05m`` above; never negative."""
    total = int(abs(delta).total_seconds())
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours >= 24:
        return f"{hours // 24}d {hours % 24}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes:02d}:{seconds:02d}"


def elapsed(delta: timedelta) -> str:
    total = int(max(delta.total_seconds(), 0))
    hours, rest = divmod(total, 3600)
    minutes = rest // 60
    if hours >= 24:
        return f"{hours // 24}d {hours % 24}h {minutes:02d}m"
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"


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
