"""The live timeline: one ScrollView on Textual's Line API (the shape Toolong uses for logs).

Only visible rows are rendered, each through an LRU cache; nothing is a widget per entry, so
50,000 entries open in milliseconds and an append costs one row. Rows wrap long text onto
continuation rows by cells (not words): the row count of every entry is then a cheap sum, which
keeps filtering and resizing linear instead of re-wrapping every entry.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from datetime import datetime
from typing import TYPE_CHECKING, Callable

from rich.cells import cell_len, chop_cells
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from warroom.app.formatting import KIND_WIDTH, clock_time, entry_text, kind_label, plain

if TYPE_CHECKING:
    from warroom.base.model import Entry

SCRIBE_STYLED = {"note", "decision", "action", "result", "change", "comms", "summary"}


class Timeline(ScrollView, can_focus=True):
    """Newest at the bottom; follows new entries unless the user scrolled up."""

    BINDINGS = [
        Binding("up", "scroll_up", "Up", show=False),
        Binding("down", "scroll_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "scroll_home", "Oldest", show=False),
        Binding("end", "scroll_end", "Newest", show=False),
    ]
    COMPONENT_CLASSES = {
        "timeline--time", "timeline--author", "timeline--text", "timeline--system",
        "timeline--note", "timeline--decision", "timeline--action", "timeline--result",
        "timeline--change", "timeline--comms", "timeline--summary", "timeline--empty",
    }

    utc: reactive[bool] = reactive(False)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._entries: list[Entry] = []
        self._texts: list[str] = []
        self._shown: list[int] = []
        self._starts: list[int] = []
        self._total = 0
        self._text_width = 0
        self._kind: str | None = None
        self._search = ""
        self._amended: set[int] = set()
        self._loaded = False
        self._follow = True
        self._strips: LRUCache[tuple, Strip] = LRUCache(1024)
        self._chops: LRUCache[tuple[int, int], list[str]] = LRUCache(1024)
        self.severity_label: Callable[[str], str] | None = None

    # ------------------------------------------------------------------ public API
    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._restyle())

    def set_entries(self, entries: list[Entry], texts: list[str] | None = None) -> None:
        self._entries, self._texts, self._amended = [], [], set()
        self._loaded = True
        self._append(entries, texts)
        self._reflow()
        self.call_after_refresh(self.scroll_end, animate=False, immediate=True)

    def prepend(self, entries: list[Entry], texts: list[str] | None = None) -> None:
        """Older entries, read after the newest were shown; the view stays where it was."""
        if not entries:
            return
        newer_entries, newer_texts = self._entries, self._texts
        self._entries, self._texts = [], []
        self._append(entries, texts)
        self._entries += newer_entries
        self._texts += newer_texts
        from_bottom = self.max_scroll_y - self.scroll_y
        self._reflow()
        if self._follow:
            self.scroll_end(animate=False, immediate=True)
        else:
            self.scroll_to(y=max(self.max_scroll_y - from_bottom, 0), animate=False, immediate=True)

    def add(self, entries: list[Entry]) -> None:
        """Append entries (from the feed) and draw them; follow only if already at the bottom."""
        if not entries:
            return
        following = self._follow
        first = len(self._entries)
        if self._append(entries):
            self._strips.clear()
        width = self._text_width
        for idx in range(first, len(self._entries)):
            if self._matches(idx):
                self._starts.append(self._total)
                self._shown.append(idx)
                self._total += self._rows_of(idx, width)
        self._resize()
        if following:
            self.scroll_end(animate=False, immediate=True)
        self.refresh()

    def set_filter(self, kind: str | None, text: str) -> None:
        self._kind, self._search = kind or None, text.casefold().strip()
        self._reflow()
        self.call_after_refresh(self.scroll_end, animate=False, immediate=True)

    @property
    def entry_count(self) -> int:
        return len(self._entries)

    @property
    def shown_count(self) -> int:
        return len(self._shown)

    @property
    def filtered(self) -> bool:
        return bool(self._kind or self._search)

    def entries_since(self, seq: int) -> list[Entry]:
        """Every loaded entry numbered after ``seq`` (what the summary draft is built from)."""
        return [e for e in self._entries if e.seq > seq]

    def row_texts(self) -> list[str]:
        """Every shown row's plain text (for tests and the bench; renders nothing)."""
        return [self._texts[idx] for idx in self._shown]

    # ------------------------------------------------------------------ internals
    def _append(self, entries: list[Entry], texts: list[str] | None = None) -> bool:
        """Returns True when an earlier, already drawn entry got a correction. ``texts``: the
        display texts, when a worker already computed them (see :func:`display_texts`)."""
        amended = False
        self._entries.extend(entries)
        self._texts.extend(texts if texts is not None else display_texts(entries, self.severity_label))
        for entry in entries:
            if entry.kind == "amend" and entry.amends is not None:
                self._amended.add(entry.amends)
                amended = True
        return amended

    def _matches(self, idx: int) -> bool:
        entry = self._entries[idx]
        if self._kind and entry.kind != self._kind:
            return False
        if self._search:
            hay = f"{self._texts[idx]}\n{entry.author}\n{entry.kind}".casefold()
            return self._search in hay
        return True

    def _prefix_width(self, width: int) -> int:
        return 6 + KIND_WIDTH + 1 + self._author_width(width) + 1

    @staticmethod
    def _author_width(width: int) -> int:
        return 14 if width >= 120 else 9

    def _rows_of(self, idx: int, text_width: int) -> int:
        text = self._texts[idx]
        if len(text) <= text_width and text.isascii():
            return 1  # the common case, without wrapping anything
        return len(self._chop(idx, text_width))

    def _chop(self, idx: int, text_width: int) -> list[str]:
        key = (idx, text_width)
        lines = self._chops.get(key)
        if lines is None:
            lines = wrap_cells(self._texts[idx], text_width)
            self._chops[key] = lines
        return lines

    def _reflow(self) -> None:
        width = self.scrollable_content_region.width or self.size.width or 80
        self._text_width = max(8, width - self._prefix_width(width))
        tw = self._text_width
        self._shown, self._starts, total = [], [], 0
        for idx in range(len(self._entries)):
            if self._matches(idx):
                self._shown.append(idx)
                self._starts.append(total)
                total += self._rows_of(idx, tw)
        self._total = total
        self._strips.clear()
        self._resize()
        self.refresh()

    def _resize(self) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, self._total)

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        # Following the newest entries stops when the person scrolls up, resumes at the bottom.
        self._follow = new >= self.max_scroll_y

    def on_resize(self) -> None:
        width = self.scrollable_content_region.width
        if width and max(8, width - self._prefix_width(width)) != self._text_width:
            self._reflow()
        if self._follow:
            self.scroll_end(animate=False, immediate=True)

    def _restyle(self) -> None:
        self._strips.clear()
        self.refresh()

    def watch_utc(self) -> None:
        self._restyle()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        row = int(self.scroll_y) + y
        base = self.rich_style
        if row >= self._total:
            if row == 0:
                muted = base + self.get_component_rich_style("timeline--empty")
                msg = ("No entries match the filter (/ to change it)" if self.filtered and self._loaded
                       else "No entries yet" if self._loaded else "Loading…")
                return Strip([Segment(msg, muted)]).adjust_cell_length(width, base)
            return Strip.blank(width, base)
        k = bisect_right(self._starts, row) - 1
        idx, sub = self._shown[k], row - self._starts[k]
        key = (idx, sub, width)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._render_row(idx, sub, width, base)
            self._strips[key] = strip
        return strip

    def _render_row(self, idx: int, sub: int, width: int, base: Style) -> Strip:
        entry = self._entries[idx]
        text = self._texts[idx]
        tw = self._text_width
        chunk = text if (sub == 0 and cell_len(text) <= tw) else self._chop(idx, tw)[sub]
        style_of = self.get_component_rich_style
        kind_class = f"timeline--{entry.kind}" if entry.kind in SCRIBE_STYLED else "timeline--system"
        kind_style = base + style_of(kind_class)
        text_style = base + style_of("timeline--text" if entry.kind in SCRIBE_STYLED else "timeline--system")
        if sub:
            segments = [Segment(" " * self._prefix_width(width), base)]
        else:
            aw = self._author_width(width)
            author = plain(entry.author)
            if cell_len(author) > aw:
                author = chop_cells(author, aw - 1)[0] + "…"
            label = kind_label(entry.kind)
            if entry.seq in self._amended:
                label = label[:KIND_WIDTH - 1] + "✎"
            when = _when(entry, self.utc)
            segments = [
                Segment(when + " ", base + style_of("timeline--time")),
                Segment(label.ljust(KIND_WIDTH) + " ", kind_style),
                Segment(author + " " * (aw - cell_len(author)) + " ", base + style_of("timeline--author")),
            ]
        segments.append(Segment(chunk, text_style))
        return Strip(segments).adjust_cell_length(width, base)


def display_texts(entries: list[Entry], severity_label: Callable[[str], str] | None = None) -> list[str]:
    """The text column of each entry (pure: a loading worker computes it off the event loop)."""
    return [entry_text(entry, severity_label) for entry in entries]


_WORDS = re.compile(r"\S+\s*|\s+")


def wrap_cells(text: str, width: int) -> list[str]:
    """Greedy word wrap by terminal cells; a word longer than a line is cut."""
    if cell_len(text) <= width:
        return [text]
    lines: list[str] = []
    line, used = "", 0
    for match in _WORDS.finditer(text):
        word = match.group()
        size = cell_len(word)
        if used + size <= width:
            line, used = line + word, used + size
            continue
        bare = word.rstrip()
        if used + cell_len(bare) <= width:
            lines.append(line + bare)
            line, used = "", 0
            continue
        if line.strip():
            lines.append(line.rstrip())
        line, used = "", 0
        while cell_len(word.rstrip()) > width:
            head = chop_cells(word, width)[0]
            lines.append(head)
            word = word[len(head):]
        line, used = word, cell_len(word)
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


def _when(entry: Entry, utc: bool) -> str:
    try:
        at: datetime = entry.occurred
    except ValueError:
        return "??:??"
    return clock_time(at, utc)
