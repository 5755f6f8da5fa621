"""The chain key: a per-database secret that seals each new entry (HMAC, warroom.base.chain).

Kept in the user's config folder (``chain-keys/<database id>.key``, 0600, in a 0700 folder),
never in the database: whoever can rewrite the database cannot make valid seals, so a chain
re-hashed after an edit fails ``warroom verify`` without any copy taken before. The database's
identity is a random id in its ``warroom_meta`` table (a backup copy has the same one, so the
same key checks it). Every machine that writes to a shared database needs the same file: an
entry written without the key after sealed ones fails verify.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from warroom.base.errors import StoreError
from warroom.locations import config_dir, ensure_private_dir


@dataclass(frozen=True)
class ChainKey:
    database_id: str
    key: bytes
    created_at: str
    path: Path


def keys_dir() -> Path:
    return config_dir() / "chain-keys"


def key_path(database_id: str) -> Path:
    if not database_id or not database_id.isalnum():
        raise StoreError(f"not a database identity: {database_id!r}")
    return keys_dir() / f"{database_id}.key"


def load_key(database_id: str | None) -> ChainKey | None:
    """The chain key filed under ``database_id``, or None when there is none (or no id)."""
    if not database_id:
        return None
    path = key_path(database_id)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(f"{path}: cannot read the chain key ({exc.strerror})") from None
    try:
        doc = json.loads(raw)
        key = bytes.fromhex(doc["key"])
        created = str(doc["created_at"])
        if len(key) < 32 or doc.get("database") != database_id:
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise StoreError(f"{path}: not a warroom chain key (damaged?); nothing was written") from None
    return ChainKey(database_id, key, created, path)


def create_key(database_id: str, created_at: str) -> tuple[ChainKey, bool]:
    """The key for ``database_id``, made at ``created_at`` (0600, never over an existing one)
    unless it exists. Returns it and whether it was made. Entries recorded from ``created_at``
    on must carry a seal."""
    found = load_key(database_id)
    if found is not None:
        return found, False
    path = key_path(database_id)
    ensure_private_dir(path.parent)
    body = json.dumps({"database": database_id, "key": secrets.token_hex(32),
                       "created_at": created_at}) + "\n"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        found = load_key(database_id)
        assert found is not None
        return found, False
    except OSError as exc:
        raise StoreError(f"{path}: cannot write the chain key ({exc.strerror})") from None
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, body.encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    made = load_key(database_id)
    assert made is not None
    return made, True
