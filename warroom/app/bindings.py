"""The key map of SPEC.md as data. The footer, the help screen and the command palette all read
this one table, so a key shown anywhere is a key that works."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class KeyAction:
    key: str
    action: str
    label: str
    """Short, for the footer."""
    description: str
    """A sentence, for the help screen and the command palette."""
    short: str = ""
    """Shorter still, for the footer of a narrow terminal."""
    writes: bool = False
    """Needs a writable database (hidden in the read-only viewer)."""
    show: bool = True


KEYMAP: tuple[KeyAction, ...] = (
    KeyAction("n", "log('note')", "note", "Log a note (an event or discussion)", "note", writes=True),
    KeyAction("d", "log('decision')", "decision", "Log a decision", "dec", writes=True),
    KeyAction("a", "log('action')", "action", "Log an action (@owner in the text)", "act", writes=True),
    KeyAction("r", "log('result')", "result", "Log a result of an action or investigation", "res",
              writes=True),
    KeyAction("c", "log('change')", "change", "Log a command run or a production change", "chg",
              writes=True),
    KeyAction("m", "correct", "correct", "Correct an entry (the cursor's, or your last); both kept",
              "fix", writes=True),
    # The process (issue 13): escalations, support tickets, facts, checklists, timers.
    KeyAction("x", "escalate", "escalate", "Record an escalation (shows the escalation chain)",
              "esc", writes=True),
    KeyAction("k", "ticket", "ticket", "Log a third-party support ticket (shows the support "
              "contacts)", "tkt", writes=True),
    KeyAction("g", "facts", "facts", "Change flags, services and when impact started, with a "
              "reason", "facts", writes=True),
    KeyAction("l", "checklist", "checklist", "Tick the declare checklist (after resolving: the "
              "post-incident one)", "list", writes=True, show=False),
    KeyAction("w", "answer_timer", "timers", "Answer a timer: do it now, snooze or dismiss it "
              "with a reason", "tmr", writes=True, show=False),
    KeyAction("s", "summary", "summary", "Write the lead summary now", "sum", writes=True),
    KeyAction("u", "status_update", "update", "Compose a status update", "upd", writes=True),
    KeyAction("p", "public", "public", "Write the public statement (the published report's "
              "parts)", "pub", writes=True, show=False),
    KeyAction("o", "handover", "role", "Assign or hand over a role", "role", writes=True),
    KeyAction("v", "severity", "severity", "Change severity (asks for a reason)", "sev", writes=True),
    KeyAction("t", "status", "status", "Change status (resolving walks the checklist)", "stat",
              writes=True),
    KeyAction("f", "followups", "follow-ups", "Follow-ups and actions: list, add, mark done", "fups"),
    KeyAction("slash", "search", "search", "Search and filter the timeline", "find"),
    KeyAction("i", "incidents", "incidents", "Switch incident, or declare a new one", "inc"),
    KeyAction("e", "export", "export", "Export the Markdown incident report", "exp"),
    KeyAction("z", "toggle_utc", "UTC", "Show times in UTC or local time", "utc", show=False),
    KeyAction("question_mark", "help", "help", "Show the key map and what each pane means", "help"),
    KeyAction("q", "quit", "quit", "Quit (every entry is already saved)", "quit"),
)

KEY_DISPLAY = {"slash": "/", "question_mark": "?", "ctrl+p": "^p"}


def display_key(key: str) -> str:
    return KEY_DISPLAY.get(key, key)


def textual_bindings() -> list[Binding]:
    """Priority bindings: they run as the key arrives, so a key typed right after a hotkey
    lands where the hotkey put the focus. The screen refuses them while a text field has focus."""
    return [Binding(k.key, k.action, k.label, show=k.show, key_display=display_key(k.key),
                    priority=True) for k in KEYMAP]

