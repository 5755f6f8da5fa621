"""Text as Markdown that renders as exactly that text: :func:`md` for whatever a person typed,
and the report's own structure (code spans, table rows, paragraphs)."""

from __future__ import annotations

import re
from typing import Any, Iterable, Sequence

from warroom.core.text import sanitize

# Every ASCII punctuation character except , ; ? % / which nothing in CommonMark, GFM or
# GitHub gives a meaning to once & : and [ are escaped (they are the commonest in prose).
# A line break becomes the report's own <br>: it is replaced last, so its < and > stay markup.
_ESCAPED = {c: "\\" + c for c in "!\"#$&'()*+-.:<=>@[]^_`{|}~"}
_SPECIAL = frozenset(_ESCAPED) | {"\\", "\n"}


def _escape(text: str, present: Any = None) -> str:
    # Only the characters present are replaced (str.replace is C-fast; re.sub or a
    # multi-character str.translate are several times slower, and the 100,000-entry bench
    # notices). The backslash goes first, so that the escapes added after it stay single.
    if present is None:
        present = _SPECIAL.intersection(text)
    if not present:
        return text
    if "\\" in present:
        text = text.replace("\\", "\\\\")
    for char in present:
        if char in _ESCAPED:
            text = text.replace(char, _ESCAPED[char])
    return text.replace("\n", "<br>") if "\n" in present else text


# What GitHub links after rendering, in text nodes outside code: @user and @org/team mentions,
# #123 and GH-123 references (a code span around "#123" also breaks "owner/repo#123"), :emoji:
# shortcodes. Each branch starts with its literal character and looks behind only after it, so
# the regex engine can skip to the next candidate instead of trying every position.
_GITHUB = re.compile(
    r"@(?<!\w@)[A-Za-z0-9][A-Za-z0-9_\-]*(?:/[A-Za-z0-9][A-Za-z0-9_.\-]*)?"
    r"|#[0-9]+"
    r"|:(?<![\w:]:)[a-z0-9_+\-]{2,}:(?![\w:])"
    r"|GH-(?<!\wGH-)[0-9]+(?!\w)"
)


def md(text: Any) -> str:
    """Any text as inline Markdown that renders as exactly that text, on one line."""
    if not isinstance(text, str):
        text = str(text)
    if not text.isprintable():  # only then can there be a control character to remove
        text = sanitize(text)
    present = _SPECIAL.intersection(text)
    if "@" not in present and "#" not in present and ":" not in present and "GH-" not in text:
        return _escape(text, present)
    pieces: list[str] = []
    pos = 0
    for match in _GITHUB.finditer(text):
        start, end = match.span()
        if start == pos and pieces and pieces[-1].endswith("`"):
            # Two shortcuts side by side share one code span: "``" would not close the first.
            pieces[-1] = pieces[-1][:-1] + match.group() + "`"
        else:
            pieces.append(_escape(text[pos:start]))
            pieces.append("`" + match.group() + "`")
        pos = end
    pieces.append(_escape(text[pos:]))
    return "".join(pieces)


def md_code(text: str) -> str:
    """A code span for the report's own identifiers (hashes, commands); plain text otherwise."""
    return f"`{text}`" if re.fullmatch(r"[A-Za-z0-9_.\- ]+", text) else md(text)


def md_row(cells: Iterable[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def md_table(header: Sequence[str], rows: Iterable[str]) -> list[str]:
    return [md_row(header), md_row("---" for _ in header), *rows]


def md_para(text: str) -> str:
    """A paragraph of plain text (never empty, so it is never mistaken for something else)."""
    return md(text.strip()) or "(empty)"
