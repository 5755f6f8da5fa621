"""The incident report: Markdown for the review meeting, and a version for publication.

``render_report(warroom, ref)`` walks the log once (``store.iter_entries``, in batches) and
writes a report a team can put in a pull request. The same log gives the same bytes for the
same time zone: nothing in it depends on the clock, the host or the order of a dict.

Whatever the scribe typed is text, never markup. :func:`md` escapes every ASCII punctuation
character with a backslash (CommonMark allows that for all of them, so no parser or extension
can see a heading, table pipe, link, emphasis, HTML tag, entity, list marker or smart quote in
it; only , ; ? % and / are left as they are, since nothing gives them a meaning), puts
GitHub's post-render shortcuts (``@mentions``, ``#123`` references, ``:emoji:``) in code spans,
which GitHub's filters skip, and turns line breaks into ``<br>`` so a multi-line note stays in
its table cell. ``<br>`` is the report's own structure: a ``<`` typed by a person is always
escaped, so it can never open a tag. Control characters are removed.

Templates
---------
A template is a list of sections, each a built-in section id with a heading. Two are built in:
``govuk`` (the default, GOV.UK style) and ``sre`` (Google SRE postmortem style). Users add
their own as ``NAME.toml`` in the config folder's ``templates/`` (a file with a built-in's name
overrides it) and choose it with ``warroom export REF --template NAME``::

    # ~/.config/warroom/templates/review.toml
    title = "Blameless review"            # optional: what the template is for
    [[sections]]
    section = "summary"                   # a section id, see SECTIONS below
    heading = "What happened"             # one line of plain text
    [[sections]]
    section = "followups"
    heading = "What we will change"
    note = "Agreed at the review meeting."  # optional: a fixed paragraph under the heading

A template is data, not code: headings and notes are escaped like everything else, there are
no expressions or includes, and an unknown key or section is refused with the file, the key and
the problem. The report always starts with ``# REF: title``.

The public version (``public=True``) keeps only the sections that can be published (details,
summary, impact, timeline, comms), drops every name (authors, role holders, owners,
``@mentions``, e-mail addresses and any other occurrence of a known person's name), drops
internal notes, and redacts secrets (:mod:`warroom.core.redact`). A security incident is
refused unless ``force=True``; forcing it writes the override to the incident's timeline.

Sections that the log cannot fill on its own (root causes, trigger, detection, lessons learned,
impact, resolution) collect the entries whose text starts with their label, e.g. a note
``Root cause: the firewall policy dropped...`` (see ``LABELS``); otherwise they say what the
review meeting should complete.
"""

from __future__ import annotations

import gc
import os
import re
import time
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any, Iterable, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from warroom.base.clock import format_time, parse_time
from warroom.core.entry_data import readable
from warroom.core.durations import format_duration
from warroom.base.model import Entry
from warroom.core.profiles import Profile
from warroom.core.redact import redact
from warroom.core.state import IncidentState, project
from warroom.core.text import MAX_LINE, sanitize
from warroom.base.errors import NotFound, ProfileError, ValidationError, WarroomError

UTC = timezone.utc

# --------------------------------------------------------------------------- Markdown text

# Every ASCII punctuation character except , ; ? % / which nothing in CommonMark, GFM or
# GitHub gives a meaning to once & : and [ are escaped (they are the commonest in prose).
# A line break becomes the report's own <br>: it is replaced last, so its < and > stay markup.
_ESCAPED = {c: "\\" + c for c in "!\"#$&'()*+-.:<=>@[]^_`{|}~"}
_SPECIAL = frozenset(_ESCAPED) | {"\\", "\n"}


def _escape(text: str, present: Any = None) -> str:
    # Only the characters present are replaced (str.replace is C-fast; re.sub or a
    # multi-character str.translate are several times slower, and the 100,000-entry bench
    # notices). The backslash goes first, so that the escapes added after it stay single.
    if present is None:
        present = _SPECIAL.intersection(text)
    if not present:
        return text
    if "\\" in present:
        text = text.replace("\\", "\\\\")
    for char in present:
        if char in _ESCAPED:
            text = text.replace(char, _ESCAPED[char])
    return text.replace("\n", "<br>") if "\n" in present else text


# What GitHub links after rendering, in text nodes outside code: @user and @org/team mentions,
# #123 and GH-123 references (a code span around "#123" also breaks "owner/repo#123"), :emoji:
# shortcodes. Each branch starts with its literal character and looks behind only after it, so
# the regex engine can skip to the next candidate instead of trying every position.
_GITHUB = re.compile(
    r"@(?<!\w@)[A-Za-z0-9][A-Za-z0-9_\-]*(?:/[A-Za-z0-9][A-Za-z0-9_.\-]*)?"
    r"|#[0-9]+"
    r"|:(?<![\w:]:)[a-z0-9_+\-]{2,}:(?![\w:])"
    r"|GH-(?<!\wGH-)[0-9]+(?!\w)"
)


