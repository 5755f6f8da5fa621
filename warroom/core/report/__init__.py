"""The incident report: Markdown for the review meeting, and a version for publication.

``render_report(ref, entries, profile)`` walks the log once (an iterator: the domain's
``Warroom.export_report`` streams it from the store in batches) and writes a report a team can put in a pull request. The same log gives the same bytes for the
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
refused unless ``force=True``; ``Warroom.export_report`` writes a forced override to the
incident's timeline.

Sections that the log cannot fill on its own (root causes, trigger, detection, lessons learned,
impact, resolution) collect the entries whose text starts with their label, e.g. a note
``Root cause: the firewall policy dropped...`` (see ``LABELS``); otherwise they say what the
review meeting should complete.

Where things live: :mod:`.markdown` (escaping), :mod:`.times` (UTC and local times),
:mod:`.templates` (section ids, built-in and user templates, labels), :mod:`.collect` (the
walk over the log), :mod:`.scrub` (text for publication), :mod:`.sections` (one method per
section), :mod:`.render` (``render_report``).
"""

from warroom.core.report.markdown import md
from warroom.core.report.render import render_report, security_refusal, stand_in_profile
from warroom.core.report.templates import (
    BUILTIN_TEMPLATES, DEFAULT_TEMPLATE, LABELS, PUBLIC_SECTIONS, SECTIONS, ReportTemplate, Section,
    load_template, parse_template, template_names,
)
from warroom.core.report.times import local_zone

__all__ = [
    "BUILTIN_TEMPLATES", "DEFAULT_TEMPLATE", "LABELS", "PUBLIC_SECTIONS", "SECTIONS",
    "ReportTemplate", "Section", "load_template", "local_zone", "md", "parse_template",
    "render_report", "security_refusal", "stand_in_profile", "template_names",
]
