"""Text as Markdown that renders as exactly that text: :func:`md` for whatever a person typed,
and the report's own structure (code spans, table rows, paragraphs).

:func:`md` escapes a character only where it would change the structure at its position
(CommonMark and GitHub Flavored Markdown), so the raw file reads as typed:

* at the start of the text (a paragraph or a list item starts there): a heading ``#``, a
  quote ``>``, a list marker (``-``, ``+``, ``*``, ``1.``, ``1)``), a rule, a fence, an HTML
  block, a link reference definition or a task-list box;
* anywhere: ``|`` (it would split a table cell); ``<`` that opens raw HTML or an autolink; ``&`` that spells a character reference; ``\\``
  before punctuation; backticks that could pair into a code span; ``*``, ``_`` and ``~`` when
  the text holds a run that could open emphasis (or strikethrough) and a later one that could
  close it (the CommonMark delimiter rules); ``]`` that closes a link or image (``](url)``);
  ``$`` when a pair could make GitHub's inline maths;
* GitHub's post-render shortcuts (``@mentions``, ``#123`` and ``GH-4`` references,
  ``:emoji:``) are put in code spans, which GitHub's filters skip;
* a line break becomes the report's own ``<br>`` so a multi-line note stays in its table cell
  (a ``<`` a person types that could open a tag is escaped, so it never does); control
  characters are removed.

Times, dates, versions, URLs, apostrophes, ``snake_case``, ``~70%`` and ``[ERROR]`` come out as
typed. A bare URL that GitHub turns into a link shows itself, so it is left alone.
"""

from __future__ import annotations

import re
import unicodedata
from html.entities import html5
from typing import Any, Iterable, Sequence

from warroom.core.text import is_clean, sanitize

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
# The fast path: text with none of these (nor a GitHub shortcut) has nothing to escape
# anywhere but at its ends. (One character class: the regex engine scans for it at C speed,
# where an alternation is tried branch by branch at every position.)
_TRIGGER_CHARS = re.compile(r"[\\`*_~\[\]<&|$\n]")
# CommonMark's HTML block start conditions 1 to 6 (7, a whole tag alone, has its "<" escaped
# by the inline rule, as a ">" follows).
_HTML_BLOCK_TAGS = (
    "script", "pre", "style", "textarea", "address", "article", "aside", "base", "basefont",
    "blockquote", "body", "caption", "center", "col", "colgroup", "dd", "details", "dialog",
    "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "frame",
    "frameset", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header", "hr", "html", "iframe",
    "legend", "li", "link", "main", "menu", "menuitem", "nav", "noframes", "ol", "optgroup",
    "option", "p", "param", "search", "section", "source", "summary", "table", "tbody", "td",
    "tfoot", "th", "thead", "title", "tr", "track", "ul")
