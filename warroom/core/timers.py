"""The incident's clocks, derived from the log and "now" and nothing else.

The processes are full of clocks: a lead summary every 30 minutes, a status update at the
interval the comms lead chose, escalate if not fixed within 30 minutes (at once for the worst
severities), stop an out-of-hours incident after two hours, rotate people who have held a role
for a couple of hours, hold the review within a week, fill the required roles. This module
turns a :class:`~warroom.core.profiles.Profile`, an
:class:`~warroom.core.state.IncidentState` and a time into :class:`Timer` values.

Nothing here keeps state of its own, reads a clock or imports Textual or APScheduler: restart
the app, project the log again and every timer is where it was. Snoozes and dismissals are
``prompt`` entries in the log (``Warroom.record_prompt(ref, timer.id, ...)``), so they survive
a restart and other terminals see them too.

A :class:`Timer` carries every instant at which its state can change on its own (due,
overdue, end of a snooze, lapse), so ``timer.at(later)`` re-evaluates it without the log and
:func:`next_change` tells a scheduler when to wake up. Anything else that changes a timer is
an entry, after which the caller computes the timers again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from contextvars import ContextVar
from datetime import date, datetime, timedelta, timezone, tzinfo
from enum import StrEnum
from typing import Iterable
from zoneinfo import ZoneInfo

from warroom.base.clock import parse_time
from warroom.base.model import Entry
from warroom.core.durations import describe_lateness, format_duration  # noqa: F401 - describe_lateness's old home
from warroom.core.profiles import OutOfHours, Profile
from warroom.core.state import IncidentState
from warroom.core.summary_draft import summary_draft  # noqa: F401 - its old home

UTC = timezone.utc
DUE_GRACE = timedelta(minutes=1)
"""How long a timer shows "due" before it counts up as "overdue"."""


class TimerState(StrEnum):
    UPCOMING = "upcoming"
    DUE = "due"
    OVERDUE = "overdue"
    SNOOZED = "snoozed"
    NOT_APPLICABLE = "not_applicable"


# Timer kinds. The id of a fixed timer is its kind; role timers are "rotation_<role>" and
# "vacant_<role>". The id is what ``record_prompt(ref, timer=...)`` stores.
SUMMARY = "summary"
STATUS_UPDATE = "status_update"
ESCALATION = "escalation"
RESPONSE = "response"
OUT_OF_HOURS = "out_of_hours"
ROTATION = "rotation"
REVIEW = "review"
VACANT = "vacant"


@dataclass(frozen=True)
class Timer:
    """One clock of the incident, evaluated at a moment.

    ``state`` is the state at the ``now`` it was computed for; :meth:`state_at` and :meth:`at`
    give it at any other moment, as long as no entry has changed the picture since.
    """

    id: str
    kind: str
    label: str
    due_at: datetime | None
    state: TimerState
    detail: str = ""
    snoozed_until: datetime | None = None
    """The end of a snooze that applies to this cycle (kept after it ends: lateness counts from
    ``due_at``, the prompt comes back at ``snoozed_until``)."""
    started_at: datetime | None = None
    """When the current cycle began (last summary, last update, declaration, hand-over...)."""
    interval: timedelta | None = None
    lapses_at: datetime | None = None
    """When the timer stops applying on its own (out-of-hours stop once working hours begin)."""
    lapse_note: str = ""
    sticky: bool = False
    """A condition rather than a deadline (a vacant role): it stays "due", never counts up."""
    role: str = ""
    person: str = ""
    zone: str | tzinfo = "UTC"
    """The profile's time zone, or the one the screen shows (``compute_timers``'s ``shown``;
    ``"local"``: the system's): clock times in ``countdown`` are shown in it."""

    # ------------------------------------------------------------------ evaluation
    @property
    def applicable(self) -> bool:
        return self.state is not TimerState.NOT_APPLICABLE

    @property
    def alerting(self) -> bool:
        """Due or overdue: the pane makes it stand out; the scheduler has said so."""
        return self.state in (TimerState.DUE, TimerState.OVERDUE)

    @property
    def fires_at(self) -> datetime | None:
        """When the prompt or notification for this cycle goes off (a snooze moves it later)."""
        if self.due_at is None:
            return None
        at = self.due_at
        if self.snoozed_until is not None and self.snoozed_until > at:
            at = self.snoozed_until
        if self.lapses_at is not None and self.lapses_at <= at:
            return None
        return at

    def state_at(self, now: datetime) -> TimerState:
        if self.due_at is None or (self.lapses_at is not None and now >= self.lapses_at):
            return TimerState.NOT_APPLICABLE
        if (self.snoozed_until is not None and now < self.snoozed_until
                and self.snoozed_until > self.due_at):
            return TimerState.SNOOZED
        if now < self.due_at:
            return TimerState.UPCOMING
        if self.sticky or now < self.due_at + DUE_GRACE:
            return TimerState.DUE
        return TimerState.OVERDUE

    def at(self, now: datetime) -> "Timer":
        """This timer as it stands at ``now`` (no entry since it was computed)."""
        state = self.state_at(now)
        if state is self.state:
            return self
        if (state is TimerState.NOT_APPLICABLE and self.lapses_at is not None
                and now >= self.lapses_at):
            return replace(self, state=state, detail=self.lapse_note or self.detail)
        return replace(self, state=state)

    def changes(self) -> list[datetime]:
        """Every instant at which this timer's state may change without a new entry."""
        points = []
        if self.due_at is not None:
            points.append(self.due_at)
            if not self.sticky:
                points.append(self.due_at + DUE_GRACE)
        if self.snoozed_until is not None:
            points.append(self.snoozed_until)
        if self.lapses_at is not None:
            points.append(self.lapses_at)
        return sorted(points)

    def next_change(self, now: datetime) -> datetime | None:
        current = self.state_at(now)
        for point in self.changes():
            if point > now and self.state_at(point) is not current:
                return point
        return None

    def remaining(self, now: datetime) -> timedelta | None:
        """Time left before it is due (negative once past); None when not applicable."""
        return None if self.due_at is None else self.due_at - now

    # ------------------------------------------------------------------ display
    def countdown(self, now: datetime, tz: str | tzinfo | None = None) -> str:
        """Display text that cannot be read as a time of day: ``in 23m``, ``in 1h 05m``,
        ``in 45s`` (seconds only in the last minute), ``due now``, ``4m late``, ``vacant 6m``
        (``vacant 0m`` in its first minute: a vacant role never counts seconds),
        ``snoozed until 14:35``, or ``—`` when not applicable. Whole minutes otherwise, so a
        countdown changes once a minute."""
        state = self.state_at(now)
        if state is TimerState.NOT_APPLICABLE or self.due_at is None:
            return "—"
        if state is TimerState.SNOOZED:
            zone = _zone(tz or self.zone)
            assert self.snoozed_until is not None
            return f"snoozed until {self.snoozed_until.astimezone(zone):%H:%M}"
        if state is TimerState.UPCOMING:
            return f"in {format_duration(self.due_at - now, 'countdown', round_up=True)}"
        if self.sticky and self.kind == VACANT:
            # How long a role has stood empty is told in whole minutes from the start, as the
            # elapsed time and a holder's time are (``0m``): its seconds tell a lead nothing
            # (the role is vacant; that is the news), and counting them would redraw the
            # screen every second of a fresh incident's first minute.
            vacant = now - self.due_at
            if vacant.total_seconds() < 60:
                return "vacant 0m"
            return f"vacant {format_duration(vacant, 'countdown')}"
        if state is TimerState.DUE:
            return "due now"
        return f"{format_duration(now - self.due_at, 'countdown')} late"


