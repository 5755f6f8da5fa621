"""What the terminal sends, read as the person meant it: the one place that leans on Textual's
private input parser (``textual._xterm_parser``), so a Textual upgrade is checked here.

Two things Textual 8's parser gets wrong for a fast typist:

* **Esc then a letter in one burst.** Terminals send Alt+R as ``ESC r``, and a person pressing
  Esc then ``r`` quickly sends the same two bytes. Textual waits for more of an "escape
  sequence" after the ESC and, when the next ESC or the 32nd byte comes first, hands the ESC
  over as a literal ``^`` key followed by the letters (``^rtext``). Here ``ESC`` followed by a
  character that cannot begin a control sequence becomes the ``alt+<key>`` key at once (as the
  kitty keyboard protocol would say it, so Textual's own parser produces the event, in order).
  Whether ``alt+r`` means "switch kind" or "Esc, then r" is for the app to decide
  (:func:`split_alt`).
* **Pastes with escape sequences inside.** Between the bracketed-paste markers Textual still
  parses ESC sequences, and hands them over as keystrokes ahead of the rest of the paste. Here
  the whole paste, escape sequences and all, arrives as one :class:`~textual.events.Paste`, in
  order with the keys around it; what it holds is cleaned like all text, where it is used.
"""

from __future__ import annotations

import time
from typing import Iterable

from textual import constants, events
from textual.keys import _character_to_key
from textual.message import Message

ESC = "\x1b"
PASTE_START = "\x1b[200~"
PASTE_END = "\x1b[201~"
# After ESC these begin a control sequence (CSI, SS3, OSC, DCS, APC, PM, SOS, ST), or are
# iTerm's word-motion keys (ESC b / ESC f): left to Textual.
_INTRODUCERS = frozenset("[O]P_^X\\bf")


def _alt(char: str) -> str:
    """The kitty-protocol spelling of Alt+``char`` (Textual parses it to ``alt+<key>``)."""
    if char.isupper():
        return f"[{ord(char.lower())};4u"  # shift+alt
    return f"[{ord(char)};3u"


def _eligible(char: str) -> bool:
    return " " <= char <= "~" and char not in _INTRODUCERS


def rewrite_escapes(data: str, *, esc_pending: bool = False) -> str:
    """``ESC c`` → Alt+c for every ``c`` that cannot begin a control sequence. ``esc_pending``:
    the previous chunk ended with an ESC the parser still holds (only the rest is written)."""
    out: list[str] = []
    i, n = 0, len(data)
    if esc_pending and n and _eligible(data[0]):
        out.append(_alt(data[0]))
        i = 1
    while i < n:
        j = data.find(ESC, i)
        if j < 0:
            out.append(data[i:])
            break
        out.append(data[i:j])
        if j + 1 < n and _eligible(data[j + 1]):
            out.append(ESC + _alt(data[j + 1]))
            i = j + 2
        else:
            out.append(ESC)
            i = j + 1
    return "".join(out)


_KEY_CHARS = {_character_to_key(chr(c)): chr(c) for c in range(0x20, 0x7f)}


def split_alt(key: str) -> tuple[str, str] | None:
    """``alt+r`` → ``("r", "r")``: the key and character of what followed the Esc, for an
    Alt key nobody claims (the person pressed Esc, then ``r``). None for anything else."""
    if not key.startswith("alt+"):
        return None
    rest = key[4:]
    shifted = rest.startswith("shift+")
    if shifted:
        rest = rest[6:]
    if "+" in rest:
        return None
    char = _KEY_CHARS.get(rest)
    if char is None:
        return None
    if shifted:
        char = char.upper()
        return (char if char.isalpha() else rest), char
    return rest, char


def make_parser_class():
    from textual._xterm_parser import XTermParser

    class BurstParser(XTermParser):
        """Textual's parser, fed so that Esc+letter and pastes arrive as they were typed."""

        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._paste: list[str] | None = None
            self._carry = ""
            self._esc_pending = False
            self._carried_at = 0.0

        def feed(self, data: str) -> Iterable[Message]:
            if not data:
                return super().feed(data)
            return list(self._feed(self._carry + data))

        def _feed(self, data: str) -> Iterable[Message]:
            self._carry = ""
            while data:
                if self._paste is not None:
                    end = data.find(PASTE_END)
                    if end < 0:
                        keep = _partial_tail(data, PASTE_END)
                        self._paste.append(data[:len(data) - keep])
                        self._carry = data[len(data) - keep:]
                        return
                    self._paste.append(data[:end])
                    text, self._paste = "".join(self._paste), None
                    yield events.Paste(text.replace("\x00", ""))
                    data = data[end + len(PASTE_END):]
                    continue
                start = data.find(PASTE_START)
                if start < 0:
                    keep = _partial_tail(data, PASTE_START)
                    head, self._carry = data[:len(data) - keep], data[len(data) - keep:]
                    self._carried_at = time.monotonic()
                    yield from self._keys(head)
                    return
                yield from self._keys(data[:start])
                self._paste = []
                data = data[start + len(PASTE_START):]

        def _keys(self, data: str) -> Iterable[Message]:
            if not data:
                return
            pending = self._esc_pending and self._timeout_time is not None
            text = rewrite_escapes(data, esc_pending=pending)
            self._esc_pending = text.endswith(ESC)
            yield from XTermParser.feed(self, text)

        def tick(self) -> Iterable[Message]:
            if (self._carry and self._paste is None
                    and time.monotonic() - self._carried_at >= constants.ESCAPE_DELAY):
                # A marker's first bytes with nothing after them: they were keys after all.
                carry, self._carry = self._carry, ""
                yield from self._keys(carry)
            yield from super().tick()

    return BurstParser


def _partial_tail(data: str, marker: str) -> int:
    """How many characters at the end of ``data`` could be the start of ``marker`` (at least
    two: a lone ESC is the Esc key, which the parser times out by itself)."""
    for size in range(min(len(marker) - 1, len(data)), 1, -1):
        if data.endswith(marker[:size]):
            return size
    return 0


_installed = False


def install() -> None:
    """Read the terminal with :class:`BurstParser` (Linux and macOS driver)."""
    global _installed
    if _installed:
        return
    try:
        from textual.drivers import linux_driver
    except ImportError:  # pragma: no cover - Windows
        return
    linux_driver.XTermParser = make_parser_class()  # type: ignore[misc]
    _installed = True
