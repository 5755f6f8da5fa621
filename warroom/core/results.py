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
    """The hash chain walked from the first entry, every hash recomputed, its end compared with
    the recorded head, and each entry's seal checked where the database has a chain key.

    Caught: an entry changed, deleted, duplicated, reordered or inserted; entries deleted from
    or forged onto the end; the incident's reference changed; with a chain key, a chain
    re-hashed after an edit. Without one, a re-hashed chain shows against a head recorded
    earlier (:meth:`~warroom.core.domain.Warroom.extends`)."""

    ref: str
    intact: int
    """Entries found intact (before the first bad one, if any)."""
    first_bad: Entry | None
    """The first entry that fails (None when all holds, or the problem is at the end)."""
    detail: str
    """Why it fails; when all is well, the chain's recomputed head."""
    holds: bool = True
    head_seq: int = 0
    """The recomputed head's entry number (of the entries that hold)."""
    head_hash: str = ""
    """The recomputed head: the hash chain computed again from the entries' contents."""
    seals: str = ""
    """What was done about seals, in words: checked (on how many entries), or why not."""
    seals_checked: bool = False
    recorded: bool = False
    """Whether the database recorded a head to compare with (not before schema 3)."""
    writers: tuple[Entry, ...] = ()
    """Entries whose real writer (database role, or operating-system user on SQLite) is not
    the name typed with ``--as``: see :meth:`Entry.written_by_other`."""

    @property
    def ok(self) -> bool:
        return self.holds

    @property
    def head(self) -> str | None:
        """The recomputed head when the chain holds (None otherwise)."""
        return self.head_hash if self.holds else None


@dataclass(frozen=True)
class Extension:
    """Whether today's chain still extends a head recorded earlier."""

    ref: str
    seq: int
    """The earlier head's entry number (0 when no entry today has that hash)."""
    hash: str
    extends: bool
    source: str
    """Where the earlier head came from, in words (``--head``, a file)."""
