"""The one domain API. The command line and the app both call this and nothing below it.

Every method checks its input against the incident's profile, refuses with a
:class:`~warroom.base.errors.ValidationError` or :class:`~warroom.base.errors.NotFound` whose message a
person can act on, and otherwise appends exactly one entry to the log (``declare`` with a lead
appends two). Nothing here imports Textual.
"""

from __future__ import annotations

import getpass
import os
import re
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from warroom.base.clock import Clock, SystemClock, format_time, parse_user_time
from warroom.base.model import KINDS, SCRIBE_KINDS, Attachment, Entry
from warroom.core.profiles import STATUSES, Profile, ProfileRegistry
from warroom.core.describe import escalation_text, ticket_text
from warroom.core.state import IncidentState, project
from warroom.core.entry_data import clean as clean_data
from warroom.core.importing import EXPORT_FORMAT, EXPORT_VERSION  # noqa: F401 - re-exported
from warroom.core.text import MAX_TEXT, clean_line, clean_text, sanitize
from warroom.base.errors import NotFound, ValidationError, WarroomError
from warroom.base.model import Draft
from warroom.store import Store

if TYPE_CHECKING:
    # Imported where used: the typed results cost the hot path (warroom note) nothing.
    from warroom.core.results import Database, Extension, Feed, Incident, Tail, Verification

FUTURE_SLACK = timedelta(minutes=5)
REOPENED_PREFIX = "Reopened: "
"""How the text of an entry that reopens an action or follow-up begins."""
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9][\w.\-]*)")


def default_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def new_uid() -> str:
    return uuid.uuid4().hex


def owner_name(who: str) -> str:
    """An owner as typed (``@sam``, `` @sam``, ``sam``) as stored: the name without the @."""
    return clean_line(who.strip().lstrip("@"), what="owner")


def mentioned_owner(text: str) -> str | None:
    """The first ``@name`` in a text, without the @ (trailing punctuation dropped)."""
    match = _MENTION.search(text)
    return match.group(1).rstrip(".-") if match else None


@dataclass(frozen=True)
class IncidentSummary:
    ref: str
    title: str
    severity: str
    status: str
    profile: str
    declared_at: datetime | None
    resolved_at: datetime | None
    entries: int
    damaged: int = 0
    """Headline entries (declared, severity, status) whose data is the wrong shape."""
    alias: str = ""
    """The reference it had where it came from, when imported under a new one."""


@dataclass(frozen=True)
class CorrectedView:
    """What an entry says now, after its corrections (the latest wins)."""

    seq: int
    kind: str
    text: str
    owner: str
    occurred_at: str
    corrected: bool


@dataclass(frozen=True)
class EntryHistory:
    original: Entry
    corrections: list[Entry]
    now: CorrectedView


def corrected_view(original: Entry, fixes: list[Entry]) -> CorrectedView:
    """An entry as its latest correction has it (each correction carries the whole picture)."""
    if not fixes:
        return CorrectedView(original.seq, original.kind, original.text,
                             str(original.data.get("owner") or ""), original.occurred_at, False)
    last = fixes[-1]
    data = last.data or {}
    kind = str(data.get("kind") or original.kind)
    owner = str(data.get("owner") or (original.data.get("owner") if kind == original.kind else "") or "")
    return CorrectedView(original.seq, kind, last.text, owner,
                         str(data.get("occurred_at") or original.occurred_at), True)


def file_name_for_output(argv: list[str]) -> str:
    """What a run's captured output is called: ``kubectl-output.txt``."""
    from warroom.core.evidence import file_name, program

    return f"{file_name(program(argv))[:60]}-output.txt"


def parse_entry_ref(text: str) -> tuple[str, int]:
    """``INC-4#12`` (what ``warroom note`` prints) as (reference, entry number)."""
    ref, sep, seq = (text or "").strip().rpartition("#")
    if not sep or not ref or not seq.isdigit() or int(seq) < 1:
        raise ValidationError(f"{text!r} is not REF#SEQ (e.g. INC-4#12, as warroom note prints it)")
    return ref, int(seq)


