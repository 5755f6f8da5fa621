"""Clocks, and the one way times are written down and read back.

Clocks are injected so that everything time-based can be tested with a frozen clock.

Two parsers, one formatter:

* :func:`format_time` writes the stored form: UTC, microseconds, a trailing ``Z``, the year
  always four digits (``2026-11-22T14:05:00.000000Z``). It sorts as text and hashes stably.
* :func:`parse_time` reads the stored form back (the hot path: every entry read) and, for the
  code that already had it, any ISO time. It never raises anything but ``ValueError``.
* :func:`parse_user_time` is for what a person types (``--at``, ``declare --at``, an import):
  strict. The year must be in 1970–2200 (:data:`MIN_YEAR`–:data:`MAX_YEAR`); a local time
  without an offset must exist exactly once in the local zone (not skipped by a daylight-saving
  jump, not repeated when the clocks go back). Each refusal is a one-line
  :class:`~warroom.base.errors.ValidationError` naming the rule.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Protocol

from warroom.base.errors import ValidationError

MIN_YEAR = 1970
MAX_YEAR = 2200
EXAMPLE = "e.g. 2026-11-22T14:05 or 2026-11-22T14:05:00Z"


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
    """Canonical stored form: UTC, microseconds, trailing Z, four-digit year.

    Raises ``ValueError`` (never ``OverflowError``) for a time whose UTC date is outside what a
    ``datetime`` can hold (year 1 with a positive offset, year 9999 with a negative one)."""
    try:
        at = at.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError("the time is outside the representable range") from None
    return (f"{at.year:04d}-{at.month:02d}-{at.day:02d}T{at.hour:02d}:{at.minute:02d}:"
            f"{at.second:02d}.{at.microsecond:06d}Z")


_CANONICAL = datetime.fromisoformat
# A stored time written before years were zero-padded ("999-01-01T00:00:00.000000Z"): read it
# rather than let one bad row stop a whole incident from opening.
_UNPADDED = re.compile(r"(\d{1,4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?Z\Z")


def parse_time(text: str) -> datetime:
    """Parse an ISO time; a naive time is taken as local time. ``ValueError`` if it is not one."""
    if len(text) == 27 and text[26] == "Z" and text[10] == "T":
        try:
            return _CANONICAL(text)  # the stored form (UTC, "Z"): the hot path
        except ValueError:
            pass
    value = text.strip()
    old = _UNPADDED.match(value)
    if old:
        y, mo, d, h, mi, s, frac = old.groups()
        return datetime(int(y), int(mo), int(d), int(h), int(mi), int(s),
                        int((frac or "0").ljust(6, "0")), tzinfo=timezone.utc)
    if value.endswith("Z") or value.endswith("z"):
        value = value[:-1] + "+00:00"
    at = datetime.fromisoformat(value)
    try:
        if at.tzinfo is None:
            at = at.astimezone()  # local zone
        return at.astimezone(timezone.utc)
    except (OverflowError, OSError):
        raise ValueError(f"{text!r} is outside the representable range") from None


def parse_user_time(text: str, *, what: str = "--at") -> datetime:
    """A time a person typed, strictly: an ISO time in 1970–2200 that exists exactly once.

    Returns an aware UTC ``datetime``. Refuses with a one-line ``ValidationError`` naming the
    rule: not an ISO time, year outside the window, a local time skipped by a daylight-saving
    jump, or one that happens twice when the clocks go back (give the offset: ``+01:00``)."""
    shown = " ".join(str(text).split())[:60]
    value = str(text).strip()
    if value.endswith("Z") or value.endswith("z"):
        value = value[:-1] + "+00:00"
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"{what} {shown!r} is not an ISO time ({EXAMPLE})") from None
    window = f"the year must be between {MIN_YEAR} and {MAX_YEAR}"
    if not MIN_YEAR <= at.year <= MAX_YEAR:
        raise ValidationError(f"{what} {shown!r}: {window}")
    if at.tzinfo is None:
        at = _local(at, what, shown)
    try:
        utc = at.astimezone(timezone.utc)
    except (OverflowError, OSError):  # pragma: no cover - the window above keeps clear of it
        raise ValidationError(f"{what} {shown!r}: {window}") from None
    if not MIN_YEAR <= utc.year <= MAX_YEAR:
        raise ValidationError(f"{what} {shown!r}: {window} (in UTC)")
    return utc


def _local(naive: datetime, what: str, shown: str) -> datetime:
    """A naive wall-clock time in the local zone, if it exists exactly once there."""
    try:
        first = naive.replace(fold=0).astimezone()
        second = naive.replace(fold=1).astimezone()
    except (OverflowError, OSError):
        raise ValidationError(f"{what} {shown!r}: the year must be between {MIN_YEAR} and "
                              f"{MAX_YEAR}") from None
    if first.utcoffset() == second.utcoffset():
        return first
    back = first.astimezone(timezone.utc).astimezone().replace(tzinfo=None)
    if back != naive.replace(fold=0):
        raise ValidationError(
            f"{what} {shown!r} does not exist in local time (the clocks jumped forward); a "
            f"local time must exist exactly once: give the UTC offset (e.g. {shown}+01:00)")
    raise ValidationError(
        f"{what} {shown!r} happened twice in local time (the clocks went back); a local "
        f"time must exist exactly once: give the UTC offset (e.g. {shown}+01:00)")


def check_stored_time(text: object, *, what: str = "time") -> str:
    """A time from a file that claims to be in the stored form (an import): exactly the form
    :func:`format_time` writes, in the year window. Returns it; ``ValidationError`` if not."""
    if not isinstance(text, str) or len(text) != 27:
        raise ValidationError(f"{what} {str(text)[:40]!r} is not a stored time "
                              "(YYYY-MM-DDTHH:MM:SS.ffffffZ)")
    try:
        at = parse_time(text)
    except ValueError:
        at = None
    if at is None or format_time(at) != text:
        raise ValidationError(f"{what} {text!r} is not a stored time (YYYY-MM-DDTHH:MM:SS.ffffffZ)")
    if not MIN_YEAR <= at.year <= MAX_YEAR:
        raise ValidationError(f"{what} {text!r}: the year must be between {MIN_YEAR} and {MAX_YEAR}")
    return text
