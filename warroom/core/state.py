"""An incident's current state, derived from its log and nothing else.

``IncidentState.apply`` folds one entry in, so a screen can keep the state current as entries
arrive from the change feed, and ``project`` rebuilds it from scratch: the log stays the truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Iterable

from warroom.base.clock import parse_time
from warroom.base.model import Entry
from warroom.core.entry_data import is_damaged, readable


@dataclass
class RoleHolder:
    role: str
    person: str
    since: datetime
    seq: int


@dataclass
class ActionItem:
    """An action (logged during the incident) or a follow-up (work for afterwards)."""

    seq: int
    kind: str  # "action" or "followup"
    text: str
    owner: str
    created: datetime
    done: bool = False
    done_at: datetime | None = None
    done_by: str = ""
    done_note: str = ""


@dataclass
class Change:
    at: datetime
    author: str
    before: str | None
    after: str
    reason: str
    seq: int


@dataclass
class IncidentState:
    ref: str
    profile: str = "default"
    title: str = ""
    description: str = ""
    severity: str = ""
    status: str = "investigating"
    services: list[str] = field(default_factory=list)
    security: bool = False
    customer_impacting: bool = False
    declared_at: datetime | None = None
    declared_by: str = ""
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    roles: dict[str, RoleHolder] = field(default_factory=dict)
    role_history: list[Change] = field(default_factory=list)
    severity_history: list[Change] = field(default_factory=list)
    status_history: list[Change] = field(default_factory=list)
    actions: dict[int, ActionItem] = field(default_factory=dict)
    amendments: dict[int, list[Entry]] = field(default_factory=dict)
    latest_summary: Entry | None = None
    latest_comms: Entry | None = None
    public: Entry | None = None
    """The latest public statement (a ``public`` entry: the parts of the published report)."""
    comms: list[Entry] = field(default_factory=list)
    # What the timers (warroom.core.timers) restart from. A summary's amendment replaces
    # ``latest_summary`` but is not a new summary, so the original's time is kept apart.
    last_summary_at: datetime | None = None
    last_summary_seq: int = 0
    prompts: list[Entry] = field(default_factory=list)
    escalations: list[Entry] = field(default_factory=list)
    tickets: list[Entry] = field(default_factory=list)
    checklists: dict[str, dict[str, Entry]] = field(default_factory=dict)
    """Per checklist (declare, resolve, post_incident), each step's latest answer (a
    ``checklist`` entry: outcome done, dismissed or undone)."""
    security_at: datetime | None = None
    """When the incident became (and has stayed) a security incident."""
    security_seq: int = 0
    first_response: Entry | None = None
    """The first sign of someone responding: a lead assigned, or an entry a responder writes."""
    impact: dict[str, datetime] = field(default_factory=dict)
    """The impact window as set (``started``, ``detected``, ``mitigated``)."""
    changes_made: list[tuple[Entry, dict[str, str]]] = field(default_factory=list)
    """Every ``change`` entry with who held each role when it was logged (a process where only
    one role changes production checks it: warroom.core.rules)."""
    last_seq: int = 0
    entry_count: int = 0
    last_entry_at: datetime | None = None
    damaged: list[int] = field(default_factory=list)
    """Entries whose stored data is the wrong shape (see core.entry_data): shown, not used."""

    # ------------------------------------------------------------------ folding
    def apply(self, entry: Entry, checked: bool = False) -> None:
        """Fold ``entry`` in (``checked``: it has been through ``readable`` already)."""
        if entry.seq <= self.last_seq:
            return  # already folded in (the change feed may repeat itself)
        if not checked:
            entry = readable(entry)  # a wrong-shaped row is folded in as a damaged system entry
        kind = entry.kind
        if kind == "system" and is_damaged(entry):
            self.damaged.append(entry.seq)
        self.last_seq = entry.seq
        self.entry_count += 1
        at = entry.occurred
        self.last_entry_at = at
        handler = _HANDLERS.get(kind)
        if handler is not None:
            handler(self, entry, at, entry.data)

    def _on_declared(self, entry: Entry, at: datetime, data: dict) -> None:
        self.title = data.get("title", entry.text)
        self.description = data.get("description", "")
        self.profile = data.get("profile", self.profile)
        self.severity = data.get("severity", "")
        self.status = data.get("status", "investigating")
        self.services = list(data.get("services", []))
        self.security = bool(data.get("security", False))
        self.customer_impacting = bool(data.get("customer_impacting", False))
        self.declared_at = parse_time(data["declared_at"]) if data.get("declared_at") else at
        self.declared_by = entry.author
        self.security_at = at if self.security else None
        self.severity_history.append(Change(at, entry.author, None, self.severity, "declared", entry.seq))
        self.status_history.append(Change(at, entry.author, None, self.status, "declared", entry.seq))

    def _on_role(self, entry: Entry, at: datetime, data: dict) -> None:
        role, person = data["role"], data.get("person") or ""
        before = self.roles.get(role)
        if person:
            self.roles[role] = RoleHolder(role, person, at, entry.seq)
            if role == "lead":
                self._responded(entry)
        else:
            self.roles.pop(role, None)
        self.role_history.append(Change(at, entry.author, before.person if before else None,
                                        person, role, entry.seq))

    def _on_severity(self, entry: Entry, at: datetime, data: dict) -> None:
        before, self.severity = self.severity, data["to"]
        self.severity_history.append(Change(at, entry.author, before, self.severity, entry.text, entry.seq))

    def _on_status(self, entry: Entry, at: datetime, data: dict) -> None:
        before, self.status = self.status, data["to"]
        self.status_history.append(Change(at, entry.author, before, self.status, entry.text, entry.seq))
        if self.status == "resolved":
            self.resolved_at = at
        elif self.status == "closed":
            self.closed_at = at
            self.resolved_at = self.resolved_at or at
        else:
            self.resolved_at = None
            self.closed_at = None

    def _on_services(self, entry: Entry, at: datetime, data: dict) -> None:
        self.services = list(data.get("services", []))

    def _on_flags(self, entry: Entry, at: datetime, data: dict) -> None:
        if "security" in data:
            if bool(data["security"]) and not self.security:
                self.security_at, self.security_seq = at, entry.seq
            self.security = bool(data["security"])
            if not self.security:
                self.security_at = None
        if "customer_impacting" in data:
            self.customer_impacting = bool(data["customer_impacting"])

    def _responded(self, entry: Entry) -> None:
        if self.first_response is None:
            self.first_response = entry

    def _on_checklist(self, entry: Entry, at: datetime, data: dict) -> None:
        name, item = str(data.get("checklist", "")), str(data.get("item", ""))
        self.checklists.setdefault(name, {})[item] = entry

    def _on_impact(self, entry: Entry, at: datetime, data: dict) -> None:
        name, when = str(data.get("field", "")), data.get("at")
        if when:
            try:
                self.impact[name] = parse_time(str(when))
            except ValueError:
                pass
        else:
            self.impact.pop(name, None)

    def _on_ticket(self, entry: Entry, at: datetime, data: dict) -> None:
        self.tickets.append(entry)
        self._responded(entry)

    def _on_decision(self, entry: Entry, at: datetime, data: dict) -> None:
        self._responded(entry)

    _on_result = _on_decision

    def _on_change(self, entry: Entry, at: datetime, data: dict) -> None:
        self._responded(entry)
        self.changes_made.append((entry, {r: h.person for r, h in self.roles.items()}))

    def _on_action(self, entry: Entry, at: datetime, data: dict) -> None:
        self._responded(entry)
        self.actions[entry.seq] = ActionItem(entry.seq, "action", entry.text, data.get("owner", ""), at)

    def _on_followup(self, entry: Entry, at: datetime, data: dict) -> None:
        self.actions[entry.seq] = ActionItem(entry.seq, "followup", entry.text, data.get("owner", ""), at)

    def _on_done(self, entry: Entry, at: datetime, data: dict) -> None:
        item = self.actions.get(int(data.get("target", entry.amends or 0)))
        if item is not None and data.get("reopened"):  # undone: open again (Warroom.reopen)
            item.done, item.done_at, item.done_by, item.done_note = False, None, "", ""
        elif item is not None:
            item.done, item.done_at, item.done_by, item.done_note = True, at, entry.author, entry.text

    def _on_amend(self, entry: Entry, at: datetime, data: dict) -> None:
        if entry.amends is None:
            return
        self.amendments.setdefault(entry.amends, []).append(entry)
        item = self.actions.get(entry.amends)
        kind = data.get("kind")
        if item is not None and kind and kind not in ("action", "followup"):
            self.actions.pop(entry.amends)  # corrected into a note, decision...: not an action
            item = None
        elif item is None and kind == "action":  # a note corrected into an action
            self.actions[entry.amends] = ActionItem(entry.amends, "action", entry.text,
                                                    str(data.get("owner") or ""), at)
        if item is not None:
            item.text = entry.text
            if data.get("owner"):
                item.owner = data["owner"]
        if self.latest_summary is not None and self.latest_summary.seq == entry.amends:
            self.latest_summary = entry

    def _on_public(self, entry: Entry, at: datetime, data: dict) -> None:
        self.public = entry

    def _on_summary(self, entry: Entry, at: datetime, data: dict) -> None:
        self.latest_summary = entry
        self.last_summary_at, self.last_summary_seq = at, entry.seq

    def _on_prompt(self, entry: Entry, at: datetime, data: dict) -> None:
        self.prompts.append(entry)

    def _on_escalation(self, entry: Entry, at: datetime, data: dict) -> None:
        self.escalations.append(entry)
        self._responded(entry)

    def _on_comms(self, entry: Entry, at: datetime, data: dict) -> None:
        self.latest_comms = entry
        self.comms.append(entry)
        self._responded(entry)

    # ------------------------------------------------------------------ reading
    def holder(self, role: str) -> str | None:
        held = self.roles.get(role)
        return held.person if held else None

    def current_text(self, entry: Entry) -> str:
        """An entry's text as last corrected."""
        fixes = self.amendments.get(entry.seq)
        return fixes[-1].text if fixes else entry.text

    def current_kind(self, entry: Entry) -> str:
        """An entry's kind as last corrected."""
        fixes = self.amendments.get(entry.seq)
        return str(fixes[-1].data.get("kind") or entry.kind) if fixes else entry.kind

    def checklist_open(self, name: str, steps: Iterable[str]) -> list[str]:
        """The steps of a checklist neither done nor dismissed, in the checklist's order."""
        answered = self.checklists.get(name, {})
        return [s for s in steps if s not in answered
                or answered[s].data.get("outcome") not in ("done", "dismissed")]

    def escalated_to(self) -> set[str]:
        """Who or which levels were escalated to (case-folded)."""
        out = set()
        for entry in self.escalations:
            for key in ("to", "level"):
                if entry.data.get(key):
                    out.add(str(entry.data[key]).casefold())
        return out

    def open_actions(self) -> list[ActionItem]:
        return [a for a in self.actions.values() if not a.done]

    @property
    def is_open(self) -> bool:
        return self.status not in ("resolved", "closed")

    def duration(self, now: datetime) -> timedelta:
        end = self.resolved_at or now
        return end - (self.declared_at or end)


def project(ref: str, entries: Iterable[Entry]) -> IncidentState:
    state = IncidentState(ref=ref)
    for entry in entries:
        state.apply(entry)
    return state


_HANDLERS = {name[len("_on_"):]: handler for name, handler in vars(IncidentState).items()
             if name.startswith("_on_")}
"""``IncidentState._on_<kind>`` by kind: what :meth:`IncidentState.apply` calls for each entry."""
