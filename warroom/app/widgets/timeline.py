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
from dataclasses import replace
from typing import Callable

from rich.cells import cell_len, chop_cells
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from warroom.app.formatting import KIND_WIDTH, clock_time, entry_text, kind_label, plain
from warroom.base.model import Entry

LATE_AFTER_S = 120
"""An entry recorded this long after it happened is marked "logged later at HH:MM"."""

SCRIBE_STYLED = {"note", "decision", "action", "result", "change", "comms", "summary"}


class Timeline(ScrollView, can_focus=True):
    """Newest at the bottom; follows new entries unless the user scrolled up."""

    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "cursor_page(-1)", "Page up", show=False),
        Binding("pagedown", "cursor_page(1)", "Page down", show=False),
        Binding("home", "oldest", "Oldest", show=False),
        Binding("end", "newest", "Newest", show=False),
        Binding("enter", "open_entry", "Open", show=False),
    ]

    class Opened(Message):
        """Enter on the entry under the cursor."""

        def __init__(self, entry: Entry) -> None:
            super().__init__()
            self.entry = entry
    COMPONENT_CLASSES = {
        "timeline--time", "timeline--author", "timeline--text", "timeline--system",
        "timeline--note", "timeline--decision", "timeline--action", "timeline--result",
        "timeline--change", "timeline--comms", "timeline--summary", "timeline--empty",
        "timeline--cursor",
    }
    DEFAULT_CSS = """
    Timeline > .timeline--cursor { background: $block-cursor-blurred-background; }
    Timeline:focus > .timeline--cursor { background: $block-cursor-background;
                                          color: $block-cursor-foreground; }
    """

    utc: reactive[bool] = reactive(False)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        # The rows: every entry but the corrections, in occurred-at order (then number).
        self._entries: list[Entry] = []
        self._texts: list[str] = []
        self._keys: list[tuple[str, int]] = []
        self._shown: list[int] = []
        self._starts: list[int] = []
        self._total = 0
        self._text_width = 0
        self._kind: str | None = None
        self._search = ""
        self._fixes: dict[int, list[Entry]] = {}
        """Corrections of each entry, oldest first (the latest is shown, marked ✎)."""
        self._base: dict[int, str] = {}
        """Each entry's display text as the loader computed it (before corrections)."""
        self._count = 0
        self._loaded = False
        self._follow = True
        self.cursor: int | None = None
        """The number (seq) of the entry under the keyboard cursor; None: no cursor."""
        self._strips: LRUCache[tuple, Strip] = LRUCache(1024)
        self._chops: LRUCache[tuple[int, int], list[str]] = LRUCache(1024)
        self.severity_label: Callable[[str], str] | None = None
        self._pending: list[tuple[str, str, str, str, str]] = []
        """Entries kept in the local outbox while the team database is away: (uid, occurred
        at, kind, author, text), drawn after the log, marked as waiting."""

    def set_pending(self, items: list[tuple[str, str, str, str, str]]) -> None:
        """The entries waiting in the outbox (shown below the log until the feed brings them)."""
        if items == self._pending:
            return
        following = self._follow
        self._pending = list(items)
        self._resize()
        if following:
            self.scroll_end(animate=False, immediate=True)
        self.refresh()

    @property
    def pending_uids(self) -> list[str]:
        return [item[0] for item in self._pending]

    @property
    def _amended(self) -> set[int]:
        return set(self._fixes)

    # ------------------------------------------------------------------ public API
    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._restyle())

    def set_entries(self, entries: list[Entry], texts: list[str] | None = None) -> None:
        self._entries, self._texts, self._keys, self._fixes, self._base = [], [], [], {}, {}
        self._count = 0
        self._loaded = True
        self._merge(entries, texts)
        self._reflow()
        self.call_after_refresh(self.scroll_end, animate=False, immediate=True)

    def prepend(self, entries: list[Entry], texts: list[str] | None = None) -> None:
        """Older entries, read after the newest were shown; the view stays where it was."""
        if not entries:
            return
        from_bottom = self.max_scroll_y - self.scroll_y
        self._merge(entries, texts)
        self._reflow()
        if self._follow:
            self.scroll_end(animate=False, immediate=True)
        else:
            self.scroll_to(y=max(self.max_scroll_y - from_bottom, 0), animate=False, immediate=True)

    def add(self, entries: list[Entry]) -> None:
        """Entries from the feed. Each takes its place by when it happened: at the bottom, as a
        rule, drawn as one more row; a backdated one (or a correction) redraws, and the view
        stays on what the person is reading unless they follow the newest."""
        if not entries:
            return
        following = self._follow
        first = len(self._entries)
        if self._merge(entries):
            anchor = None if following else self._top_anchor()
            self._reflow()
            if anchor is not None:
                self._restore_anchor(anchor)
        else:
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
        """Every entry of the log, corrections included."""
        return self._count

    @property
    def shown_count(self) -> int:
        return len(self._shown)

    @property
    def filtered(self) -> bool:
        return bool(self._kind or self._search)

    def entries_since(self, seq: int) -> list[Entry]:
        """Every loaded entry numbered after ``seq`` (what the summary draft is built from)."""
        found = [e for e in self._entries if e.seq > seq]
        found += [f for fixes in self._fixes.values() for f in fixes if f.seq > seq]
        return sorted(found, key=lambda e: e.seq)

    def row_texts(self) -> list[str]:
        """Every shown row's plain text (for tests and the bench; renders nothing)."""
        return [self._texts[idx] for idx in self._shown]

    def shown_entries(self) -> list[Entry]:
        """The entries shown, top to bottom."""
        return [self._entries[idx] for idx in self._shown]

    def corrections(self, seq: int) -> list[Entry]:
        return list(self._fixes.get(seq, ()))

    def entry(self, seq: int) -> Entry | None:
        for entry in self._entries:
            if entry.seq == seq:
                return entry
        return None

    # ------------------------------------------------------------------ the cursor
    def action_cursor(self, step: int) -> None:
        """↑ ↓ move the cursor entry by entry (the first ↑ takes the newest shown)."""
        if not self._shown:
            return
        k = self._cursor_k()
        if k is None:
            k = len(self._shown) - 1 if step < 0 else len(self._shown) - 1
        else:
            k = min(max(k + step, 0), len(self._shown) - 1)
        self._move_cursor(k)

    def action_cursor_page(self, step: int) -> None:
        if not self._shown:
            return
        k = self._cursor_k()
        k = len(self._shown) - 1 if k is None else k
        row = self._starts[k] + step * max(self.scrollable_content_region.height - 1, 1)
        self._move_cursor(min(max(bisect_right(self._starts, max(row, 0)) - 1, 0),
                              len(self._shown) - 1))

    def action_oldest(self) -> None:
        if self._shown:
            self._move_cursor(0)
        self.scroll_home(animate=False, immediate=True)

    def action_newest(self) -> None:
        """End: no cursor, follow the newest entries again."""
        self._set_cursor(None)
        self.scroll_end(animate=False, immediate=True)

    def action_open_entry(self) -> None:
        k = self._cursor_k()
        if k is not None:
            self.post_message(self.Opened(self._entries[self._shown[k]]))

    def cursor_entry(self) -> Entry | None:
        k = self._cursor_k()
        return None if k is None else self._entries[self._shown[k]]

    def _cursor_k(self) -> int | None:
        if self.cursor is None:
            return None
        for k in range(len(self._shown) - 1, -1, -1):
            if self._entries[self._shown[k]].seq == self.cursor:
                return k
        return None

    def _move_cursor(self, k: int) -> None:
        self._set_cursor(self._entries[self._shown[k]].seq)
        top, rows = self._starts[k], self._rows_of(self._shown[k], self._text_width)
        height = self.scrollable_content_region.height or 1
        if top < self.scroll_y:
            self.scroll_to(y=top, animate=False, immediate=True)
        elif top + rows > self.scroll_y + height:
            self.scroll_to(y=top + rows - height, animate=False, immediate=True)

    def _set_cursor(self, seq: int | None) -> None:
        if seq != self.cursor:
            self.cursor = seq
            self._strips.clear()
            self.refresh()

    # ------------------------------------------------------------------ internals
    def _merge(self, entries: list[Entry], texts: list[str] | None = None) -> bool:
        """Take entries in (and their display texts, when a worker already computed them: see
        :func:`display_texts`). Returns True when the rows must be laid out again: an entry
        went somewhere other than the bottom, or one already shown was corrected."""
        if texts is None:
            texts = display_texts(entries, self.severity_label)
        self._count += len(entries)
        relayout = False
        touched: set[int] = set()
        at_end: list[tuple[tuple[str, int], Entry]] = []
        for entry, text in zip(entries, texts):
            if entry.kind == "amend" and entry.amends is not None:
                self._fixes.setdefault(entry.amends, []).append(entry)
                self._fixes[entry.amends].sort(key=lambda e: e.seq)
                touched.add(entry.amends)
                continue
            self._base[entry.seq] = text
            key = _order_key(entry, self._fixes.get(entry.seq))
            if at_end:
                last = at_end[-1][0]
            elif self._keys:
                last = self._keys[-1]
            else:
                last = None
            if last is not None and key < last:
                relayout = True
            at_end.append((key, entry))
        if relayout or (touched and any(self._seq_loaded(seq) for seq in touched)):
            rows = list(zip(self._keys, self._entries)) + at_end
            for i, (key, entry) in enumerate(rows):
                if entry.seq in touched:
                    rows[i] = (_order_key(entry, self._fixes.get(entry.seq)), entry)
            rows.sort(key=lambda pair: pair[0])
            self._keys = [k for k, _ in rows]
            self._entries = [e for _, e in rows]
            self._texts = [self._display(e) for e in self._entries]
            self._strips.clear()
            self._chops.clear()
            return True
        for key, entry in at_end:
            self._keys.append(key)
            self._entries.append(entry)
            self._texts.append(self._display(entry))
        return False

    def _seq_loaded(self, seq: int) -> bool:
        return seq in self._base

    def _display(self, entry: Entry) -> str:
        """The text column: the latest correction's text (the row is marked ✎), and when an
        entry was logged well after it happened, when that was."""
        fixes = self._fixes.get(entry.seq)
        if fixes:
            text = entry_text(_as_corrected(entry, fixes), self.severity_label, self.utc)
        else:
            base = self._base.get(entry.seq) if entry.kind != "prompt" else None  # (its time)
            text = base if base is not None else entry_text(entry, self.severity_label, self.utc)
        late = _logged_later(entry)
        if late is not None:
            text += f" · logged later at {clock_time(late, self.utc)}"
        return text

    def _top_anchor(self) -> tuple[int, int] | None:
        """The entry at the top of the view and how far into it (to keep the view put)."""
        row = int(self.scroll_y)
        if not self._shown or row >= self._total:
            return None
        k = bisect_right(self._starts, row) - 1
        return self._entries[self._shown[k]].seq, row - self._starts[k]

    def _restore_anchor(self, anchor: tuple[int, int]) -> None:
        seq, offset = anchor
        for k, idx in enumerate(self._shown):
            if self._entries[idx].seq == seq:
                self.scroll_to(y=self._starts[k] + offset, animate=False, immediate=True)
                return

    def _matches(self, idx: int) -> bool:
        entry = self._entries[idx]
        if self._kind and _kind_of(entry, self._fixes.get(entry.seq)) != self._kind:
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
        if len(text) <= text_width and text.isascii() and "\n" not in text:
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
        self.virtual_size = Size(self.scrollable_content_region.width,
                                 self._total + len(self._pending))

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
        if any(_logged_later(e) is not None for e in self._entries):
            self._texts = [self._display(e) for e in self._entries]
            self._chops.clear()
            self._reflow()
        self._restyle()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        row = int(self.scroll_y) + y
        base = self.rich_style
        if self._total <= row < self._total + len(self._pending):
            return self._render_pending(self._pending[row - self._total], width, base)
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
            if self._entries[idx].seq == self.cursor:
                strip = strip.apply_style(self.get_component_rich_style("timeline--cursor"))
            self._strips[key] = strip
        return strip

    def _render_pending(self, item: tuple[str, str, str, str, str], width: int,
                        base: Style) -> Strip:
        """A row of an entry kept locally: its time, kind and author as usual, its text after
        a plain mark that it is not in the team database yet."""
        from warroom.base.clock import parse_time

        _uid, at, kind, author, text = item
        try:
            when = clock_time(parse_time(at), self.utc)
        except ValueError:
            when = "??:??"
        style_of = self.get_component_rich_style
        aw = self._author_width(width)
        who = plain(author)
        if cell_len(who) > aw:
            who = chop_cells(who, aw - 1)[0] + "…"
        body = "⧗ waiting (kept locally): " + " ".join(plain(text).split())
        tw = max(8, self._text_width)
        if cell_len(body) > tw:
            body = chop_cells(body, tw - 1)[0] + "…"
        muted = base + style_of("timeline--system")
        return Strip([
            Segment(when + " ", base + style_of("timeline--time")),
            Segment(kind_label(kind).ljust(KIND_WIDTH) + " ", muted),
            Segment(who + " " * (aw - cell_len(who)) + " ", base + style_of("timeline--author")),
            Segment(body, muted),
        ]).adjust_cell_length(width, base)

    def _render_row(self, idx: int, sub: int, width: int, base: Style) -> Strip:
        entry = self._entries[idx]
        fixes = self._fixes.get(entry.seq)
        if fixes:
            entry = _as_corrected(entry, fixes)
        text = self._texts[idx]
        tw = self._text_width
        simple = sub == 0 and "\n" not in text and cell_len(text) <= tw
        chunk = text if simple else self._chop(idx, tw)[sub]
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
            if fixes:
                label = label[:KIND_WIDTH - 1].ljust(KIND_WIDTH - 1) + "✎"
            when = _when(entry, self.utc)
            segments = [
                Segment(when + " ", base + style_of("timeline--time")),
                Segment(label.ljust(KIND_WIDTH) + " ", kind_style),
                Segment(author + " " * (aw - cell_len(author)) + " ", base + style_of("timeline--author")),
            ]
        segments.append(Segment(chunk, text_style))
        return Strip(segments).adjust_cell_length(width, base)


