"""Text as Markdown that renders as exactly that text: :func:`md` for whatever a person typed,
and the report's own structure (code spans, table rows, paragraphs).

:func:`md` escapes a character only where it would change the structure at its position
(CommonMark and GitHub Flavored Markdown), so the raw file reads as typed:

* at the start of the text (a paragraph or a list item starts there): a heading ``#``, a
  quote ``>``, a list marker (``-``, ``+``, ``*``, ``1.``, ``1)``), a rule, a fence, an HTML
  block, a link reference definition or a task-list box;
* anywhere: ``|`` (it would split a table cell); ``<`` before a letter, ``/``, ``!`` or ``?``
  when a ``>`` follows (HTML, autolinks); ``&`` that spells a character reference; ``\\``
  before punctuation; backticks that could pair into a code span; ``*``, ``_`` and ``~`` when
  the text holds a run that could open emphasis (or strikethrough) and a later one that could
  close it (the CommonMark delimiter rules); ``]`` that closes a link or image (``](url)``);
  ``$`` when a pair could make GitHub's inline maths;
* GitHub's post-render shortcuts (``@mentions``, ``#123`` and ``GH-4`` references,
  ``:emoji:``) are put in code spans, which GitHub's filters skip;
* a line break becomes the report's own ``<br>`` so a multi-line note stays in its table cell
  (a ``<`` a person types before a letter is always escaped when a ``>`` follows, so it can
  never open a tag); control characters are removed.

Times, dates, versions, URLs, apostrophes, ``snake_case``, ``~70%`` and ``[ERROR]`` come out as
typed. A bare URL that GitHub turns into a link shows itself, so it is left alone.
"""

from __future__ import annotations

import re
import unicodedata
from html.entities import html5
from typing import Any, Iterable, Sequence

from warroom.core.text import sanitize

_ASCII_PUNCT = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_WHITESPACE = frozenset(" \t\n\x0b\x0c\r")

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
# The fast path: text with none of these has nothing to escape anywhere but at its start.
_TRIGGER = re.compile(r"[\\`*_~\[\]<&|$\n]|" + _GITHUB.pattern)
# What can make a block at the start of a paragraph or a list item.
_BLOCK_CHARS = frozenset("#>-+*=_`~<[0123456789")
_BLOCK = re.compile(
    r"#{1,6}(?:[ \t]|$)"                      # ATX heading
    r"|>"                                     # block quote
    r"|[-+*](?:[ \t]|$)"                      # bullet list item
    r"|([-*_])(?:[ \t]*\1){2,}[ \t]*$"        # thematic break
    r"|```|~~~"                               # fence
    r"|<[A-Za-z/!?]"                          # HTML block
    r"|\[[ xX]\](?:[ \t]|$)"                  # task-list box (in a list item)
    r"|\[.*\]:"                               # link reference definition
)
_ORDERED = re.compile(r"[0-9]{1,9}([.)])(?:[ \t]|$)")
_SPECIAL = re.compile(r"[\\`*_~\]<&|$\n]")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|([A-Za-z][A-Za-z0-9]{0,31};))")
# What follows "](" in an inline link or image: a destination and an optional title.
_LINK_TAIL = re.compile(
    r"\(\s*(?:<[^<>\n]*>|(?:[^\s()\\]|\\.|\((?:[^\s()\\]|\\.)*\))*)"
    r"(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^()]*\)))?\s*\)", re.DOTALL)


def _punct(ch: str) -> bool:
    if ch < "\x80":
        return ch in _ASCII_PUNCT
    return unicodedata.category(ch)[0] in "PS"


def _space(ch: str) -> bool:
    if ch < "\x80":
        return ch in _WHITESPACE
    return unicodedata.category(ch) == "Zs"


def md(text: Any) -> str:
    """Any text as inline Markdown that renders as exactly that text, on one line."""
    if not isinstance(text, str):
        text = str(text)
    if not text.isprintable():  # only then can there be a control character or a line break
        text = sanitize(text)
    if text[:1].isspace() or text[-1:].isspace():
        text = text.strip()  # leading spaces could make an indented code block
    trigger = _TRIGGER.search(text)
    if trigger is None:
        if not text or text[0] not in _BLOCK_CHARS:
            return text
    return _escape(text, trigger is not None)


