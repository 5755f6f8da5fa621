"""Process profiles: one team's incident process as data (TOML).

Built-in profiles ship in ``warroom/profiles``; a user adds or overrides one by dropping
``NAME.toml`` into the config folder's ``profiles/``. Every problem in a file is reported as
``FILE: KEY: PROBLEM`` so a person can fix it without reading code.
"""

from __future__ import annotations

import builtins

import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from warroom.core.durations import parse_duration
from warroom.base.errors import NotFound, ProfileError

BUILTIN_DIR = Path(__file__).resolve().parent.parent / "profiles"
BUILTIN_NAMES = ("default", "modernisation-platform", "analytical-platform", "dxw", "govuk-paas")
STATUSES = ("investigating", "identified", "monitoring", "resolved", "closed")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


@dataclass(frozen=True)
class Severity:
    id: str
    label: str
    description: str
    colour: str = "yellow"
    escalate_immediately: bool = False
    respond_within: timedelta | None = None
    status_update: timedelta | None = None
    """Overrides the profile's status-update cadence at this severity (GDS Way priorities)."""
    update_note: str = ""
    update_once: bool = False
    """One status update is expected at this severity ("once after 2 working days"), not one
    every interval."""
    retrospective: bool = False
    """Handled after the fact (dxw's Trivial): no live clocks and no review clock."""
    live: bool = True
    """False for a level that only describes a resolved incident (Analytical Platform's
    "All Good"): an open incident cannot be declared or run at it."""


@dataclass(frozen=True)
class Role:
    id: str
    name: str
    required: bool = False
    responsibilities: tuple[str, ...] = ()
    description: str = ""
    required_if_customer_impacting: bool = False
    """Required once the incident is flagged customer-impacting (dxw's client comms manager)."""
    sole_changer: bool = False
    """Only this role's holder makes changes to production (GOV.UK PaaS's incident lead): a
    ``change`` logged by anyone else is flagged (warroom.core.rules)."""

    def required_for(self, customer_impacting: bool) -> bool:
        return self.required or (self.required_if_customer_impacting and customer_impacting)


@dataclass(frozen=True)
class OutOfHours:
    start: time
    end: time
    stop_after: timedelta | None = None
    continue_at: tuple[str, ...] = ()
    """Severities that carry on out of hours without the stop (dxw: Critical, "until it can be
    downgraded")."""
    respond_at: tuple[str, ...] = ()
    """Out of hours, only incidents at these severities are responded to (dxw: "only respond to
    critical alerts and emergency tickets"); empty: any severity."""
    respond_note: str = ""
    """The process's own words for that rule, shown with it."""

    def contains(self, local: time) -> bool:
        """True when a local wall-clock time is out of hours (the window may cross midnight)."""
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


@dataclass(frozen=True)
class Cadences:
    summary: timedelta | None = None
    status_update: timedelta | None = None
    escalate_after: timedelta | None = None
    rotation: timedelta | None = None
    review_within: timedelta | None = None
    out_of_hours: OutOfHours | None = None
    first_update_at_declaration: bool = False
    """The first status update is part of declaring (due at declaration), not an interval
    later."""
    origin: dict[str, str] = field(default_factory=dict)
    """Per cadence key: ``team`` (from the team's document) or ``warroom`` (warroom's default)."""


ORIGINS = ("team", "warroom")
WARROOM_DEFAULT = "warroom default"


@dataclass(frozen=True)
class Contact:
    name: str
    when: str = ""
    contact: str = ""
    required_at: tuple[str, ...] = ()
    """Severities at which this level is called at once (dxw: Critical calls the Technical
    Director...)."""
    if_security: bool = False
    """Only (or, with no ``required_at``, always) when the incident is a security incident."""

    def required(self, severity: str, security: bool) -> bool:
        """Must be called now, at this severity and security flag."""
        if self.if_security and not security:
            return False
        if self.required_at:
            return severity in self.required_at
        return self.if_security


@dataclass(frozen=True)
class SupportContact:
    party: str
    how: str = ""
    escalation: str = ""


