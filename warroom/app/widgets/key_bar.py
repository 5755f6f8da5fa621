"""The footer: the key map (bindings.KEYMAP), fitted to the terminal's width.

Textual's Footer scrolls sideways when the keys do not fit, which at 80 columns hides most of
them; this bar shortens the labels instead (full, then short, then the five logging keys as one
group, then one space between pairs instead of two) so the keys a lead needs stay visible on an
80-column terminal, ``?`` (help, which lists every key) and ``q`` always among them.
"""

from __future__ import annotations

from textual.content import Content
from textual.widget import Widget

from warroom.app.bindings import KEYMAP, KeyAction, display_key

LOG_KEYS = ("n", "d", "a", "r", "c")
DROP_ORDER = ("slash", "f", "g", "k", "m", "x", "e", "i", "u", "t", "v", "o", "s")
"""What a narrow footer leaves out first (help and the palette list every key): the keys a lead
needs at a glance (logging, summary, update, roles, severity, status, switching and exporting
the incident, help, quit) go last; ? and q never go."""


class KeyBar(Widget):
    DEFAULT_CSS = """
    KeyBar { height: 1; background: $footer-background; }
    """

    def available(self) -> list[KeyAction]:
        screen = self.screen
        out = []
        for item in KEYMAP:
            if not item.show:
                continue
            name, _, _ = item.action.partition("(")
            if screen.check_action(name, ()) is False:
                continue
            out.append(item)
        return out

    def render(self) -> Content:
        width = self.size.width
        hints = getattr(self.screen, "typing_hints", None)
        if hints is not None and (shown := hints()):
            return Content("").join(self._pair(k, label) for k, label in shown)
        items = self.available()
        for variant in (self._full, self._short, self._grouped, self._compact):
            line = Content("").join(variant(items))
            if line.cell_length <= width:
                return line
        # Too narrow: drop what help and the palette also offer, never ? or q.
        for key in DROP_ORDER:
            items = [i for i in items if i.key != key]
            line = Content("").join(self._compact(items))
            if line.cell_length <= width:
                break
        return line

    def _pair(self, key: str, label: str, *, compact: bool = False) -> Content:
        return Content.assemble((f" {key}", "bold $footer-key-foreground"),
                                (f" {label}" if compact else f" {label} ",
                                 "$footer-description-foreground"))

    def _full(self, items: list[KeyAction]) -> list[Content]:
        return [self._pair(display_key(i.key), i.label) for i in items] + [self._pair("^p", "palette")]

    def _short(self, items: list[KeyAction]) -> list[Content]:
        return [self._pair(display_key(i.key), i.short or i.label) for i in items]

    def _grouped(self, items: list[KeyAction], *, compact: bool = False) -> list[Content]:
        logs = [i for i in items if i.key in LOG_KEYS]
        rest = [i for i in items if i.key not in LOG_KEYS]
        parts = [self._pair("".join(i.key for i in logs), "log", compact=compact)] if logs else []
        return parts + [self._pair(display_key(i.key), i.short or i.label, compact=compact)
                        for i in rest]

    def _compact(self, items: list[KeyAction]) -> list[Content]:
        """The grouped keys one space apart (the key's own colour and weight set it off)."""
        return self._grouped(items, compact=True) + [Content(" ")]
