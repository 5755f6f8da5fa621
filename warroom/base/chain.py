"""The hash chain: each entry's hash covers the one before it, so a change anywhere shows."""

from __future__ import annotations

import hashlib

from warroom.base.model import Entry

GENESIS = "0" * 64


def chain_hash(prev_hash: str, entry: Entry) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + entry.canonical()).hexdigest()