@dataclass(frozen=True)
class Template:
    id: str
    name: str
    text: str
    status: str = ""


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    description: str = ""
    source: str = ""
    path: Path | None = None
    origin: str = "built-in"
    timezone: str = "Europe/London"
    incident_criteria: tuple[str, ...] = ()
    security_note: str = ""
    severity_note: str = ""
    severities: tuple[Severity, ...] = ()
    default_severity: str = ""
    services: tuple[str, ...] = ()
    roles: tuple[Role, ...] = ()
    same_person_warnings: tuple[tuple[str, str], ...] = ()
    cadences: Cadences = field(default_factory=Cadences)
    checklists: dict[str, tuple[str, ...]] = field(default_factory=dict)
    escalation: tuple[Contact, ...] = ()
    support: tuple[SupportContact, ...] = ()
    templates: tuple[Template, ...] = ()
    audiences: tuple[str, ...] = ()
    security_steps: tuple[str, ...] = ()
    """What to do at once when an incident is (found to be) a security incident."""

    def origin_of(self, key: str) -> str:
        """``team`` or ``warroom``: whose rule a cadence is, as the profile marks it in
        ``[cadences.origin]``. Unmarked keys are the profile's own (a profile written from a
        team's document marks what the document does not contain)."""
        return self.cadences.origin.get(key) or "team"

    def is_default(self, key: str) -> bool:
        return self.origin_of(key) == "warroom"

    def live_severities(self) -> tuple[Severity, ...]:
        return tuple(s for s in self.severities if s.live)

    def role_required(self, role: Role, customer_impacting: bool) -> bool:
        return role.required_for(customer_impacting)

    def escalation_level(self, key: str) -> Contact | None:
        """The escalation level named ``key`` (case-insensitive), or None (someone else)."""
        wanted = key.strip().casefold()
        return next((c for c in self.escalation if c.name.casefold() == wanted), None)

    def support_party(self, key: str) -> SupportContact | None:
        wanted = key.strip().casefold()
        return next((c for c in self.support if c.party.casefold() == wanted), None)

    def severity(self, key: str) -> Severity:
        """Look a severity up by id or label, case-insensitively."""
        wanted = key.strip().lower()
        for sev in self.severities:
            if wanted in (sev.id.lower(), sev.label.lower()):
                return sev
        known = ", ".join(s.label for s in self.severities)
        raise NotFound(f"unknown severity {key!r} for profile {self.name} (choose from: {known})")

    def severity_by_id(self, severity_id: object) -> Severity | None:
        """The severity with this exact id, or None (an old incident may hold one its profile
        no longer lists)."""
        return next((sev for sev in self.severities if sev.id == severity_id), None)

    def severity_label(self, severity_id: object, missing: str = "none") -> str:
        """A severity id as people read it (``p2`` → ``P2 Major``): the label, else the id as
        stored, else ``missing`` when there is none."""
        sev = self.severity_by_id(severity_id)
        if sev is not None:
            return sev.label
        return str(severity_id) if severity_id else missing

    def role_name(self, role_id: object) -> str:
        """A role id as people read it (``lead`` → ``Incident lead``), else the id as stored."""
        return next((role.name for role in self.roles if role.id == role_id), str(role_id))

    def role(self, key: str) -> Role:
        wanted = key.strip().lower()
        for role in self.roles:
            if wanted in (role.id.lower(), role.name.lower()):
                return role
        known = ", ".join(r.id for r in self.roles)
        raise NotFound(f"unknown role {key!r} for profile {self.name} (choose from: {known})")

    def service(self, key: str) -> str:
        wanted = key.strip().lower()
        for name in self.services:
            if wanted == name.lower():
                return name
        # A unique prefix or substring is accepted: nobody types "Networking - Modernisation Platform".
        matches = [s for s in self.services if wanted and wanted in s.lower()]
        if len(matches) == 1:
            return matches[0]
        known = "; ".join(self.services) or "none defined"
        raise NotFound(f"unknown service {key!r} for profile {self.name} (choose from: {known})")

    def template(self, key: str) -> Template:
        for tpl in self.templates:
            if key.strip().lower() in (tpl.id, tpl.name.lower()):
                return tpl
        known = ", ".join(t.id for t in self.templates)
        raise NotFound(f"unknown template {key!r} for profile {self.name} (choose from: {known})")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def out_of_hours_at(self, at: datetime) -> bool:
        """True when ``at`` falls in the profile's out-of-hours window, on its local clock."""
        ooh = self.cadences.out_of_hours
        return bool(ooh and ooh.contains(at.astimezone(self.zone).time()))

    def status_update_interval(self, severity: str | None) -> timedelta | None:
        """The profile's status-update cadence at this severity (see also
        :func:`warroom.core.timers.status_update_interval`, which prefers the interval chosen
        with the last update)."""
        sev = self.severity_by_id(severity) if severity else None
        if sev is not None and sev.status_update:
            return sev.status_update
        return self.cadences.status_update


