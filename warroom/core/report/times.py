"""Times in the report: stored UTC times shown to the second, and the reader's local zone
for the timeline's second column (:class:`Zone`, :func:`local_zone`)."""

from __future__ import annotations

import os
import time
from datetime import datetime, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from warroom.base.clock import format_time, parse_time
from warroom.base.errors import ValidationError

UTC = timezone.utc

def stamp(stored: str) -> str:
    """``2026-11-22T14:02:00.000000Z`` → ``2026-11-22 14:02:00`` without parsing, when canonical."""
    if len(stored) == 27 and stored[10] == "T" and stored[26] == "Z":
        return stored[:10] + " " + stored[11:19]
    return utc_seconds(parse_time(stored))


def canonical(stored: str) -> str:
    if len(stored) == 27 and stored[10] == "T" and stored[26] == "Z":
        return stored
    return format_time(parse_time(stored))


def utc_seconds(at: datetime) -> str:
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "seconds")


def at_utc(at: datetime | None) -> str:
    return f"{utc_seconds(at)} UTC" if at else "not recorded"


_UTC_NAMES = {"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Universal", "Etc/Universal", "Zulu",
              "Etc/Zulu", "Z"}


class Zone:
    """The reader's local zone for the timeline's second column (``None`` zone: the system's)."""

    def __init__(self, zone: tzinfo | None, label: str) -> None:
        self.zone, self.label = zone, label
        self._minutes: dict[str, str] = {}  # UTC minute → local minute and zone abbreviation

    def show(self, at: datetime) -> str:
        local = at.astimezone(self.zone) if self.zone is not None else at.astimezone()
        return f"{local.replace(tzinfo=None).isoformat(' ', 'seconds')} {local.tzname() or ''}"

    def show_stored(self, stored: str, at: datetime) -> str:
        """As :meth:`show`, for a canonical stored time, converting each minute once: zone
        offsets are whole minutes, so the seconds carry over."""
        minute = stored[:16]
        known = self._minutes.get(minute)
        if known is None:
            shown = self.show(at.replace(second=0, microsecond=0))
            known = self._minutes[minute] = shown[:16] + "\0" + shown[20:]
        return known.replace("\0", f":{stored[17:19]} ", 1)


def local_zone(tz: tzinfo | str | None) -> Zone | None:
    """The local zone, or None when it is UTC (then the timeline has no second column)."""
    if isinstance(tz, str):
        try:
            tz = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError(f"unknown time zone {tz!r} (e.g. Europe/London)") from None
    if tz is not None:
        name = getattr(tz, "key", None) or str(tz)
        if name in _UTC_NAMES or (tz is UTC):
            return None
        return Zone(tz, name)
    name = _system_zone_name()
    if name:
        if name in _UTC_NAMES:
            return None
        try:
            return Zone(ZoneInfo(name), name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    if time.timezone == 0 and not time.daylight:
        return None
    return Zone(None, "/".join(dict.fromkeys(time.tzname)))


def _system_zone_name() -> str | None:
    env = os.environ.get("TZ", "").lstrip(":")
    if env:
        return env
    try:
        target = os.path.realpath("/etc/localtime")
    except OSError:
        return None
    marker = "/zoneinfo/"
    return target.split(marker, 1)[1] if marker in target else None