# ---------------------------------------------------------------------- helpers
def _zone(tz: str | tzinfo) -> tzinfo | None:
    if tz == _LOCAL:
        return None  # astimezone(None): the system's local time
    return tz if isinstance(tz, tzinfo) else ZoneInfo(tz)




def _cadence(delta: timedelta) -> str:
    return format_duration(delta, "cadence")


# The zone a screen shows its times in, when it names that zone once itself (the app: its own
# local time, or UTC when toggled): then a timer's clock times are in it, without a zone name
# of their own. Unset (the default), they are in the profile's zone and say which.
_SHOWN: ContextVar[tuple[tzinfo | None] | None] = ContextVar("warroom_timers_shown", default=None)


def _hm(at: datetime, zone: ZoneInfo) -> str:
    shown = _SHOWN.get()
    if shown is not None:
        return at.astimezone(shown[0]).strftime("%H:%M")
    return at.astimezone(zone).strftime("%H:%M %Z")


def _day(at: datetime, zone: ZoneInfo) -> str:
    shown = _SHOWN.get()
    local = at.astimezone(shown[0] if shown is not None else zone)
    return f"{local:%a} {local.day} {local:%b} {local:%H:%M}" + (
        "" if shown is not None else f" {local:%Z}")




@dataclass(frozen=True)
class _Prompts:
    dismissed: Entry | None
    snoozed: Entry | None
    snoozed_until: datetime | None


