"""What widgets and workers announce. Small dataclasses: the screen decides what to do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from warroom.core.model import Entry


@dataclass
class TailLoaded(Message):
    """The newest entries of an incident (through the feed), shown before the rest is read."""

    ref: str
    profile: Any  # Profile
    entries: "list[Entry]"
    texts: list[str]
    readonly: bool
    shown: Any = None  # threading.Event: set once the newest page has been drawn


@dataclass
class IncidentLoaded(Message):
    """The rest of the incident: the older entries and the state derived from all of them."""

    state: Any  # IncidentState
    older: "list[Entry]"
    texts: list[str]


@dataclass
class LoadFailed(Message):
    message: str


@dataclass
class EntriesArrived(Message):
    """New entries from the change feed, in order, each once (ours and other processes')."""

    entries: "list[Entry]"


@dataclass
class EntrySubmitted(Message):
    """Enter in the entry line. ``uid`` is kept across retries so a retried save is not doubled."""

    kind: str
    text: str
    uid: str


@dataclass
class EntrySaved(Message):
    """The entry is durable: the entry line may clear."""

    entry: "Entry"


@dataclass
class EntryFailed(Message):
    """The save was refused or failed; the draft stays in the line."""

    message: str


@dataclass
class FilterChanged(Message):
    """The search bar's kind filter and search text."""

    kind: str | None
    text: str
