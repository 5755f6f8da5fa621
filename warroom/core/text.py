"""What a person types is stored as plain text, stripped of anything a terminal would act on.

C0 and C1 control characters (other than newline and tab), DEL, Unicode bidi overrides and
isolates, and lone surrogates never reach the database: an escape sequence pasted from a terminal, or a right-to-left
override that makes a log line lie about its contents, is removed at the door.
"""

from __future__ import annotations

import re

from warroom.base.errors import ValidationError

MAX_TEXT = 20_000
"""Longest entry text, in characters. A pasted stack trace fits; a pasted log file does not."""

MAX_LINE = 200
"""Longest one-line field (a name, a title, a reference)."""

_ESCAPE_SEQ = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]            # CSI ... final byte
    | \x1b\][^\x07\x1b]*(?:\x07|\x1b\\)? # OSC ... BEL or ST
    | \x1b[PX^_][^\x1b]*(?:\x1b\\)?      # DCS / SOS / PM / APC ... ST
    | \x1b[@-Z\\-_]                      # other two-byte escapes
    | \x9b[0-?]*[ -/]*[@-~]              # 8-bit CSI
    | \x9d[^\x07\x9c]*(?:\x07|\x9c)?     # 8-bit OSC
    """,
    re.VERBOSE,
)
_CONTROLS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff]"  # lone surrogates (undecodable bytes smuggled in through argv)
)


def sanitize(text: str) -> str:
    """Drop terminal escape sequences whole, then every remaining control and bidi override.

    Carriage returns become newlines (a Windows paste keeps its lines); tabs and newlines stay.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ESCAPE_SEQ.sub("", text)
    return _CONTROLS.sub("", text)


def clean_text(text: str | None, *, what: str = "text", limit: int = MAX_TEXT) -> str:
    """Sanitise entry text and refuse what cannot be an entry: empty, or over the limit."""
    if text is None:
        raise ValidationError(f"{what} is empty")
    cleaned = sanitize(text).strip()
    if not cleaned:
        raise ValidationError(f"{what} is empty")
    if len(cleaned) > limit:
        raise ValidationError(
            f"{what} is {len(cleaned):,} characters; the limit is {limit:,} "
            "(attach long logs as a file and reference it)"
        )
    return cleaned


def clean_line(text: str | None, *, what: str) -> str:
    """A one-line field: sanitised, whitespace collapsed, not empty, at most MAX_LINE characters."""
    cleaned = " ".join(sanitize(text or "").split())
    if not cleaned:
        raise ValidationError(f"{what} is empty")
    if len(cleaned) > MAX_LINE:
        raise ValidationError(f"{what} is longer than {MAX_LINE} characters")
    return cleaned


def one_line(text: str) -> str:
    """Fold a multi-line text into one display line (newlines shown as ' ⏎ ')."""
    return " ⏎ ".join(part for part in text.split("\n"))


_DIRTY = re.compile("[\r" + _CONTROLS.pattern[1:])
_DIRTY_LINE = re.compile("[\r\n\t" + _CONTROLS.pattern[1:])


def is_clean(text: str, *, one_line: bool = False) -> bool:
    """Whether :func:`sanitize` would leave ``text`` as it is (and, for ``one_line``, it has no
    newline or tab): a cheap check for text read back or imported."""
    return (_DIRTY_LINE if one_line else _DIRTY).search(text) is None


def paragraphs(text: str) -> list[str]:
    """A multi-line text (a lead summary, a status update) as the lines worth showing: blank
    lines dropped, and headings with nothing under them (``Next steps:`` left empty from the
    draft) left out. What was typed is kept as it is; this is only how it is shown."""
    lines = [line.rstrip() for line in text.split("\n")]
    lines = [line for line in lines if line.strip()]
    shown = []
    for i, line in enumerate(lines):
        heading = line.endswith(":") and len(line) <= 60
        following = lines[i + 1] if i + 1 < len(lines) else None
        if heading and (following is None or (following.endswith(":") and len(following) <= 60)):
            continue
        shown.append(line)
    return shown
