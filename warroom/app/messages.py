"""What widgets and workers announce. Small records: the screen decides what to do.

Plain classes rather than dataclasses: these are imported before the first frame, and each
dataclass costs a code generation at import (a millisecond and a half for the eight).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from warroom.base.model import Entry


class TailLoaded(Message):
    """The newest entries of an incident (through the feed), shown before the rest is read."""

    def __init__(self, ref: str, profile: Any, entries: list[Entry], texts: list[str],
                 readonly: bool, shown: Any = None, *, alias: str = "") -> None:
        super().__init__()
        self.ref, self.profile, self.entries, self.texts = ref, profile, entries, texts
        self.readonly = readonly
        self.alias = alias  # the reference it had before it was imported under this one
        self.shown = shown  # threading.Event: set once the newest page has been drawn


class IncidentLoaded(Message):
    """The rest of the incident: the older entries and the state derived from all of them,
    and who has it open."""

    def __init__(self, state: Any, older: list[Entry], texts: list[str],
                 here: list[str] | None = None) -> None:
        super().__init__()
        self.state, self.older, self.texts = state, older, texts  # state: IncidentState
        self.here = here or []


class LoadFailed(Message):
    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message


class EntriesArrived(Message):
    """New entries from the change feed, in order, each once (ours and other processes')."""

    def __init__(self, entries: list[Entry]) -> None:
        super().__init__()
        self.entries = entries


class EntrySubmitted(Message):
    """Enter in the entry line. ``uid`` is kept across retries so a retried save is not doubled."""

    def __init__(self, kind: str, text: str, uid: str, typed_at: str | None = None) -> None:
        super().__init__()
        self.kind, self.text, self.uid = kind, text, uid
        self.typed_at = typed_at  # when Enter was pressed: the occurred-at of a delayed save


class EntrySaved(Message):
    """The entry is durable: the entry line may clear."""

    def __init__(self, entry: Entry) -> None:
        super().__init__()
        self.entry = entry


class EntryFailed(Message):
    """The save was refused or failed; the draft stays in the line."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message


class FilterChanged(Message):
    """The search bar's kind filter and search text."""

    def __init__(self, kind: str | None, text: str) -> None:
        super().__init__()
        self.kind, self.text = kind, text
