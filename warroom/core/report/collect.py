"""The one walk over the log: :class:`Walker` folds each entry into the incident state and
keeps only what the chosen sections show (timeline rows, decisions, changes,
updates, tickets, labelled entries, the names a public report must drop)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from warroom.base.chain import ChainTap
from warroom.base.model import Entry
from warroom.core.describe import describe
from warroom.core.durations import format_duration
from warroom.core.profiles import Profile
from warroom.core.report.markdown import md
from warroom.core.report.templates import LABEL_KINDS, LABEL_RE
from warroom.core.report.times import Zone, canonical, stamp
from warroom.core.state import IncidentState

# The kinds a row shows other than by their text (see Walker.display).
_SHOWN_OTHERWISE = frozenset({"declared", "severity", "status", "comms", "action", "followup",
                              "done", "ticket", "escalation", "amend", "impact"})
# The kinds Walker._collect keeps something of.
_COLLECTED = frozenset({"decision", "change", "result", "attachment", "ticket", "escalation",
                        "role", "status", "public", "action", "followup", "amend"})
IMPACT_NAMES = {"started": "Impact started", "detected": "Detected", "mitigated": "Mitigated"}


@dataclass
class Comms:
    entry: Entry
    at: datetime
    severity: str


@dataclass
class Collected:
    """What one walk over the log keeps: the state, plus only what the sections show."""

    state: IncidentState
    timeline: list[tuple[str, int, str, str]] = field(default_factory=list)
    """(time, seq, the row up to its last cell, the entry as shown): the cell is escaped
    when the section is written, with the corrections of the entry beside it."""
    decisions: list[Entry] = field(default_factory=list)
    changes: list[Entry] = field(default_factory=list)
    files: list[Entry] = field(default_factory=list)
    """Entries that link to a file (an attachment, a command's output): issue 17."""
    runs: dict[str, Entry] = field(default_factory=dict)
    """``warroom run``: each run's result entry, by the run id its change entry holds too."""
    comms: list[Comms] = field(default_factory=list)
    tickets: list[Entry] = field(default_factory=list)
    roles: dict[int, Entry] = field(default_factory=dict)
    statuses: list[Entry] = field(default_factory=list)
    labelled: list[Entry] = field(default_factory=list)
    first_event: Entry | None = None
    names: dict[str, None] = field(default_factory=dict)
    last: Entry | None = None
    chain: ChainTap | None = None
    """The chain recomputed as the log was read: the head the report prints."""
    head_check: Callable[[int, str], str | None] | None = None
    """What is wrong with the recomputed head against the one the database recorded."""
    public: Entry | None = None
    """The latest public statement (what the communications lead wrote for publication)."""
    mitigated: datetime | None = None
    """When the status first became monitoring or resolved (mitigated, unless set)."""


class Walker:
    def __init__(self, ref: str, profile: Profile, sections: set[str], public: bool,
                 zone: Zone | None) -> None:
        self.profile, self.public, self.zone = profile, public, zone
        self.sections = sections
        self.out = Collected(IncidentState(ref=ref))
        self.want_timeline = "timeline" in sections and not public
        # What repeats from row to row, made once: the time cells of each minute, each
        # author (with who really wrote it) and each kind, escaped.
        self.minutes: dict[str, tuple[str, str, str]] = {}
        self.authors: dict[tuple[str, str], str] = {}
        self.kinds: dict[str, str] = {}

    def feed(self, entry: Entry) -> None:
        out = self.out
        state = out.state
        if entry.seq <= state.last_seq:
            return
        kind, data = entry.kind, entry.data
        if kind == "comms":
            out.comms.append(Comms(entry, entry.occurred, state.severity))
        state.apply(entry, checked=True)  # render_report reads each entry through readable()
        out.last = entry
        at = state.last_entry_at
        out.names[entry.author] = None
        if kind in _COLLECTED:  # (most entries are notes: one test, not ten)
            self._collect(entry, kind, data)
        if out.first_event is None and kind in ("note", "result", "change"):
            out.first_event = entry
        if kind in LABEL_KINDS or kind == "amend":
            if LABEL_RE.match(entry.text):
                out.labelled.append(entry)
        if not self.want_timeline or kind == "amend":
            return
        stored = canonical(entry.occurred_at)
        cells = self.minutes.get(stored[:16])
        if cells is None:
            cells = self._minute(stored, at)
        who = self.authors.get((entry.author, entry.db_role))
        if who is None:
            who = self._author(entry)
        ss = stored[17:19]
        # "| <UTC> | <local> | <seq> | <kind> | <author> | ", from pieces kept per minute,
        # author and kind (a report writes 100,000 of these).
        out.timeline.append((stored, entry.seq,
                             f"{cells[0]}{ss}{cells[1]}{ss if cells[1] else ''}{cells[2]}{entry.seq} | "
                             f"{self.kinds.get(kind) or self.kinds.setdefault(kind, md(kind))} | {who} | ",
                             entry.text if kind not in _SHOWN_OTHERWISE else self.display(entry)))

    def _collect(self, entry: Entry, kind: str, data: dict) -> None:
        out = self.out
        names = out.names
        if kind == "decision":
            out.decisions.append(entry)
        elif kind == "change":
            out.changes.append(entry)
        if kind in ("result", "attachment") and data.get("sha256"):
            out.files.append(entry)
        if kind == "result" and data.get("run"):
            out.runs[str(data["run"])] = entry
        elif kind in ("ticket", "escalation"):
            out.tickets.append(entry)
        elif kind == "role":
            out.roles[entry.seq] = entry
            for key in ("person", "previous"):
                if data.get(key):
                    names[str(data[key])] = None
        elif kind == "status":
            out.statuses.append(entry)
            if out.mitigated is None and data.get("to") in ("monitoring", "resolved", "closed"):
                out.mitigated = entry.occurred
        elif kind == "public":
            out.public = entry
        elif kind in ("action", "followup", "amend") and data.get("owner"):
            names[str(data["owner"])] = None

    def _minute(self, stored: str, at: datetime | None) -> tuple[str, str, str]:
        """The row's time cells for one minute, split where its seconds go: "| 2026-11-22
        14:02:", then (with a local column) " | 2026-11-22 14:02:" and " GMT | ", else "" and
        " | " (zone offsets are whole minutes, so the seconds carry over)."""
        utc = f"| {stamp(stored)[:16]}:"
        if self.zone is None or at is None:
            cells = (utc, "", " | ")
        else:
            local = self.zone.show_stored(stored, at)  # "2026-11-22 14:02:05 GMT"
            cells = (utc, f" | {local[:17]}", f"{local[19:]} | ")
        self.minutes[stored[:16]] = cells
        return cells

    def _author(self, entry: Entry) -> str:
        shown = md(entry.author)
        writer = "" if self.public else entry.written_by_other()
        if writer:  # --as is self-declared: the database's record beside it
            shown += " " + md(f"(written by {writer})")
        self.authors[(entry.author, entry.db_role)] = shown
        return shown

    # What a row says about an entry. The scribe's own kinds show their text as typed; the
    # entries the app writes show what changed, since their text alone may be just a reason.
    def display(self, entry: Entry) -> str:
        kind, data, text = entry.kind, entry.data, entry.text
        if kind == "declared":
            services = ", ".join(str(s) for s in data.get("services") or [])
            shown = f"Declared: {data.get('title', text)} ({self.profile.severity_label(data.get('severity'))}"
            shown += f"; {services})" if services else ")"
            if data.get("description"):
                shown += f"\n{data['description']}"
            return shown
        if kind == "severity":
            d = describe(entry)
            return (f"Severity {self.profile.severity_label(d.before)} → "
                    f"{self.profile.severity_label(d.after)}: {text}")
        if kind == "status":
            d = describe(entry)
            change = f"Status {d.before or '?'} → {d.after or '?'}"
            return f"{change}: {d.note}" if d.note else change
        if kind == "comms":
            shown = f"To {data['audience']}: {text}" if data.get("audience") else text
            if isinstance(data.get("next_update_s"), int):
                shown += f"\nNext update in {format_duration(timedelta(seconds=data['next_update_s']))}."
            return shown
        if kind in ("action", "followup"):
            d = describe(entry)
            return f"{text} (owner: {d.owner})" if d.owner else text
        if kind == "done":
            d = describe(entry)
            if data.get("reopened"):
                rest = text.split(": ", 1)[1] if text.startswith("Reopened: ") else text
                return f"Reopened #{'?' if d.target is None else d.target}: {rest}"
            return f"Done #{'?' if d.target is None else d.target}: {d.note}"
        if kind in ("ticket", "escalation"):
            return describe(entry).line
        if kind == "amend":
            return f"Correction to #{entry.amends}: {text}"
        if kind == "impact":
            what = IMPACT_NAMES.get(str(data.get("field")), str(data.get("field")))
            when = data.get("at")
            try:
                shown = f"{what} at {stamp(str(when))} UTC" if when else f"{what} cleared"
            except ValueError:
                shown = f"{what}: {when}"
            return f"{shown}: {text}"
        return text
