"""Report templates: the section ids a template may use (:data:`SECTIONS`), the built-in
templates, the user's ``templates/NAME.toml`` files, and the labels (``Root cause:`` ...)
that collect entries into sections."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warroom.base.errors import NotFound, ValidationError
from warroom.core.text import MAX_LINE, sanitize

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
        """The sections a report has: the template's, or for publication the one public shape
        (built only from what was written for the public), whatever the template."""
        return list(PUBLIC_REPORT) if public else list(self.sections)

    def headings(self, public: bool) -> list[str]:
        """The second-level headings a report from this template has, in order."""
        return [s.heading for s in self.visible(public)]


SECTIONS = {
    "details": "metadata table: reference, severity and its history, status, times, services, "
               "profile, people by role",
    "summary": "the description when declared and the lead's latest summary",
    "impact": "services, customer impact, severity reached, duration, 'Impact:' entries",
    "resolution": "resolution notes and the resolve checklist, 'Resolution:' entries",
    "timeline": "the log: every entry once in time order, corrections beside the entry they "
                "correct, and the hash chain head",
    "decisions": "decisions",
    "actions": "actions taken (owner, outcome) and changes made",
    "comms": "status updates sent, with cadence adherence",
    "roles": "role assignments and handovers",
    "followups": "follow-up actions and actions still open, with owners",
    "escalations": "escalations (people and teams paged or called, against the profile's "
                   "escalation chain) and the time to first response",
    "tickets": "third-party support tickets (and the escalations, in a template without "
               "an escalations section)",
    "post_incident": "review meeting due date, runbook, the profile's post-incident checklist",
    "root_causes": "'Root cause:' entries",
    "trigger": "'Trigger:' entries",
    "detection": "'Detection:' entries, or the declaration and first event",
    "lessons": "'Lesson:', 'Went well:', 'Went wrong:', 'Lucky:' entries",
    "appendix": "the hash chain head (the log itself is the timeline)",
}
# The version for publication, in the shape GDS teams publish incident reports (GOV.UK PaaS
# 21 April 2020, GOV.UK 8 June 2021): built from the public statement, the status updates sent,
# the impact window and the services, never from the internal log.
PUBLIC_REPORT: tuple[Section, ...] = (
    Section("public_what_happened", "What happened"),
    Section("public_users_saw", "What users saw"),
    Section("public_response", "How we responded"),
    Section("public_cause", "Cause of the problem"),
    Section("public_prevention", "What we're doing to prevent it happening again"),
    Section("comms", "Status updates sent"),
)
PUBLIC_SECTIONS = frozenset(s.id for s in PUBLIC_REPORT)

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
LABEL_KINDS = frozenset({"note", "decision", "result", "change", "summary", "status"})
LABEL_RE = re.compile(
    r"^\s*(" + "|".join(sorted({re.escape(w) for ws in LABELS.values() for w in ws},
                                key=len, reverse=True)) + r")\s*:\s*", re.IGNORECASE)
LABEL_SECTION = {word: section for section, words in LABELS.items() for word in words}

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
        Section("escalations", "Escalations"),
        Section("tickets", "Third-party support tickets"),
        Section("roles", "Roles and handovers"),
        Section("followups", "Follow-up actions"),
        Section("post_incident", "Post-incident"),
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
    sections: list[Any] = []
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
