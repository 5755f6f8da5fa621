"""Search and filter the timeline: type to search, Tab cycles the kind filter, Enter keeps the
filter, Esc clears it."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Input, Label

from warroom.app.focus import focus_main
from warroom.app.messages import FilterChanged
from warroom.base.model import KINDS
from warroom.app.widgets.fields import Field

FILTER_KINDS: tuple[str | None, ...] = (None, *KINDS)


class SearchBar(Horizontal):
    BINDINGS = [
        Binding("tab", "cycle_kind", "kind filter", show=False),
        Binding("shift+tab", "cycle_kind(-1)", "kind filter", show=False),
        Binding("escape", "clear", "clear filter", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.kind: str | None = None

    def compose(self) -> ComposeResult:
        yield Label(Content(" search ▸"), id="search-label")
        yield Field(placeholder="text or name (Tab: kind filter, Enter: keep, Esc: clear)",
                    short="text or name (Tab: kind)",
                    id="search-input", compact=True)
        yield Label(Content("all kinds"), id="search-kind")

    def open(self) -> None:
        self.display = True
        self.query_one("#search-input", Input).focus()

    def action_cycle_kind(self, step: int = 1) -> None:
        pos = FILTER_KINDS.index(self.kind)
        self.kind = FILTER_KINDS[(pos + step) % len(FILTER_KINDS)]
        self.query_one("#search-kind", Label).update(Content(self.kind or "all kinds"))
        self._changed()

    def action_clear(self) -> None:
        self.kind = None
        self.query_one("#search-kind", Label).update(Content("all kinds"))
        self.query_one("#search-input", Input).value = ""
        self._changed()
        self.display = False
        focus_main(self.screen)

    @on(Input.Changed, "#search-input")
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self._changed()

    @on(Input.Submitted, "#search-input")
    def _keep(self, event: Input.Submitted) -> None:
        event.stop()
        self.display = False
        focus_main(self.screen)

    def _changed(self) -> None:
        self.post_message(FilterChanged(self.kind, self.query_one("#search-input", Input).value))
