"""The report's process sections (issue 13): escalations, support tickets, the response
target, and the profile's checklists as ticked. Called by
:class:`warroom.core.report.sections.Sections`; kept apart so the report package's own
rework does not collide with it."""

from __future__ import annotations

from typing import Any

from warroom.core.describe import describe
from warroom.core.durations import format_duration
from warroom.core.report.markdown import md, md_row, md_table
from warroom.core.report.times import at_utc, stamp
from warroom.core.timers import escalation_pending


def escalations_section(sec: Any) -> list[str]:
    """Who was paged or called, against the profile's escalation chain, and what the process
    calls for that was not recorded; first, the time to first response against its target."""
    state, profile = sec.state, sec.profile
    lines = response_lines(sec)
    escalations = [e for e in sec.c.tickets if e.kind == "escalation"]
    chain = [c.name for c in profile.escalation]
    if escalations:
        rows = []
        for e in escalations:
            level = e.data.get("level")
            where = (f"level {chain.index(level) + 1} of {len(chain)}" if level in chain
                     else "not in the profile's chain")
            rows.append(md_row((stamp(e.occurred_at), str(e.seq), md(str(e.data.get("to", ""))),
                                md(where), md(str(e.data.get("how", ""))), md(_note(sec, e)),
                                md(e.author))))
        lines += md_table(("Time (UTC)", "#", "Escalated to", "Chain", "How", "Note", "Logged by"), rows)
    else:
        lines += sec.none("No escalations were recorded.")
    pending = escalation_pending(profile, state)
    if pending:
        lines += ["", md("Not recorded, though the process calls for it at "
                         f"{profile.severity_label(state.severity)}"
                         f"{' (security incident)' if state.security else ''}: "
                         + ", ".join(c.name for c in pending) + ".")]
    return lines


def tickets_section(sec: Any) -> list[str]:
    """Support tickets raised with third parties; in a template with no escalations section
    (a user's), the escalations first, under their own label."""
    lines: list[str] = []
    if "escalations" not in sec.headings:
        lines += [md("Escalations:"), "", *escalations_section(sec), "",
                  md("Third-party support tickets:"), ""]
    tickets = [e for e in sec.c.tickets if e.kind == "ticket"]
    if tickets:
        lines += md_table(("Time (UTC)", "#", "Supplier", "Case", "Note", "Logged by"), (
            md_row((stamp(e.occurred_at), str(e.seq), md(str(e.data.get("party", ""))),
                    md(str(e.data.get("reference", "")) or "not recorded"), md(_note(sec, e)),
                    md(e.author))) for e in tickets))
    else:
        lines += sec.none("No support tickets were logged.")
    return lines


def off_role_change_lines(sec: Any) -> list[str]:
    """Beneath the changes made: each change logged by someone other than the one role that
    changes production (GOV.UK PaaS: "only the incident lead can do this")."""
    from warroom.core.rules import changes_by_others, sole_changer

    found = changes_by_others(sec.profile, sec.state)
    role = sole_changer(sec.profile)
    if role is None or sec.public or not sec.state.changes_made:
        return []
    if not found:
        return ["", md(f"Every change was logged by the {role.name} (only the {role.name} "
                       "changes production).")]
    lines = ["", md(f"Only the {role.name} changes production; logged by someone else:"), ""]
    for c in found:
        who = (f"{c.holder} was the {role.name}" if c.holder else f"no {role.name} was assigned")
        lines.append(f"- {md(f'#{c.entry.seq} at {at_utc(c.entry.occurred)} by {c.entry.author}: {who}')}")
    return lines


def _note(sec: Any, entry: Any) -> str:
    """The person's note on an escalation or ticket, as last corrected (the table's other
    columns already say who, how, the supplier and the case)."""
    return describe(entry, sec.text(entry)).note


def response_lines(sec: Any) -> list[str]:
    """Time to first response against the severity's target (GDS Way), when there is one."""
    state, profile = sec.state, sec.profile
    first_sev = state.severity_history[0].after if state.severity_history else state.severity
    sev = profile.severity_by_id(first_sev)
    if sev is None or sev.respond_within is None or state.declared_at is None:
        return []
    target = sev.respond_within
    first = state.first_response
    if first is None:
        text = f"First response: none recorded (target at {sev.label}: within {format_duration(target)})."
    else:
        took = first.occurred - state.declared_at
        verdict = "met" if took <= target else f"missed by {format_duration(took - target)}"
        text = (f"First response: {at_utc(first.occurred)}, {format_duration(took)} after declaring "
                f"(target at {sev.label}: within {format_duration(target)}; {verdict}).")
    whose = " (warroom default)" if profile.is_default("respond_within") else ""
    return [md(text + whose), ""]


def checklist_lines(sec: Any, name: str, title: str) -> list[str]:
    steps = sec.profile.checklists.get(name, ())
    if not steps:
        return []
    answered = sec.state.checklists.get(name, {})
    lines = ["", md(f"{title}:"), ""]
    for step in steps:
        entry = answered.get(step)
        outcome = entry.data.get("outcome") if entry else None
        if outcome == "done":
            lines.append(f"- [x] {md(step)} {md(f'(ticked {at_utc(entry.occurred)}{sec.by(entry.author)})')}")
        elif outcome == "dismissed":
            why = entry.data.get("reason") or ""
            lines.append(f"- [ ] {md(step)} {md(f'(dismissed {at_utc(entry.occurred)}{sec.by(entry.author)}: {why})')}")
        else:
            lines.append(f"- [ ] {md(step)}")
    return lines
