"""Status updates before they are sent: when the next one is due by default, and a profile
template filled in (only its two documented placeholders, ``{services}`` and
``{next_update}``; any other brace stays as written)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterable

from warroom.core.profiles import Profile, Template
from warroom.core.state import IncidentState
from warroom.core.timers import status_update_interval

DEFAULT_NEXT_UPDATE = timedelta(hours=1)
"""The next-update interval offered when neither the last update nor the profile sets one."""


def next_update_interval(profile: Profile, state: IncidentState) -> timedelta:
    """The "next update in" to offer: the interval chosen with the last update, else the
    profile's cadence at this severity, else an hour (the status-update timer's own rule)."""
    interval, _ = status_update_interval(profile, state)
    return interval or DEFAULT_NEXT_UPDATE


def fill_template(text: str, services: Iterable[str], next_update: datetime) -> str:
    """A template's text with ``{services}`` and ``{next_update}`` (``HH:MM ZONE``, as given)."""
    named = ", ".join(services) or "our services"
    return text.replace("{services}", named).replace("{next_update}", next_update.strftime("%H:%M %Z"))


def draft_update(template: Template, profile: Profile, services: Iterable[str], now: datetime,
                 next_in: timedelta) -> str:
    """A status update drafted from a profile template: the services named, the next update
    at ``now + next_in`` in the profile's time zone."""
    return fill_template(template.text, services, (now + next_in).astimezone(profile.zone))