class Warroom:
    """The incident log as a person uses it: who is typing, where, and what time it is."""

    def __init__(self, store: Store, profiles: ProfileRegistry | None = None, *,
                 clock: Clock | None = None, user: str | None = None, host: str | None = None,
                 session: str | None = None) -> None:
        self.store = store
        self.profiles = profiles or ProfileRegistry()
        self.clock = clock or SystemClock()
        self.user = clean_line(user or default_user(), what="user name (--as)")
        self.host = sanitize(host if host is not None else socket.gethostname())[:200]
        self.session = session or uuid.uuid4().hex[:12]
        self._last_state: dict[str, IncidentState] = {}

    # ------------------------------------------------------------------ opening and closing
    @classmethod
    def open(cls, db: str | os.PathLike[str], *, user: str | None = None,
             readonly: bool | None = False, profiles_dir: Path | None = None,
             profiles: ProfileRegistry | None = None, clock: Clock | None = None,
             busy_timeout_ms: int | None = None, create: bool = True,
             queue: bool = False, offline_ok: bool = False) -> "Warroom":
        """The one way to set up a Warroom on a database (a SQLAlchemy URL or a file path).

        ``readonly``: False opens it for writing (creating a new SQLite file), True opens a
        viewer that never writes, None opens it for writing if it can be written and as a
        viewer otherwise (see :attr:`readonly`). Profiles come from ``profiles`` or else the
        folder ``profiles_dir`` (default: the user's profile folder) over the built-in ones.
        ``busy_timeout_ms``: how long a write waits for another process's lock (SQLite).
        ``create``: False refuses to make a new SQLite file
        (:class:`~warroom.base.errors.NotFound`). ``queue``: on a team database (PostgreSQL),
        entries the server cannot take (unreachable, no connection free) go to the local outbox
        (:class:`~warroom.base.errors.EntryQueued` is raised) and the outbox is delivered now if
        the server answers; with ``offline_ok`` too, it even opens while the server cannot be
        reached (a one-shot command: every entry then goes to the outbox at once)."""
        from warroom.base.errors import ReadOnlyStore

        def open_store(viewer: bool) -> Store:
            extra: dict[str, Any] = {"offline_ok": queue and offline_ok and not viewer}
            if busy_timeout_ms is not None:
                extra["busy_timeout_ms"] = busy_timeout_ms
            opened = Store.open(db, readonly=viewer, create=create, **extra)
            if queue and not viewer and opened.dialect == "postgresql":
                from warroom.store.outbox import Outbox

                opened.outbox = Outbox()  # the team database may go: entries wait here
                if opened.offline is None:
                    try:
                        opened.deliver_outbox()  # whatever process reaches it next delivers
                    except WarroomError:
                        pass
            return opened

        if readonly is None:
            try:
                store = open_store(False)
            except ReadOnlyStore:
                store = open_store(True)
        else:
            store = open_store(readonly)
        try:
            if profiles is None:
                if profiles_dir is None:
                    from warroom.locations import user_profiles_dir

                    profiles_dir = user_profiles_dir()
                profiles = ProfileRegistry(profiles_dir)
            return cls(store, profiles, clock=clock, user=user)
        except BaseException:
            store.close()
            raise

    def speaking_as(self, user: str, *, clock: Clock | None = None, host: str | None = None,
                    session: str | None = None,
                    profiles: ProfileRegistry | None = None) -> "Warroom":
        """Another person on the same database (and profiles, unless given): a replayed
        script, a test."""
        return Warroom(self.store, profiles or self.profiles, clock=clock or self.clock,
                       user=user, host=host, session=session)

    # ------------------------------------------------------------------ the outbox
    @staticmethod
    def outbox_waiting(db: str | None = None) -> list[Any]:
        """Entries kept in this user's local outbox (for database ``db`` only, if given),
        oldest first (:class:`warroom.store.outbox.Waiting`)."""
        from warroom.store.outbox import Outbox, db_key

        return Outbox().waiting(db_key(db) if db and "://" in db else None)

    @staticmethod
    def outbox_drop(uids: list[str]) -> list[Any]:
        """Take entries out of this user's local outbox for good (each named by its uid or a
        unique start of one), all or none; returns them as they were. ``NotFound`` names one
        that matches no entry, or more than one."""
        from warroom.store.outbox import Outbox

        try:
            return Outbox().drop(uids)
        except LookupError as exc:
            raise NotFound(str(exc.args[0])) from None

    def outbox_count(self) -> int:
        """Entries for this database still waiting in the local outbox."""
        outbox = self.store.outbox
        return outbox.count(self.store.key) if outbox is not None else 0

    def deliver_outbox(self) -> int:
        """Deliver this database's outbox now; the number left waiting."""
        self.store.deliver_outbox()
        return self.outbox_count()

    def kept(self, ref: str) -> list[Draft]:
        """This incident's entries waiting in the local outbox for this database, oldest first."""
        outbox = self.store.outbox
        if outbox is None:
            return []
        return [i.draft for i in outbox.waiting(self.store.key, stuck=False)
                if i.ref.upper() == ref.strip().upper()]

    @property
    def unreachable_since(self) -> float | None:
        """When the team database was last found unreachable (``time.time()``), until it
        answers again; None while it answers."""
        return self.store.unreachable_since

    def wait_for_database(self, seconds: float, stop: Any = None) -> bool:
        """Back off from an unreachable team database for up to ``seconds``, coming back early
        when its port accepts connections again (or ``stop`` is set)."""
        return self.store.wait_until_reachable(seconds, stop)

    def last_used_ref(self) -> str | None:
        """The incident this machine last used on this database (offline: a note's default)."""
        outbox = self.store.outbox
        return outbox.last_ref(self.store.key) if outbox is not None else None

    def close(self) -> None:
        """Close the database (and remove a read-only viewer's private copy)."""
        self.store.close()

    def __enter__(self) -> "Warroom":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def readonly(self) -> bool:
        """Opened as a viewer: every writing verb refuses."""
        return self.store.readonly

    @property
    def database(self) -> Database:
        """Which database this is, for messages."""
        from warroom.core.results import Database

        s = self.store
        return Database(s.where, s.path, s.dialect, s.readonly, s.viewing)

    # ------------------------------------------------------------------ the log, for screens
    def incident(self, ref: str) -> Incident:
        """An incident by reference, however it was typed (``inc-1``): its canonical form.
        Raises :class:`~warroom.base.errors.NotFound` for an unknown reference."""
        from warroom.core.results import Incident

        row = self.store.incident(ref)
        return Incident(row.ref, row.number, row.profile, row.created_at, row.alias)

    def canonical_ref(self, ref: str) -> str:
        """An incident's reference as stored, however it was typed (``inc-1`` → ``INC-1``).
        Raises :class:`~warroom.base.errors.NotFound` for an unknown reference."""
        return self.store.incident(ref).ref

    def last_seq(self, ref: str) -> int:
        """The number of the incident's newest entry (0 if none)."""
        return self.store.last_seq(ref)

    def follow(self, ref: str, *, after: int = 0) -> Feed:
        """A change feed on the incident: every entry above ``after``, then each new one
        written by any process, in order, once. Close it when done."""
        from warroom.store.feed import ChangeFeed

        return ChangeFeed(self.store, ref, after=after)

    def load_tail(self, ref: str, n: int) -> Tail:
        """The newest ``n`` entries, read through a feed that follows the incident from there
        (nothing written meanwhile is missed). The older ones: ``entries(ref, limit=boundary)``."""
        found = self.incident(ref)
        boundary = max(self.last_seq(found.ref) - n, 0)
        feed = self.follow(found.ref, after=boundary)
        try:
            tail = feed.poll()
        except BaseException:
            feed.close()
            raise
        from warroom.core.results import Tail

        return Tail(found.ref, found.profile, boundary, tail, feed)

    def busy_retry_message(self, attempt: int, exc: BaseException | None = None) -> str:
        """The status line while a save is retried after ``attempt`` refusals as
        :class:`~warroom.base.errors.StoreBusy` (``exc``, the last, if known: a lock held, or
        no connection free): that it retries and nothing is lost, then why."""
        return self.store.busy_retry_message(attempt, exc)

    # ------------------------------------------------------------------ housekeeping
    def verify(self, ref: str) -> Verification:
        """Walk the incident's hash chain, every hash recomputed, compared with the recorded
        head and, where the database has a chain key, every seal checked (reads only: works on
        a read-only viewer)."""
        from warroom.core.results import Verification

        found = self.incident(ref)
        got = self.store.check_chain(found.ref)
        return Verification(found.ref, got.intact, got.first_bad,
                            got.problem if got.problem else got.head, got.ok, got.head_seq,
                            got.head, got.seals, got.seals_checked, got.recorded is not None,
                            tuple(e for e in self.store.iter_entries(found.ref)
                                  if e.written_by_other()))

    def extends(self, ref: str, head: str, *, seq: int | None = None,
                source: str = "--head") -> Extension:
        """Whether today's chain of ``ref`` still extends ``head``, a head recorded earlier (a
        report, ``warroom verify`` output, an export, a backup): an entry of today's chain,
        its hash recomputed, is that head (at entry ``seq`` when known). Call after
        :meth:`verify` held: a re-hashed chain has none of the old hashes."""
        from warroom.core.results import Extension

        found = self.incident(ref)
        digest = head.strip().lower()
        at = self.store.seq_of_hash(found.ref, digest)
        holds = at is not None and (seq is None or at == seq)
        return Extension(found.ref, seq if seq is not None else (at or 0), digest, holds, source)

    def head_in_file(self, ref: str, path: Path) -> tuple[int, str, str]:
        """The head of ``ref`` recorded in an earlier copy: a JSON export (its own chain checked
        whole, as an import would) or a backup database (its chain verified as here). Returns
        (entry number, hash, the file in words)."""
        try:
            with open(path, "rb") as fh:
                magic = fh.read(16)
        except OSError as exc:
            raise ValidationError(f"{path}: cannot read ({exc.strerror})") from None
        found = self.incident(ref)
        if magic == b"SQLite format 3\x00":
            with Store.open(path, readonly=True) as copy:
                try:
                    copy.incident(found.ref)
                except NotFound:
                    raise ValidationError(f"{path}: the backup has no incident {found.ref}") from None
                got = copy.check_chain(found.ref)
                if not got.ok:
                    raise ValidationError(f"{path}: the backup's own chain of {found.ref} does "
                                          f"not verify ({got.problem}); it proves nothing")
                return got.head_seq, got.head, f"the backup {path}"
        from warroom.core.importing import load_export, parse_export

        parsed = parse_export(load_export(path, name=str(path)), source=str(path))
        if parsed.ref.upper() != found.ref.upper():
            raise ValidationError(f"{path}: an export of {parsed.ref}, not {found.ref}")
        if not parsed.items:
            raise ValidationError(f"{path}: the export has no entries")
        last = parsed.items[-1]
        return last.seq, last.hash, f"the export {path}"

    def create_chain_key(self) -> tuple[Path, bool]:
        """This database's chain key, made now unless it exists (in the user's config folder,
        never in the database): from now on each entry written here is sealed with it."""
        key, made = self.store.create_chain_key(self.clock.now())
        return key.path, made

    def chain_heads(self) -> list[tuple[str, int, str]]:
        """Every incident's recomputed chain head: (ref, entry number, hash), or the problem in
        place of the hash when its chain does not verify (entry number -1)."""
        out = []
        for row in self.store.incidents():
            got = self.store.check_chain(row.ref)
            out.append((row.ref, got.head_seq, got.head) if got.ok else (row.ref, -1, got.problem))
        return out

    def backup(self, dest: Path | None = None) -> Path:
        """A consistent copy of a live SQLite database, mode 0600, never over an existing file.
        Without ``dest``: next to the database, named after it and the local time now."""
        return self.store.backup(dest, at=self.clock.now())

    # ------------------------------------------------------------------ reading
    def profile(self, name: str) -> Profile:
        return self.profiles.get(name)

    def state(self, ref: str) -> IncidentState:
        row = self.store.incident(ref)
        return project(row.ref, self.store.iter_entries(row.ref))

    def entries(self, ref: str, after: int = 0, *, limit: int | None = None) -> list[Entry]:
        """Entries with ``seq > after`` in order (at most ``limit`` of them)."""
        return self.store.entries(ref, after=after, limit=limit)

    def incident_profile(self, ref: str) -> Profile:
        return self.profiles.get(self.store.incident(ref).profile)

    def list_incidents(self, *, include_closed: bool = False) -> list[IncidentSummary]:
        """Incidents newest first; open ones only unless ``include_closed``."""
        headline_kinds = ("declared", "severity", "status")
        out = []
        for row in reversed(self.store.incidents()):
            state = project(row.ref, self.store.entries(row.ref, kinds=headline_kinds))
            if not include_closed and not state.is_open:
                continue
            out.append(IncidentSummary(row.ref, state.title, state.severity, state.status,
                                       row.profile, state.declared_at, state.resolved_at,
                                       self.store.last_seq(row.ref), len(state.damaged),
                                       row.alias))
        return out

    def most_recent_open(self) -> str | None:
        open_ones = self.list_incidents()
        return open_ones[0].ref if open_ones else None

    # ------------------------------------------------------------------ presence
    def here(self, ref: str, *, announce: bool = True) -> list[str]:
        """Say this session has ``ref`` open now (unless not ``announce``: a viewer of a
        read-only database), and return who has it open, this session included: one label per
        person, ``name ×2`` for someone in two terminals. Presence is a heartbeat, not
        history: call it every ten seconds or so while the screen is open."""
        now = self.clock.now()
        if announce:
            self.store.heartbeat(self.session, ref, self.user, self.host, now)
        counts: dict[str, int] = {}
        for seen in self.store.present(ref, now):
            counts[seen.author] = counts.get(seen.author, 0) + 1
        return [name if n == 1 else f"{name} ×{n}" for name, n in counts.items()]

    def leave(self) -> None:
        """This session closed its screen: it has no incident open any more."""
        self.store.leave(self.session)

    # ------------------------------------------------------------------ writing
    def _draft(self, kind: str, text: str, data: dict[str, Any] | None = None, *,
               at: datetime | str | None = None, amends: int | None = None,
               uid: str | None = None) -> Draft:
        if kind not in KINDS:
            raise ValidationError(f"unknown entry kind {kind!r} (choose from: {', '.join(SCRIBE_KINDS)})")
        now = self.clock.now()
        occurred = self._when(at, now)
        data = clean_data(kind, data)  # every string clean, every kind's shape (core.entry_data)
        return Draft(uid=uid or new_uid(), kind=kind, author=self.user, host=self.host,
                     session=self.session, occurred_at=format_time(occurred),
                     recorded_at=format_time(now), text=text, data=data, amends=amends)

    def _when(self, at: datetime | str | None, now: datetime) -> datetime:
        if at is None:
            return now
        # One strict parser for every time a person gives (base.clock.parse_user_time).
        at = parse_user_time(at if isinstance(at, str) else at.isoformat())
        if at > now + FUTURE_SLACK:
            raise ValidationError(f"{format_time(at)} is in the future; --at backdates events "
                                  "discovered later")
        return at

    def declare(self, title: str, *, profile: str = "default", severity: str | None = None,
                services: Iterable[str] = (), description: str = "", lead: str | None = None,
                security: bool = False, customer_impacting: bool = False,
                at: datetime | str | None = None, uid: str | None = None) -> Entry:
        """Declare a new incident. Returns its first entry (``entry.incident`` is the ref)."""
        prof = self.profiles.get(profile)
        title = clean_line(title, what="title")
        sev = prof.severity(severity).id if severity else prof.default_severity
        _refuse_not_live(prof, sev)
        chosen = _unique([prof.service(s) for s in services])
        description = (clean_text(description, what="description")
                       if description and description.strip() else "")
        lead_name = clean_line(lead, what="lead") if lead is not None else None
        draft = self._draft("declared", title, {
            "title": title, "description": description, "profile": prof.name, "severity": sev,
            "status": "investigating", "services": chosen, "security": bool(security),
            "customer_impacting": bool(customer_impacting),
        }, at=at, uid=uid)
        first = self.store.create_incident(prof.name, draft)
        if lead_name:
            self.assign_role(first.incident, "lead", lead_name, at=draft.occurred_at)
        return first

    def log(self, ref: str, kind: str, text: str, *, at: datetime | str | None = None,
            owner: str | None = None, data: dict[str, Any] | None = None,
            uid: str | None = None) -> Entry:
        """Log what the scribe typed: note, decision, action, result, change, comms, summary."""
        if kind not in SCRIBE_KINDS:
            raise ValidationError(f"unknown entry kind {kind!r} (choose from: {', '.join(SCRIBE_KINDS)})")
        body = clean_text(text, what=f"{kind} text")
        extra = dict(data or {})
        if kind == "action":
            who = owner if owner and owner.strip() else mentioned_owner(body)
            if not who:
                raise ValidationError("an action needs an owner: write @name in the text")
            extra["owner"] = owner_name(who)
        self.store.incident(ref)  # unknown reference: say so before anything else
        return self.store.append(ref, self._draft(kind, body, extra, at=at, uid=uid))

    def note(self, ref: str, text: str, **kw: Any) -> Entry:
        return self.log(ref, "note", text, **kw)

    def assign_role(self, ref: str, role: str, person: str, *, note: str = "",
                    at: datetime | str | None = None, uid: str | None = None) -> Entry:
        """Assign a role, or hand it over from whoever holds it now."""
        state, prof = self._state_and_profile(ref)
        the_role = prof.role(role)
        who = clean_line(person, what="person")
        previous = state.holder(the_role.id)
        if previous == who:
            raise ValidationError(f"{who} already holds {the_role.name}")
        verb = f"handed over from {previous} to {who}" if previous else f"assigned to {who}"
        text = f"{the_role.name} {verb}"
        if note and note.strip():
            text += f": {clean_text(note, what='handover note')}"
        return self.store.append(ref, self._draft("role", text, {
            "role": the_role.id, "person": who, "previous": previous, "handover": bool(previous),
        }, at=at, uid=uid))

    def release_role(self, ref: str, role: str, *, note: str = "", uid: str | None = None) -> Entry:
        state, prof = self._state_and_profile(ref)
        the_role = prof.role(role)
        previous = state.holder(the_role.id)
        if not previous:
            raise ValidationError(f"nobody holds {the_role.name}")
        text = f"{the_role.name} released by {previous}"
        if note and note.strip():
            text += f": {clean_text(note, what='note')}"
        return self.store.append(ref, self._draft("role", text, {
            "role": the_role.id, "person": "", "previous": previous, "handover": False,
        }, uid=uid))

    def change_severity(self, ref: str, severity: str, reason: str, *, uid: str | None = None) -> Entry:
        state, prof = self._state_and_profile(ref)
        new = prof.severity(severity)
        if new.id == state.severity:
            raise ValidationError(f"{ref} is already {new.label}")
        if state.is_open:
            _refuse_not_live(prof, new.id)
        why = clean_text(reason, what="reason for the severity change")
        return self.store.append(ref, self._draft("severity", why,
                                                  {"from": state.severity, "to": new.id},
                                                  uid=uid))

    def change_status(self, ref: str, status: str, note: str = "", *,
                      checklist: dict[str, bool] | None = None, uid: str | None = None) -> Entry:
        """Move through investigating → identified → monitoring → resolved → closed (or back).

        Resolving needs a resolution note; the resolve checklist, as ticked, is recorded."""
        state, prof = self._state_and_profile(ref)
        wanted = status.strip().lower()
        if wanted not in STATUSES:
            raise ValidationError(f"unknown status {status!r} (choose from: {', '.join(STATUSES)})")
        if wanted == state.status:
            raise ValidationError(f"{ref} is already {wanted}")
        if wanted == "resolved" and not (note and note.strip()):
            raise ValidationError("resolving needs a resolution note (what fixed it, is it temporary?)")
        text = clean_text(note, what="status note") if note and note.strip() else f"Status: {wanted}"
        data: dict[str, Any] = {"from": state.status, "to": wanted}
        if checklist is not None:
            known = prof.checklists.get("resolve", ())
            data["checklist"] = {item: bool(checklist.get(item, False)) for item in known}
        return self.store.append(ref, self._draft("status", text, data, uid=uid))

    def set_services(self, ref: str, services: Iterable[str], *, reason: str = "",
                     uid: str | None = None) -> Entry:
        state, prof = self._state_and_profile(ref)
        chosen = _unique([prof.service(s) for s in services])
        if chosen == state.services:
            raise ValidationError("impacted services unchanged")
        text = "Impacted services: " + (", ".join(chosen) if chosen else "none")
        data: dict[str, Any] = {"services": chosen, "before": state.services}
        if reason and reason.strip():
            data["reason"] = clean_text(reason, what="reason")
            text += f": {data['reason']}"
        return self.store.append(ref, self._draft("services", text, data, uid=uid))

    def set_flags(self, ref: str, *, security: bool | None = None,
                  customer_impacting: bool | None = None, reason: str = "",
                  uid: str | None = None) -> Entry:
        state, _ = self._state_and_profile(ref)
        data: dict[str, Any] = {}
        words = []
        if security is not None and security != state.security:
            data["security"] = security
            words.append("security incident" if security else "not a security incident")
        if customer_impacting is not None and customer_impacting != state.customer_impacting:
            data["customer_impacting"] = customer_impacting
            words.append("customer-impacting" if customer_impacting else "not customer-impacting")
        if not data:
            raise ValidationError("flags unchanged")
        text = "Flagged: " + ", ".join(words)
        if reason and reason.strip():
            data["reason"] = clean_text(reason, what="reason")
            text += f": {data['reason']}"
        return self.store.append(ref, self._draft("flags", text, data, uid=uid))

    def add_followup(self, ref: str, text: str, owner: str | None = None, *,
                     uid: str | None = None) -> Entry:
        body = clean_text(text, what="follow-up text")
        who = owner if owner and owner.strip() else mentioned_owner(body)
        if not who:
            raise ValidationError("a follow-up needs an owner: write @name in the text")
        self.store.incident(ref)
        return self.store.append(ref, self._draft("followup", body, {"owner": owner_name(who)},
                                                  uid=uid))

    def mark_done(self, ref: str, seq: int, note: str = "", *, uid: str | None = None) -> Entry:
        state, _ = self._state_and_profile(ref)
        item = state.actions.get(int(seq))
        if item is None:
            raise NotFound(f"{ref} has no action or follow-up #{seq}")
        if item.done:
            raise ValidationError(f"#{seq} is already done")
        text = clean_text(note, what="note") if note and note.strip() else f"Done: {item.text}"
        return self.store.append(ref, self._draft("done", text, {"target": item.seq}, amends=None,
                                                  uid=uid))

    def reopen(self, ref: str, seq: int, note: str = "", *, uid: str | None = None) -> Entry:
        """Undo "done": a new entry that opens the action or follow-up again (both kept)."""
        state, _ = self._state_and_profile(ref)
        item = state.actions.get(int(seq))
        if item is None:
            raise NotFound(f"{ref} has no action or follow-up #{seq}")
        if not item.done:
            raise ValidationError(f"#{seq} is open already")
        text = f"{REOPENED_PREFIX}{item.text}"
        if note and note.strip():
            text += f": {clean_text(note, what='note')}"
        return self.store.append(ref, self._draft("done", text, {"target": item.seq, "reopened": True},
                                                  uid=uid))

    def log_ticket(self, ref: str, party: str, reference: str = "", text: str = "", *,
                   at: datetime | str | None = None, uid: str | None = None) -> Entry:
        """A support ticket with a third party (AWS, Aiven...), as the profile's table lists
        (a party the table does not list is recorded as typed)."""
        _, prof = self._state_and_profile(ref)
        who = clean_line(party, what="supplier (--supplier)")
        known = prof.support_party(who)
        who = known.party if known is not None else who
        ticket = clean_line(reference, what="case id (--case)") if reference and reference.strip() else ""
        body = clean_text(text, what="ticket note") if text and text.strip() else (
            ticket_text(who, ticket))
        return self.store.append(ref, self._draft("ticket", body, {"party": who, "reference": ticket},
                                                  at=at, uid=uid))

    def log_escalation(self, ref: str, to: str, text: str = "", *, how: str = "",
                       at: datetime | str | None = None, uid: str | None = None) -> Entry:
        """An escalation made: to a level of the profile's chain (``level`` in the data) or to
        someone else, and how (phone, PagerDuty...). It satisfies the escalation clock."""
        _, prof = self._state_and_profile(ref)
        target = clean_line(to, what="escalation target (--to)")
        level = prof.escalation_level(target)
        if level is not None:
            target = level.name
        data: dict[str, Any] = {"to": target}
        if level is not None:
            data["level"] = level.name
            data["level_no"] = prof.escalation.index(level) + 1
        if how and how.strip():
            data["how"] = clean_line(how, what="how")
        body = clean_text(text, what="escalation note") if text and text.strip() else (
            escalation_text(target, str(data.get("how") or "")))
        return self.store.append(ref, self._draft("escalation", body, data, at=at, uid=uid))

    def post_update(self, ref: str, text: str, *, template: str | None = None,
                    audience: str = "", services: Iterable[str] | None = None,
                    next_update: timedelta | None = None, uid: str | None = None) -> Entry:
        """A status update sent (a ``comms`` entry). ``next_update`` restarts the update clock."""
        state, prof = self._state_and_profile(ref)
        body = clean_text(text, what="status update")
        data: dict[str, Any] = {}
        if template:
            data["template"] = prof.template(template).id
        if audience and audience.strip():
            data["audience"] = clean_line(audience, what="audience")
        data["services"] = (_unique([prof.service(s) for s in services]) if services is not None
                            else list(state.services))
        if next_update is not None:
            if next_update.total_seconds() <= 0:
                raise ValidationError("the next update must be in the future")
            data["next_update_s"] = int(next_update.total_seconds())
        return self.store.append(ref, self._draft("comms", body, data, uid=uid))

    def write_summary(self, ref: str, text: str, *, late_by: timedelta | None = None,
                      prompted: bool = False, uid: str | None = None) -> Entry:
        data: dict[str, Any] = {"prompted": prompted}
        if late_by is not None and late_by.total_seconds() > 0:
            data["late_by_s"] = int(late_by.total_seconds())
        return self.log(ref, "summary", text, data=data, uid=uid)

    def write_public(self, ref: str, parts: dict[str, str], *, uid: str | None = None) -> Entry:
        """The public statement: what the published report says, part by part
        (:data:`warroom.core.public.PARTS`). A later statement replaces the whole of an earlier
        one; at least one part must say something."""
        from warroom.core.public import PARTS

        unknown = sorted(set(parts) - set(PARTS))
        if unknown:
            raise ValidationError(f"unknown part of the public statement {unknown[0]!r} "
                                  f"(choose from: {', '.join(PARTS)})")
        data = {key: clean_text(parts[key], what=PARTS[key].lower())
                for key in PARTS if parts.get(key) and parts[key].strip()}
        if not data:
            raise ValidationError("the public statement is empty: write at least what happened")
        text = "\n".join(f"{PARTS[key]}: {value}" for key, value in data.items())
        self.store.incident(ref)
        return self.store.append(ref, self._draft("public", text, data, uid=uid))

    def record_prompt(self, ref: str, timer: str, outcome: str, *, reason: str = "",
                      until: datetime | None = None, uid: str | None = None) -> Entry:
        """A timer prompt snoozed (until a time, with a reason) or dismissed."""
        if outcome not in ("snoozed", "dismissed"):
            raise ValidationError(f"unknown prompt outcome {outcome!r}")
        if outcome == "snoozed" and until is None:
            raise ValidationError("a snooze needs a time to snooze until")
        why = clean_text(reason, what="reason") if reason and reason.strip() else ""
        text = f"{timer.replace('_', ' ').capitalize()} prompt {outcome}"
        if until is not None:
            text += f" until {format_time(until)[11:16]} UTC"
        if why:
            text += f": {why}"
        data: dict[str, Any] = {"timer": timer, "outcome": outcome, "reason": why}
        if until is not None:
            data["until"] = format_time(until)
        self.store.incident(ref)
        return self.store.append(ref, self._draft("prompt", text, data, uid=uid))

    def record_system(self, ref: str, text: str, data: dict[str, Any] | None = None, *,
                      uid: str | None = None) -> Entry:
        self.store.incident(ref)
        return self.store.append(ref, self._draft("system", clean_text(text), data or {}, uid=uid))

    def amend(self, ref: str, seq: int, text: str | None = None, *, kind: str | None = None,
              at: datetime | str | None = None, owner: str | None = None,
              uid: str | None = None) -> Entry:
        """Correct an earlier entry: its text, its kind (between the kinds a scribe logs), an
        action's owner, or when it happened. Both are kept; the correction points at the
        original. Correcting a correction corrects the original again, and the latest
        correction wins: each one carries the whole corrected picture (text, kind, owner,
        occurred-at), so a reader needs only the last."""
        row = self.store.incident(ref)
        target = self.store.entry(row.ref, int(seq))
        if target.kind == "amend" and target.amends is not None:
            target = self.store.entry(row.ref, target.amends)
        fixes = [e for e in self.store.entries(row.ref, after=target.seq, kinds=("amend",))
                 if e.kind == "amend" and e.amends == target.seq]
        now_pic = corrected_view(target, fixes)
        body = clean_text(text, what="correction text") if text is not None else now_pic.text
        new_kind = now_pic.kind
        if kind is not None and kind.strip():
            new_kind = kind.strip().lower()
            if new_kind != now_pic.kind:
                if new_kind not in SCRIBE_KINDS or now_pic.kind not in SCRIBE_KINDS:
                    movable = ", ".join(SCRIBE_KINDS)
                    raise ValidationError(f"#{target.seq} is a {now_pic.kind}; only these kinds can "
                                          f"change into one another: {movable}"
                                          if new_kind in KINDS else
                                          f"unknown entry kind {kind!r} (choose from: {movable})")
        data: dict[str, Any] = {"kind": new_kind}
        if new_kind != target.kind:
            data["from_kind"] = target.kind
        if new_kind in ("action", "followup"):
            who = owner if owner and owner.strip() else (
                mentioned_owner(body) if text is not None else None) or now_pic.owner
            if not who:
                raise ValidationError("an action needs an owner: write @name in the text")
            data["owner"] = owner_name(who)
        elif owner and owner.strip():
            raise ValidationError(f"only an action or a follow-up has an owner; #{target.seq} "
                                  f"is a {new_kind}")
        occurred = now_pic.occurred_at
        if at is not None and (not isinstance(at, str) or at.strip()):
            occurred = format_time(self._when(at, self.clock.now()))
        if occurred != target.occurred_at:
            data["occurred_at"] = occurred
        if (body, new_kind, data.get("owner", ""), occurred) == (
                now_pic.text, now_pic.kind, now_pic.owner if new_kind in ("action", "followup") else "",
                now_pic.occurred_at):
            raise ValidationError(f"nothing to correct: #{target.seq} already reads so")
        return self.store.append(row.ref, self._draft("amend", body, data, amends=target.seq, uid=uid))

    def history(self, ref: str, seq: int) -> "EntryHistory":
        """An entry as first written and every correction of it, oldest first, with what it
        says now (the latest correction wins). ``seq`` may name a correction: its original's
        history is returned."""
        row = self.store.incident(ref)
        target = self.store.entry(row.ref, int(seq))
        if target.kind == "amend" and target.amends is not None:
            target = self.store.entry(row.ref, target.amends)
        fixes = [e for e in self.store.entries(row.ref, after=target.seq, kinds=("amend",))
                 if e.kind == "amend" and e.amends == target.seq]
        return EntryHistory(target, fixes, corrected_view(target, fixes))

    def _state_and_profile(self, ref: str) -> tuple[IncidentState, Profile]:
        from warroom.base.errors import StoreAtCapacity, StoreUnreachable

        try:
            state = self.state(ref)
        except (StoreUnreachable, StoreAtCapacity):
            if self.store.outbox is None:
                raise
            # The team database is away and the entry will be kept in the outbox: the
            # incident's profile is known (it was used from here before); its state as of
            # the last read, or nothing more.
            row = self.store.incident(ref)
            state = self._last_state.get(row.ref) or project(row.ref, [])
            return state, self.profiles.get(row.profile or state.profile or "default")
        self._last_state[state.ref] = state
        return state, self.profiles.get(state.profile)

    # ------------------------------------------------------------------ evidence (issue 17)
    def run_started(self, ref: str, argv: list[str], *, cwd: str, note: str = "",
                    run: str | None = None, at: datetime | str | None = None,
                    uid: str | None = None) -> Entry:
        """``warroom run``: the ``change`` entry logged as the command starts: its command line
        (secrets redacted: :func:`warroom.core.evidence.command_line`), working directory, the
        machine's user; ``note`` says why."""
        from warroom.core.evidence import command_line

        if not argv:
            raise ValidationError("no command to run (warroom run -- CMD [ARGS...])")
        line = command_line(argv)
        why = clean_text(note, what="note") if note and note.strip() else ""
        text = f"Ran: {line}" + (f"\n{why}" if why else "")
        data = {"command": line[:MAX_TEXT], "cwd": sanitize(cwd)[:MAX_TEXT],
                "user": clean_line(default_user(), what="user"), "run": run or new_uid()}
        self.store.incident(ref)
        return self.store.append(ref, self._draft("change", text[:MAX_TEXT], data, at=at, uid=uid))

    def run_finished(self, ref: str, argv: list[str], *, exit_status: int | None,
                     signal_name: str = "", duration_ms: int, output: bytes,
                     output_bytes: int | None = None, started: Entry | None = None,
                     run: str | None = None, uid: str | None = None) -> Entry:
        """``warroom run``: the ``result`` entry logged as the command ends: its exit status (or
        the signal that ended it), how long it took, the last lines of its output; the output
        itself (``output``, at most :data:`~warroom.core.evidence.MAX_ATTACHMENT` bytes; the
        command printed ``output_bytes`` in all) is attached, its SHA-256 under the chain. A
        secret redacted from the command line is redacted from the output kept as well."""
        from warroom.base.model import Attachment
        from warroom.core.evidence import (MAX_ATTACHMENT, command_line, duration_text,
                                           output_tail, removed_secrets, scrub_output,
                                           short_command)

        # A secret typed on the command line stays out of the record of its output too.
        output = scrub_output(output, removed_secrets(argv))
        output = output[:MAX_ATTACHMENT]  # the runner keeps at most this; a label may add some
        total = len(output) if output_bytes is None else max(int(output_bytes), len(output))
        line = command_line(argv)
        how = (f"Killed by {signal_name}" if signal_name
               else f"Exit {exit_status}" if exit_status is not None else "Ended")
        text = f"{how} after {duration_text(int(duration_ms))}: {short_command(argv, line)}"
        tail = output_tail(output)
        if tail:
            text += "\n" + tail
        run_id = run or (started.data.get("run") if started is not None else None) or new_uid()
        data: dict[str, Any] = {"run": str(run_id), "duration_ms": int(duration_ms),
                                "output_bytes": total, "truncated": total > len(output)}
        if exit_status is not None:
            data["exit_status"] = int(exit_status)
        if signal_name:
            data["signal"] = signal_name
        if started is not None:
            data["started"] = started.seq
        files = []
        if output:
            name = file_name_for_output(argv)
            item = Attachment.of(name, "text/plain", output)
            files.append(item)
            data.update(file=name, size=item.size, media_type=item.media_type,
                        sha256=item.sha256)
        self.store.incident(ref)
        draft = self._draft("result", text[:MAX_TEXT], data, uid=uid)
        return self.store.append(ref, draft, files)

    def attach(self, ref: str, name: str, content: bytes, *, note: str = "",
               media_type: str | None = None, uid: str | None = None) -> Entry:
        """``warroom attach``: keep a file (a log excerpt, a screenshot, a config diff) in the
        database, linked from an ``attachment`` entry with its name, size, media type and
        SHA-256 (under the chain, so ``verify`` sees a changed byte). At most
        :data:`~warroom.core.evidence.MAX_ATTACHMENT` bytes."""
        from warroom.base.model import Attachment
        from warroom.core.evidence import MAX_ATTACHMENT, file_name, human_size
        from warroom.core.evidence import media_type as guess_type

        stored = file_name(name)
        if len(content) > MAX_ATTACHMENT:
            raise ValidationError(f"{stored} is {human_size(len(content))}; the limit is "
                                  f"{human_size(MAX_ATTACHMENT)}; nothing was saved")
        kind = clean_line(media_type, what="media type") if media_type else guess_type(stored, content)
        item = Attachment.of(stored, kind, content)
        why = clean_text(note, what="note") if note and note.strip() else ""
        text = f"Attached {stored} ({human_size(item.size)}, {kind})" + (f": {why}" if why else "")
        self.store.incident(ref)
        return self.store.append(ref, self._draft("attachment", text[:MAX_TEXT], {
            "file": stored, "size": item.size, "media_type": kind, "sha256": item.sha256,
        }, uid=uid), [item])

    def attachment(self, ref: str, seq: int) -> Attachment | None:
        """The file entry ``seq`` links to (a run's output, an attached file), as stored now,
        or None if the entry links to none. A file whose bytes no longer match the SHA-256 in
        the entry is still returned; :meth:`verify` says so."""
        row = self.store.incident(ref)
        entry = self.store.entry(row.ref, int(seq))
        want = entry.data.get("sha256") if isinstance(entry.data, dict) else None
        if not isinstance(want, str) or not want:
            return None
        return self.store.attachment(row.ref, entry.uid, want)

    def attachments(self, ref: str) -> list[tuple[Entry, Attachment | None]]:
        """Every entry of the incident that links to a file, with the file (None if it is not
        in the database), in order."""
        row = self.store.incident(ref)
        found: list[tuple[Entry, Attachment | None]] = []
        for entry in self.store.entries(row.ref, kinds=("result", "attachment")):
            want = entry.data.get("sha256") if isinstance(entry.data, dict) else None
            if isinstance(want, str) and want:
                found.append((entry, self.store.attachment(row.ref, entry.uid, want)))
        return found

    # ------------------------------------------------------------------ export / import
    def export_json(self, ref: str) -> dict[str, Any]:
        """Everything about one incident, losslessly: import gives back the same log, hashes too."""
        row = self.store.incident(ref)
        items = [e.to_json() for e in self.store.iter_entries(row.ref)]
        doc = {
            "format": EXPORT_FORMAT, "version": EXPORT_VERSION,
            "incident": {"ref": row.ref, "number": row.number, "profile": row.profile,
                         "created_at": row.created_at, **({"alias": row.alias} if row.alias else {})},
            "entries": items,
            "chain_head": items[-1]["hash"] if items else None,
        }
        files = [(entry, item) for entry, item in self.attachments(row.ref) if item is not None]
        if files:  # a run's output, an attached file: under the chain, so exported with it
            import base64

            doc["attachments"] = [{
                "entry_uid": entry.uid, "name": item.name, "media_type": item.media_type,
                "sha256": item.sha256, "size": item.size,
                "content_base64": base64.b64encode(item.content).decode("ascii"),
            } for entry, item in files]
        return doc

    def import_json(self, doc: Any, *, source: str = "import") -> str:
        """Load an export (a document, or one :func:`~warroom.core.importing.parse_export`
        already checked). Everything is checked first: a doctored or malformed file is refused
        whole, before anything is written."""
        return self.import_export(doc, source=source).ref

    def import_export(self, doc: Any, *, source: str = "import") -> Incident:
        """As :meth:`import_json`, returning the incident written: under its own reference, or,
        when this database already uses it (whatever the case), under the next free one with
        the original kept as its ``alias`` (any command accepts it where it is unambiguous)."""
        from warroom.core.importing import ParsedExport, parse_export
        from warroom.core.results import Incident

        got = doc if isinstance(doc, ParsedExport) else parse_export(doc, source=source)
        row = self.store.import_incident(got.ref, got.number, got.profile, got.created_at,
                                         got.items, got.files, alias=got.alias)
        return Incident(row.ref, row.number, row.profile, row.created_at, row.alias)

    # ------------------------------------------------------------------ report (export)
    def export_report(self, ref: str, *, public: bool = False, force: bool = False,
                      template: str | None = None, tz: Any = None) -> str:
        """The Markdown incident report (:func:`warroom.core.report.render_report`, from the
        log and the profile). A forced public report of a security incident is recorded on
        the timeline first, as its own entry."""
        from warroom.base.errors import ProfileError
        from warroom.core.report import load_template, local_zone, render_report, security_refusal
        from warroom.core.report import stand_in_profile

        row = self.store.incident(ref)
        chosen = load_template(template)
        local_zone(tz)  # an unknown zone is refused before anything is recorded
        if public and project(row.ref, self.store.entries(row.ref, kinds=("declared", "flags"))).security:
            if not force:
                raise security_refusal(row.ref)
            self.record_system(row.ref, "Public report exported for a security incident "
                                        "(override: --force)",
                               {"event": "public_report_forced", "template": chosen.name})
        try:
            profile = self.profiles.get(row.profile)
        except (NotFound, ProfileError):
            profile = stand_in_profile(row.profile)
        return render_report(row.ref, self.store.iter_entries(row.ref), profile, public=public,
                             force=force, template=chosen, tz=tz, alias=row.alias,
                             head_check=lambda seq, head: self._head_problem(row.ref, seq, head))

    def _head_problem(self, ref: str, seq: int, head: str) -> str | None:
        """What is wrong with a chain read up to entry ``seq`` (its recomputed head ``head``)
        against the head the database recorded, read after it: None when they agree, or the
        recorded one is further on because an entry was written meanwhile."""
        recorded = self.store.recorded_head(ref)
        if recorded is None:
            return None if self.store.version < 3 else "no chain head is recorded for it"
        if recorded.ref != ref:
            return f"its recorded chain head belongs to {recorded.ref}"
        if recorded.seq == seq:
            return None if recorded.hash == head else (
                f"the database recorded its chain head as {recorded.hash}, not this one")
        if recorded.seq < seq:
            return f"entries after #{recorded.seq}, the recorded chain head, were added"
        if self.store.seq_of_hash(ref, recorded.hash) == recorded.seq:
            return None  # written while the report was read
        return f"the recorded chain head is entry #{recorded.seq}: entries were deleted from the end"


    # ------------------------------------------------------------------ the process (issue 13)
    def tick_checklist(self, ref: str, checklist: str, item: str | int, outcome: str = "done", *,
                       reason: str = "", uid: str | None = None) -> Entry:
        """Answer one step of a profile checklist (``declare``, ``resolve``, ``post_incident``):
        ``done``, ``dismissed`` (with a reason: it does not apply) or ``undone``. ``item`` is the
        step's text or its number (1 = the first)."""
        state, prof = self._state_and_profile(ref)
        steps = prof.checklists.get(checklist)
        if not steps:
            raise NotFound(f"profile {prof.name} has no {checklist.replace('_', '-')} checklist")
        if outcome not in CHECKLIST_OUTCOMES:
            raise ValidationError(f"unknown checklist outcome {outcome!r} "
                                  f"(choose from: {', '.join(CHECKLIST_OUTCOMES)})")
        step = _checklist_step(steps, item)
        why = clean_text(reason, what="reason") if reason and reason.strip() else ""
        if outcome == "dismissed" and not why:
            raise ValidationError("dismissing a checklist step needs a reason")
        last = state.checklists.get(checklist, {}).get(step)
        if (last.data.get("outcome") if last else "undone") == outcome:
            raise ValidationError(f"already {outcome}: {step}")
        verb = {"done": "Ticked", "dismissed": "Dismissed", "undone": "Unticked"}[outcome]
        text = f"{verb} ({checklist.replace('_', '-')} checklist): {step}" + (f" ({why})" if why else "")
        return self.store.append(ref, self._draft("checklist", text, {
            "checklist": checklist, "item": step, "index": steps.index(step) + 1,
            "outcome": outcome, "reason": why}, uid=uid))

    def set_impact(self, ref: str, field: str, at: datetime | str | None, *, reason: str,
                   uid: str | None = None) -> Entry:
        """Set when impact started, was detected or was mitigated (the impact window)."""
        if field not in IMPACT_FIELDS:
            raise ValidationError(f"unknown impact field {field!r} (choose from: {', '.join(IMPACT_FIELDS)})")
        state, _ = self._state_and_profile(ref)
        why = clean_text(reason, what="reason") if reason and reason.strip() else ""
        if not why:
            raise ValidationError("changing the impact window needs a reason (--reason)")
        when = format_time(self._when(at, self.clock.now())) if at is not None else None
        before = state.impact.get(field)
        return self.store.append(ref, self._draft("impact", why, {
            "field": field, "at": when, "before": format_time(before) if before else None}, uid=uid))

    def set_facts(self, ref: str, *, reason: str, security: bool | None = None,
                  customer_impacting: bool | None = None, services: Iterable[str] | None = None,
                  impact_started: datetime | str | None = None) -> "FactsChanged":
        """Facts change as you learn (``warroom set`` and the ``g`` dialog): flags, services
        and when impact started, one entry each, all with the reason. Everything is checked
        before anything is written; nothing changed is refused."""
        state, prof = self._state_and_profile(ref)
        if not (reason and reason.strip()):
            raise ValidationError("say why the facts changed (--reason)")
        flags: dict[str, bool] = {}
        if security is not None and security != state.security:
            flags["security"] = security
        if customer_impacting is not None and customer_impacting != state.customer_impacting:
            flags["customer_impacting"] = customer_impacting
        chosen = None
        if services is not None:
            chosen = _unique([prof.service(s) for s in services])
            if chosen == state.services:
                chosen = None
        started = None
        if impact_started is not None:
            started = self._when(impact_started, self.clock.now())
            if state.impact.get("started") == started:
                started = None
        if not flags and chosen is None and started is None:
            raise ValidationError("nothing changed: every fact given is already so")
        written = []
        if flags:
            written.append(self.set_flags(ref, reason=reason, security=flags.get("security"),
                                          customer_impacting=flags.get("customer_impacting")))
        if chosen is not None:
            written.append(self.set_services(ref, chosen, reason=reason))
        if started is not None:
            written.append(self.set_impact(ref, "started", started, reason=reason))
        steps: tuple[str, ...] = ()
        if flags.get("security"):
            steps = prof.security_steps or ((prof.security_note,) if prof.security_note else ())
        required: tuple[str, ...] = ()
        if flags.get("customer_impacting"):
            required = tuple(r.name for r in prof.roles
                             if not r.required and r.required_for(True) and not state.holder(r.id))
        return FactsChanged(tuple(written), steps, required)


