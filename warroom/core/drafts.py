"""Drafts on disk: what a person has typed but not saved, per database, user and incident.

The entry line (and the summary and status-update dialogs) write their text here as it
changes, so it survives Esc, quitting, a closed terminal (SIGHUP) and a crash (SIGKILL), and is
offered back the next time they open. Entries typed while an earlier one waits to be saved
(the database busy) are kept here too, in order, each with the time it was typed, until saved.

Files are JSON in the user data folder (``drafts/``, 0700), one per database, user and
incident, each 0600, written atomically. They are the person's own scratch space: nothing in
them is part of the log until it is saved through the domain API.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from warroom.base.errors import WarroomError
from warroom.base.files import make_private_dirs, write_private_atomic

RECALL_DEPTH = 20
"""How many cancelled or saved texts ↑ can bring back."""


@dataclass
class Pending:
    """An entry Enter'd but not yet saved (it waits for the database)."""

    kind: str
    text: str
    uid: str
    typed_at: str
    """When Enter was pressed (ISO, UTC): the entry's occurred-at."""


@dataclass
class LineDraft:
    kind: str = "note"
    text: str = ""
    waiting: list[Pending] = field(default_factory=list)
    recall: list[str] = field(default_factory=list)
    """Texts cancelled or saved, newest last (for ↑ on an empty line)."""
    boxes: dict[str, str] = field(default_factory=dict)
    """Other fields' drafts: the summary dialog, the status update..."""

    def remember(self, text: str) -> None:
        text = text.strip()
        if not text:
            return
        if text in self.recall:
            self.recall.remove(text)
        self.recall.append(text)
        del self.recall[:-RECALL_DEPTH]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, doc: Any) -> "LineDraft":
        if not isinstance(doc, dict):
            return cls()
        waiting = []
        for item in doc.get("waiting") or []:
            try:
                waiting.append(Pending(str(item["kind"]), str(item["text"]), str(item["uid"]),
                                       str(item["typed_at"])))
            except (KeyError, TypeError):
                continue
        raw_boxes = doc.get("boxes")
        boxes: dict = raw_boxes if isinstance(raw_boxes, dict) else {}
        return cls(kind=str(doc.get("kind") or "note"), text=str(doc.get("text") or ""),
                   waiting=waiting, recall=[str(t) for t in doc.get("recall") or []][-RECALL_DEPTH:],
                   boxes={str(k): str(v) for k, v in boxes.items()})

    @property
    def empty(self) -> bool:
        return not (self.text or self.waiting or self.recall or any(self.boxes.values()))


class Drafts:
    """The drafts folder for one person on one database."""

    def __init__(self, folder: Path, db: str, user: str) -> None:
        self.folder = Path(folder)
        self.key = hashlib.sha256(f"{_db_identity(db)}\0{user}".encode()).hexdigest()[:24]

    def path(self, ref: str) -> Path:
        name = hashlib.sha256(f"{self.key}\0{ref.upper()}".encode()).hexdigest()[:32]
        return self.folder / f"{name}.json"

    def load(self, ref: str) -> LineDraft:
        try:
            raw = self.path(ref).read_text(encoding="utf-8")
            return LineDraft.from_json(json.loads(raw))
        except (OSError, ValueError):
            return LineDraft()

    def save(self, ref: str, draft: LineDraft) -> None:
        """Write through (no fsync: a killed process loses nothing; a power cut may)."""
        path = self.path(ref)
        if draft.empty:
            try:
                path.unlink()
            except OSError:
                pass
            return
        try:
            make_private_dirs(self.folder)
        except OSError as exc:
            raise WarroomError(f"{self.folder}: cannot keep drafts ({exc.strerror})") from None
        write_private_atomic(path, json.dumps(draft.to_json(), ensure_ascii=False),
                             overwrite=True, sync=False)


def _db_identity(db: str) -> str:
    """A file path made absolute (two spellings of one file share their drafts); a URL as is."""
    if "://" in db:
        return db
    try:
        return str(Path(db).expanduser().resolve())
    except OSError:
        return os.path.abspath(db)