def _prompts(state: IncidentState, timer_id: str, after_seq: int) -> _Prompts:
    """The dismissal and snooze that apply to a timer's cycle begun by entry ``after_seq``.

    A later dismissal makes an earlier snooze moot; anything before the cycle began (an
    earlier summary, the previous holder of a role) is history."""
    dismissed = snoozed = None
    until = None
    for entry in state.prompts:
        if entry.seq <= after_seq or entry.data.get("timer") != timer_id:
            continue
        outcome = entry.data.get("outcome")
        if outcome == "dismissed":
            dismissed, snoozed, until = entry, None, None
        elif outcome == "snoozed" and entry.data.get("until"):
            try:
                until = parse_time(str(entry.data["until"]))
            except ValueError:
                continue
            snoozed = entry
    return _Prompts(dismissed, snoozed, until)


def _why(entry: Entry) -> str:
    reason = entry.data.get("reason") or ""
    return f": {reason}" if reason else ""


def _na(timer_id: str, kind: str, label: str, detail: str, zone: str, **kw) -> Timer:
    return Timer(timer_id, kind, label, None, TimerState.NOT_APPLICABLE, detail, zone=zone, **kw)


_SAME = timedelta(days=-1)  # sentinel: "again" defaults to the interval


def _cycle(state: IncidentState, profile: Profile, now: datetime, *, timer_id: str, kind: str,
           label: str, anchor_at: datetime, anchor_seq: int, interval: timedelta,
           detail: str, again: timedelta | None = _SAME, **kw) -> Timer:
    """A timer due ``interval`` after its anchor (the entry that began the cycle).

    A dismissal restarts the cycle from the dismissal, due ``again`` later (the interval
    unless told otherwise); with ``again=None`` a dismissal ends it. A snooze holds it until
    the time it names."""
    zone = profile.timezone
    if again is _SAME:
        again = interval
    p = _prompts(state, timer_id, anchor_seq)
    start, due = anchor_at, anchor_at + interval
    if p.dismissed is not None:
        when = f"dismissed at {_hm(p.dismissed.occurred, profile.zone)}{_why(p.dismissed)}"
        if again is None:
            return _na(timer_id, kind, label, when, zone, **kw)
        start, interval = p.dismissed.occurred, again
        due = start + interval
        detail = f"{detail}; {when}"
    until = p.snoozed_until if p.snoozed_until is not None and p.snoozed_until > due else None
    if until is not None and p.snoozed is not None:
        detail = f"{detail}; snoozed to {_hm(until, profile.zone)}{_why(p.snoozed)}"
    timer = Timer(timer_id, kind, label, due, TimerState.UPCOMING, detail, snoozed_until=until,
                  started_at=start, interval=interval, zone=zone, **kw)
    return timer.at(now)


