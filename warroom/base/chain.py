"""The hash chain: each entry's hash covers the one before it, so a change anywhere shows.

Three layers, each catching what the one before cannot:

- the chain itself (:func:`chain_hash`): an entry changed, deleted, reordered or inserted in
  the middle;
- the recorded head (the store's ``heads`` row, written with each entry): entries deleted from
  or forged onto the end;
- the chain key (:func:`seal`, a per-database secret kept outside the database): a whole chain
  re-hashed after an edit. Without a key, a head recorded earlier (a report, ``warroom verify``
  output, an export or a backup) catches that too: today's chain must still extend it.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Iterable, Iterator

from warroom.base.model import Entry

GENESIS = "0" * 64


def chain_hash(prev_hash: str, entry: Entry) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + entry.canonical()).hexdigest()


def seal(key: bytes, ref: str, seq: int, digest: str) -> str:
    """The HMAC-SHA256 an entry carries when its database has a chain key: over the incident's
    reference, the entry's number and its hash (which covers everything before it). Anyone
    re-hashing the chain without the key cannot make new seals."""
    message = f"{ref}\n{seq}\n{digest}".encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def seal_matches(key: bytes, ref: str, seq: int, digest: str, found: str) -> bool:
    return hmac.compare_digest(seal(key, ref, seq, digest), found)


class ChainTap:
    """The chain recomputed while entries stream past (a report reads the log once): the head
    of what went by, and the first entry whose stored links or hash disagree."""

    __slots__ = ("head", "seq", "broken_at")

    def __init__(self) -> None:
        self.head, self.seq = GENESIS, 0
        self.broken_at: int | None = None

    def __call__(self, entries: Iterable[Entry]) -> Iterator[Entry]:
        for entry in entries:
            digest = chain_hash(self.head, entry)
            if self.broken_at is None and (entry.seq != self.seq + 1 or entry.prev_hash != self.head
                                           or entry.hash != digest):
                self.broken_at = entry.seq
            self.head, self.seq = digest, entry.seq
            yield entry
