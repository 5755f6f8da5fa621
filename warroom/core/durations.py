"""Durations in profiles are written with units: 30s, 30m, 2h, 7d (and combinations like 1h30m)."""

from __future__ import annotations

import re
from datetime import timedelta

_PART = re.compile(r"(\d+)\s*([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


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


def format_duration(delta: timedelta, *, precise: bool = False) -> str:
    """``1h 05m``, ``12m``, ``45s``; with precise, seconds are kept for short spans."""
    total = int(abs(delta).total_seconds())
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {seconds:02d}s" if precise else f"{minutes}m"
    return f"{seconds}s"