# ---------------------------------------------------------------------- the timers
def compute_timers(profile: Profile, state: IncidentState, now: datetime,
                   shown: tuple[tzinfo | None] | None = None) -> list[Timer]:
    """Every timer of the incident at ``now``. ``shown``: ``(zone,)`` the screen shows its
    times in and names once (``(None,)``: the system's local time); clock times in the
    timers' details are then in that zone, without a zone name each."""
    token = _SHOWN.set(shown)
    try:
        timers = _compute_timers(profile, state, now)
    finally:
        _SHOWN.reset(token)
    if shown is None:
        return timers
    zone = shown[0]
    return [replace(t, zone=zone if zone is not None else _LOCAL) for t in timers]


_LOCAL = "local"  # Timer.zone: the system's local time


def _compute_timers(profile: Profile, state: IncidentState, now: datetime) -> list[Timer]:
    """Every timer of the incident at ``now``, in a stable order for the timers pane:
    summary, status update, escalation, out-of-hours stop, rotation (one per role holder),
    review, then one per vacant required role. Fixed timers are always present, "not
    applicable" with the reason in ``detail`` when they do not apply."""
    now = now.astimezone(UTC)
    timers = [
        summary_timer(profile, state, now),
        status_update_timer(profile, state, now),
        response_timer(profile, state, now),
        escalation_timer(profile, state, now),
        out_of_hours_timer(profile, state, now),
        *rotation_timers(profile, state, now),
        review_timer(profile, state, now),
        *vacant_role_timers(profile, state, now),
    ]
    return timers


def _closed_reason(state: IncidentState, profile: Profile | None = None) -> str | None:
    """Why no live clock runs: not declared, resolved, or (with ``profile``) a retrospective
    severity (dxw's Trivial)."""
    if state.declared_at is None:
        return "no incident declared"
    if not state.is_open:
        return f"incident {state.status}"
    if profile is not None and _retrospective(profile, state):
        return f"{profile.severity_label(state.severity)} incidents are retrospective: no live clocks"
    return None


def _retrospective(profile: Profile, state: IncidentState) -> bool:
    sev = profile.severity_by_id(state.severity)
    return bool(sev and sev.retrospective)


def _origin(profile: Profile, key: str) -> str:
    """``; warroom default`` after a rule the team's document does not contain."""
    return "; warroom default" if profile.is_default(key) else ""


def summary_timer(profile: Profile, state: IncidentState, now: datetime) -> Timer:
    label, zone = "Lead summary", profile.timezone
    cadence = profile.cadences.summary
    if cadence is None:
        return _na(SUMMARY, SUMMARY, label, "no summary cadence in this process", zone)
    if (why := _closed_reason(state, profile)) is not None:
        return _na(SUMMARY, SUMMARY, label, why, zone, interval=cadence)
    if state.last_summary_at is not None:
        anchor_at, anchor_seq = state.last_summary_at, state.last_summary_seq
        detail = f"every {_cadence(cadence)}; last summary {_hm(anchor_at, profile.zone)}"
    else:
        assert state.declared_at is not None
        anchor_at, anchor_seq = state.declared_at, 0
        detail = f"every {_cadence(cadence)}; none yet"
    detail += _origin(profile, "summary")
    return _cycle(state, profile, now, timer_id=SUMMARY, kind=SUMMARY, label=label,
                  anchor_at=anchor_at, anchor_seq=anchor_seq, interval=cadence, detail=detail)


def status_update_interval(profile: Profile, state: IncidentState) -> tuple[timedelta | None, str]:
    """The interval to the next status update and where it comes from: the "time till next
    update" chosen with the last update, else the profile's cadence at this severity."""
    comms = state.latest_comms
    if comms is not None and comms.data.get("next_update_s"):
        seconds = int(comms.data["next_update_s"])
        return timedelta(seconds=seconds), "chosen with the last update"
    interval = profile.status_update_interval(state.severity)
    sev = profile.severity_by_id(state.severity)
    if sev is not None and sev.status_update is not None:
        return interval, f"{sev.label}: {sev.update_note or 'every ' + _cadence(sev.status_update)}"
    return interval, (f"every {_cadence(interval)}{_origin(profile, 'status_update')}"
                      if interval else "")