# Text without these has nothing to escape but table pipes (and its ends): a lone "*", "~",
# "$" or backtick cannot pair, "_" inside a word cannot open or close, "]" links only before
# "(", "&" is a reference only before "#" or a letter, "<" opens HTML only before those.
_LOCAL = (r"[\\\n]|\]\(|&[#A-Za-z]|<[A-Za-z/!?]|\*[^*]*\*|~[^~]*~|\$[^$]*\$|`[^`]*`"
          r"|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
# _LOCAL as one regex is slow to search (its lookbehind and pairs are tried at every
# position): _local() asks the same with str methods and regexes that start with a literal.
_AMP_REF = re.compile(r"&[#A-Za-z]")
# (a "<" before a tag's name, or before an address: "<1@ab>" is an e-mail autolink)
_LT_TAG = re.compile(r"<[A-Za-z/!?]|<[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~\-]+@")
_FLANKING_UNDERSCORE = re.compile(r"_(?:(?<![A-Za-z0-9]_)|(?![A-Za-z0-9]))")
# A URL with a "|" in it: its escape is a character reference (see _escape).
_URL_PIPE = re.compile(r"://[^\s|]*\|")
# What can make a block at the start of a paragraph or a list item.
_BLOCK_CHARS = frozenset("#>-+*=_`~<[0123456789")
_BLOCK = re.compile(
    r"#{1,6}(?:[ \t]|$)"                      # ATX heading
    r"|>"                                     # block quote
    r"|[-+*](?:[ \t]|$)"                      # bullet list item
    r"|([-*_])(?:[ \t]*\1){2,}[ \t]*$"        # thematic break
    r"|-(?:[ \t]*-)+[ \t]*$"                  # one after the "- " of a list item
    r"|`{3,}[^`]*$|~~~"                        # fence (a backtick one has none in its info)
    r"|<(?:!--|![A-Z]|!\[CDATA\[|\?|/?(?:" + "|".join(_HTML_BLOCK_TAGS) + r")(?:[ \t/>]|$))"  # HTML block
    r"|\[[ xX]\](?:[ \t]|$)"                  # task-list box (in a list item)
    r"|\[.*\]:[ \t]*\S"                       # link reference definition
    , re.IGNORECASE)
_CLOSING = re.compile(r"[ \t](#+)[ \t]*$")
# Raw HTML and autolinks (CommonMark 6.6 and 6.5); a line break reads as white space here.
_ATTRIBUTE = (r"(?:\s+[a-zA-Z_:][a-zA-Z0-9:._-]*"
              r"(?:\s*=\s*(?:[^\"'=<>`\x00-\x20]+|'[^']*'|\"[^\"]*\"))?)")
_INLINE_HTML = re.compile(
    r"<[A-Za-z][A-Za-z0-9\-]*" + _ATTRIBUTE + r"*\s*/?>"
    r"|</[A-Za-z][A-Za-z0-9\-]*\s*>"
    r"|<!---?>|<!--(?:[^-]|-[^-]|--[^>])*-->"
    r"|<\?.*?\?>"
    r"|<![A-Za-z][^>]*>"
    r"|<!\[CDATA\[.*?\]\]>"
    r"|<[A-Za-z][A-Za-z0-9+.\-]{1,31}:[^<>\x00-\x20]*>"
    r"|<[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~\-]+@[a-zA-Z0-9](?:[a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])?)*>", re.DOTALL)
_TAG_START = re.compile(r"<[A-Za-z/!?]")
_SCHEME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+.-")
_NON_BLANK = re.compile(r"\S*")
_RUN_END = re.compile(r"[\t \x0b\x0c\r\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")
_OPENERS = frozenset("[({\"'")
_USERINFO_END = re.compile(r"[^\S\n]|[/\[\]()@]")
_CLOSERS = re.compile(r"[\])}\"']")
_ORDERED = re.compile(r"[0-9]{1,9}([.)])(?:[ \t]|$)")
_SPECIAL = re.compile(r"[\\`*_~\]<&$\n]")  # ("|" is found by _pipes)
_ENTITY = re.compile(r"&(?:#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|([A-Za-z][A-Za-z0-9]{0,31};))")
# What follows "](" in an inline link or image: a destination and an optional title (one that
# starts with "<" is only ever the pointy form: "(<)" is no link).
_LINK_TAIL = re.compile(
    r"\([ \t\n]*(?:<[^<>\n]*>|(?!<)(?:[^\x00-\x20()\\]|\\.|\((?:[^\x00-\x20()\\]|\\.)*\))*)"
    r"(?:[ \t\n]+(?:\"[^\"]*\"|'[^']*'|\([^()]*\)))?[ \t\n]*\)", re.DOTALL)


def _local(t: str) -> bool:
    """Whether _LOCAL would match anywhere in ``t``, line breaks aside."""
    return ("\\" in t or "](" in t
            or t.count("*") > 1 or t.count("~") > 1 or t.count("$") > 1 or t.count("`") > 1
            or ("&" in t and _AMP_REF.search(t) is not None)
            or ("<" in t and _LT_TAG.search(t) is not None)
            or ("_" in t and _FLANKING_UNDERSCORE.search(t) is not None))


def _url_spans(t: str) -> list[tuple[int, int]]:
    """The spans ``re.finditer(r"[A-Za-z][A-Za-z0-9+.\\-]*://\\S*", t)`` gives, found from
    each "://" backwards (the regex tries every letter of the text as a scheme's start)."""
    spans: list[tuple[int, int]] = []
    last = 0
    sep = t.find("://")
    while sep != -1:
        start = sep
        while start > last and t[start - 1] in _SCHEME_CHARS:
            start -= 1
        while start < sep and not ("A" <= t[start] <= "Z" or "a" <= t[start] <= "z"):
            start += 1
        if start < sep:
            end = _NON_BLANK.match(t, sep + 3).end()  # type: ignore[union-attr]
            spans.append((start, end))
            last = end
            sep = t.find("://", end)
        else:
            sep = t.find("://", sep + 1)
    return spans


def _pipes(t: str) -> list[int]:
    """Where the text's "|" are (each escaped: a table cell would end there)."""
    found: list[int] = []
    i = t.find("|")
    while i != -1:
        found.append(i)
        i = t.find("|", i + 1)
    return found


def _run_end(t: str, start: int) -> int:
    """Where the run of non-blank characters from ``start`` ends (a line break is a <br>)."""
    blank = _RUN_END.search(t, start)
    return blank.start() if blank else len(t)


def _punct(ch: str) -> bool:
    if ch < "\x80":
        return ch in _ASCII_PUNCT
    return unicodedata.category(ch)[0] in "PS"


def _space(ch: str) -> bool:
    if ch < "\x80":
        return ch in _WHITESPACE
    return unicodedata.category(ch) == "Zs"


# md() is a pure function of its text, and a report asks for the same texts again and again
# (an entry in the timeline and again in its section, status updates from a template, "Done"):
# what it gave is kept, up to a bound, and the memo starts again when full.
_MEMO: dict[str, str] = {}
_MEMO_SIZE = 50_000


def md(text: Any) -> str:
    """Any text as inline Markdown that renders as exactly that text, on one line."""
    if not isinstance(text, str):
        text = str(text)
    shown = _MEMO.get(text)
    if shown is None:
        if len(_MEMO) >= _MEMO_SIZE:
            _MEMO.clear()
        shown = _MEMO[text] = _md(text)
    return shown


def _md(text: str) -> str:
    if not text.isprintable() and not is_clean(text):  # (line breaks and tabs are not dirt)
        text = sanitize(text)
    if text[:1].isspace() or text[-1:].isspace():
        text = text.strip()  # leading spaces could make an indented code block
    special = _TRIGGER_CHARS.search(text) is not None or _GITHUB.search(text) is not None
    if not special:
        if not text or (text[0] not in _BLOCK_CHARS and text[-1] != "#"):
            return text
    return _escape(text, special)


def _ends(t: str) -> set[int]:
    """What to escape at the ends of the text: a block at its start, a heading's closing
    sequence ("# Title #", which would be dropped) at its end."""
    escape: set[int] = set()
    if t[:1] in _BLOCK_CHARS:
        if _BLOCK.match(t):
            escape.add(0)
        else:
            ordered = _ORDERED.match(t)
            if ordered:
                escape.add(ordered.start(1))
    if t[-1:] == "#":
        closing = _CLOSING.search(t)
        if closing:
            escape.add(closing.start(1))
    return escape


def _escape(t: str, special: bool) -> str:
    escape = _ends(t)
    n = len(t)
    if not special:
        return _assemble(t, escape, [])
    local = _local(t)
    if not local and "\n" not in t and _GITHUB.search(t) is None and ("|" not in t or "://" not in t or not _URL_PIPE.search(t)):
        # The common case: nothing that could pair up or open anything, only table pipes.
        if escape:
            escape.update(_pipes(t))
            return _assemble(t, escape, [])
        return t.replace("|", "\\|")
    if "://" not in t and not local and "`" not in t and ("\n" not in t or "<" not in t):
        # Only GitHub's shortcuts and line breaks besides: each shortcut in a code span, pipes
        # escaped. (A line break, the report's "<br>", reads as punctuation around it, but
        # nothing here can pair with it: no two "*", "~" or "$", no "_" beside it; a "<" with a
        # line break is left to the general path, which checks it against the whole tag.)
        escape.update(_pipes(t))
        return _assemble(t, escape, [m.span() for m in _GITHUB.finditer(t)])
    # A URL with a scheme: markdown-it links it from the raw source (its escapes included),
    # GitHub after the escapes are read; so inside one an escape is a character reference,
    # which reads the same either way and is harmless wherever the link is cut.
    urls = _url_spans(t) if "://" in t else []
    for s, e in urls:
        # A line break is the report's "<br>", where GitHub ends the link; markdown-it's linkify
        # carries it on to a closing quote or bracket after the break: the opener becomes a
        # character reference, which reads the same.
        if e < n and t[e] == "\n":
            if _CLOSERS.search(t, e, _run_end(t, e)):
                escape.update(i for i in range(s, e) if t[i] in _OPENERS)
            # linkify-it reads "user@" after "://" up to white space or one of "/[]()": with
            # no path before the break, an "@" after it made all between the user part of a
            # link ("http://e.com<br>`@1`"). Its ":" as a reference: markdown-it links
            # nothing, GitHub (references read first) links the URL, which shows itself.
            sep = t.find("://", s)
            stop = _USERINFO_END.search(t, sep + 3)
            if stop is not None and t[stop.start()] == "@" and stop.start() > e:
                escape.add(sep)
    spans = [m.span() for m in _GITHUB.finditer(t)
             if not any(s <= m.start() < e for s, e in urls)] if ("@" in t or "#" in t or ":" in t
                                                                  or "GH-" in t) else []
    starts = {s for s, _ in spans}
    ends = {e for _, e in spans}
    inside: set[int] = set()
    for s, e in spans:
        inside.update(range(s, e))

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
    tag_starts: list[int] = []
    escape.update(_pipes(t))  # (never inside a shortcut's span, nor in a run of one character)
    pos = 0
    for m in _SPECIAL.finditer(t):
        i = m.start()
        if i < pos or i in inside:
            continue
        ch = t[i]
        if ch == "\\":
            if after(i + 1) in _ASCII_PUNCT:
                escape.add(i)
        elif ch == "<":
            # (with a URL after it, its escapes become references, which could complete a
            # tag or an autolink: then any "<" that could start one is escaped)
            if _INLINE_HTML.match(t, i) or ("\n" in t and _TAG_START.match(t, i) and _INLINE_HTML.match(
                    t[i:].replace("\n", "<br>"))):  # the ">" of a <br> could close it ("<!a<br>")
                escape.add(i)
            elif urls and urls[-1][1] > i and _TAG_START.match(t, i):
                tag_starts.append(i)
        elif ch == "&":
            entity = _ENTITY.match(t, i)
            if entity and (entity.group(1) is None or entity.group(1) in html5):
                escape.add(i)
        elif ch == "]":
            # The tail is read as it comes out: every backslash typed literal (doubled, or
            # before a character it cannot escape) and a line break as "<br>". Typed,
            # [a](\) and [a](1 NEWLINE 1) are no links; their output [a](\\) and [a](1<br>1) are.
            if t.startswith("(", i + 1) and "[" in t[:i] and _LINK_TAIL.match(
                    t[i + 1:].replace("\\", "x").replace("\n", "<br>")):
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
    for char, found in runs.items():
        opened = False
        paired = False
        for _, _, can_open, can_close in found:
            if can_close and opened:
                paired = True
                break
            opened = opened or can_open
        if paired and len(found) == 2 and char != "~":
            # CommonMark's rule of 3: a run that can open and close pairs only when the two
            # lengths do not add up to a multiple of 3 (unless both are). With more runs,
            # partial matches change the lengths, so any pair counts.
            (s1, e1, o1, c1), (s2, e2, o2, c2) = found
            a, b = e1 - s1, e2 - s2
            if (c1 or o2) and (a + b) % 3 == 0 and not (a % 3 == 0 and b % 3 == 0):
                paired = False
        if paired:
            for start, end, _, _ in found:
                escape.update(range(start, end))
    if ticks:
        lengths = [length for _, length in ticks]
        # (a fence escaped at the start splits its run, so then every backtick is escaped)
        if spans or len(set(lengths)) < len(lengths) or (0 in escape and t[0] == "`"):
            for start, length in ticks:
                escape.update(range(start, start + length))
    if len(dollars) > 1:
        opened = False
        for _, can_open, can_close in dollars:
            if can_close and opened:
                escape.update(i for i, _, _ in dollars)
                break
            opened = opened or can_open
    entities = {i for i in escape if any(s <= i < e for s, e in urls)} if urls and escape else set()
    if entities and tag_starts:
        escape.update(tag_starts)
        entities = {i for i in escape if any(s <= i < e for s, e in urls)}
    return _assemble(t, escape, spans, entities)


def _assemble(t: str, escape: set[int], spans: list[tuple[int, int]],
              entities: set[int] | None = None) -> str:
    if not spans and not entities:
        # Backslashes only: the pieces between the cuts, joined by one.
        if not escape:
            return t.replace("\n", "<br>") if "\n" in t else t
        cuts = sorted(escape)
        joined = "\\".join([t[a:b] for a, b in zip([0, *cuts], [*cuts, len(t)])])
        return joined.replace("\n", "<br>") if "\n" in joined else joined
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
        if entities and cut in entities:
            out.append(f"&#{ord(t[cut])};")
            last = cut + 1
            continue
        if cut in escape:
            out.append("\\")
        last = cut
    out.append(t[last:])
    joined = "".join(out)
    # (a bare URL before it ends at the "<": GFM's extended autolinks stop there)
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
