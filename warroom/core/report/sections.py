"""The report's sections: one method per section id of :data:`~warroom.core.report.templates.SECTIONS`,
each turning what the walk collected into Markdown lines, chosen by :meth:`Sections.write`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable
from urllib.parse import quote

from warroom.base.clock import parse_time
from warroom.base.model import Entry
from warroom.core.durations import format_duration
from warroom.core.evidence import duration_text, exported_name, human_size
from warroom.core.profiles import Profile
from warroom.core.report.collect import Comms, Walker
from warroom.core.report.markdown import md, md_code, md_para, md_row, md_table
from warroom.core.report.scrub import Scrubber
from warroom.core.report.templates import LABEL_KINDS, LABEL_RE, LABEL_SECTION
from warroom.core.report.times import Zone, at_utc, stamp, utc_seconds

UTC = timezone.utc
# Where a sentence ends: ". ", "! " or "? " before what starts the next one.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\"'“‘])")
NO_PUBLIC = ("No public summary has been written: the communications lead writes one with "
             "the p key in the war room (or warroom public).")


@dataclass(frozen=True)
class Window:
    """The impact window: each time and how it was found."""

    started: tuple[datetime | None, str]
    detected: tuple[datetime | None, str]
    declared: tuple[datetime | None, str]
    mitigated: tuple[datetime | None, str]
    resolved: tuple[datetime | None, str]

class Sections:
    def __init__(self, walker: Walker, profile: Profile, public: bool, zone: Zone | None,
                 headings: dict[str, str] | None = None) -> None:
        self.c = walker.out
        self.walker = walker
        self.state = walker.out.state
        self.profile, self.public, self.zone = profile, public, zone
        self.headings = headings or {}
        """The report's sections (id: heading): one section refers to another rather than
        repeat it."""
        self.scrub = Scrubber(self.c.names) if public else (lambda text: text)
        self.tail_written = False

    def write(self, section_id: str) -> list[str]:
        """The Markdown lines of one section (its heading and note are the caller's)."""
        return WRITERS[section_id](self)

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
            if entry.kind == "amend" and entry.data.get("kind") not in LABEL_KINDS:
                continue
            fixes = self.state.amendments.get(seq)
            current = fixes[-1].text if fixes else entry.text
            match = LABEL_RE.match(current)
            if match and LABEL_SECTION[match.group(1).lower()] == section:
                found.append((entry, match.group(1), current[match.end():]))
        return found

    def bullets(self, items: Iterable[tuple[Entry, str, str]], *, label: bool = False) -> list[str]:
        lines = []
        for entry, word, text in items:
            lead = f"{at_utc(entry.occurred)}{self.by(entry.author)}"
            if label:
                lead = f"{word.capitalize()}, {lead}"
            lines.append(f"- {md(lead + ': ' + (self.scrub(text).strip() or '(empty)'))}")
        return lines

    def severity_history(self) -> str:
        parts = []
        for change in self.state.severity_history:
            what = "when declared" if change.before is None else f"from {at_utc(change.at)}"
            parts.append(f"{self.profile.severity_label(change.after)} {what}{self.by(change.author)}")
        return "\n".join(parts)

    def window(self) -> "Window":
        """The impact window: set times, or what the log says when they were not set."""
        s = self.state
        started = s.impact.get("started")
        detected = s.impact.get("detected")
        mitigated = s.impact.get("mitigated")
        return Window(
            started=(started, "set" if started else "not set: the declaration is used"),
            detected=(detected, "set" if detected else "not set: the declaration is used"),
            declared=(s.declared_at, ""),
            mitigated=(mitigated or self.c.mitigated,
                       "set" if mitigated else ("when the status became monitoring"
                                                if self.c.mitigated else "")),
            resolved=(s.resolved_at, ""))

    def window_rows(self) -> list[tuple[str, str]]:
        w = self.window()
        rows = []
        for name, (at, how) in (("Impact started", w.started), ("Detected", w.detected),
                                ("Declared", w.declared), ("Mitigated", w.mitigated),
                                ("Resolved", w.resolved)):
            shown = at_utc(at) if at else ("not resolved" if name == "Resolved" else "not recorded")
            if not at and how.startswith("not set"):
                shown = "not recorded (the declaration is used)"
            if name == "Declared" and at:
                shown += self.by(self.state.declared_by)
            if at and how and how != "set":
                shown += f" ({how})"
            rows.append((name, shown))
        rows += [("Duration (impact)", self.duration()),
                 ("Time to detect", self.since_start(w.detected[0] or w.declared[0])),
                 ("Time to mitigate", self.since_start(w.mitigated[0])),
                 ("Time to resolve", self.since_start(w.resolved[0]))]
        return rows

    def start(self) -> datetime | None:
        return self.state.impact.get("started") or self.state.declared_at

    def since_start(self, at: datetime | None) -> str:
        start = self.start()
        if start is None or at is None:
            return "not yet" if start is not None else "not recorded"
        if at < start:
            return "0m (before impact started)"
        return format_duration(at - start)

    def duration(self) -> str:
        """The impact window's length: impact started to mitigated (or resolved)."""
        start = self.start()
        if start is None:
            return "not recorded"
        w = self.window()
        end = w.mitigated[0] or w.resolved[0]
        if end is not None:
            return format_duration(max(end - start, timedelta(0)))
        last = self.state.last_entry_at or start
        return f"not mitigated yet ({format_duration(max(last - start, timedelta(0)))} to the last entry)"

    # ----------------------------------------------------------------- sections
    def section_details(self) -> list[str]:
        s, p = self.state, self.profile
        current = p.severity_label(s.severity)
        rows = [("Reference", s.ref),
                ("Severity", f"{current}\n{self.severity_history()}"
                 if len(s.severity_history) > 1 else current),
                ("Status", s.status + (f" (since {at_utc(s.status_history[-1].at)})"
                                       if s.status_history else "")),
                *self.window_rows()]
        if s.closed_at:
            rows.append(("Closed", at_utc(s.closed_at)))
        rows += [("Services", ", ".join(s.services) or "none recorded"),
                 ("Customer-impacting", "yes" if s.customer_impacting else "no")]
        if not self.public:
            rows += [("Security incident", "yes" if s.security else "no"),
                     ("Profile", f"{p.title} ({p.name})")]
            rows += [(name, people) for name, people in self.people_by_role()]
        return md_table(("Field", "Value"), (md_row((md(k), md(v))) for k, v in rows))

    def people_by_role(self) -> list[tuple[str, str]]:
        held: dict[str, list[str]] = {r.id: [] for r in self.profile.roles}
        for change in self.state.role_history:
            who = f"{change.after} from {at_utc(change.at)}" if change.after else f"vacant from {at_utc(change.at)}"
            held.setdefault(change.reason, []).append(who)
        return [(self.profile.role_name(rid), "\n".join(people) or "nobody")
                for rid, people in held.items()]

    def section_summary(self) -> list[str]:
        s = self.state
        lines: list[str] = []
        if s.description and not self.public:
            lines += [md("Description when declared:"), "", md_para(s.description), ""]
        latest = s.latest_summary
        if latest is None:
            return lines + self.none("No lead summary was written during the incident.")
        label = "Latest summary" if self.public else "Latest lead summary"
        lines += [md(f"{label}, {at_utc(latest.occurred)}{self.by(latest.author)}:"), "",
                  md_para(self.scrub(latest.text))]
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
            line = f"Highest severity: {p.severity_label(top)}" + (f" ({described})" if described else "")
            lines.append(f"- {md(line)}")
        lines.append(f"- {md('Duration of the impact: ' + self.duration())}")
        lines += self.bullets(self.labelled("impact"))
        return lines

    def section_resolution(self) -> list[str]:
        s = self.state
        lines: list[str] = []
        resolving = [e for e in self.c.statuses if e.data.get("to") in ("resolved", "closed")]
        for entry in resolving:
            lead = f"{str(entry.data.get('to')).capitalize()} {at_utc(entry.occurred)}{self.by(entry.author)}"
            lines.append(f"- {md(lead)}: {md(self.text(entry))}")
        lines += self.bullets(self.labelled("resolution"))
        if not lines:
            if s.status_history and self.c.statuses:
                latest = self.c.statuses[-1]
                lines.append(md(f"Not resolved: {s.status} since {at_utc(latest.occurred)}. "
                                "Latest status note:"))
                lines += ["", md_para(self.text(latest))]
            else:
                lines += self.none(f"Not resolved: {s.status}.")
        lines += self.resolve_checklist(resolving)
        return lines

    def resolve_checklist(self, resolving: list[Entry]) -> list[str]:
        """The resolve checklist in the process's order, each step ticked or not, and by whom:
        the step's own tick, or the resolution that recorded it as ticked."""
        steps = list(self.profile.checklists.get("resolve", ()))
        resolved_by = next((e for e in reversed(resolving)
                            if isinstance(e.data.get("checklist"), dict)), None)
        recorded = resolved_by.data["checklist"] if resolved_by is not None else {}
        steps += [item for item in recorded if item not in steps]
        answered = self.state.checklists.get("resolve", {})
        if not steps or (not recorded and not answered):
            return []
        lines = ["", md(f"Resolve checklist ({self.profile.title}):"), ""]
        for step in steps:
            tick = answered.get(step)
            outcome = tick.data.get("outcome") if tick is not None else None
            if tick is not None and outcome == "done":
                lines.append(f"- [x] {md(f'{step} (ticked {at_utc(tick.occurred)}{self.by(tick.author)})')}")
            elif tick is not None and outcome == "dismissed":
                why = tick.data.get("reason") or ""
                lines.append(f"- [ ] {md(f'{step} (dismissed {at_utc(tick.occurred)}{self.by(tick.author)}: {why})')}")
            elif recorded.get(step) and resolved_by is not None:
                lines.append(f"- [x] {md(f'{step} (ticked when resolved, {at_utc(resolved_by.occurred)}{self.by(resolved_by.author)})')}")
            else:
                lines.append(f"- [ ] {md(step)}")
        return lines

    def section_timeline(self) -> list[str]:
        """The log: every entry once, in time order, with its corrections beside it."""
        header = ["Time (UTC)"] + ([md(f"Local ({self.zone.label})")] if self.zone else [])
        fixes = self.state.amendments
        timeline, self.c.timeline = self.c.timeline, []
        timeline.sort()  # by time, then sequence: backdated entries take their place
        rows = [row + md(shown if seq not in fixes else shown + self.corrections(fixes[seq])) + " |"
                for _, seq, row, shown in timeline]
        lines = md_table(header + ["#", "Kind", "Author", "Entry"], rows)
        tail = self.log_tail()
        return lines + ["", *tail] if tail else lines

    @staticmethod
    def corrections(fixes: list[Entry]) -> str:
        return "".join(f"\nCorrected at {at_utc(fix.occurred)} by {fix.author} (#{fix.seq})"
                       f"{_changed(fix)}: {fix.text}" for fix in fixes)

    def chain_head(self) -> list[str]:
        chain, check = self.c.chain, self.c.head_check
        if self.c.last is None or chain is None:
            return []
        ref = self.state.ref
        line = (f"{md(f'Entries: {self.state.entry_count}, corrections included. Each is hash-chained to the one before; the head (entry #{chain.seq}), recomputed from the entries, is')} "
                f"{md_code(chain.head)}{md('; check that the database still extends it with')} "
                f"{md_code(f'warroom verify {ref} --head {chain.head}')}{md('.')}")
        warnings = []
        problem = (f"the hash chain does not verify from entry #{chain.broken_at} on"
                   if chain.broken_at is not None else check(chain.seq, chain.head) if check else None)
        if problem:
            warnings.append(f"{md(f'Warning: {problem} (changed behind the app' + chr(39) + 's back?);')} "
                            f"{md_code(f'warroom verify {ref}')} {md('says what.')}")
        return [line, *(["", *warnings] if warnings else [])]

    def section_appendix(self) -> list[str]:
        """Kept for user templates that name it: the log is the timeline, so only the files
        attached to it and its head (once: not again when the timeline showed them)."""
        if self.tail_written:
            return self.none("The files and the chain head are with the timeline above.")
        return self.log_tail() or self.none("The log is empty.")

    def log_tail(self) -> list[str]:
        """What follows the log, once per report: the files attached to it and its chain head
        (a template may name both the timeline and the appendix)."""
        if self.tail_written:
            return []
        self.tail_written = True
        files = self.files_table()
        return [*files, *([""] if files else []), *self.chain_head()]

    def files_table(self) -> list[str]:
        """The files attached to entries and the output of commands run (warroom run, attach)."""
        if not self.c.files:
            return []
        lines = [md("Files attached to entries and the output of commands run, written "
                    "beside this report by warroom export --attachments DIR; each "
                    "SHA-256 is under the hash chain:"), ""]
        return lines + md_table(("#", "File", "Size", "Type", "SHA-256"), (
            md_row((str(e.seq), f"[{md(exported_name(e))}]({quote(exported_name(e))})",
                    md(human_size(int(e.data.get("size") or 0))),
                    md(str(e.data.get("media_type") or "")), md_code(str(e.data["sha256"]))))
            for e in self.c.files))

    def section_decisions(self) -> list[str]:
        if not self.c.decisions:
            return self.none("No decisions were logged.")
        return md_table(("Time (UTC)", "#", "Decision", "Logged by"), (
            md_row((stamp(e.occurred_at), str(e.seq), md(self.text(e)), md(e.author)))
            for e in self.c.decisions))

    def section_actions(self) -> list[str]:
        actions = [a for a in self.state.actions.values() if a.kind == "action"]
        lines = [md("Actions:"), ""]
        if actions:
            lines += md_table(("Logged (UTC)", "#", "Action", "Owner", "Outcome"), (
                md_row((utc_seconds(a.created), str(a.seq), md(a.text), md(a.owner), md(self.outcome(a))))
                for a in actions))
        else:
            lines += self.none("No actions were logged.")
        lines += ["", md("Changes made:"), ""]
        if self.c.changes:
            lines += md_table(("Time (UTC)", "#", "Change", "Logged by"), (
                md_row((stamp(e.occurred_at), str(e.seq), md(self.text(e) + self.run_result(e)),
                        md(e.author)))
                for e in self.c.changes))
        else:
            lines += self.none("No changes were logged.")
        from warroom.core.process_report import off_role_change_lines

        return lines + off_role_change_lines(self)

    def run_result(self, change: Entry) -> str:
        """A command run with ``warroom run``: how it ended, after its command line."""
        result = self.c.runs.get(str(change.data.get("run") or "")) if change.data.get("run") else None
        if result is None:
            return ""
        data = result.data
        how = (f"killed by {data['signal']}" if data.get("signal")
               else f"exit {data['exit_status']}" if data.get("exit_status") is not None else "ended")
        took = duration_text(int(data.get("duration_ms") or 0))
        return f" → {how} after {took} (#{result.seq})"

    @staticmethod
    def outcome(item: Any) -> str:
        if not item.done:
            return "open"
        note = item.done_note
        if note.startswith("Done: "):
            note = ""
        return f"done {at_utc(item.done_at)} by {item.done_by}" + (f": {note}" if note else "")

    def section_comms(self) -> list[str]:
        comms = self.c.comms
        if not comms:
            return self.none("No status updates were sent.")
        if self.public:
            return md_table(("Sent (UTC)", "Update"), (
                md_row((stamp(c.entry.occurred_at), md(self.text(c.entry)) or "(empty)"))
                for c in comms))
        rows, due = [], None
        for previous, current in zip([None, *comms], comms):
            cadence, due = self.cadence(previous, current)
            data = current.entry.data
            rows.append(md_row((stamp(current.entry.occurred_at), str(current.entry.seq),
                              md(data.get("audience") or "not recorded"), md(self.text(current.entry)),
                              md(cadence), md(current.entry.author))))
        lines = md_table(("Sent (UTC)", "#", "Audience", "Update", "Cadence", "By"), rows)
        _, due = self.cadence(comms[-1], None)
        if due is not None:
            resolved = self.state.resolved_at
            if resolved is None:
                lines += ["", md(f"Next update due by {at_utc(due)}.")]
            elif resolved > due:
                lines += ["", md(f"No update was sent between the one due by {at_utc(due)} and the "
                                 f"resolution at {at_utc(resolved)}.")]
        return lines

    def cadence(self, previous: Comms | None, current: Comms | None) -> tuple[str, datetime | None]:
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
            return f"on time (due by {utc_seconds(due)})", due
        return f"late by {format_duration(current.at - due, precise=True)} (due by {utc_seconds(due)})", due

    def section_roles(self) -> list[str]:
        history = self.state.role_history
        if not history:
            return self.none("No roles were assigned.")
        rows = []
        for change in history:
            name = self.profile.role_name(change.reason)
            entry = self.c.roles.get(change.seq)
            note = role_note(entry.text, name, change) if entry else ""
            rows.append(md_row((utc_seconds(change.at), md(name), md(change.before or ""),
                              md(change.after or "(released)"), md(note))))
        return md_table(("Time (UTC)", "Role", "From", "To", "Note"), rows)

    def section_followups(self) -> list[str]:
        items = [a for a in self.state.actions.values() if a.kind == "followup"]
        items += [a for a in self.state.actions.values() if a.kind == "action" and not a.done]
        if not items:
            return self.none("No follow-up actions, and no actions left open.")
        return md_table(("#", "Follow-up", "Owner", "Status"), (
            md_row((str(a.seq), md(a.text), md(a.owner),
                  md(self.outcome(a) if a.kind == "followup" else "action still open")))
            for a in items))

    def section_escalations(self) -> list[str]:
        from warroom.core.process_report import escalations_section

        return escalations_section(self)

    def section_tickets(self) -> list[str]:
        from warroom.core.process_report import tickets_section

        return tickets_section(self)

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
            whose = "warroom default" if p.is_default("review_within") else f"per {p.title}"
            review = (f"Review meeting due by {due.strftime('%A %Y-%m-%d')} "
                      f"({format_duration(within)} after resolution, {whose}).")
        lines = [f"- {md(review)}", *self.runbook()]
        from warroom.core.process_report import checklist_lines

        for name, title in (("declare", "Declare checklist"), ("post_incident", "Post-incident checklist")):
            lines += checklist_lines(self, name, f"{title} ({p.title})")
        return lines

    def runbook(self) -> list[str]:
        """The runbook the process asks for (a post-incident step that names one), pointing
        to the changes made in order, split at mitigation; they are listed here only when no
        other section of the report shows them."""
        step = next((s for s in self.profile.checklists.get("post_incident", ())
                     if "runbook" in s.lower()), None)
        if step is None:
            return []
        changes = self.c.changes
        asks = f"Runbook: the process asks for one (“{step}”)"
        if not changes:
            return [f"- {md(asks + '; no changes were logged to write it from.')}"]
        where = next((f"under “{self.headings[sid]}”" for sid in ("actions", "timeline")
                      if sid in self.headings), "")
        if not where:
            return [f"- {md(asks + '. The changes made during the incident, in order:')}",
                    *(f"  {i}. {md(self.text(e))}" for i, e in enumerate(changes, 1))]
        mitigated = self.window().mitigated[0]
        before: list[Entry] = []
        after: list[Entry] = []
        for e in changes:
            (after if mitigated is not None and e.occurred > mitigated else before).append(e)
        split = _numbers(changes)
        if mitigated is not None and after and before:
            split = (f"{_numbers(before)} up to the mitigation at {at_utc(mitigated)}, "
                     f"then {_numbers(after)}")
        elif mitigated is not None and after:
            split += f", all after the mitigation at {at_utc(mitigated)}"
        made = (f"the {len(changes)} changes made, in order, {where} (entries {split})"
                if len(changes) > 1 else f"the change made, {where} (entry {split})")
        return [f"- {md(f'{asks}: write it from {made}.')}"]

    def section_root_causes(self) -> list[str]:
        """What the log says the cause was: entries written as a cause (“Root cause: ...”),
        the cause in the public summary, and the cause line of the latest lead summary that
        gives one (its first sentence: the rest of a summary is status, plan and open items)."""
        found: list[tuple[Entry, str]] = []
        for item in self.labelled("root_causes"):
            entry = item[0]
            if (entry.data.get("kind") if entry.kind == "amend" else entry.kind) not in (
                    "summary", "status"):  # (a summary's cause is its cause line, below)
                found += [(entry, line) for line in self.bullets([item])]
        statement = self.c.public
        cause = str(statement.data.get("cause") or "").strip() if statement is not None else ""
        sources = [(statement, cause, "in the public summary")] if statement and cause else []
        summary = self.summary_cause()
        if summary is not None:
            sources.append((*summary, "in the lead summary"))
        for entry, text, where in sources:
            lead = f"{at_utc(entry.occurred)}{self.by(entry.author)}, {where}"
            found.append((entry, f"- {md(lead + ': ' + self.scrub(text))}"))
        found.sort(key=lambda item: (item[0].occurred, item[0].seq))
        return [line for _, line in found] or self.none(
            "Not identified in the log: agree the root causes at the review meeting (entries "
            "that start with “Root cause:”, the public summary's cause and a lead summary's "
            "“Cause:” line are collected here).")

    def summary_cause(self) -> tuple[Entry, str] | None:
        """The latest lead summary with a line that starts “Cause:” (or “Root cause:”), and
        that line's first sentence."""
        summaries = {e.seq: (e, self.state.current_text(e))
                     for e in self.c.labelled if e.kind == "summary"}
        latest = self.state.latest_summary  # (a correction, when the latest was corrected)
        if latest is not None:
            summaries[latest.amends or latest.seq] = (latest, latest.text)
        for _, (entry, current) in sorted(summaries.items(), reverse=True):
            for line in current.splitlines():
                match = LABEL_RE.match(line)
                if match and LABEL_SECTION[match.group(1).lower()] == "root_causes":
                    text = _SENTENCE_END.split(line[match.end():].strip(), 1)[0].strip()
                    if text:
                        return entry, text
        return None

    def section_trigger(self) -> list[str]:
        return self.bullets(self.labelled("trigger")) or self.none(
            "Not recorded in the log: agree what triggered the incident at the review meeting "
            "(entries that start with “Trigger:” are collected here).")

    def section_detection(self) -> list[str]:
        found = self.bullets(self.labelled("detection"))
        if found:
            return found
        s = self.state
        lines = []
        detected = s.impact.get("detected")
        if detected is not None:
            after = self.since_start(detected)
            lines.append(f"- {md(f'Detected at {at_utc(detected)}, {after} after impact started.')}"
                         if "started" in s.impact and not after.startswith("0m (")
                         else f"- {md(f'Detected at {at_utc(detected)}.')}")
        lines.append(f"- {md(f'Declared at {at_utc(s.declared_at)}{self.by(s.declared_by)}.')}")
        first = self.c.first_event
        if first is not None:
            lines.append(f"- {md(f'First event logged, {at_utc(first.occurred)}:')} {md(self.text(first))}")
        return lines

    def section_lessons(self) -> list[str]:
        return self.bullets(self.labelled("lessons"), label=True) or self.none(
            "Not recorded in the log: at the review meeting, agree what went well, what went "
            "wrong and where you got lucky (entries that start with “Went well:”, “Went wrong:”, "
            "“Lucky:” or “Lesson:” are collected here).")



def _public_part(key: str, missing: str) -> Callable[[Sections], list[str]]:
    def write(self: Sections) -> list[str]:
        statement = self.c.public
        text = str(statement.data.get(key) or "") if statement is not None else ""
        if not text.strip():
            return self.none(missing if statement is not None else "Not written yet.")
        return [md_para(self.scrub(text))]
    return write


def section_public_what_happened(self: Sections) -> list[str]:
    """What happened: the statement's words, then the impact window and the services."""
    s = self.state
    if self.c.public is None:
        lines = self.none(NO_PUBLIC)
    else:
        lines = _public_part("what_happened", "The public summary does not say what happened.")(self)
    rows = [(name, value.split(" by ")[0] if name == "Declared" else value)
            for name, value in self.window_rows()]
    rows.append(("Services affected", ", ".join(s.services) or "none recorded"))
    return lines + [""] + md_table(("When", "Time (UTC)"), (md_row((md(k), md(v))) for k, v in rows))


WRITERS: dict[str, Callable[[Sections], list[str]]] = {
    "public_what_happened": section_public_what_happened,
    "public_users_saw": _public_part("users_saw", "The public summary does not say what users saw."),
    "public_response": _public_part("response", "The public summary does not say how we responded."),
    "public_cause": _public_part("cause", "The public summary does not give the cause yet."),
    "public_prevention": _public_part("prevention", "The public summary does not list what we will do yet."),
    "details": Sections.section_details,
    "summary": Sections.section_summary,
    "impact": Sections.section_impact,
    "resolution": Sections.section_resolution,
    "timeline": Sections.section_timeline,
    "decisions": Sections.section_decisions,
    "actions": Sections.section_actions,
    "comms": Sections.section_comms,
    "roles": Sections.section_roles,
    "followups": Sections.section_followups,
    "escalations": Sections.section_escalations,
    "tickets": Sections.section_tickets,
    "post_incident": Sections.section_post_incident,
    "root_causes": Sections.section_root_causes,
    "trigger": Sections.section_trigger,
    "detection": Sections.section_detection,
    "lessons": Sections.section_lessons,
    "appendix": Sections.section_appendix,
}
"""Each section id of :data:`~warroom.core.report.templates.SECTIONS` and what writes it."""


def _numbers(entries: list[Entry]) -> str:
    """Entry numbers as a reader says them: "7", "7 and 16", "7, 16 and 22"; a long run as
    its count and ends ("1,204 from 7 to 99,871")."""
    seqs = [str(e.seq) for e in entries]
    if len(seqs) > 12:
        return f"{len(seqs):,} from {entries[0].seq:,} to {entries[-1].seq:,}"
    return seqs[0] if len(seqs) == 1 else f"{', '.join(seqs[:-1])} and {seqs[-1]}"


def role_note(text: str, name: str, change: Any) -> str:
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


def _changed(fix: Entry) -> str:
    """What a correction changed besides the text: the kind, when it happened."""
    data = fix.data or {}
    parts = []
    if data.get("from_kind"):
        parts.append(f"kind {data['from_kind']} → {data.get('kind')}")
    if data.get("occurred_at"):
        try:
            parts.append(f"happened at {at_utc(parse_time(str(data['occurred_at'])))}")
        except ValueError:
            pass
    return f", {'; '.join(parts)}" if parts else ""