def status_update_timer(profile: Profile, state: IncidentState, now: datetime) -> Timer:
    label, zone = "Status update", profile.timezone
    interval, source = status_update_interval(profile, state)
    if interval is None:
        return _na(STATUS_UPDATE, STATUS_UPDATE, label, "no status-update cadence in this process", zone)
    if (why := _closed_reason(state, profile)) is not None:
        return _na(STATUS_UPDATE, STATUS_UPDATE, label, why, zone, interval=interval)
    comms = state.latest_comms
    sev = profile.severity_by_id(state.severity)
    if comms is not None and sev is not None and sev.update_once:
        # "Once after N days": one update at this severity (plus the one sent when declaring,
        # where the process makes that part of declaring), then no more.
        since = next((c.at for c in reversed(state.severity_history)), state.declared_at)
        sent = [c for c in state.comms if since is None or c.occurred >= since]
        declared_at_it = len(state.severity_history) == 1
        expected = 2 if profile.cadences.first_update_at_declaration and declared_at_it else 1
        if len(sent) >= expected:
            return _na(STATUS_UPDATE, STATUS_UPDATE, label,
                       f"{sev.label}: {sev.update_note or 'one update'}; sent "
                       f"{_hm(comms.occurred, profile.zone)}", zone, interval=interval)
    if comms is not None:
        anchor_at, anchor_seq = comms.occurred, comms.seq
        detail = f"{source}; last update {_hm(anchor_at, profile.zone)}"
    elif profile.cadences.first_update_at_declaration:
        assert state.declared_at is not None
        anchor_at, anchor_seq = state.declared_at, 0
        detail = "the first update is part of declaring: due now" + _origin(
            profile, "first_update_at_declaration")
        return _cycle(state, profile, now, timer_id=STATUS_UPDATE, kind=STATUS_UPDATE,
                      label=label, anchor_at=anchor_at, anchor_seq=anchor_seq,
                      interval=timedelta(0), again=interval, detail=detail)
    else:
        assert state.declared_at is not None
        anchor_at, anchor_seq = state.declared_at, 0
        detail = f"{source}; none sent yet"
    return _cycle(state, profile, now, timer_id=STATUS_UPDATE, kind=STATUS_UPDATE, label=label,
                  anchor_at=anchor_at, anchor_seq=anchor_seq, interval=interval, detail=detail)


def _immediate_since(profile: Profile, state: IncidentState) -> tuple[datetime, int] | None:
    """When (and by which entry) the incident became, and has stayed, a severity that is
    escalated at once; seq 0 when it was declared so."""
    immediate = {s.id for s in profile.severities if s.escalate_immediately}
    if state.severity not in immediate or state.declared_at is None:
        return None
    since: tuple[datetime, int] = (state.declared_at, 0)
    for i in range(len(state.severity_history) - 1, -1, -1):
        change = state.severity_history[i]
        if change.after not in immediate:
            break
        since = (change.at, change.seq) if change.before is not None else (state.declared_at, 0)
    return since


def escalation_pending(profile: Profile, state: IncidentState) -> list:
    """The levels of the chain the process says to call now (at this severity, with this
    security flag) that nobody has escalated to yet, in the chain's order."""
    done = state.escalated_to()
    return [c for c in profile.escalation
            if c.required(state.severity, state.security) and c.name.casefold() not in done]