def md(text: Any) -> str:
    """Any text as inline Markdown that renders as exactly that text, on one line."""
    if not isinstance(text, str):
        text = str(text)
    if not text.isprintable():  # only then can there be a control character to remove
        text = sanitize(text)
    present = _SPECIAL.intersection(text)
    if "@" not in present and "#" not in present and ":" not in present and "GH-" not in text:
        return _escape(text, present)
    pieces: list[str] = []
    pos = 0
    for match in _GITHUB.finditer(text):
        start, end = match.span()
        if start == pos and pieces and pieces[-1].endswith("`"):
            # Two shortcuts side by side share one code span: "``" would not close the first.
            pieces[-1] = pieces[-1][:-1] + match.group() + "`"
        else:
            pieces.append(_escape(text[pos:start]))
            pieces.append("`" + match.group() + "`")
        pos = end
    pieces.append(_escape(text[pos:]))
    return "".join(pieces)


def _code(text: str) -> str:
    """A code span for the report's own identifiers (hashes, commands); plain text otherwise."""
    return f"`{text}`" if re.fullmatch(r"[A-Za-z0-9_.\- ]+", text) else md(text)


def _row(cells: Iterable[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(header: Sequence[str], rows: Iterable[str]) -> list[str]:
    return [_row(header), _row("---" for _ in header), *rows]


def _para(text: str) -> str:
    """A paragraph of plain text (never empty, so it is never mistaken for something else)."""
    return md(text.strip()) or "(empty)"


# --------------------------------------------------------------------------- time

def _stamp(stored: str) -> str:
    """``2026-11-22T14:02:00.000000Z`` → ``2026-11-22 14:02:00`` without parsing, when canonical."""
    if len(stored) == 27 and stored[10] == "T" and stored[26] == "Z":
        return stored[:10] + " " + stored[11:19]
    return _utc(parse_time(stored))


def _canonical(stored: str) -> str:
    if len(stored) == 27 and stored[10] == "T" and stored[26] == "Z":
        return stored
    return format_time(parse_time(stored))


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "seconds")


def _at(at: datetime | None) -> str:
    return f"{_utc(at)} UTC" if at else "not recorded"


_UTC_NAMES = {"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Universal", "Etc/Universal", "Zulu",
              "Etc/Zulu", "Z"}


class _Zone:
    """The reader's local zone for the timeline's second column (``None`` zone: the system's)."""

    def __init__(self, zone: tzinfo | None, label: str) -> None:
        self.zone, self.label = zone, label
        self._minutes: dict[str, str] = {}  # UTC minute → local minute and zone abbreviation

    def show(self, at: datetime) -> str:
        local = at.astimezone(self.zone) if self.zone is not None else at.astimezone()
        return f"{local.replace(tzinfo=None).isoformat(' ', 'seconds')} {local.tzname() or ''}"

    def show_stored(self, stored: str, at: datetime) -> str:
        """As :meth:`show`, for a canonical stored time, converting each minute once: zone
        offsets are whole minutes, so the seconds carry over."""
        minute = stored[:16]
        known = self._minutes.get(minute)
        if known is None:
            shown = self.show(at.replace(second=0, microsecond=0))
            known = self._minutes[minute] = shown[:16] + "\0" + shown[20:]
        return known.replace("\0", f":{stored[17:19]} ", 1)


def _local_zone(tz: tzinfo | str | None) -> _Zone | None:
    """The local zone, or None when it is UTC (then the timeline has no second column)."""
    if isinstance(tz, str):
        try:
            tz = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError(f"unknown time zone {tz!r} (e.g. Europe/London)") from None
    if tz is not None:
        name = getattr(tz, "key", None) or str(tz)
        if name in _UTC_NAMES or (tz is UTC):
            return None
        return _Zone(tz, name)
    name = _system_zone_name()
    if name:
        if name in _UTC_NAMES:
            return None
        try:
            return _Zone(ZoneInfo(name), name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    if time.timezone == 0 and not time.daylight:
        return None
    return _Zone(None, "/".join(dict.fromkeys(time.tzname)))


def _system_zone_name() -> str | None:
    env = os.environ.get("TZ", "").lstrip(":")
    if env:
        return env
    try:
        target = os.path.realpath("/etc/localtime")
    except OSError:
        return None
    marker = "/zoneinfo/"
    return target.split(marker, 1)[1] if marker in target else None


# --------------------------------------------------------------------------- templates

@dataclass(frozen=True)
class Section:
    id: str
    heading: str
    note: str = ""


@dataclass(frozen=True)
class ReportTemplate:
    name: str
    title: str
    sections: tuple[Section, ...]
    origin: str = "built-in"

    def visible(self, public: bool) -> list[Section]:
        return [s for s in self.sections if not public or s.id in PUBLIC_SECTIONS]

    def headings(self, public: bool) -> list[str]:
        """The second-level headings a report from this template has, in order."""
        return [s.heading for s in self.visible(public)]


SECTIONS = {
    "details": "metadata table: reference, severity and its history, status, times, services, "
               "profile, people by role",
    "summary": "the description when declared and the lead's latest summary",
    "impact": "services, customer impact, severity reached, duration, 'Impact:' entries",
    "resolution": "resolution notes and the resolve checklist, 'Resolution:' entries",
    "timeline": "every entry in time order, corrections shown with the entry they correct",
    "decisions": "decisions",
    "actions": "actions taken (owner, outcome) and changes made",
    "comms": "status updates sent, with cadence adherence",
    "roles": "role assignments and handovers",
    "followups": "follow-up actions and actions still open, with owners",
    "tickets": "third-party support tickets and escalations",
    "post_incident": "review meeting due date, runbook, the profile's post-incident checklist",
    "root_causes": "'Root cause:' entries",
    "trigger": "'Trigger:' entries",
    "detection": "'Detection:' entries, or the declaration and first event",
    "lessons": "'Lesson:', 'Went well:', 'Went wrong:', 'Lucky:' entries",
    "appendix": "the full log in sequence order, amendments included, and the hash chain head",
}
PUBLIC_SECTIONS = frozenset({"details", "summary", "impact", "timeline", "comms"})

LABELS: dict[str, tuple[str, ...]] = {
    "impact": ("impact",),
    "resolution": ("resolution", "fix", "fixed by"),
    "root_causes": ("root cause", "root causes", "cause", "causes"),
    "trigger": ("trigger", "triggered by"),
    "detection": ("detection", "detected", "detected by"),
    "lessons": ("lesson", "lessons", "lesson learned", "lessons learned", "went well",
                "what went well", "went wrong", "what went wrong", "lucky", "got lucky",
                "where we got lucky"),
}
_LABEL_KINDS = frozenset({"note", "decision", "result", "change", "summary", "status"})
_LABEL_RE = re.compile(
    r"^\s*(" + "|".join(sorted({re.escape(w) for ws in LABELS.values() for w in ws},
                                key=len, reverse=True)) + r")\s*:\s*", re.IGNORECASE)
_LABEL_SECTION = {word: section for section, words in LABELS.items() for word in words}

BUILTIN_TEMPLATES: dict[str, ReportTemplate] = {
    "govuk": ReportTemplate("govuk", "GOV.UK-style incident report", (
        Section("details", "Incident details"),
        Section("summary", "Summary"),
        Section("impact", "Impact"),
        Section("resolution", "Resolution"),
        Section("timeline", "Timeline"),
        Section("decisions", "Decisions"),
        Section("actions", "Actions taken and changes made"),
        Section("comms", "Communications sent"),
        Section("roles", "Roles and handovers"),
        Section("followups", "Follow-up actions"),
        Section("tickets", "Third-party support tickets"),
        Section("post_incident", "Post-incident"),
        Section("appendix", "Appendix: full log"),
    )),
    "sre": ReportTemplate("sre", "Google SRE-style postmortem", (
        Section("details", "Incident details"),
        Section("summary", "Summary"),
        Section("impact", "Impact"),
        Section("root_causes", "Root causes"),
        Section("trigger", "Trigger"),
        Section("resolution", "Resolution"),
        Section("detection", "Detection"),
        Section("followups", "Action items"),
        Section("lessons", "Lessons learned"),
        Section("timeline", "Timeline"),
        Section("comms", "Communications sent"),
        Section("appendix", "Supporting information: full log"),
    )),
}
DEFAULT_TEMPLATE = "govuk"
_TEMPLATE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def _templates_dir() -> Path:
    from warroom.locations import user_templates_dir

    return user_templates_dir()


def template_names() -> list[str]:
    """Built-in templates, then the user's (a user file with a built-in's name replaces it)."""
    names = list(BUILTIN_TEMPLATES)
    folder = _templates_dir()
    if folder.is_dir():
        names += [p.stem for p in sorted(folder.glob("*.toml"))
                  if _TEMPLATE_NAME.match(p.stem) and p.stem not in names]
    return names


def load_template(name: str | None = None) -> ReportTemplate:
    """A template by name: the user's ``templates/NAME.toml``, else a built-in."""
    key = (name or DEFAULT_TEMPLATE).strip().lower()
    if _TEMPLATE_NAME.match(key):
        path = _templates_dir() / f"{key}.toml"
        if path.is_file():
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise ValidationError(f"report template {path}: cannot be read ({exc})") from None
            return parse_template(path, text)
        if key in BUILTIN_TEMPLATES:
            return BUILTIN_TEMPLATES[key]
    shown = " ".join(sanitize(str(name)).split())[:60]
    raise NotFound(f"unknown report template {shown!r} (choose from: {', '.join(template_names())})")


def parse_template(path: Path | str, text: str) -> ReportTemplate:
    """Parse a user template. Raises ValidationError naming the file, the key and the problem."""
    def fail(key: str, problem: str) -> ValidationError:
        return ValidationError(f"report template {path}: {key}: {problem}")

    def line(value: Any, key: str, *, required: bool) -> str:
        if value is None and not required:
            return ""
        if not isinstance(value, str):
            raise fail(key, "is required" if value is None else "must be a string")
        cleaned = " ".join(sanitize(value).split())
        if required and not cleaned:
            raise fail(key, "is empty")
        if len(cleaned) > MAX_LINE:
            raise fail(key, f"is longer than {MAX_LINE} characters")
        return cleaned

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"report template {path}: not valid TOML: {exc}") from None
    for key in data:
        if key not in ("title", "sections"):
            raise fail(key, "unknown key (expected one of: sections, title)")
    raw = data.get("sections")
    if not isinstance(raw, list) or not raw or not all(isinstance(s, dict) for s in raw):
        raise fail("sections", "must be a non-empty array of tables ([[sections]])")
    sections = []
    for i, item in enumerate(raw):
        where = f"sections[{i}]"
        for key in item:
            if key not in ("section", "heading", "note"):
                raise fail(f"{where}.{key}", "unknown key (expected one of: heading, note, section)")
        sid = item.get("section")
        if sid not in SECTIONS:
            raise fail(f"{where}.section",
                       f"{sid!r} is not a section (choose from: {', '.join(SECTIONS)})")
        if any(s.id == sid for s in sections):
            raise fail(f"{where}.section", f"{sid!r} appears twice")
        note = item.get("note", "")
        if not isinstance(note, str):
            raise fail(f"{where}.note", "must be a string")
        sections.append(Section(sid, line(item.get("heading"), f"{where}.heading", required=True),
                                sanitize(note).strip()))
    name = Path(path).stem if isinstance(path, (str, Path)) else "custom"
    return ReportTemplate(name, line(data.get("title"), "title", required=False) or name,
                          tuple(sections), origin=str(path))


# --------------------------------------------------------------------------- collecting

@dataclass
class _Comms:
    entry: Entry
    at: datetime
    severity: str


@dataclass
class _Collected:
    """What one walk over the log keeps: the state, plus only what the sections show."""

    state: IncidentState
    timeline: list[tuple[str, int, str]] = field(default_factory=list)
    appendix: list[str] = field(default_factory=list)
    public_times: list[tuple[str, int, str]] = field(default_factory=list)
    decisions: list[Entry] = field(default_factory=list)
    changes: list[Entry] = field(default_factory=list)
    comms: list[_Comms] = field(default_factory=list)
    tickets: list[Entry] = field(default_factory=list)
    roles: dict[int, Entry] = field(default_factory=dict)
    statuses: list[Entry] = field(default_factory=list)
    labelled: list[Entry] = field(default_factory=list)
    first_event: Entry | None = None
    names: dict[str, None] = field(default_factory=dict)
    last: Entry | None = None


class _Walker:
    def __init__(self, ref: str, profile: Profile, sections: set[str], public: bool,
                 zone: _Zone | None) -> None:
        self.profile, self.public, self.zone = profile, public, zone
        self.sections = sections
        self.out = _Collected(IncidentState(ref=ref))
        self.want_timeline = "timeline" in sections and not public
        self.want_appendix = "appendix" in sections and not public
        self.escaped: dict[str, str] = {}  # authors and kinds repeat: escape each once

    def severity_label(self, sid: Any) -> str:
        return _severity_label(self.profile, sid)

    def role_name(self, rid: Any) -> str:
        return _role_name(self.profile, rid)

    def feed(self, entry: Entry) -> None:
        out = self.out
        state = out.state
        if entry.seq <= state.last_seq:
            return
        kind, data = entry.kind, entry.data
        if kind == "comms":
            out.comms.append(_Comms(entry, entry.occurred, state.severity))
        state.apply(entry)
        out.last = entry
        at = state.last_entry_at
        names = out.names
        names[entry.author] = None
        if kind == "decision":
            out.decisions.append(entry)
        elif kind == "change":
            out.changes.append(entry)
        elif kind in ("ticket", "escalation"):
            out.tickets.append(entry)
        elif kind == "role":
            out.roles[entry.seq] = entry
            for key in ("person", "previous"):
                if data.get(key):
                    names[str(data[key])] = None
        elif kind == "status":
            out.statuses.append(entry)
        elif kind in ("action", "followup", "amend") and data.get("owner"):
            names[str(data["owner"])] = None
        if out.first_event is None and kind in ("note", "result", "change"):
            out.first_event = entry
        if kind in _LABEL_KINDS or kind == "amend":
            if _LABEL_RE.match(entry.text):
                out.labelled.append(entry)
        if kind in ("declared", "status", "severity", "services"):
            out.public_times.append((_canonical(entry.occurred_at), entry.seq,
                                     self.public_event(entry)))
        if not (self.want_timeline or self.want_appendix):
            return
        shown = md(self.display(entry))
        stamp = _stamp(entry.occurred_at)
        author = self.escaped.get(entry.author) or self.escaped.setdefault(entry.author, md(entry.author))
        kind_md = self.escaped.get(kind) or self.escaped.setdefault(kind, md(kind))
        if self.want_timeline and kind != "amend":
            canonical = _canonical(entry.occurred_at)
            local = ""
            if self.zone is not None and at is not None:
                local = f" {self.zone.show_stored(canonical, at)} |"
            out.timeline.append((canonical, entry.seq,
                                 f"| {stamp} |{local} {entry.seq} | {kind_md} | {author} | {shown} |"))
        if self.want_appendix:
            when = stamp
            if entry.recorded_at != entry.occurred_at:
                when += f"<br>recorded {_stamp(entry.recorded_at)}"
            amends = f"#{entry.amends}" if entry.amends is not None else ""
            out.appendix.append(f"| {entry.seq} | {when} | {kind_md} | {author} | {amends} | {shown} |")

    # What a row says about an entry. The scribe's own kinds show their text as typed; the
    # entries the app writes show what changed, since their text alone may be just a reason.
    def display(self, entry: Entry) -> str:
        kind, data, text = entry.kind, entry.data, entry.text
        if kind == "declared":
            services = ", ".join(str(s) for s in data.get("services") or [])
            shown = f"Declared: {data.get('title', text)} ({self.severity_label(data.get('severity'))}"
            shown += f"; {services})" if services else ")"
            if data.get("description"):
                shown += f"\n{data['description']}"
            return shown
        if kind == "severity":
            return (f"Severity {self.severity_label(data.get('from'))} → "
                    f"{self.severity_label(data.get('to'))}: {text}")
        if kind == "status":
            change = f"Status {data.get('from', '?')} → {data.get('to', '?')}"
            return change if text == f"Status: {data.get('to')}" else f"{change}: {text}"
        if kind == "comms":
            shown = f"To {data['audience']}: {text}" if data.get("audience") else text
            if isinstance(data.get("next_update_s"), int):
                shown += f"\nNext update in {format_duration(timedelta(seconds=data['next_update_s']))}."
            return shown
        if kind in ("action", "followup"):
            owner = str(data.get("owner") or "")
            return text if not owner or f"@{owner}".lower() in text.lower() else f"{text} (owner: {owner})"
        if kind == "done":
            note = text[6:] if text.startswith("Done: ") else text
            return f"Done #{data.get('target', '?')}: {note}"
        if kind == "ticket":
            ref = str(data.get("reference") or "")
            return text if not ref or ref in text else f"{text} (ticket {ref})"
        if kind == "amend":
            return f"Correction to #{entry.amends}: {text}"
        return text

    def public_event(self, entry: Entry) -> str:
        data = entry.data
        if entry.kind == "declared":
            return f"Incident declared ({self.severity_label(data.get('severity'))})"
        if entry.kind == "status":
            return f"Status: {data.get('to', '?')}"
        if entry.kind == "severity":
            return f"Severity: {self.severity_label(data.get('to'))}"
        return "Impacted services: " + (", ".join(str(s) for s in data.get("services") or [])
                                        or "none")


def _severity_label(profile: Profile, sid: Any) -> str:
    for sev in profile.severities:
        if sev.id == sid:
            return sev.label
    return str(sid) if sid else "none"


def _role_name(profile: Profile, rid: Any) -> str:
    for role in profile.roles:
        if role.id == rid:
            return role.name
    return str(rid)


# --------------------------------------------------------------------------- public text

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
_ANY_MENTION = re.compile(r"(?<![\w@\]])@[A-Za-z0-9][\w.\-]*")  # not a redacted URL's "]@host"


class _Scrubber:
    """Text for publication: secrets redacted, then e-mail addresses and people's names."""

    def __init__(self, names: Iterable[str]) -> None:
        known = sorted({n for n in names if len(n.strip()) >= 2}, key=lambda n: (-len(n), n))
        self.names = (re.compile(r"(?<![\w@])@?(?:" + "|".join(re.escape(n) for n in known)
                                 + r")(?!\w)", re.IGNORECASE) if known else None)

    def __call__(self, text: str) -> str:
        text = _EMAIL.sub("[email]", redact(text))
        if self.names is not None:
            text = self.names.sub("[name]", text)
        return _ANY_MENTION.sub("[name]", text)


# --------------------------------------------------------------------------- rendering

def render_report(warroom: Any, ref: str, *, public: bool = False, force: bool = False,
                  template: str | None = None, tz: tzinfo | str | None = None) -> str:
    """The incident report as Markdown (``public``: the version for publication).

    ``tz`` is the reader's zone for the timeline's local-time column (default: the system's;
    no column when it is UTC). A public report of a security incident is refused unless
    ``force``, and a forced one is recorded on the incident's timeline.
    """
    store = warroom.store
    row = store.incident(ref)
    ref = row.ref
    chosen = load_template(template)
    zone = _local_zone(tz)
    if public:
        flags = project(ref, store.entries(ref, kinds=("declared", "flags")))
        if flags.security:
            if not force:
                raise WarroomError(f"{ref} is a security incident: a public report needs careful "
                                   "consideration first; to publish anyway use --force (the "
                                   "override is written to the timeline)")
            warroom.record_system(ref, "Public report exported for a security incident "
                                       "(override: --force)",
                                  {"event": "public_report_forced", "template": chosen.name})
    profile = _profile_for(warroom, row.profile)
    visible = chosen.visible(public)
    # The walk makes a few objects per entry and frees none until the end, nothing cyclic:
    # the cyclic collector would rescan them all again and again (a quarter of the time of a
    # 100,000-entry report), for no garbage. It is paused for the build and put back as found.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _render(store, ref, visible, profile, public, zone)
    finally:
        if collecting:
            gc.enable()


def _render(store: Any, ref: str, visible: Sequence[Any], profile: Profile,
            public: bool, zone: _Zone | None) -> str:
    walker = _Walker(ref, profile, {s.id for s in visible}, public, zone)
    for entry in map(readable, store.iter_entries(ref)):  # damaged rows shown, not trusted
        walker.feed(entry)
    report = _Report(walker, profile, public, zone)
    parts = [f"# {md(ref)}: {md(report.scrub(report.state.title) or '(untitled)')}"]
    for section in visible:
        parts += ["", f"## {md(section.heading)}", ""]
        if section.note:
            parts += [_para(section.note), ""]
        parts += getattr(report, f"section_{section.id}")()
    parts.append("")  # the file ends with a line break, without copying it all once more
    return "\n".join(parts)


def _profile_for(warroom: Any, name: str) -> Profile:
    """The incident's profile; a stand-in when its file is gone, so a report can still be had."""
    try:
        return warroom.profile(name)
    except (NotFound, ProfileError):
        return Profile(name=name, title=f"{name} (profile not available)")


class _Report:
    def __init__(self, walker: _Walker, profile: Profile, public: bool, zone: _Zone | None) -> None:
        self.c = walker.out
        self.walker = walker
        self.state = walker.out.state
        self.profile, self.public, self.zone = profile, public, zone
        self.scrub = _Scrubber(self.c.names) if public else (lambda text: text)

    # ----------------------------------------------------------------- helpers
    def text(self, entry: Entry) -> str:
        """An entry's text as last corrected (and scrubbed, in the public version)."""
        return self.scrub(self.state.current_text(entry))

    def by(self, who: str) -> str:
        return "" if self.public else f" by {who}"

    def none(self, sentence: str) -> list[str]:
        return [md(sentence)]

    def labelled(self, section: str) -> list[tuple[Entry, str, str]]:
        """(entry, label, text after the label) for entries whose text, as last corrected,
        starts with one of the section's labels. An entry that only a correction labelled is
        represented by that correction (the walk keeps labelled entries only)."""
        found: list[tuple[Entry, str, str]] = []
        seen: set[int] = set()
        for entry in self.c.labelled:
            seq = entry.amends if entry.kind == "amend" else entry.seq
            if seq is None or seq in seen:
                continue
            seen.add(seq)
            if entry.kind == "amend" and entry.data.get("kind") not in _LABEL_KINDS:
                continue
            fixes = self.state.amendments.get(seq)
            current = fixes[-1].text if fixes else entry.text
            match = _LABEL_RE.match(current)
            if match and _LABEL_SECTION[match.group(1).lower()] == section:
                found.append((entry, match.group(1), current[match.end():]))
        return found

    def bullets(self, items: Iterable[tuple[Entry, str, str]], *, label: bool = False) -> list[str]:
        lines = []
        for entry, word, text in items:
            lead = f"{_at(entry.occurred)}{self.by(entry.author)}"
            if label:
                lead = f"{word.capitalize()}, {lead}"
            lines.append(f"- {md(lead)}: {md(self.scrub(text)) or '(empty)'}")
        return lines

    def severity_history(self) -> str:
        parts = []
        for change in self.state.severity_history:
            what = "when declared" if change.before is None else f"from {_at(change.at)}"
            parts.append(f"{_severity_label(self.profile, change.after)} {what}{self.by(change.author)}")
        return "\n".join(parts)

    def duration(self) -> str:
        state = self.state
        if state.declared_at is None:
            return "not recorded"
        if state.resolved_at is not None:
            return format_duration(state.resolved_at - state.declared_at)
        last = state.last_entry_at or state.declared_at
        return (f"not resolved ({format_duration(last - state.declared_at)} from declaration to "
                "the last entry)")

    # ----------------------------------------------------------------- sections
    def section_details(self) -> list[str]:
        s, p = self.state, self.profile
        current = _severity_label(p, s.severity)
        rows = [("Reference", s.ref),
                ("Severity", f"{current}\n{self.severity_history()}"
                 if len(s.severity_history) > 1 else current),
                ("Status", s.status + (f" (since {_at(s.status_history[-1].at)})"
                                       if s.status_history else "")),
                ("Declared", _at(s.declared_at) + self.by(s.declared_by)),
                ("Resolved", _at(s.resolved_at) if s.resolved_at else "not resolved")]
        if s.closed_at:
            rows.append(("Closed", _at(s.closed_at)))
        rows += [("Duration", self.duration()),
                 ("Services", ", ".join(s.services) or "none recorded"),
                 ("Customer-impacting", "yes" if s.customer_impacting else "no")]
        if not self.public:
            rows += [("Security incident", "yes" if s.security else "no"),
                     ("Profile", f"{p.title} ({p.name})")]
            rows += [(name, people) for name, people in self.people_by_role()]
        return _table(("Field", "Value"), (_row((md(k), md(v))) for k, v in rows))

    def people_by_role(self) -> list[tuple[str, str]]:
        held: dict[str, list[str]] = {r.id: [] for r in self.profile.roles}
        for change in self.state.role_history:
            who = f"{change.after} from {_at(change.at)}" if change.after else f"vacant from {_at(change.at)}"
            held.setdefault(change.reason, []).append(who)
        return [(_role_name(self.profile, rid), "\n".join(people) or "nobody")
                for rid, people in held.items()]

    def section_summary(self) -> list[str]:
        s = self.state
        lines: list[str] = []
        if s.description and not self.public:
            lines += [md("Description when declared:"), "", _para(s.description), ""]
        latest = s.latest_summary
        if latest is None:
            return lines + self.none("No lead summary was written during the incident.")
        label = "Latest summary" if self.public else "Latest lead summary"
        lines += [md(f"{label}, {_at(latest.occurred)}{self.by(latest.author)}:"), "",
                  _para(self.scrub(latest.text))]
        return lines

    def section_impact(self) -> list[str]:
        s, p = self.state, self.profile
        lines = [f"- {md('Impacted services: ' + (', '.join(s.services) or 'none recorded'))}",
                 f"- {md('Customer-impacting: ' + ('yes' if s.customer_impacting else 'no'))}"]
        order = {sev.id: i for i, sev in enumerate(p.severities)}
        reached = [c.after for c in s.severity_history if c.after]
        if reached:
            top = min(reached, key=lambda sid: order.get(sid, len(order)))
            described = next((sev.description for sev in p.severities if sev.id == top), "")
            line = f"Highest severity: {_severity_label(p, top)}" + (f" ({described})" if described else "")
            lines.append(f"- {md(line)}")
        lines.append(f"- {md('Duration: ' + self.duration())}")
        lines += self.bullets(self.labelled("impact"))
        return lines

    def section_resolution(self) -> list[str]:
        s = self.state
        lines: list[str] = []
        resolving = [e for e in self.c.statuses if e.data.get("to") in ("resolved", "closed")]
        for entry in resolving:
            lead = f"{str(entry.data.get('to')).capitalize()} {_at(entry.occurred)}{self.by(entry.author)}"
            lines.append(f"- {md(lead)}: {md(self.text(entry))}")
        lines += self.bullets(self.labelled("resolution"))
        if not lines:
            if s.status_history and self.c.statuses:
                latest = self.c.statuses[-1]
                lines.append(md(f"Not resolved: {s.status} since {_at(latest.occurred)}. "
                                "Latest status note:"))
                lines += ["", _para(self.text(latest))]
            else:
                lines += self.none(f"Not resolved: {s.status}.")
        checklist = next((e.data["checklist"] for e in reversed(resolving)
                          if isinstance(e.data.get("checklist"), dict)), None)
        if checklist:
            lines += ["", md("Resolve checklist, as ticked when resolved:"), ""]
            lines += [f"- [{'x' if done else ' '}] {md(item)}" for item, done in checklist.items()]
        return lines

    def section_timeline(self) -> list[str]:
        header = ["Time (UTC)"] + ([md(f"Local ({self.zone.label})")] if self.zone else [])
        if self.public:
            rows = [_row([_stamp(at)] + ([self.zone.show(parse_time(at))] if self.zone else [])
                         + [md(text)])
                    for at, _, text in sorted(self.c.public_times)]
            return _table(header + ["Event"], rows)
        fixes = self.state.amendments
        timeline, self.c.timeline = self.c.timeline, []
        timeline.sort()  # by time, then sequence: backdated entries take their place
        rows = [row if seq not in fixes else row[:-2] + self.corrections(fixes[seq]) + " |"
                for _, seq, row in timeline]
        return _table(header + ["#", "Kind", "Author", "Entry"], rows)

    @staticmethod
    def corrections(fixes: list[Entry]) -> str:
        return "".join(f"<br>**Corrected** {md(f'at {_at(fix.occurred)} by {fix.author} (#{fix.seq}):')} "
                       f"{md(fix.text)}" for fix in fixes)

    def section_appendix(self) -> list[str]:
        head = self.c.last
        lines = [md("Every entry in the order it was written, corrections included. Each entry "
                    "is hash-chained to the one before it."), ""]
        lines += _table(("#", "Time (UTC)", "Kind", "Author", "Amends", "Text"), self.c.appendix)
        if head is not None:
            lines += ["", f"{md(f'Entries: {self.state.entry_count}. Hash chain head (entry #{head.seq}):')} "
                          f"{_code(head.hash)}{md('. Check it against the database with')} "
                          f"{_code(f'warroom verify {self.state.ref}')}{md('.')}"]
        return lines

    def section_decisions(self) -> list[str]:
        if not self.c.decisions:
            return self.none("No decisions were logged.")
        return _table(("Time (UTC)", "#", "Decision", "Logged by"), (
            _row((_stamp(e.occurred_at), str(e.seq), md(self.text(e)), md(e.author)))
            for e in self.c.decisions))

    def section_actions(self) -> list[str]:
        actions = [a for a in self.state.actions.values() if a.kind == "action"]
        lines = [md("Actions:"), ""]
        if actions:
            lines += _table(("Logged (UTC)", "#", "Action", "Owner", "Outcome"), (
                _row((_utc(a.created), str(a.seq), md(a.text), md(a.owner), md(self.outcome(a))))
                for a in actions))
        else:
            lines += self.none("No actions were logged.")
        lines += ["", md("Changes made:"), ""]
        if self.c.changes:
            lines += _table(("Time (UTC)", "#", "Change", "Logged by"), (
                _row((_stamp(e.occurred_at), str(e.seq), md(self.text(e)), md(e.author)))
                for e in self.c.changes))
        else:
            lines += self.none("No changes were logged.")
        return lines

    @staticmethod
    def outcome(item: Any) -> str:
        if not item.done:
            return "open"
        note = item.done_note
        if note.startswith("Done: "):
            note = ""
        return f"done {_at(item.done_at)} by {item.done_by}" + (f": {note}" if note else "")

    def section_comms(self) -> list[str]:
        comms = self.c.comms
        if not comms:
            return self.none("No status updates were sent.")
        if self.public:
            return _table(("Sent (UTC)", "Update"), (
                _row((_stamp(c.entry.occurred_at), md(self.text(c.entry)) or "(empty)"))
                for c in comms))
        rows, due = [], None
        for previous, current in zip([None, *comms], comms):
            cadence, due = self.cadence(previous, current)
            data = current.entry.data
            rows.append(_row((_stamp(current.entry.occurred_at), str(current.entry.seq),
                              md(data.get("audience") or "not recorded"), md(self.text(current.entry)),
                              md(cadence), md(current.entry.author))))
        lines = _table(("Sent (UTC)", "#", "Audience", "Update", "Cadence", "By"), rows)
        _, due = self.cadence(comms[-1], None)
        if due is not None:
            resolved = self.state.resolved_at
            if resolved is None:
                lines += ["", md(f"Next update due by {_at(due)}.")]
            elif resolved > due:
                lines += ["", md(f"No update was sent between the one due by {_at(due)} and the "
                                 f"resolution at {_at(resolved)}.")]
        return lines

    def cadence(self, previous: _Comms | None, current: _Comms | None) -> tuple[str, datetime | None]:
        """How ``current`` kept to the cadence ``previous`` set, and when the next was due."""
        if previous is None:
            declared = self.state.declared_at
            if current is None or declared is None:
                return "", None
            return (f"first update, {format_duration(current.at - declared, precise=True)} "
                    "after declaration"), None
        seconds = previous.entry.data.get("next_update_s")
        interval = (timedelta(seconds=seconds) if isinstance(seconds, int) and seconds > 0
                    else self.profile.status_update_interval(previous.severity))
        if interval is None:
            return "no cadence set", None
        due = previous.at + interval
        if current is None:
            return "", due
        if current.at <= due:
            return f"on time (due by {_utc(due)})", due
        return f"late by {format_duration(current.at - due, precise=True)} (due by {_utc(due)})", due

    def section_roles(self) -> list[str]:
        history = self.state.role_history
        if not history:
            return self.none("No roles were assigned.")
        rows = []
        for change in history:
            name = _role_name(self.profile, change.reason)
            entry = self.c.roles.get(change.seq)
            note = _role_note(entry.text, name, change) if entry else ""
            rows.append(_row((_utc(change.at), md(name), md(change.before or ""),
                              md(change.after or "(released)"), md(note))))
        return _table(("Time (UTC)", "Role", "From", "To", "Note"), rows)

    def section_followups(self) -> list[str]:
        items = [a for a in self.state.actions.values() if a.kind == "followup"]
        items += [a for a in self.state.actions.values() if a.kind == "action" and not a.done]
        if not items:
            return self.none("No follow-up actions, and no actions left open.")
        return _table(("#", "Follow-up", "Owner", "Status"), (
            _row((str(a.seq), md(a.text), md(a.owner),
                  md(self.outcome(a) if a.kind == "followup" else "action still open")))
            for a in items))

    def section_tickets(self) -> list[str]:
        if not self.c.tickets:
            return self.none("No support tickets were logged and no escalations were made.")
        rows = []
        for e in self.c.tickets:
            if e.kind == "ticket":
                party, reference = e.data.get("party", ""), e.data.get("reference", "")
            else:
                party, reference = f"Escalation to {e.data.get('to', '')}", ""
            rows.append(_row((_stamp(e.occurred_at), str(e.seq), md(party), md(reference or ""),
                              md(self.text(e)), md(e.author))))
        return _table(("Time (UTC)", "#", "Party", "Ticket", "Note", "Logged by"), rows)

    def section_post_incident(self) -> list[str]:
        s, p = self.state, self.profile
        within = p.cadences.review_within
        if within is None:
            review = "Review meeting: the profile sets no deadline; hold one soon after resolution."
        elif s.resolved_at is None:
            review = (f"Review meeting: due within {format_duration(within)} of resolution "
                      "(not resolved yet).")
        else:
            due = (s.resolved_at + within).astimezone(UTC)
            review = (f"Review meeting due by {due.strftime('%A %Y-%m-%d')} "
                      f"({format_duration(within)} after resolution, per {p.title}).")
        lines = [f"- {md(review)}",
                 f"- {md('Runbook to publish: how to fix this failure. The changes made during the incident, in order:')}"]
        if self.c.changes:
            lines += [f"  {i}. {md(self.text(e))}" for i, e in enumerate(self.c.changes, 1)]
        else:
            lines[-1] = f"- {md('Runbook to publish: how to fix this failure (no changes were logged).')}"
        checklist = p.checklists.get("post_incident", ())
        if checklist:
            lines += ["", md(f"Post-incident checklist ({p.title}):"), ""]
            lines += [f"- [ ] {md(item)}" for item in checklist]
        return lines

    def section_root_causes(self) -> list[str]:
        return self.bullets(self.labelled("root_causes")) or self.none(
            "Not recorded in the log: agree the root causes at the review meeting (entries that "
            "start with “Root cause:” are collected here).")

    def section_trigger(self) -> list[str]:
        return self.bullets(self.labelled("trigger")) or self.none(
            "Not recorded in the log: agree what triggered the incident at the review meeting "
            "(entries that start with “Trigger:” are collected here).")

    def section_detection(self) -> list[str]:
        found = self.bullets(self.labelled("detection"))
        if found:
            return found
        s = self.state
        lines = [f"- {md(f'Declared at {_at(s.declared_at)}{self.by(s.declared_by)}.')}"]
        first = self.c.first_event
        if first is not None:
            lines.append(f"- {md(f'First event logged, {_at(first.occurred)}:')} {md(self.text(first))}")
        return lines

    def section_lessons(self) -> list[str]:
        return self.bullets(self.labelled("lessons"), label=True) or self.none(
            "Not recorded in the log: at the review meeting, agree what went well, what went "
            "wrong and where you got lucky (entries that start with “Went well:”, “Went wrong:”, "
            "“Lucky:” or “Lesson:” are collected here).")


def _role_note(text: str, name: str, change: Any) -> str:
    """The handover note from a role entry's text (``Scribe handed over from a to b: note``)."""
    if change.after and change.before:
        prefix = f"{name} handed over from {change.before} to {change.after}"
    elif change.after:
        prefix = f"{name} assigned to {change.after}"
    else:
        prefix = f"{name} released by {change.before}"
    if text == prefix:
        return ""
    return text[len(prefix) + 2:] if text.startswith(prefix + ": ") else text
