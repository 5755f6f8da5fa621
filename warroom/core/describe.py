"""What an entry changed, read from its data: the one reading the timeline on screen, the
report and the summary draft each phrase in their own words.

The entries the app writes (severity, status, done, corrections...) carry what changed in
``entry.data``; their text may be only a reason, or only the app's own restatement of the
change (``Status: resolved`` when no note was given). :func:`describe` separates the two, so
no caller re-parses text. :func:`owner_mentioned` is the one check for "the owner is already
named in the text".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from warroom.base.model import Entry


def status_text(to: str) -> str:
    """The text of a status entry written without a note (``Warroom.change_status``)."""
    return f"Status: {to}"


DONE_PREFIX = "Done: "
"""How the text of a ``done`` entry written without a note begins (``Done: <the item>``)."""


def escalation_text(to: str, how: str = "") -> str:
    """The text of an escalation entry written without a note (``Warroom.log_escalation``)."""
    return f"Escalated to {to}" + (f" ({how})" if how else "")


def ticket_text(party: str, case: str = "") -> str:
    """The text of a support-ticket entry written without a note (``Warroom.log_ticket``)."""
    return f"Support ticket logged with {party}" + (f": {case}" if case else "")


def escalation_what(data: dict) -> str:
    """Who or which level an escalation went to, and how: ``Escalated to Level 2 (Head of
    Reliability Engineering) by phone``. The level's number is the one it had in the chain
    when the escalation was recorded."""
    to = str(data.get("to") or data.get("level") or "?")
    number = data.get("level_no")
    if isinstance(number, int) and not isinstance(number, bool) and number > 0:
        to = f"Level {number} ({to})"
    how = str(data.get("how") or "").strip()
    if how:
        first = how.split(maxsplit=1)[0].casefold()
        how = how if first in _HOW_WORDS else f"by {how}"
    return f"Escalated to {to}" + (f" {how}" if how else "")


_HOW_WORDS = frozenset(("by", "via", "on", "in", "through", "over", "with", "using"))


def ticket_what(data: dict) -> str:
    """The supplier and case id of a support ticket: ``Ticket AWS case 12345``."""
    party = str(data.get("party") or "?")
    case = str(data.get("reference") or "").strip()
    if not case:
        return f"Ticket {party} (no case id)"
    return f"Ticket {party} {case if case.casefold().startswith('case') else f'case {case}'}"


NOTE_DASH = " — "
"""Between what an escalation or ticket did and the person's note."""


@dataclass(frozen=True)
class Described:
    """One entry's change. ``before``/``after`` are stored ids (None when not recorded)."""

    kind: str
    text: str
    """The entry's text as given (the caller passes the corrected text where it wants it)."""
    note: str
    """The person's words: the text, less what only restates the change ("" if nothing)."""
    before: str | None = None
    after: str | None = None
    target: int | None = None
    """``done``: the action or follow-up marked done; ``amend``: the entry corrected."""
    owner: str = ""
    """``action``/``followup``: the owner, when the text does not already name them."""
    late_by: timedelta | None = None
    """``summary``: how late against the summary cadence it was written."""
    what: str = ""
    """``escalation``/``ticket``: what was done, from the data (who, which level and how; the
    supplier and case id)."""

    @property
    def line(self) -> str:
        """``what — note`` (or whichever of the two there is): the one-line reading of an
        escalation or ticket, as the timeline and the report show it."""
        if self.what and self.note:
            return f"{self.what}{NOTE_DASH}{self.note}"
        return self.what or self.note


def describe(entry: Entry, text: str | None = None) -> Described:
    """What ``entry`` changed (``text``: its text as corrected, when the caller wants that)."""
    kind, data = entry.kind, entry.data or {}
    text = entry.text if text is None else text
    if kind in ("severity", "status"):
        before, after = data.get("from"), data.get("to")
        note = "" if kind == "status" and text == status_text(str(after)) else text
        return Described(kind, text, note, before=before, after=after)
    if kind == "done":
        target = data.get("target")
        note = text[len(DONE_PREFIX):] if text.startswith(DONE_PREFIX) else text
        return Described(kind, text, note, target=target)
    if kind == "amend":
        return Described(kind, text, text, target=entry.amends)
    if kind in ("action", "followup"):
        owner = str(data.get("owner") or "")
        return Described(kind, text, text, owner="" if owner_mentioned(owner, text) else owner)
    if kind == "escalation":
        to = str(data.get("to") or "")
        note = "" if text == escalation_text(to, str(data.get("how") or "")) else text
        return Described(kind, text, note, what=escalation_what(data))
    if kind == "ticket":
        party, case = str(data.get("party") or ""), str(data.get("reference") or "")
        note = "" if text == ticket_text(party, case) else text
        return Described(kind, text, note, what=ticket_what(data))
    if kind == "summary" and data.get("late_by_s"):
        return Described(kind, text, text, late_by=timedelta(seconds=data["late_by_s"]))
    return Described(kind, text, text)


def owner_mentioned(owner: str, text: str) -> bool:
    """True when there is no owner, or ``text`` already says ``@owner`` (any case)."""
    return not owner or f"@{owner}".lower() in text.lower()
