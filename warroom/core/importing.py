"""Reading a JSON export before anything is written: bounded, validated whole.

:func:`load_export` reads the file (at most :data:`MAX_IMPORT_BYTES`; nesting too deep or a
document too big for memory is refused in one line, never a RecursionError or MemoryError).
:func:`parse_export` checks every entry (kind, people, text, the shape of its ``data``, exact
stored times) and the hash chain, and returns what the store writes. Nothing is opened or
written until the whole file has passed, so a refused import leaves no trace (not even an
empty database).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from warroom.base.clock import check_stored_time
from warroom.base.errors import ValidationError, WarroomError
from warroom.base.files import read_bounded
from warroom.base.model import KINDS, Attachment, Entry
from warroom.core.entry_data import entry_problem
from warroom.core.text import clean_line

EXPORT_FORMAT = "warroom-export"
EXPORT_VERSION = 1
MAX_IMPORT_BYTES = 50_000_000
MAX_REF = 64
_REF_NUMBER = re.compile(r"[A-Za-z][A-Za-z0-9]*-([0-9]{1,9})\Z")
_REF_SHAPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*\Z")
"""What an imported reference may be: ASCII letters, digits and . _ : - (so that it folds the
same way in Python, SQLite and PostgreSQL: references are unique whatever their case)."""


@dataclass(frozen=True)
class ParsedExport:
    ref: str
    number: int | None
    profile: str
    created_at: str
    items: list[Entry]
    files: list[Attachment] = field(default_factory=list)
    """The files the entries link to (issue 17), each checked against its entry's SHA-256."""
    alias: str = ""
    """The reference it had before an earlier import gave it ``ref`` (kept where it goes)."""


def load_export(source: str | os.PathLike[str] | BinaryIO, *, name: str) -> Any:
    """The JSON document in a file (or a binary stream), read within the limits."""
    raw = read_bounded(source, MAX_IMPORT_BYTES, what=name)
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(f"{name}: not a warroom JSON export ({exc})") from None
    except RecursionError:
        raise ValidationError(f"{name}: nested too deep to be a warroom export; nothing was "
                              "imported") from None
    except MemoryError:
        raise ValidationError(f"{name}: too big to read; nothing was imported") from None


def parse_export(doc: Any, *, source: str = "import") -> ParsedExport:
    """Check a whole export; ``ValidationError`` (one line) for the first thing wrong."""
    from warroom.base.chain import GENESIS, chain_hash

    if not isinstance(doc, dict) or doc.get("format") != EXPORT_FORMAT:
        raise ValidationError(f"{source}: not a warroom JSON export")
    version = doc.get("version", 0)
    if isinstance(version, bool) or not isinstance(version, int):
        raise ValidationError(f"{source}: malformed export (version must be a number)")
    if version > EXPORT_VERSION:
        raise ValidationError(f"{source}: export version {version} is newer than "
                              "this warroom understands; upgrade warroom")
    try:
        inc = doc["incident"]
        if not isinstance(inc, dict) or not isinstance(doc["entries"], list):
            raise TypeError("incident must be an object and entries a list")
        ref = clean_line(_str(inc["ref"], "ref"), what="reference")
        if ref != inc["ref"] or len(ref) > MAX_REF or not _REF_SHAPE.match(ref):
            raise ValueError(f"the reference must be at most {MAX_REF} ASCII letters, digits, "
                             "dots, colons, dashes or underscores")
        profile = _str(inc["profile"], "profile")
        if clean_line(profile, what="profile") != profile or len(profile) > MAX_REF:
            raise ValueError("the profile name must be clean one-line text")
        created = check_stored_time(inc["created_at"], what="created_at")
        alias = inc.get("alias") or ""
        if alias and (not isinstance(alias, str) or len(alias) > MAX_REF
                      or not _REF_SHAPE.match(alias)):
            raise ValueError(f"the alias must be at most {MAX_REF} ASCII letters, digits, "
                             "dots, colons, dashes or underscores")
        items = [_entry_from_json(ref, raw) for raw in doc["entries"]]
    except WarroomError as exc:
        raise ValidationError(f"{source}: malformed export ({exc}); nothing was imported") from None
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise ValidationError(f"{source}: malformed export ({exc}); nothing was imported") from None
    if not items:
        raise ValidationError(f"{source}: the export holds no entries")
    prev = GENESIS
    for pos, entry in enumerate(items, start=1):
        if entry.seq != pos or entry.prev_hash != prev or chain_hash(prev, entry) != entry.hash:
            raise ValidationError(f"{source}: entry #{entry.seq} does not match its hash chain "
                                  "(the file was changed); nothing was imported")
        bad = entry_problem(entry)
        if bad:
            raise ValidationError(f"{source}: entry #{entry.seq} {bad}; nothing was imported")
        prev = entry.hash
    if items[0].kind != "declared":
        raise ValidationError(f"{source}: the first entry is not the declaration; nothing was "
                              "imported")
    # The number is not under the hash: take it from the reference (INC-7 is number 7), so a
    # doctored number cannot collide with the references later declarations allocate.
    match = _REF_NUMBER.match(ref)
    number = int(match.group(1)) if match else None
    files = _files_from_json(doc.get("attachments"), items, source)
    return ParsedExport(ref, number, profile, created, items, files, alias)


