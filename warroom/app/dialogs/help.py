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
        lines = [Content.styled("Keys", "bold")]
        for item in KEYMAP:
            lines.append(Content.assemble((f"{display_key(item.key):>8}  ", "bold $accent"),
                                          item.description))
        for key, what in MORE_KEYS:
            lines.append(Content.assemble((f"{key:>8}  ", "bold $accent"), what))
        lines.append(Content(""))
        lines.append(Content.styled("Panes", "bold"))
        lines.extend(Content(p) for p in PANES)
        lines.append(Content(""))
        lines.append(Content.styled("Every entry is saved the moment Enter is pressed.", "italic"))
        with VerticalScroll(classes="dialog-scroll"):
            yield Static(Content("\n").join(lines), id="help-text")