def escalation_timer(profile: Profile, state: IncidentState, now: datetime) -> Timer:
    label, zone = "Escalation", profile.timezone
    target = profile.escalation[0].name if profile.escalation else "second line"
    after = profile.cadences.escalate_after
    immediate = _immediate_since(profile, state)
    pending = escalation_pending(profile, state)
    if after is None and immediate is None and not pending:
        if state.escalations:
            first = state.escalations[0]
            return _na(ESCALATION, ESCALATION, label,
                       f"escalated to {first.data.get('to') or target} at {_hm(first.occurred, profile.zone)}", zone)
        if any(s.escalate_immediately for s in profile.severities) or any(c.required_at for c in profile.escalation):
            return _na(ESCALATION, ESCALATION, label,
                       f"no deadline at {profile.severity_label(state.severity, 'this severity')}", zone)
        return _na(ESCALATION, ESCALATION, label, "no escalation deadline in this process", zone)
    if state.escalations and not pending:
        first = state.escalations[0]
        to = first.data.get("to") or target
        return _na(ESCALATION, ESCALATION, label,
                   f"escalated to {to} at {_hm(first.occurred, profile.zone)}", zone)
    if (why := _closed_reason(state, profile)) is not None:
        return _na(ESCALATION, ESCALATION, label, why, zone)
    assert state.declared_at is not None
    sev_label = profile.severity_label(state.severity, 'this severity')
    if pending:
        # The chain names who to call now: due from when it became so (this severity, or the
        # security flag), until every one of them has been recorded.
        at, seq = immediate or _since_severity(state, state.declared_at, 0)
        if any(c.if_security for c in pending) and state.security_at is not None:
            at = max(at, state.security_at)
            seq = max(seq, state.security_seq)
        names = ", ".join(c.name for c in pending)
        why = "security incident" if all(c.if_security and not c.required_at for c in pending) else sev_label
        return _cycle(state, profile, now, timer_id=ESCALATION, kind=ESCALATION, label=label,
                      anchor_at=at, anchor_seq=seq, interval=timedelta(0), again=after,
                      detail=f"{why}: escalate at once to {names}")
    if immediate is not None:
        # Dismissed at once-severity ("not now"): asked again after the usual deadline.
        at, seq = immediate
        return _cycle(state, profile, now, timer_id=ESCALATION, kind=ESCALATION, label=label,
                      anchor_at=at, anchor_seq=seq, interval=timedelta(0), again=after,
                      detail=f"{sev_label}: escalate to {target} at once")
    assert after is not None
    return _cycle(state, profile, now, timer_id=ESCALATION, kind=ESCALATION, label=label,
                  anchor_at=state.declared_at, anchor_seq=0, interval=after,
                  detail=f"escalate to {target} if not fixed within {_cadence(after)}"
                         f"{_origin(profile, 'escalate_after')}")


def _since_severity(state: IncidentState, at: datetime, seq: int) -> tuple[datetime, int]:
    """When the incident last changed to its current severity (or was declared at it)."""
    for change in reversed(state.severity_history):
        if change.after != state.severity:
            break
        if change.before is None:
            return state.declared_at or at, 0
        at, seq = change.at, change.seq
    return at, seq


def response_timer(profile: Profile, state: IncidentState, now: datetime) -> Timer:
    """Time to first response (GDS Way "respond within"): from declaration, satisfied by the
    first lead assignment or the first entry a responder writes."""
    label, zone = "First response", profile.timezone
    sev = profile.severity_by_id(state.severity)
    target = sev.respond_within if sev is not None else None
    if sev is None or target is None:
        return _na(RESPONSE, RESPONSE, label, "no response target at this severity", zone)
    if state.first_response is not None:
        first = state.first_response
        took = first.occurred - (state.declared_at or first.occurred)
        return _na(RESPONSE, RESPONSE, label,
                   f"responded at {_hm(first.occurred, profile.zone)} "
                   f"({format_duration(took)} after declaring; target {_cadence(target)})",
                   zone, interval=target)
    if (why := _closed_reason(state, profile)) is not None:
        return _na(RESPONSE, RESPONSE, label, why, zone, interval=target)
    assert state.declared_at is not None
    return _cycle(state, profile, now, timer_id=RESPONSE, kind=RESPONSE, label=label,
                  anchor_at=state.declared_at, anchor_seq=0, interval=target, again=None,
                  detail=f"{sev.label}: respond within {_cadence(target)}; assign a lead"
                         f"{_origin(profile, 'respond_within')}")