def _files_from_json(raw: Any, items: list[Entry], source: str) -> list[Attachment]:
    """The export's attachments: each one's bytes must hash to the SHA-256 its entry holds (the
    entry is under the chain, so a changed file is refused like a changed entry)."""
    import base64
    import binascii
    import hashlib

    if raw is None:
        return []
    wanted = {e.uid: e for e in items if isinstance(e.data.get("sha256"), str)}
    if not isinstance(raw, list):
        raise ValidationError(f"{source}: malformed export (attachments must be a list); "
                              "nothing was imported")
    files: list[Attachment] = []
    seen: set[str] = set()
    for item in raw:
        try:
            uid = _str(item["entry_uid"], "entry_uid")
            entry = wanted.get(uid)
            if entry is None or uid in seen:
                raise ValueError(f"an attachment for entry {uid[:64]!r}, which links to no file "
                                 "or to one already given")
            content = base64.b64decode(_str(item["content_base64"], "content_base64"),
                                       validate=True)
        except (KeyError, TypeError, ValueError, binascii.Error) as exc:
            raise ValidationError(f"{source}: malformed export ({exc}); nothing was "
                                  "imported") from None
        if hashlib.sha256(content).hexdigest() != entry.data["sha256"]:
            raise ValidationError(f"{source}: the attachment of entry #{entry.seq} does not match "
                                  "its SHA-256 (the file was changed); nothing was imported")
        seen.add(uid)
        files.append(Attachment(str(entry.data.get("file") or "file"),
                                str(entry.data.get("media_type") or "application/octet-stream"),
                                content, entry.data["sha256"], uid))
    return files


def _str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be text")
    return value


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2 ** 62:
        raise TypeError(f"{what} must be a positive whole number")
    return value


def _entry_from_json(ref: str, raw: Any) -> Entry:
    if not isinstance(raw, dict):
        raise TypeError("each entry must be an object")
    if raw["kind"] not in KINDS:
        raise ValueError(f"unknown kind {str(raw['kind'])[:40]!r}")
    data = raw.get("data")
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise ValueError("data must be an object")
    for name in ("occurred_at", "recorded_at"):
        check_stored_time(raw[name], what=name)
    return Entry(
        incident=ref, seq=_int(raw["seq"], "seq"), uid=_str(raw["uid"], "uid"), kind=raw["kind"],
        author=_str(raw["author"], "author"), occurred_at=raw["occurred_at"],
        recorded_at=raw["recorded_at"], text=_str(raw["text"], "text"), data=data,
        amends=_int(raw["amends"], "amends") if raw.get("amends") is not None else None,
        host=_str(raw.get("host", ""), "host"), session=_str(raw.get("session", ""), "session"),
        prev_hash=_str(raw["prev_hash"], "prev_hash"), hash=_str(raw["hash"], "hash"),
    )
