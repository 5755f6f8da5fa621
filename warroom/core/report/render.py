"""``render_report``: the walk, then each visible section of the template, as one text."""

from __future__ import annotations

import gc
from datetime import tzinfo
from typing import Any, Callable, Iterable, Sequence

from warroom.base.chain import ChainTap
from warroom.base.errors import WarroomError
from warroom.base.model import Entry
from warroom.core.profiles import Profile
from warroom.core.entry_data import readable
from warroom.core.report.collect import Walker
from warroom.core.report.markdown import md, md_para
from warroom.core.report.sections import Sections
from warroom.core.report.templates import BUILTIN_TEMPLATES, DEFAULT_TEMPLATE, ReportTemplate
from warroom.core.report.times import Zone, local_zone

def security_refusal(ref: str) -> WarroomError:
    """Why a public report of a security incident is not written without ``force``."""
    return WarroomError(f"{ref} is a security incident: a public report needs careful "
                        "consideration first; to publish anyway use --force (the "
                        "override is written to the timeline)")


def render_report(ref: str, entries: Iterable[Entry], profile: Profile, *,
                  public: bool = False, force: bool = False,
                  template: ReportTemplate | None = None,
                  tz: tzinfo | str | None = None, alias: str = "",
                  head_check: Callable[[int, str], str | None] | None = None) -> str:
    """The incident report as Markdown (``public``: the version for publication), from the
    incident's log in sequence order and its profile. Nothing is read or written besides:
    :meth:`warroom.core.domain.Warroom.export_report` reads the log and records a forced
    export.

    ``template`` defaults to the built-in default (``load_template`` finds a user's).
    ``tz`` is the reader's zone for the timeline's local-time column (default: the system's;
    no column when it is UTC). A public report of a security incident is refused unless
    ``force``. The chain head it prints is recomputed from the entries as they are read;
    ``head_check(entry number, head)`` says what is wrong with it against the head the database
    recorded (None: nothing), called once the log is read.
    ``alias``: the reference the incident had before it was imported under ``ref``.
    """
    chosen = template if template is not None else BUILTIN_TEMPLATES[DEFAULT_TEMPLATE]
    zone = local_zone(tz)
    visible = chosen.visible(public)
    # The walk makes a few objects per entry and frees none until the end, nothing cyclic:
    # the cyclic collector would rescan them all again and again (a quarter of the time of a
    # 100,000-entry report), for no garbage. It is paused for the build and put back as found.
    collecting = gc.isenabled()
    gc.disable()
    try:
        walker = Walker(ref, profile, {s.id for s in visible}, public, zone)
        tap = walker.out.chain = ChainTap()
        walker.out.head_check = head_check
        for entry in map(readable, tap(entries)):  # damaged rows shown, not trusted
            walker.feed(entry)
        if public and walker.out.state.security and not force:
            raise security_refusal(ref)
        return _render(walker, ref, visible, profile, public, zone, alias)
    finally:
        if collecting:
            gc.enable()


def _render(walker: Walker, ref: str, visible: Sequence[Any], profile: Profile,
            public: bool, zone: Zone | None, alias: str = "") -> str:
    report = Sections(walker, profile, public, zone, {s.id: s.heading for s in visible})
    parts = [f"# {md(ref + ': ' + (report.scrub(report.state.title).strip() or '(untitled)'))}"]
    if alias:
        parts += ["", md(f"Imported as {ref}; its reference where it was logged: {alias}.")]
    for section in visible:
        parts += ["", f"## {md(section.heading)}", ""]
        if section.note:
            parts += [md_para(section.note), ""]
        parts += report.write(section.id)
    parts.append("")  # the file ends with a line break, without copying it all once more
    return "\n".join(parts)


def stand_in_profile(name: str) -> Profile:
    """What a report uses when the incident's profile file is gone, so it can still be had."""
    return Profile(name=name, title=f"{name} (profile not available)")