def working_hours_resume(ooh: OutOfHours, at: datetime, zone: ZoneInfo) -> datetime:
    """The first instant after ``at`` when the local wall clock reads the window's end
    (working hours begin again). Computed on the local calendar, so DST days and windows
    that cross midnight come out right."""
    at = at.astimezone(UTC)
    day: date = at.astimezone(zone).date()
    for offset in range(0, 3):
        candidate = datetime.combine(day + timedelta(days=offset), ooh.end, tzinfo=zone)
        if candidate.astimezone(UTC) > at:
            return candidate.astimezone(UTC)
    raise AssertionError("unreachable: a window end recurs every day")  # pragma: no cover


def out_of_hours_begin(ooh: OutOfHours, at: datetime, zone: ZoneInfo) -> datetime:
    """The first instant after ``at`` when the local wall clock reads the window's start."""
    at = at.astimezone(UTC)
    day: date = at.astimezone(zone).date()
    for offset in range(0, 3):
        candidate = datetime.combine(day + timedelta(days=offset), ooh.start, tzinfo=zone)
        if candidate.astimezone(UTC) > at:
            return candidate.astimezone(UTC)
    raise AssertionError("unreachable: a window start recurs every day")  # pragma: no cover


def declared_out_of_hours(profile: Profile, state: IncidentState) -> bool:
    return state.declared_at is not None and profile.out_of_hours_at(state.declared_at)


def out_of_hours_timer(profile: Profile, state: IncidentState, now: datetime) -> Timer:
    label, zone = "Out-of-hours stop", profile.timezone
    ooh = profile.cadences.out_of_hours
    if ooh is None or ooh.stop_after is None:
        return _na(OUT_OF_HOURS, OUT_OF_HOURS, label, "no out-of-hours limit in this process", zone)
    if (why := _closed_reason(state, profile)) is not None:
        return _na(OUT_OF_HOURS, OUT_OF_HOURS, label, why, zone, interval=ooh.stop_after)
    assert state.declared_at is not None
    if state.severity in ooh.continue_at:
        return _na(OUT_OF_HOURS, OUT_OF_HOURS, label,
                   f"{profile.severity_label(state.severity)} continues out of hours until it "
                   "can be downgraded", zone, interval=ooh.stop_after)
    if not declared_out_of_hours(profile, state):
        # Declared in working hours: if it is still running when out of hours begins, the
        # stop clock runs from then.
        begins = out_of_hours_begin(ooh, state.declared_at, profile.zone)
        resume = working_hours_resume(ooh, begins, profile.zone)
        return _cycle(state, profile, now, timer_id=OUT_OF_HOURS, kind=OUT_OF_HOURS, label=label,
                      anchor_at=begins, anchor_seq=0, interval=ooh.stop_after,
                      detail=f"declared {_hm(state.declared_at, profile.zone)} in working hours; "
                             f"out of hours from {_hm(begins, profile.zone)}: after "
                             f"{_cadence(ooh.stop_after)} stop unless close or it needs urgent "
                             f"resolution{_origin(profile, 'out_of_hours')}",
                      lapses_at=resume, lapse_note=f"working hours since {_hm(resume, profile.zone)}")
    resume = working_hours_resume(ooh, state.declared_at, profile.zone)
    return _cycle(state, profile, now, timer_id=OUT_OF_HOURS, kind=OUT_OF_HOURS, label=label,
                  anchor_at=state.declared_at, anchor_seq=0, interval=ooh.stop_after,
                  detail=f"declared out of hours ({_hm(state.declared_at, profile.zone)}): after "
                         f"{_cadence(ooh.stop_after)} stop unless close or it needs urgent resolution",
                  lapses_at=resume,
                  lapse_note=f"working hours since {_hm(resume, profile.zone)}")


