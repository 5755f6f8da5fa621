"""Durations, the one home: how a profile or a person writes them (:func:`parse_duration`, with
units: 30s, 30m, 2h, 7d, or 1h30m) and how they are shown (:func:`format_duration`, whose
``style`` says which of the screens' and the report's conventions):

=========== =============================== ===============================================
style       examples                        where
=========== =============================== ===============================================
``span``    ``45s`` ``12m`` ``1h 05m``      the report; with ``precise``: ``12m 04s``,
            ``7d``                          ``7d 0h`` (the two largest units, always), as
                                            timers count (``round_up`` counting down, so
                                            nothing reads ``in 0s`` before it is due)
``cadence`` ``30m`` ``1h`` ``1h 30m``       a cadence as a person writes it
                                            (:func:`parse_duration` reads it back)
``clock``   ``12:04`` ``1h 05m`` ``1d 2h``  a stopwatch (minutes and seconds)
``countdown`` ``45s`` ``23m`` ``1h 05m``    a timer (``in 23m``, ``4m late``): whole minutes,
            ``2d 3h``                       so it changes once a minute and never reads like
                                            a time of day; seconds only under a minute
                                            (``round_up`` counting down: ``in 24m`` until
                                            23 whole minutes are left, never ``in 0s``)
``elapsed`` ``5m`` ``1h 05m`` ``1d 2h 05m`` how long the incident has run, a role held
=========== =============================== ===============================================

:func:`describe_lateness` says how late something was (``12 min late``).
"""

from __future__ import annotations

import math
import re
from datetime import timedelta
from typing import Literal

_PART = re.compile(r"(\d+)\s*([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

Style = Literal["span", "cadence", "clock", "countdown", "elapsed"]


def parse_duration(text: str) -> timedelta:
    """Parse ``30m`` / ``2h`` / ``1h30m``. Raises ValueError with a message a person can act on."""
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a duration (write it with a unit: 30s, 30m, 2h, 7d)")
    compact = text.strip().lower().replace(" ", "")
    if not compact or _PART.sub("", compact):
        raise ValueError(f"{text!r} is not a duration (write it with a unit: 30s, 30m, 2h, 7d)")
    seconds = sum(int(n) * _UNITS[u] for n, u in _PART.findall(compact))
    if seconds <= 0:
        raise ValueError(f"{text!r} must be longer than zero")
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta, style: Style = "span", *, precise: bool = False,
                    round_up: bool = False) -> str:
    """A duration as the ``style`` of the table above shows it: its size, whatever its sign,
    except that ``elapsed`` shows a negative one as zero."""
    seconds = delta.total_seconds()
    seconds = max(seconds, 0.0) if style == "elapsed" else abs(seconds)
    total = math.ceil(seconds) if round_up else math.floor(seconds)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if style == "cadence":
        parts = [f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m"), (secs, "s"))
                 if n]
        return " ".join(parts) or "0s"
    if style == "clock":
        if days:
            return f"{days}d {hours}h"
        return f"{hours}h {minutes:02d}m" if hours else f"{minutes:02d}:{secs:02d}"
    if style == "countdown":
        if total < 60:
            return f"{total}s"
        if round_up:  # counting down: a minute started is a minute left
            total = math.ceil(seconds / 60) * 60
            days, rest = divmod(total, 86400)
            hours, minutes = divmod(rest // 60, 60)
        if days:
            return f"{days}d {hours}h"
        return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"
    if style == "elapsed":
        if days:
            return f"{days}d {hours}h {minutes:02d}m"
        return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"
    if days:
        return f"{days}d {hours}h" if hours or precise else f"{days}d"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s" if precise else f"{minutes}m"
    return f"{secs}s"


def describe_lateness(late_by: timedelta | None) -> str:
    """``on time``, ``45 s late``, ``12 min late``, ``1 h 05 min late``."""
    if late_by is None or late_by.total_seconds() < 1:
        return "on time"
    total = int(late_by.total_seconds())
    if total < 60:
        return f"{total} s late"
    minutes = total // 60
    if minutes < 60:
        return f"{minutes} min late"
    return f"{minutes // 60} h {minutes % 60:02d} min late"