def _order_key(entry: Entry, fixes: list[Entry] | None = None) -> tuple[str, int]:
    """Where a row goes: when it happened (as last corrected), then its number."""
    at = entry.occurred_at
    if fixes:
        at = str(fixes[-1].data.get("occurred_at") or at)
    if len(at) != 27 or not at.endswith("Z"):
        from warroom.base.clock import format_time, parse_time

        try:
            at = format_time(parse_time(at))
        except ValueError:
            pass
    return at, entry.seq


def _kind_of(entry: Entry, fixes: list[Entry] | None) -> str:
    return str(fixes[-1].data.get("kind") or entry.kind) if fixes else entry.kind


def _as_corrected(entry: Entry, fixes: list[Entry]) -> Entry:
    """The entry as its latest correction has it (each correction carries the whole picture)."""
    last = fixes[-1]
    data = dict(entry.data)
    if last.data.get("owner"):
        data["owner"] = last.data["owner"]
    return replace(entry, kind=_kind_of(entry, fixes), text=last.text, data=data,
                   occurred_at=str(last.data.get("occurred_at") or entry.occurred_at))


def _logged_later(entry: Entry) -> datetime | None:
    """When an entry was written, if that was well after it happened (a backdated event)."""
    if entry.recorded_at == entry.occurred_at or entry.kind == "declared":
        return None
    try:
        recorded, occurred = entry.recorded, entry.occurred
    except ValueError:
        return None
    return recorded if (recorded - occurred).total_seconds() >= LATE_AFTER_S else None


def display_texts(entries: list[Entry], severity_label: Callable[[str], str] | None = None) -> list[str]:
    """The text column of each entry (pure: a loading worker computes it off the event loop)."""
    return [entry_text(entry, severity_label) for entry in entries]


_WORDS = re.compile(r"\S+\s*|\s+")


def wrap_cells(text: str, width: int) -> list[str]:
    """Greedy word wrap by terminal cells; a word longer than a line is cut. A newline starts
    a new line (the lines of a multi-line entry)."""
    if "\n" in text:
        return [line for part in text.split("\n") for line in wrap_cells(part, width)]
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