class _Reader:
    """Reads one TOML table with the file and the key path in every error."""

    def __init__(self, path: Path | builtins.str, data: dict[builtins.str, Any], prefix: builtins.str = "") -> None:
        self.path, self.data, self.prefix = path, data, prefix

    def error(self, key: builtins.str, problem: builtins.str) -> ProfileError:
        return ProfileError(f"profile {self.path}: {self.prefix}{key}: {problem}")

    def sub(self, key: builtins.str, data: dict[builtins.str, Any]) -> "_Reader":
        return _Reader(self.path, data, f"{self.prefix}{key}.")

    def str(self, key: builtins.str, default: builtins.str | None = None) -> builtins.str:
        value = self.data.get(key, default)
        if value is None:
            raise self.error(key, "is required")
        if not isinstance(value, builtins.str):
            raise self.error(key, f"must be a string, not {type(value).__name__}")
        return value

    def bool(self, key: builtins.str, default: bool = False) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise self.error(key, "must be true or false")
        return value

    def strings(self, key: builtins.str) -> tuple[builtins.str, ...]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, builtins.str) for v in value):
            raise self.error(key, "must be a list of strings")
        return tuple(value)

    def duration(self, key: builtins.str) -> timedelta | None:
        value = self.data.get(key)
        if value is None or value == "":
            return None
        try:
            return parse_duration(value)
        except ValueError as exc:
            raise self.error(key, str(exc)) from None

    def clock_time(self, key: builtins.str) -> time:
        value = self.str(key)
        try:
            hours, minutes = value.split(":")
            return time(int(hours), int(minutes))
        except ValueError:
            raise self.error(key, f"{value!r} is not a time of day (write HH:MM)") from None

    def tables(self, key: builtins.str) -> list["_Reader"]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.error(key, f"must be an array of tables ([[{key}]])")
        return [self.sub(f"{key}[{i}]", item) for i, item in enumerate(value)]

    def table(self, key: builtins.str) -> "_Reader":
        value = self.data.get(key, {})
        if not isinstance(value, dict):
            raise self.error(key, f"must be a table ([{key}])")
        return self.sub(key, value)

    def ident(self, key: builtins.str) -> builtins.str:
        value = self.str(key)
        if not _ID.match(value):
            raise self.error(key, f"{value!r} must be lower-case letters, digits, - or _")
        return value

    def unknown_keys(self, allowed: set[builtins.str]) -> None:
        for key in self.data:
            if key not in allowed:
                raise self.error(key, f"unknown key (expected one of: {', '.join(sorted(allowed))})")


_TOP_KEYS = {
    "name", "title", "description", "source", "timezone", "incident_criteria", "security_note",
    "severity_note", "severities", "default_severity", "services", "roles", "same_person_warnings",
    "cadences", "checklists", "escalation", "support", "templates", "audiences",
    "security_steps",
}