CHECKLIST_OUTCOMES = ("done", "dismissed", "undone")
IMPACT_FIELDS = ("started", "detected", "mitigated")


@dataclass(frozen=True)
class FactsChanged:
    """What ``set_facts`` wrote, and what the process asks for now because of it."""

    entries: tuple[Entry, ...]
    security_steps: tuple[str, ...] = ()
    """The profile's steps for a security incident, when the flag was just set."""
    roles_now_required: tuple[str, ...] = ()
    """Roles (names) that became required and are vacant (dxw's client comms manager)."""


def _checklist_step(steps: tuple[str, ...], item: str | int) -> str:
    if isinstance(item, int) or (isinstance(item, str) and item.strip().isdigit()):
        n = int(item)
        if not 1 <= n <= len(steps):
            raise NotFound(f"no step {n}: the checklist has {len(steps)}")
        return steps[n - 1]
    wanted = str(item).strip().casefold()
    found = [s for s in steps if s.casefold() == wanted] or [s for s in steps if wanted and wanted in s.casefold()]
    if len(found) != 1:
        raise NotFound(f"no single checklist step matches {item!r}")
    return found[0]


def _refuse_not_live(prof: Profile, severity: str) -> None:
    sev = prof.severity_by_id(severity)
    if sev is not None and not sev.live:
        live = ", ".join(s.label for s in prof.live_severities())
        raise ValidationError(f"{sev.label} describes a resolved incident, not a live one: "
                              f"choose from {live}, or resolve the incident")


def _unique(items: list[str]) -> list[str]:
    seen: list[str] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


# Role warnings live in warroom.core.roles; imported here for the callers of their old home.
from warroom.core.roles import RoleWarning, assignment_warnings, role_warnings  # noqa: E402,F401