def rotation_timers(profile: Profile, state: IncidentState, now: datetime) -> list[Timer]:
    zone, rotation = profile.timezone, profile.cadences.rotation
    if rotation is None:
        return [_na(ROTATION, ROTATION, "Role rotation", "no rotation interval in this process", zone)]
    if (why := _closed_reason(state, profile)) is not None:
        return [_na(ROTATION, ROTATION, "Role rotation", why, zone, interval=rotation)]
    order = {role.id: i for i, role in enumerate(profile.roles)}
    holders = sorted(state.roles.values(), key=lambda h: (order.get(h.role, len(order)), h.role))
    if not holders:
        return [_na(ROTATION, ROTATION, "Role rotation", "nobody holds a role", zone, interval=rotation)]
    timers = []
    for holder in holders:
        name = profile.role_name(holder.role)
        timers.append(_cycle(
            state, profile, now, timer_id=f"{ROTATION}_{holder.role}", kind=ROTATION,
            label=f"Rotate {name}", anchor_at=holder.since, anchor_seq=holder.seq,
            interval=rotation,
            detail=f"{holder.person} is {name} since {_hm(holder.since, profile.zone)}; "
                   f"hand over after {_cadence(rotation)}{_origin(profile, 'rotation')}",
            role=holder.role, person=holder.person))
    return timers




def review_timer(profile: Profile, state: IncidentState, now: datetime) -> Timer:
    label, zone = "Post-incident review", profile.timezone
    within = profile.cadences.review_within
    if within is None:
        return _na(REVIEW, REVIEW, label, "no review window in this process", zone)
    if state.declared_at is None:
        return _na(REVIEW, REVIEW, label, "no incident declared", zone, interval=within)
    if state.status == "closed":
        return _na(REVIEW, REVIEW, label, "incident closed: post-incident work done", zone,
                   interval=within)
    if _retrospective(profile, state):
        return _na(REVIEW, REVIEW, label, f"{profile.severity_label(state.severity)} incidents "
                   "are retrospective: no review clock", zone, interval=within)
    if state.resolved_at is None:
        return _na(REVIEW, REVIEW, label, f"within {_cadence(within)} of resolution", zone,
                   interval=within)
    resolved_seq = next((c.seq for c in reversed(state.status_history) if c.after == "resolved"), 0)
    due = state.resolved_at + within
    return _cycle(state, profile, now, timer_id=REVIEW, kind=REVIEW, label=label,
                  anchor_at=state.resolved_at, anchor_seq=resolved_seq, interval=within,
                  detail=f"hold the review by {_day(due, profile.zone)}"
                         f"{_origin(profile, 'review_within')}", again=None)


def vacant_role_timers(profile: Profile, state: IncidentState, now: datetime) -> list[Timer]:
    """One timer per required role nobody holds: due at once, and as long as it stays vacant."""
    if _closed_reason(state, profile) is not None:
        return []
    assert state.declared_at is not None
    timers = []
    for role in profile.roles:
        if not role.required_for(state.customer_impacting) or state.holder(role.id):
            continue
        since, seq = state.declared_at, 0
        for change in reversed(state.role_history):
            if change.reason == role.id:
                since, seq = change.at, change.seq
                break
        timers.append(_cycle(
            state, profile, now, timer_id=f"{VACANT}_{role.id}", kind=VACANT,
            label=f"{role.name} vacant", anchor_at=since, anchor_seq=seq, interval=timedelta(0),
            detail=f"{role.name} is a required role: assign someone", again=None,
            sticky=True, role=role.id))
    return timers


# ---------------------------------------------------------------------- planning
def next_change(timers: Iterable[Timer], now: datetime) -> datetime | None:
    """The next instant, after ``now``, at which any timer's state changes by itself."""
    points = [p for t in timers if (p := t.next_change(now)) is not None]
    return min(points) if points else None


def find(timers: Iterable[Timer], timer_id: str) -> Timer | None:
    return next((t for t in timers if t.id == timer_id), None)


def lateness(timer: Timer, now: datetime) -> timedelta:
    """How late something done now is against the timer's due time (zero if on time).
    Snoozing does not excuse lateness; a dismissal restarts the cycle, and so the count."""
    if timer.due_at is None or now <= timer.due_at:
        return timedelta(0)
    return now - timer.due_at


def summary_lateness(profile: Profile, state: IncidentState, now: datetime) -> timedelta:
    """What to pass as ``write_summary(late_by=...)`` for a summary written at ``now``."""
    return lateness(summary_timer(profile, state, now), now)
