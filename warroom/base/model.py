"""The vocabulary of the log: entry kinds and the entry record itself."""

from __future__ import annotations

import json
from json.encoder import encode_basestring as _quote  # json.dumps' own, in C
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from warroom.base.clock import parse_time

# What a scribe logs (the hotkeys n d a r c, plus comms and summary).
SCRIBE_KINDS = ("note", "decision", "action", "result", "change", "comms", "summary")
# What the app writes itself when someone does something.
SYSTEM_KINDS = (
    "declared",     # the incident's first entry
    "role",         # role assigned or handed over
    "severity",     # severity changed, text is the reason
    "status",       # status changed, text is the note
    "services",     # impacted services changed
    "flags",        # security / customer-impacting flags changed
    "prompt",       # a timer prompt snoozed or dismissed
    "escalation",   # an escalation made
    "ticket",       # a third-party support ticket logged
    "followup",     # a follow-up action created
    "done",         # an action or follow-up marked done
    "amend",        # a correction of an earlier entry
    "system",       # anything else the app records (export overrides, imports)
    "checklist",    # a step of a profile checklist ticked (or dismissed, or unticked)
    "impact",       # the impact window: impact started, detected or mitigated set
    "attachment",   # a file attached to the log (warroom attach)
    "public",       # the public statement: what the published report says, part by part
)
KINDS = SCRIBE_KINDS + SYSTEM_KINDS

IMPORTED_BY = "imported by "
"""How ``Entry.db_role`` starts for an entry an import copied in (then the importer's name)."""

_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode
"""``json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))`` with one
encoder made once: ``json.dumps`` with options builds a new encoder on every call, which was
half the cost of hashing an entry (a report hashes every entry it reads)."""

CANONICAL_FIELDS = ("uid", "seq", "kind", "author", "host", "session", "occurred_at",
                    "recorded_at", "text", "data", "amends")


@dataclass(frozen=True)
class Entry:
    """One line of the append-only log, as stored."""

    incident: str
    seq: int
    uid: str
    kind: str
    author: str
    occurred_at: str
    recorded_at: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)
    amends: int | None = None
    host: str = ""
    session: str = ""
    prev_hash: str = ""
    hash: str = ""
    id: int = 0
    db_role: str = ""
    """Who really wrote the row (not under the hash, never from the client): the database role
    on PostgreSQL, the operating-system user on SQLite; "" in databases older than schema 4."""

    def written_by_other(self) -> str:
        """The real writer when it is not the name typed with ``--as`` (case aside), else "".
        An imported entry was written elsewhere: who imported it is not who wrote it ("")."""
        role = self.db_role
        if (not role or role.startswith(IMPORTED_BY)
                or role.split(" as ")[0].casefold() == self.author.casefold()):
            return ""
        return role

    def imported_by(self) -> str:
        """Who imported the entry into this database ('' if it was written here)."""
        return self.db_role[len(IMPORTED_BY):] if self.db_role.startswith(IMPORTED_BY) else ""

    @property
    def occurred(self) -> datetime:
        """``occurred_at`` parsed, once per entry (the state, the report and ``readable`` all
        ask; an entry is frozen, so it cannot go stale)."""
        known = self.__dict__.get("_occurred")
        if known is None:
            known = self.__dict__["_occurred"] = parse_time(self.occurred_at)
        return known

    @property
    def recorded(self) -> datetime:
        return parse_time(self.recorded_at)

    def canonical(self) -> bytes:
        """The bytes the hash chain covers: every field a person could care about, as
        ``json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))``
        writes them. Written out field by field, with the encoder's own string quoting, when
        the numbers are ints (a report hashes every entry it reads: three times cheaper than
        encoding a dict); :meth:`canonical_general` otherwise. Tests hold both to the same
        bytes."""
        seq, amends, data, q = self.seq, self.amends, self.data, _quote
        if seq.__class__ is int and (amends is None or amends.__class__ is int):
            try:
                return (f'{{"amends":{"null" if amends is None else amends},'
                        f'"author":{q(self.author)},'
                        f'"data":{"{}" if data == {} else _CANONICAL_JSON(data)},'
                        f'"host":{q(self.host)},"kind":{q(self.kind)},'
                        f'"occurred_at":{q(self.occurred_at)},"recorded_at":{q(self.recorded_at)},'
                        f'"seq":{seq},"session":{q(self.session)},"text":{q(self.text)},'
                        f'"uid":{q(self.uid)}}}').encode("utf-8")
            except TypeError:  # a field that is not text: a damaged row
                pass
        return self.canonical_general()

    def canonical_general(self) -> bytes:
        """:meth:`canonical` by the general encoder, whatever the fields hold."""
        payload = {name: getattr(self, name) for name in CANONICAL_FIELDS}
        return _CANONICAL_JSON(payload).encode("utf-8")

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq, "uid": self.uid, "kind": self.kind, "author": self.author,
            "host": self.host, "session": self.session, "occurred_at": self.occurred_at,
            "recorded_at": self.recorded_at, "text": self.text, "data": self.data,
            "amends": self.amends, "prev_hash": self.prev_hash, "hash": self.hash,
        }


_new_object = object.__new__


def stored_entry(incident: str, seq: int, uid: str, kind: str, author: str, occurred_at: str,
                 recorded_at: str, text: str, data: dict[str, Any], amends: int | None,
                 host: str, session: str, prev_hash: str, digest: str, id: int,
                 db_role: str) -> Entry:
    """``Entry(...)`` with every field given, for rows read from the store: filled in directly
    rather than through the frozen dataclass's ``__init__``, which sets each of its sixteen
    fields with ``object.__setattr__`` (a quarter of reading a 100,000-entry log). A test holds
    it equal to the constructor, field for field."""
    entry = _new_object(Entry)
    entry.__dict__.update(incident=incident, seq=seq, uid=uid, kind=kind, author=author,
                          occurred_at=occurred_at, recorded_at=recorded_at, text=text,
                          data=data, amends=amends, host=host, session=session,
                          prev_hash=prev_hash, hash=digest, id=id, db_role=db_role)
    return entry


def dumps_data(data: dict[str, Any]) -> str:
    return _CANONICAL_JSON(data)


@dataclass(frozen=True)
class Draft:
    """An entry before the store numbers, chains and records it."""

    uid: str
    kind: str
    author: str
    host: str
    session: str
    occurred_at: str
    recorded_at: str
    text: str
    data: dict[str, Any]
    amends: int | None = None


@dataclass(frozen=True)
class Attachment:
    """A file kept with an entry (``warroom attach``, a command's output): its bytes and what
    the entry says of them. ``sha256`` is of ``content``; the entry's data holds it too, under
    the chain."""

    name: str
    media_type: str
    content: bytes
    sha256: str = ""
    entry_uid: str = ""

    @property
    def size(self) -> int:
        return len(self.content)

    @staticmethod
    def of(name: str, media_type: str, content: bytes) -> "Attachment":
        import hashlib

        return Attachment(name, media_type, bytes(content), hashlib.sha256(content).hexdigest())
