"""The help screen: the key map (from the same table as the footer) and what each pane means."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from warroom.app.bindings import KEYMAP, display_key
from warroom.app.dialogs.base import Dialog

MORE_KEYS = (
    ("ctrl+p", "Command palette: every action (\"Impact started\" opens g on that field), "
               "and the theme"),
    ("Tab", "In the entry line: cycle note → decision → action → result → change"),
    ("Alt+n d a r c", "In the entry line: switch the kind, keep the text (or Esc then the letter at once)"),
    ("↑", "On an empty entry line: the last text cancelled or saved, to edit"),
    ("Esc", "Close the entry line (its draft is kept), the search bar or a dialog"),
    ("↑ ↓ PgUp PgDn Home", "Timeline: move the cursor (the view stays where you read)"),
    ("Enter", "Timeline: open the entry under the cursor, with its corrections"),
    ("End", "Timeline: back to the newest, following new entries"),
)
PANES = (
    "Incident: reference, severity, status, services, elapsed time, OOH and security flags, "
    "the latest lead summary.",
    "Roles: who holds each role and for how long; VACANT required roles and warnings.",
    "Timers: next summary, next status update, escalation, out-of-hours stop, role rotation, "
    "as countdowns (in 23m, in 1h 05m; seconds in the last minute); ! marks one that wants "
    "something now (! due now, ! 4m late, ! vacant 6m); zz: snoozed.",
    "Timeline: every entry in the order it happened, newest at the bottom; ✎ marks an entry "
    "that was corrected (Enter shows the original); \"logged later\" marks a backdated one. "
    "Times are in the zone its title names (local time; z switches to UTC).",
)


class HelpDialog(Dialog):
    TITLE = "Help"
    HINT = "Esc, q or ? closes"
    BINDINGS = [Binding("escape,q,question_mark", "cancel", "close")]

    def body(self) -> ComposeResult:
        with VerticalScroll(classes="dialog-scroll"):
            yield HelpText(id="help-text")


KEY_COLUMN = 10
"""The keys right-aligned in 8 cells, two spaces, then what they do."""


def help_lines(width: int) -> list[Content]:
    """The help text for ``width`` cells: a description too long for its line goes on under
    itself (a hanging indent), so the keys stay a column to scan."""
    from warroom.app.widgets.timeline import wrap_cells

    room = max(width - KEY_COLUMN, 20)
    rows = [(display_key(item.key), item.description) for item in KEYMAP] + list(MORE_KEYS)
    lines = [Content.styled("Keys", "bold")]
    for key, what in rows:
        parts = wrap_cells(what, room) or [""]
        lines.append(Content.assemble((f"{key:>8}  ", "bold $accent"), parts[0]))
        lines.extend(Content(" " * KEY_COLUMN + part) for part in parts[1:])
    lines.append(Content(""))
    lines.append(Content.styled("Panes", "bold"))
    lines.extend(Content(p) for p in PANES)
    lines.append(Content(""))
    lines.append(Content.styled("Every entry is saved the moment Enter is pressed.", "italic"))
    return lines


class HelpText(Static):
    _width = 0

    def on_mount(self) -> None:
        self.update(Content("\n").join(help_lines(200)))

    def on_resize(self) -> None:
        width = self.content_size.width
        if width and width != self._width:  # a new height alone needs no new text
            self._width = width
            self.update(Content("\n").join(help_lines(width)))
