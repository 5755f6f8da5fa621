"""Basic terminals: the main screen on a real pseudo-terminal with TERM=xterm and TERM=linux (16
colours, no COLORTERM) and with NO_COLOR=1, read byte for byte. Every pane edge and every
character of text is drawn in a colour that differs from the colour behind it, as the terminal
receives them (SGR sequences replayed, reverse video applied): no black-on-black borders, no
badge in the colour of its background."""

from __future__ import annotations

import re
import time

import pytest

from rich._palettes import EIGHT_BIT_PALETTE

from tests.pty_terminal import Terminal, warroom
from warroom.app.formatting import contrast
from warroom.demo import load_sample
from warroom.store import Store

BOX = set("╭╮╰╯─│")
TOKENS = re.compile(rb"\x1b\[([0-9;:?]*)([A-Za-z])|\x1b[^\[]|([^\x1b]+)")
DEFAULT_FG, DEFAULT_BG = "default-fg", "default-bg"


def colour(params: list[str], i: int) -> tuple[object, int]:
    """An extended colour (38;5;N or 38;2;R;G;B) at params[i]: the value and how many it took."""
    if params[i + 1] == "5":
        return ("256", int(params[i + 2])), 3
    return ("rgb", tuple(int(x) for x in params[i + 2:i + 5])), 5


def cells(data: bytes) -> list[tuple[str, object, object]]:
    """(character, colour drawn in, colour behind) for every character written, in order."""
    fg: object = DEFAULT_FG
    bg: object = DEFAULT_BG
    reverse = False
    out = []
    for m in TOKENS.finditer(data):
        if m.group(3) is not None:
            for ch in m.group(3).decode("utf-8", "replace"):
                if ch.isprintable() and not ch.isspace():
                    out.append((ch, bg, fg) if reverse else (ch, fg, bg))
            continue
        if m.group(2) != b"m":
            continue
        params = (m.group(1) or b"0").decode().replace(":", ";").split(";")
        i = 0
        while i < len(params):
            p = int(params[i] or 0)
            step = 1
            if p == 0:
                fg, bg, reverse = DEFAULT_FG, DEFAULT_BG, False
            elif p == 7:
                reverse = True
            elif p == 27:
                reverse = False
            elif 30 <= p <= 37 or 90 <= p <= 97:
                fg = ("16", p - 30 if p < 90 else p - 90 + 8)
            elif 40 <= p <= 47 or 100 <= p <= 107:
                bg = ("16", p - 40 if p < 100 else p - 100 + 8)
            elif p == 39:
                fg = DEFAULT_FG
            elif p == 49:
                bg = DEFAULT_BG
            elif p in (38, 48):
                value, step = colour(params, i)
                if p == 38:
                    fg = value
                else:
                    bg = value
            i += step
    return out


def rgb(value: object) -> tuple[int, int, int] | None:
    if isinstance(value, tuple) and value[0] == "256":
        return EIGHT_BIT_PALETTE[value[1]]
    if isinstance(value, tuple) and value[0] == "rgb":
        return value[1]
    return None


def ratio(fore: object, back: object) -> float:
    a, b = rgb(fore), rgb(back)
    return 21.0 if a is None or b is None else contrast(a, b)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    db = tmp_path_factory.mktemp("colours") / "warroom.db"
    with Store.open(db) as store:
        ref = load_sample(store)
    return db, ref


@pytest.mark.parametrize("env", [
    {"TERM": "xterm", "COLORTERM": ""},
    {"TERM": "linux", "COLORTERM": ""},
    {"TERM": "xterm-256color", "COLORTERM": "", "NO_COLOR": "1"},
], ids=["xterm", "linux", "no-color"])
def test_borders_and_text_differ_from_their_background(sample, env):
    db, ref = sample
    term = Terminal(warroom("--db", str(db), "--as", "tester", "open", ref), cols=100, rows=30,
                    env=env)
    try:
        term.wait_for("Here now")  # the role board: the incident is read and every pane drawn
        until = time.monotonic() + 1.0  # the frame's last writes (a window read, not a wait)
        while (left := until - time.monotonic()) > 0:
            term.read(left)
    finally:
        term.close()
    drawn = cells(bytes(term.output))
    borders = [c for c in drawn if c[0] in BOX]
    text = [c for c in drawn if c[0].isalnum()]
    assert len(borders) > 200 and len(text) > 500, "the screen was not drawn"
    if "NO_COLOR" not in env:  # 16 colours: nothing finer was sent
        assert not [c for c in drawn if c[1][0] in ("256", "rgb") or c[2][0] in ("256", "rgb")]
    invisible = [c for c in borders + text if c[1] == c[2]]
    assert not invisible, f"drawn in the colour of their background: {sorted(set(invisible))[:10]}"
    # Where the terminal was sent exact colours (NO_COLOR's greys), they also contrast: 3:1,
    # WCAG's least for the edges of a control, for edges and text alike.
    faint = sorted({c for c in borders + text if ratio(c[1], c[2]) < 3})
    assert not faint, f"too faint against their background: {faint[:10]}"
    # The severity badge (P2 in the sample) reads against its own colour too.
    badge = [c for c in text if c[0] == "P"]
    assert badge and all(c[1] != c[2] for c in badge)
