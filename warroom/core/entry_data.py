"""The shape of every entry kind's structured ``data``, checked at the door and when read.

Each kind lists its keys: the type, whether it is required, and how long it may be. Every
string anywhere in ``data`` is text a terminal will show (a severity's ``to``, a title, an
owner, a service, a template name), so it must be clean text: no control characters, escape
sequences (OSC 52, window titles, hyperlinks) or bidi overrides (see :mod:`warroom.core.text`).
Keys a kind does not list are allowed (a newer warroom may add some) but hold only plain JSON
values, nested at most :data:`MAX_DEPTH` deep, and clean strings.

Three uses:

* :func:`clean` at the domain API: strings are sanitised, and a wrong shape is refused.
* :func:`entry_problem` on import: anything wrong refuses the whole file (the data is under
  the hash, so it is checked, never changed).
* :func:`readable` when reading (the state projection, the report, the timeline): a row that
  is the wrong shape (written behind the app's back, or by an older bug) is shown as a
  damaged ``system`` entry with its text, and never crashes a reader or stops the rest of
  the database from working.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from warroom.base.clock import parse_time
from warroom.base.errors import ValidationError
from warroom.base.model import KINDS, Entry
from warroom.core.text import MAX_LINE, MAX_TEXT, is_clean, sanitize

MAX_DEPTH = 4
MAX_ITEMS = 500
MAX_INT = 10 ** 12

# key -> (type, required). Types: "line" one-line string, "id" non-empty one-line string,
# "text" multi-line string, "opt" one-line string or null, "bool", "int", "lines" list of
# one-line strings, "checks" object of one-line string -> bool, "time" a stored time, "sha" a
# SHA-256 in lower-case hex.
# A file an entry links to (warroom attach, a command's output): its SHA-256 is under the chain.
_FILE: dict[str, tuple[str, bool]] = {"file": ("id", True), "size": ("int", True),
                                      "media_type": ("line", True), "sha256": ("sha", True)}
_SCHEMAS: dict[str, dict[str, tuple[str, bool]]] = {
    "declared": {"title": ("id", True), "description": ("text", False),
                 "profile": ("line", False), "severity": ("line", False),
                 "status": ("line", False), "services": ("lines", False),
                 "security": ("bool", False), "customer_impacting": ("bool", False),
                 "declared_at": ("time", False)},
    "role": {"role": ("id", True), "person": ("line", False), "previous": ("opt", False),
             "handover": ("bool", False)},
    "severity": {"from": ("opt", False), "to": ("id", True)},
    "status": {"from": ("opt", False), "to": ("id", True), "checklist": ("checks", False)},
    "services": {"services": ("lines", True), "before": ("lines", False)},
    "flags": {"security": ("bool", False), "customer_impacting": ("bool", False)},
    "action": {"owner": ("line", False)},
    "followup": {"owner": ("line", False)},
    "done": {"target": ("int", False)},
    "amend": {"kind": ("line", False), "owner": ("line", False)},
    "comms": {"template": ("line", False), "audience": ("line", False),
              "services": ("lines", False), "next_update_s": ("int", False)},
    "summary": {"prompted": ("bool", False), "late_by_s": ("int", False)},
    "prompt": {"timer": ("line", False), "outcome": ("line", False), "reason": ("text", False),
               "until": ("time", False)},
    "escalation": {"to": ("line", False), "level": ("line", False), "level_no": ("int", False),
                   "how": ("line", False)},
    "ticket": {"party": ("line", False), "reference": ("line", False)},
    "checklist": {"checklist": ("id", True), "item": ("id", True), "index": ("int", False),
                  "outcome": ("id", True), "reason": ("text", False)},
    "impact": {"field": ("id", True), "at": ("opt", False), "before": ("opt", False)},
    # warroom run (issue 17): the start is a change, the end a result; "run" pairs them.
    "change": {"command": ("text", False), "cwd": ("text", False), "user": ("line", False),
               "run": ("line", False)},
    "result": {"run": ("line", False), "started": ("int", False), "exit_status": ("int", False),
               "signal": ("line", False), "duration_ms": ("int", False),
               "output_bytes": ("int", False), "truncated": ("bool", False),
               **{k: (t, False) for k, (t, _) in _FILE.items()}},
    "attachment": dict(_FILE),
    "public": {"what_happened": ("text", False), "users_saw": ("text", False),
               "response": ("text", False), "cause": ("text", False),
               "prevention": ("text", False)},
}
_EMPTY: dict[str, tuple[str, bool]] = {}
_LINES = frozenset(("line", "id", "opt"))


def _clean_str(value: str, one_line: bool) -> bool:
    return is_clean(value, one_line=one_line)


def _value_problem(key: str, value: Any, kind: str) -> str | None:
    if kind in ("line", "id", "opt", "text"):
        if value is None and kind == "opt":
            return None
        if not isinstance(value, str):
            return f"{key!r} must be text"
        if kind == "id" and not value.strip():
            return f"{key!r} is empty"
        limit = MAX_TEXT if kind == "text" else MAX_LINE
        if len(value) > limit:
            return f"{key!r} is longer than {limit} characters"
        if not _clean_str(value, kind != "text"):
            return f"{key!r} holds control characters"
        return None
    if kind == "bool":
        return None if isinstance(value, bool) else f"{key!r} must be true or false"
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) > MAX_INT:
            return f"{key!r} must be a whole number"
        return None
    if kind == "lines":
        if not isinstance(value, list) or len(value) > MAX_ITEMS:
            return f"{key!r} must be a list of at most {MAX_ITEMS} names"
        for item in value:
            if not isinstance(item, str) or len(item) > MAX_LINE or not _clean_str(item, True):
                return f"{key!r} must hold clean one-line names"
        return None
    if kind == "checks":
        if not isinstance(value, dict) or len(value) > MAX_ITEMS:
            return f"{key!r} must be an object of checklist items"
        for item, ticked in value.items():
            if len(item) > MAX_LINE or not _clean_str(item, True) or not isinstance(ticked, bool):
                return f"{key!r} must map clean checklist items to true or false"
        return None
    if kind == "sha":
        if not (isinstance(value, str) and len(value) == 64
                and all(c in "0123456789abcdef" for c in value)):
            return f"{key!r} must be a SHA-256 in hexadecimal"
        return None
    if kind == "time":
        if not isinstance(value, str) or len(value) > 40:
            return f"{key!r} must be a time"
        try:
            parse_time(value)
        except ValueError:
            return f"{key!r} must be a time"
        return None
    raise AssertionError(kind)  # pragma: no cover


def _free_problem(key: str, value: Any, depth: int) -> str | None:
    """A key the schema does not list: plain JSON, bounded, clean strings."""
    if depth > MAX_DEPTH:
        return f"{key!r} is nested more than {MAX_DEPTH} deep"
    if value is None or isinstance(value, (bool, int, float)):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT:
            return f"{key!r} holds a number out of range"
        return None
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            return f"{key!r} is longer than {MAX_TEXT} characters"
        return None if _clean_str(value, False) else f"{key!r} holds control characters"
    if isinstance(value, list):
        if len(value) > MAX_ITEMS:
            return f"{key!r} holds more than {MAX_ITEMS} items"
        for item in value:
            bad = _free_problem(key, item, depth + 1)
            if bad:
                return bad
        return None
    if isinstance(value, dict):
        if len(value) > MAX_ITEMS:
            return f"{key!r} holds more than {MAX_ITEMS} items"
        for sub, item in value.items():
            if not isinstance(sub, str) or len(sub) > MAX_LINE or not _clean_str(sub, True):
                return f"{key!r} holds a key that is not clean text"
            bad = _free_problem(key, item, depth + 1)
            if bad:
                return bad
        return None
    return f"{key!r} holds a {type(value).__name__}"


def data_problem(kind: str, data: Any) -> str | None:
    """What is wrong with ``data`` for an entry of ``kind``, or None if nothing is."""
    if not isinstance(data, dict):
        return "data must be an object"
    if len(data) > MAX_ITEMS:
        return f"data holds more than {MAX_ITEMS} keys"
    schema = _SCHEMAS.get(kind, _EMPTY)
    for key, (typ, required) in schema.items():
        if key in data:
            value = data[key]
            if (value.__class__ is str and typ in _LINES and len(value) <= MAX_LINE
                    and value and is_clean(value, one_line=True)):
                continue  # the common case, without a call
            bad = _value_problem(key, value, typ)
            if bad:
                return f"{kind} data: {bad}"
        elif required:
            return f"{kind} data: {key!r} is missing"
    if data.keys() <= schema.keys():
        return None
    for key, value in data.items():
        if key in schema:
            continue
        if not isinstance(key, str) or len(key) > MAX_LINE or not _clean_str(key, True):
            return f"{kind} data: a key is not clean text"
        bad = _free_problem(key, value, 1)
        if bad:
            return f"{kind} data: {bad}"
    return None


def _sanitized(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return sanitize(value)
    if depth > MAX_DEPTH:
        return value  # refused by data_problem
    if isinstance(value, list):
        return [_sanitized(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {(sanitize(k) if isinstance(k, str) else k): _sanitized(v, depth + 1)
                for k, v in value.items()}
    return value


def clean(kind: str, data: dict[str, Any] | None) -> dict[str, Any]:
    """``data`` at the door: every string sanitised (one-line fields folded to one line), then
    checked; a wrong shape is a :class:`ValidationError`."""
    out = _sanitized(dict(data or {}))
    schema = _SCHEMAS.get(kind, _EMPTY)
    for key, (typ, _) in schema.items():
        value = out.get(key)
        if typ in ("line", "id", "opt") and isinstance(value, str):
            out[key] = " ".join(value.split())
        elif typ == "lines" and isinstance(value, list):
            out[key] = [" ".join(v.split()) if isinstance(v, str) else v for v in value]
    bad = data_problem(kind, out)
    if bad:
        raise ValidationError(bad)
    return out


def _line_ok(value: Any, limit: int = MAX_LINE) -> bool:
    return isinstance(value, str) and len(value) <= limit and _clean_str(value, True)


def entry_problem(entry: Entry) -> str | None:
    """Everything about an imported entry a reader relies on: kind, people, text, data, time."""
    if entry.kind not in KINDS:
        return f"unknown kind {entry.kind!r}"
    if not _line_ok(entry.author) or not entry.author.strip():
        return "its author is not a clean one-line name"
    if not _line_ok(entry.host) or not _line_ok(entry.session, 64) or not _line_ok(entry.uid, 64):
        return "its host, session or uid is not clean one-line text"
    if not isinstance(entry.text, str) or len(entry.text) > MAX_TEXT:
        return f"its text is not text of at most {MAX_TEXT:,} characters"
    if not is_clean(entry.text):
        return "holds control characters"
    return data_problem(entry.kind, entry.data)



def readable(entry: Entry) -> Entry:
    """The entry as readers may use it: itself when its kind, times and ``data`` are sound,
    otherwise a ``system`` stand-in that says it is damaged and why, with its text cleaned (its
    hash is kept, so ``verify`` still judges the row itself)."""
    try:
        entry.occurred  # noqa: B018 - both times must parse (the same one parses once)
        if entry.recorded_at != entry.occurred_at:
            entry.recorded  # noqa: B018
        bad = (data_problem(entry.kind, entry.data) if entry.kind in KINDS
               else f"unknown kind {str(entry.kind)[:40]!r}")
        if bad is None and not (isinstance(entry.text, str) and isinstance(entry.author, str)):
            bad = "its text or author is not text"
        # Text and author with control characters are not damage: every reader shows them
        # sanitised (app.formatting.plain, the report's escaping), as it always has.
    except (TypeError, ValueError, AttributeError) as exc:
        bad = f"unreadable time or fields ({type(exc).__name__})"
    if bad is None:
        return entry
    return damaged(entry, bad)


def damaged(entry: Entry, why: str) -> Entry:
    """A stand-in for a damaged row: kind ``system``, ``data = {"damaged": <kind>}``."""
    when = "1970-01-01T00:00:00.000000Z"
    for stamp in (entry.occurred_at, entry.recorded_at):
        try:
            parse_time(str(stamp))
            when = str(stamp)
            break
        except ValueError:
            continue
    text = sanitize(str(entry.text))[:MAX_TEXT]
    kind = sanitize(str(entry.kind))[:40]
    return replace(entry, kind="system", occurred_at=when, recorded_at=when,
                   author=" ".join(sanitize(str(entry.author)).split())[:MAX_LINE] or "?",
                   text=f"[damaged {kind} entry: {sanitize(why)}] {text}".strip(),
                   data={"damaged": kind})


def is_damaged(entry: Entry) -> bool:
    return entry.kind == "system" and isinstance(entry.data, dict) and "damaged" in entry.data
