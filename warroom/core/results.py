"""What the domain API's reading and housekeeping verbs give back: plain, typed values.

The app and the command line read these instead of reaching into the store. Nothing here
imports the store (a change feed is described by the :class:`Feed` protocol it satisfies).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from warroom.base.model import Entry


@dataclass(frozen=True)
class Incident:
    """An incident as the database knows it: its canonical reference and the profile it uses."""

    ref: str
    number: int
    profile: str
    created_at: str
    alias: str = ""
    """The reference it had where it came from, when imported under a new one ('' if not)."""


@dataclass(frozen=True)
class Database:
    """The database a :class:`~warroom.core.domain.Warroom` is open on, for messages."""

    where: str
    """How messages name it: the file's path, or the URL without its password."""
    path: Path | None
    """The SQLite file (None for a database server)."""
    dialect: str
    """``"sqlite"`` or ``"postgresql"``."""
    readonly: bool
    """Opened as a viewer: nothing can be written."""
    viewing: str
    """A read-only viewer: how it reads the database, in words for the screen ('' if live)."""


class Feed(Protocol):
    """New entries of one incident, in order, each delivered once (a store's change feed)."""

    @property
    def mode(self) -> str:
        """``"probe"`` (SQLite), ``"listen"`` (PostgreSQL NOTIFY), ``"poll"`` or ``"static"``."""

    def poll(self) -> list[Entry]:
        """Entries above the last one delivered; never blocks on other writers."""

    def block(self, timeout: float | None = None) -> None:
        """Sleep until something may have changed, :meth:`close`, or ``timeout`` seconds
        (default: the feed's safety-net interval)."""

    def close(self) -> None:
        """Stop following (wakes a :meth:`block` at once)."""


@dataclass(frozen=True)
class Tail:
    """The newest entries of an incident, read through the feed that goes on delivering
    what is written after them (so nothing falls between the read and the following)."""

    ref: str
    """The canonical reference."""
    profile: str
    """The profile the incident was declared with."""
    boundary: int
    """Entries ``1..boundary`` are older than the tail and not read yet
    (``Warroom.entries(ref, limit=boundary)``)."""
    entries: list[Entry]
    feed: Feed


@dataclass(frozen=True)
class Verification:
    """The hash chain walked from the first entry.

    Caught: an entry changed, deleted, duplicated, reordered or inserted in the middle. Not
    caught by the chain alone: entries removed from, or forged onto, the end; compare
    :attr:`head` with one recorded earlier."""

    ref: str
    intact: int
    """Entries found intact (before the first bad one, if any)."""
    first_bad: Entry | None
    """The first entry that fails, or None when the whole chain holds."""
    detail: str
    writers: tuple[Entry, ...] = ()
    """Entries whose real writer (database role, or operating-system user on SQLite) is not
    the name typed with ``--as``: see :meth:`Entry.written_by_other`."""
    """Why :attr:`first_bad` fails; when all is well, the chain's head."""

    @property
    def ok(self) -> bool:
        return self.first_bad is None

    @property
    def head(self) -> str | None:
        """The last entry's hash when the chain holds (None otherwise)."""
        return self.detail if self.first_bad is None else None
