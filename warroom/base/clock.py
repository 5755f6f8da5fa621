"""Clocks are injected so that everything time-based can be tested with a frozen clock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FrozenClock:
    """A clock that only moves when told to."""

    def __init__(self, at: datetime | str) -> None:
        self._now = parse_time(at) if isinstance(at, str) else at.astimezone(timezone.utc)

    def now(self) -> datetime:
        return self._now

    def set(self, at: datetime | str) -> None:
        self._now = parse_time(at) if isinstance(at, str) else at.astimezone(timezone.utc)

    def advance(self, delta: timedelta | float) -> None:
        if not isinstance(delta, timedelta):
            delta = timedelta(seconds=delta)
        self._now += delta


def format_time(at: datetime) -> str:
    """Canonical stored form: UTC, microseconds, trailing Z. Sorts as text and hashes stably."""
    at = at.astimezone(timezone.utc)
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_CANONICAL = datetime.fromisoformat


def parse_time(text: str) -> datetime:
    """Parse an ISO time; a naive time is taken as local time (what a person typing means)."""
    if len(text) == 27 and text[26] == "Z" and text[10] == "T":
        return _CANONICAL(text)  # the stored form (UTC, "Z"): the hot path
    value = text.strip()
    if value.endswith("Z") or value.endswith("z"):
        value = value[:-1] + "+00:00"
    at = datetime.fromisoformat(value)
    if at.tzinfo is None:
        at = at.astimezone()  # local zone
    return at.astimezone(timezone.utc)