def parse_profile(path: Path | builtins.str, text: builtins.str, *, origin: builtins.str = "built-in") -> Profile:
    """Parse and validate one profile. Raises ProfileError naming the file, key and problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"profile {path}: not valid TOML: {exc}") from None
    r = _Reader(path, data)
    r.unknown_keys(_TOP_KEYS)
    name = r.ident("name")
    if isinstance(path, Path) and path.stem != name:
        raise r.error("name", f"{name!r} does not match the file name {path.name!r}")

    severities = []
    for s in r.tables("severities"):
        s.unknown_keys({"id", "label", "description", "colour", "escalate_immediately",
                        "respond_within", "status_update", "update_note", "update_once",
                        "retrospective", "live"})
        severities.append(Severity(
            id=s.ident("id"), label=s.str("label"), description=s.str("description", ""),
            colour=s.str("colour", "yellow"), escalate_immediately=s.bool("escalate_immediately"),
            respond_within=s.duration("respond_within"), status_update=s.duration("status_update"),
            update_note=s.str("update_note", ""), update_once=s.bool("update_once"),
            retrospective=s.bool("retrospective"), live=s.bool("live", True),
        ))
    if not severities:
        raise r.error("severities", "at least one severity is required")
    _no_duplicates(r, "severities", [s.id for s in severities])
    default_severity = r.str("default_severity", severities[-1].id)
    if default_severity not in {s.id for s in severities}:
        raise r.error("default_severity", f"{default_severity!r} is not one of the severities")
    if not next(s for s in severities if s.id == default_severity).live:
        raise r.error("default_severity", f"{default_severity!r} is not a live severity")

    roles = []
    for ro in r.tables("roles"):
        ro.unknown_keys({"id", "name", "required", "responsibilities", "description",
                         "required_if_customer_impacting", "sole_changer"})
        roles.append(Role(id=ro.ident("id"), name=ro.str("name"), required=ro.bool("required"),
                          responsibilities=ro.strings("responsibilities"),
                          description=ro.str("description", ""),
                          required_if_customer_impacting=ro.bool("required_if_customer_impacting"),
                          sole_changer=ro.bool("sole_changer")))
    if not roles:
        raise r.error("roles", "at least one role is required")
    _no_duplicates(r, "roles", [ro.id for ro in roles])
    if sum(ro.sole_changer for ro in roles) > 1:
        raise r.error("roles", "only one role can be the sole_changer of production")
    role_ids = {ro.id for ro in roles}

    pairs = []
    raw_pairs = data.get("same_person_warnings", [])
    if not isinstance(raw_pairs, list):
        raise r.error("same_person_warnings", "must be a list of [role, role] pairs")
    for i, pair in enumerate(raw_pairs):
        if not (isinstance(pair, list) and len(pair) == 2 and all(p in role_ids for p in pair)):
            raise r.error(f"same_person_warnings[{i}]", "must be a pair of role ids of this profile")
        pairs.append((pair[0], pair[1]))

    c = r.table("cadences")
    c.unknown_keys({"summary", "status_update", "escalate_after", "rotation", "review_within",
                    "out_of_hours", "first_update_at_declaration", "origin"})
    sev_ids = {s.id for s in severities}
    ooh = None
    if "out_of_hours" in c.data:
        o = c.table("out_of_hours")
        o.unknown_keys({"start", "end", "stop_after", "continue_at", "respond_at", "respond_note"})
        carry_on, respond = o.strings("continue_at"), o.strings("respond_at")
        for key, sids in (("continue_at", carry_on), ("respond_at", respond)):
            for sid in sids:
                if sid not in sev_ids:
                    raise o.error(key, f"{sid!r} is not one of the severities")
        ooh = OutOfHours(o.clock_time("start"), o.clock_time("end"), o.duration("stop_after"),
                         carry_on, respond, o.str("respond_note", ""))
    origin_table = c.table("origin")
    cadence_keys = {"summary", "status_update", "escalate_after", "rotation", "review_within",
                    "out_of_hours", "first_update_at_declaration", "respond_within",
                    "update_once"}
    origin_table.unknown_keys(cadence_keys)
    whose = {}
    for key in origin_table.data:
        value = origin_table.str(key)
        if value not in ORIGINS:
            raise origin_table.error(key, f"{value!r} must be one of: {', '.join(ORIGINS)}")
        whose[key] = value
    cadences = Cadences(
        summary=c.duration("summary"), status_update=c.duration("status_update"),
        escalate_after=c.duration("escalate_after"), rotation=c.duration("rotation"),
        review_within=c.duration("review_within"), out_of_hours=ooh,
        first_update_at_declaration=c.bool("first_update_at_declaration"), origin=whose,
    )

    ch = r.table("checklists")
    ch.unknown_keys({"declare", "resolve", "post_incident"})
    checklists = {k: ch.strings(k) for k in ("declare", "resolve", "post_incident")}

    escalation = []
    for e in r.tables("escalation"):
        e.unknown_keys({"name", "when", "contact", "required_at", "if_security"})
        required_at = e.strings("required_at")
        for sid in required_at:
            if sid not in sev_ids:
                raise e.error("required_at", f"{sid!r} is not one of the severities")
        escalation.append(Contact(e.str("name"), e.str("when", ""), e.str("contact", ""),
                                  required_at, e.bool("if_security")))
    support = []
    for s in r.tables("support"):
        s.unknown_keys({"party", "how", "escalation"})
        support.append(SupportContact(s.str("party"), s.str("how", ""), s.str("escalation", "")))
    templates = []
    for t in r.tables("templates"):
        t.unknown_keys({"id", "name", "text", "status"})
        status = t.str("status", "")
        if status and status not in STATUSES:
            raise t.error("status", f"{status!r} is not a status ({', '.join(STATUSES)})")
        templates.append(Template(t.ident("id"), t.str("name"), t.str("text"), status))
    _no_duplicates(r, "templates", [t.id for t in templates])

    zone = r.str("timezone", "Europe/London")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise r.error("timezone", f"{zone!r} is not a known time zone (e.g. Europe/London)") from None

    services = r.strings("services")
    _no_duplicates(r, "services", list(services))
    return Profile(
        name=name, title=r.str("title", name), description=r.str("description", ""),
        source=r.str("source", ""), path=Path(path) if isinstance(path, (builtins.str, Path)) else None,
        origin=origin, timezone=zone, incident_criteria=r.strings("incident_criteria"),
        security_note=r.str("security_note", ""), severity_note=r.str("severity_note", ""),
        severities=tuple(severities), default_severity=default_severity, services=services,
        roles=tuple(roles), same_person_warnings=tuple(pairs), cadences=cadences,
        checklists=checklists, escalation=tuple(escalation), support=tuple(support),
        templates=tuple(templates), audiences=r.strings("audiences"),
        security_steps=r.strings("security_steps"),
    )


def _no_duplicates(r: _Reader, key: builtins.str, ids: list[builtins.str]) -> None:
    seen = set()
    for value in ids:
        if value in seen:
            raise r.error(key, f"{value!r} appears twice")
        seen.add(value)


class ProfileRegistry:
    """Built-in profiles plus the user's folder; a user file with a built-in's name overrides it.

    Files are parsed lazily, so one broken user profile only fails the incidents that use it
    (and ``warroom profiles``, which reports it).
    """

    def __init__(self, user_dir: Path | None = None, builtin_dir: Path = BUILTIN_DIR) -> None:
        self.builtin_dir, self.user_dir = builtin_dir, user_dir
        self._cache: dict[str, Profile] = {}

    def files(self) -> dict[str, tuple[Path, str]]:
        found = {p.stem: (p, "built-in") for p in sorted(self.builtin_dir.glob("*.toml"))}
        if self.user_dir and self.user_dir.is_dir():
            for p in sorted(self.user_dir.glob("*.toml")):
                origin = "user (overrides built-in)" if p.stem in found else "user"
                found[p.stem] = (p, origin)
        return found

    def names(self) -> list[str]:
        return list(self.files())

    def get(self, name: str) -> Profile:
        if name in self._cache:
            return self._cache[name]
        files = self.files()
        if name not in files:
            raise NotFound(f"unknown profile {name!r} (known: {', '.join(files)})")
        path, origin = files[name]
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ProfileError(f"profile {path}: cannot be read: {exc}") from None
        profile = parse_profile(path, text, origin=origin)
        self._cache[name] = profile
        return profile