def _escape(t: str, special: bool) -> str:
    escape: set[int] = set()
    block = _BLOCK.match(t)
    if block:
        escape.add(0)
    else:
        ordered = _ORDERED.match(t)
        if ordered:
            escape.add(ordered.start(1))
    if not special:
        return _assemble(t, escape, [])
    spans = [m.span() for m in _GITHUB.finditer(t)] if ("@" in t or "#" in t or ":" in t
                                                         or "GH-" in t) else []
    starts = {s for s, _ in spans}
    ends = {e for _, e in spans}
    inside: set[int] = set()
    for s, e in spans:
        inside.update(range(s, e))
    n = len(t)

    def prev(pos: int) -> str:  # the character before ``pos`` in the output
        if pos == 0:
            return " "
        if pos in ends:
            return "`"
        ch = t[pos - 1]
        return ">" if ch == "\n" else ch

    def after(pos: int) -> str:  # the character at ``pos`` in the output
        if pos >= n:
            return " "
        if pos in starts:
            return "`"
        ch = t[pos]
        return "<" if ch == "\n" else ch

    runs: dict[str, list[tuple[int, int, bool, bool]]] = {}
    ticks: list[tuple[int, int]] = []
    dollars: list[tuple[int, bool, bool]] = []
    pos = 0
    for m in _SPECIAL.finditer(t):
        i = m.start()
        if i < pos or i in inside:
            continue
        ch = t[i]
        if ch == "|":
            escape.add(i)
        elif ch == "\\":
            if after(i + 1) in _ASCII_PUNCT:
                escape.add(i)
        elif ch == "<":
            nxt = t[i + 1:i + 2]
            if nxt and (nxt.isascii() and (nxt.isalpha() or nxt in "/!?")) and (
                    ">" in t[i + 2:] or "\n" in t[i + 2:]):
                escape.add(i)
        elif ch == "&":
            entity = _ENTITY.match(t, i)
            if entity and (entity.group(1) is None or entity.group(1) in html5):
                escape.add(i)
        elif ch == "]":
            if t.startswith("(", i + 1) and "[" in t[:i] and _LINK_TAIL.match(t, i + 1):
                escape.add(i)
        elif ch == "$":
            dollars.append((i, not _space(after(i + 1)), not _space(prev(i))))
        elif ch == "\n":
            pass
        else:
            end = i + 1
            while end < n and t[end] == ch and end not in inside:
                end += 1
            pos = end
            if ch == "`":
                ticks.append((i, end - i))
                continue
            before, following = prev(i), after(end)
            p_space, n_space = _space(before), _space(following)
            p_punct, n_punct = _punct(before), _punct(following)
            left = not (n_space or (n_punct and not (p_space or p_punct)))
            right = not (p_space or (p_punct and not (n_space or n_punct)))
            if ch == "_":
                can_open = left and (not right or p_punct)
                can_close = right and (not left or n_punct)
            else:
                can_open, can_close = left, right
            if can_open or can_close:
                runs.setdefault(ch, []).append((i, end, can_open, can_close))
    for found in runs.values():
        opened = False
        paired = False
        for _, _, can_open, can_close in found:
            if can_close and opened:
                paired = True
                break
            opened = opened or can_open
        if paired:
            for start, end, _, _ in found:
                escape.update(range(start, end))
    if ticks:
        lengths = [length for _, length in ticks]
        if spans or len(set(lengths)) < len(lengths):
            for start, length in ticks:
                escape.update(range(start, start + length))
    if len(dollars) > 1:
        opened = False
        for _, can_open, can_close in dollars:
            if can_close and opened:
                escape.update(i for i, _, _ in dollars)
                break
            opened = opened or can_open
    return _assemble(t, escape, spans)


def _assemble(t: str, escape: set[int], spans: list[tuple[int, int]]) -> str:
    cuts = sorted(escape.union(*(span for span in spans)))
    if not cuts and "\n" not in t:
        return t
    out: list[str] = []
    last = 0
    opening = {s for s, _ in spans}
    closing = {e for _, e in spans}
    for cut in cuts:
        out.append(t[last:cut])
        if cut in closing:
            if cut in opening:
                pass  # two shortcuts side by side share one code span: "``" would not close
            else:
                out.append("`")
        elif cut in opening:
            out.append("`")
        if cut in escape:
            out.append("\\")
        last = cut
    out.append(t[last:])
    joined = "".join(out)
    return joined.replace("\n", "<br>") if "\n" in joined else joined


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
