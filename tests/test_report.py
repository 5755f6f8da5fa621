"""The Markdown incident report: goldens of the sample, hostile text, the public version, export.

Golden files live in tests/goldens/. When the sample incident or the report changes on purpose,
regenerate them and read the diff:

    WARROOM_UPDATE_GOLDENS=1 pytest tests/test_report.py -k golden
"""

from __future__ import annotations

import itertools
import json
import os
import re
import stat
import string
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.common.normalize_url import normalizeLink

from tests.conftest import export_doc, run_cli, seed
from warroom.core import domain
from warroom.base.clock import FrozenClock
from warroom.core.domain import Warroom, owner_name
from warroom.base.model import Entry
from warroom.core.profiles import ProfileRegistry
from warroom.core.report import BUILTIN_TEMPLATES, load_template, md, render_report, template_names
from warroom.core.text import clean_line, clean_text
from warroom.demo import load_sample
from warroom.base.errors import NotFound, ValidationError, WarroomError
from warroom.store import Store
from warroom.base.chain import GENESIS, chain_hash

GOLDENS = Path(__file__).resolve().parent / "goldens"
UPDATE = os.environ.get("WARROOM_UPDATE_GOLDENS") == "1"
SAMPLE_START = datetime(2026, 11, 22, 14, 0, tzinfo=timezone.utc)
GOLDEN_TZ = "Europe/London"
PARSERS = {
    "commonmark+table": MarkdownIt("commonmark").enable("table"),
    "gfm-like": MarkdownIt("gfm-like"),  # tables, strikethrough, linkify: closest to GitHub
}
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


# --------------------------------------------------------------------------- reading Markdown

def inline_text(token) -> str:
    """The text a reader sees in an inline token, allowing only what the report itself writes:
    text, code spans (GitHub shortcuts) and <br> line breaks, and the links GitHub would make
    of a bare URL, whose target is what they show."""
    out = []
    children = token.children or []
    i = 0
    while i < len(children):
        child = children[i]
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type == "html_inline" and child.content == "<br>":
            out.append("\n")
        elif child.type == "link_open" and child.markup == "linkify":
            shown = []
            i += 1
            while children[i].type == "text":
                shown.append(children[i].content)
                i += 1
            assert children[i].type == "link_close", token.content
            visible = "".join(shown)
            if re.search(r"&#[0-9]+$", visible) and i + 1 < len(children) and \
                    children[i + 1].type == "text" and children[i + 1].content.startswith(";"):
                visible += ";"  # linkify leaves a reference's ";" out of the link as punctuation
                children[i + 1].content = children[i + 1].content[1:]
            assert str(child.attrs["href"]) in {normalizeLink(f"{scheme}{visible}") for scheme in (
                "", "http://", "mailto:")} or visible.endswith(";"), (child.attrs, visible)
            # markdown-it links a URL from its raw source; GitHub reads the escapes first.
            out.append(re.sub(r"&#([0-9]+);", lambda m: chr(int(m.group(1))), visible))
        else:
            raise AssertionError(f"markup from text: {child.type} {child.content!r} in {token.content!r}")
        i += 1
    return "".join(out)


def parse(report: str, parser: str = "commonmark+table") -> dict:
    """Headings, and the blocks under each second-level heading: tables as rows of cell
    texts, paragraphs and list items as texts. Every inline token is checked."""
    tokens = PARSERS[parser].parse(report)
    doc = {"headings": [], "sections": {}}
    section = None
    row: list[str] | None = None
    table: list[list[str]] | None = None
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open":
            text = inline_text(tokens[i + 1])
            doc["headings"].append((tok.tag, text))
            section = doc["sections"].setdefault(text, {"tables": [], "paragraphs": []})
        elif tok.type == "table_open":
            table = []
        elif tok.type == "table_close":
            section["tables"].append(table)
            table = None
        elif tok.type == "tr_open":
            row = []
        elif tok.type == "tr_close":
            table.append(row)
            row = None
        elif tok.type == "inline":
            text = inline_text(tok)
            if row is not None:
                row.append(text)
            elif tokens[i - 1].type == "paragraph_open" and section is not None:
                section["paragraphs"].append(text)
        elif tok.type in ("html_block", "code_block", "fence", "hr", "blockquote_open"):
            raise AssertionError(f"{tok.type} in the report: {tok.content!r}")
    return doc


def check_report(report: str, template: str, public: bool, ref: str, title: str | None) -> dict:
    """What every report must satisfy; returns the commonmark parse for further checks.
    ``title=None``: the title may have been scrubbed (a public report of a title with names in
    it); only its place and the reference in front are checked."""
    assert CONTROL.search(report) is None
    expected = [("h2", h) for h in load_template(template).headings(public)]
    docs = {}
    for parser in PARSERS:
        doc = parse(report, parser)
        (level, first), rest = doc["headings"][0], doc["headings"][1:]
        assert level == "h1" and (first == f"{ref}: {title}" if title is not None
                                  else first.startswith(f"{ref}: ")), (parser, first)
        assert rest == expected, parser
        for name, section in doc["sections"].items():
            for table in section["tables"]:
                assert len({len(r) for r in table}) == 1, (parser, name, table)
        docs[parser] = doc
    # Both parsers read the same texts: linkify (gfm-like) found nothing to turn into a link.
    assert docs["gfm-like"] == docs["commonmark+table"]
    return docs["commonmark+table"]


def table(doc: dict, heading: str, index: int = 0) -> list[dict[str, str]]:
    rows = doc["sections"][heading]["tables"][index]
    return [dict(zip(rows[0], r)) for r in rows[1:]]


# --------------------------------------------------------------------------- the sample

SAMPLE_PUBLIC = {
    "what_happened": "Between 13:48 and 14:36 UTC on 22 November 2026, applications hosted on the "
                     "Modernisation Platform could not make new connections to the internet. "
                     "Card payments on civil-payments failed, and other services could not reach "
                     "GOV.UK Notify or Sentry. We detected the problem 11 minutes after it began.",
    "users_saw": "Users of civil-payments saw \"Sorry, the service is unavailable\" after "
                 "entering their card details and could not pay. Users of other services saw "
                 "errors or delays.",
    "response": "We declared an incident at 14:00 UTC. At first we suspected a release of the "
                "payment service and rolled it back, which made things worse for checkout. "
                "We then found that a firewall change we had made was blocking the connections, "
                "reverted it, and connections were restored by 14:34 UTC.",
    "cause": "A change to the platform's network firewall policy made the firewall drop the "
             "first step of every new outbound connection, before it could check where the "
             "connection was going.",
    "prevention": "We will prove firewall policy changes in our development environment before "
                  "production, and change the payment service's health check so that a problem "
                  "with a supplier can't take it offline.",
}


@pytest.fixture
def sample(store, monkeypatch):
    """The sample incident at a fixed time with fixed uids, so hashes (and goldens) are stable."""
    counter = itertools.count(1)
    monkeypatch.setattr(domain, "new_uid", lambda: f"uid-{next(counter):05d}")
    ref = load_sample(store, start=SAMPLE_START, profiles=ProfileRegistry())
    w = Warroom(store, ProfileRegistry(), clock=FrozenClock(SAMPLE_START + timedelta(hours=2)),
                user="exporter", host="test-host", session="s1")
    # What the team adds once the dust settles: the impact window and the public statement.
    # Written from grace's own login (the goldens never depend on who runs the tests).
    store.os_user = "grace"
    lead = w.speaking_as("grace", clock=FrozenClock(SAMPLE_START + timedelta(minutes=70)),
                         host="demo-host", session="demo")
    lead.set_impact(ref, "started", SAMPLE_START - timedelta(minutes=12),
                    reason="first firewall drop in the alert log, 12 minutes before the alarm")
    lead.set_impact(ref, "detected", SAMPLE_START - timedelta(seconds=40),
                    reason="the CloudWatch alarm fired")
    lead.set_impact(ref, "mitigated", SAMPLE_START + timedelta(minutes=36),
                    reason="checkout-web 6/6 Ready; 503s stopped")
    lead.write_public(ref, SAMPLE_PUBLIC)
    return w, ref


@pytest.mark.parametrize("template", sorted(BUILTIN_TEMPLATES))
@pytest.mark.parametrize("public", [False, True], ids=["full", "public"])
def test_golden_report_of_the_sample(sample, template, public):
    w, ref = sample
    report = w.export_report(ref, public=public, template=template, tz=GOLDEN_TZ)
    golden = GOLDENS / f"{template}-{'public' if public else 'full'}.md"
    if UPDATE:
        GOLDENS.mkdir(exist_ok=True)
        golden.write_text(report, encoding="utf-8", newline="\n")
    assert golden.exists(), f"{golden} missing: run with WARROOM_UPDATE_GOLDENS=1"
    assert report == golden.read_text(encoding="utf-8"), (
        f"{golden.name} differs; if the change is intended, regenerate with "
        "WARROOM_UPDATE_GOLDENS=1 and review the diff")
    check_report(report, template, public, ref, w.state(ref).title)


def test_sample_report_content(sample):
    w, ref = sample
    state = w.state(ref)
    report_text = w.export_report(ref, tz=GOLDEN_TZ)
    doc = check_report(report_text, "govuk", False, ref, state.title)
    details = {r["Field"]: r["Value"] for r in table(doc, "Incident details")}
    assert details["Reference"] == ref
    assert details["Severity"].splitlines()[0] == w.incident_profile(ref).severity(state.severity).label
    assert len(details["Severity"].splitlines()) == len(state.severity_history) + 1
    assert details["Status"].startswith(state.status)
    for role in w.incident_profile(ref).roles:
        assert role.name in details
    entries = w.entries(ref)
    timeline = table(doc, "Timeline")
    assert [int(r["#"]) for r in timeline] == [e.seq for e in sorted(
        (e for e in entries if e.kind != "amend"), key=lambda e: (e.occurred_at, e.seq))]
    assert "Local (Europe/London)" in timeline[0]
    # One copy of each change: the timeline and the changes table (the runbook refers to them).
    for entry in entries:
        if entry.kind == "change":
            assert report_text.count(md(entry.text)) == 2, entry.text
    assert "write it from the 9 changes made, in order, under “Actions taken and changes made” (entries 7, " in report_text
    # The checklists in the process's order, ticked or not, with who ticked each.
    prof = w.incident_profile(ref)
    post = doc["sections"]["Post-incident"]["paragraphs"]
    first = post.index(f"Declare checklist ({prof.title}):") + 1
    declare = post[first:first + len(prof.checklists["declare"])]
    assert [line[4:].split(" (ticked ")[0] for line in declare] == list(prof.checklists["declare"])
    ticked = {step for step, tick in state.checklists["declare"].items()
              if tick.data["outcome"] == "done"}
    assert 0 < len(ticked) < len(declare)
    for step, line in zip(prof.checklists["declare"], declare):
        assert line.startswith("[x] " if step in ticked else "[ ] "), line
        assert (" UTC by grace)" in line) == (step in ticked)
    resolution = doc["sections"]["Resolution"]["paragraphs"]
    assert "[x] The user is no longer facing issues (ticked 2026-11-22 15:07:40 UTC by grace)" in resolution
    rows = {r["#"]: r for r in timeline}
    for entry in entries:
        if entry.kind in ("note", "result", "decision", "change", "summary"):
            assert rows[str(entry.seq)]["Entry"].split("\nCorrected")[0] == entry.text
    # One copy of the log: corrections sit with the entry they correct, not as rows of their
    # own, and no section repeats the log.
    for target, fixes in state.amendments.items():
        row = next(r for r in timeline if r["#"] == str(target))
        assert all(f"(#{fix.seq}): {fix.text}" in row["Entry"] for fix in fixes)
    report = w.export_report(ref, tz=GOLDEN_TZ)
    for entry in entries:
        if entry.kind == "note":
            assert report.count(md(entry.text)) == 1, entry.text
    assert entries[-1].hash in doc["sections"]["Timeline"]["paragraphs"][-1]
    # The impact window and what reviewers compare.
    assert details["Impact started"] == "2026-11-22 13:48:00 UTC"
    assert details["Detected"] == "2026-11-22 13:59:20 UTC"
    assert details["Mitigated"] == "2026-11-22 14:36:00 UTC"
    assert (details["Duration (impact)"], details["Time to detect"], details["Time to mitigate"],
            details["Time to resolve"]) == ("48m", "11m", "48m", "not yet")
    comms = table(doc, "Communications sent")
    assert [r["Update"] for r in comms] == [e.text for e in entries if e.kind == "comms"]
    assert comms[0]["Cadence"].startswith("first update")
    assert all(r["Cadence"].startswith(("on time", "late by")) for r in comms[1:])


def test_public_sample_has_no_names(sample):
    w, ref = sample
    entries = w.entries(ref)
    names = {e.author for e in entries} | {str(e.data[k]) for e in entries
                                           for k in ("person", "previous", "owner") if e.data.get(k)}
    for template in BUILTIN_TEMPLATES:
        report = w.export_report(ref, public=True, template=template, tz=GOLDEN_TZ)
        for name in names:
            assert not re.search(rf"(?i)(?<!\w){re.escape(md(name))}(?!\w)", report), (template, name)
        assert "@" not in report
        doc = check_report(report, template, True, ref, w.state(ref).title)
        updates = table(doc, "Status updates sent")
        assert len(updates) == sum(e.kind == "comms" for e in entries)
        assert list(updates[0]) == ["Sent (UTC)", "Update"]


def test_same_log_gives_the_same_bytes(sample, tmp_path):
    w, ref = sample
    first = w.export_report(ref, tz=GOLDEN_TZ)
    assert w.export_report(ref, tz=GOLDEN_TZ) == first
    # Moved to another database through a JSON export: the same log, the same report.
    other = Store.open(tmp_path / "other.db")
    try:
        moved = Warroom(other, ProfileRegistry(), user="someone-else", host="elsewhere")
        assert moved.import_json(json.loads(json.dumps(w.export_json(ref)))) == ref
        assert moved.export_report(ref, tz=GOLDEN_TZ) == first
    finally:
        other.close()


def test_render_report_is_a_pure_function_of_the_log_and_the_profile(sample):
    """No store and no Warroom: the entries, the profile and the options give the bytes."""
    w, ref = sample
    entries, profile = w.entries(ref), w.incident_profile(ref)
    for template in sorted(BUILTIN_TEMPLATES):
        for public in (False, True):
            assert render_report(ref, iter(entries), profile, public=public,
                                 template=load_template(template), tz=GOLDEN_TZ) == \
                w.export_report(ref, public=public, template=template, tz=GOLDEN_TZ)
    assert len(w.entries(ref)) == len(entries)  # exporting wrote nothing


def test_local_time_column_only_when_the_zone_is_not_utc(sample, monkeypatch):
    w, ref = sample
    doc = parse(w.export_report(ref, tz="America/New_York"))
    first = table(doc, "Timeline")[0]
    assert first["Time (UTC)"] == "2026-11-22 14:00:00"
    assert first["Local (America/New_York)"] == "2026-11-22 09:00:00 EST"
    for tz in ("UTC", timezone.utc, "Etc/UTC"):
        assert list(table(parse(w.export_report(ref, tz=tz)), "Timeline")[0]) == [
            "Time (UTC)", "#", "Kind", "Author", "Entry"]
    monkeypatch.setenv("TZ", "Asia/Kolkata")  # the default is the system's zone
    assert table(parse(w.export_report(ref)), "Timeline")[0]["Local (Asia/Kolkata)"] == \
        "2026-11-22 19:30:00 IST"
    with pytest.raises(ValidationError, match="unknown time zone"):
        w.export_report(ref, tz="Mars/Olympus_Mons")


# --------------------------------------------------------------------------- hostile text

SNIPPETS = [
    "# ", "## heading", "| a | b |", "|---|---|", "<script>alert(1)</script>", "<br>", "</td>",
    "<!-- c -->", "<img src=x onerror=alert(1)>", "&amp;", "&#35;", "&lt;", "&copy", "[x](http://e.com)",
    "![i](http://e.com/i.png)", "<http://e.com>", "https://e.com/a_b_", "www.example.com",
    "e.com", "a@b.co", "```", "~~~", "    code", "`x`", "``", "**b**", "__u__", "*", "_", "~~s~~",
    "\\", "\\|", "\\\\", "@alice", "@org/team", "x@y", "#12", "owner/repo#3", "GH-4", ":fire:",
    ":+1:", "1. ", "1) ", "- ", "+ ", "* ", "> ", "---", "===", "[^1]", "$x$", "$$", "{.c}",
    "[ ] ", "[!NOTE]", "\n", "\n\n", "\n    ", "\t", "  ", "é", "—", "\u2028", "😀", "\x1b[31m",
    "\x07", "\r\n", "\u202e", "'quoted'", '"double"', "--", "...", "(c)", "->", "<-", "=>",
]
hostile = st.lists(
    st.one_of(st.sampled_from(SNIPPETS),
              st.text(alphabet=string.punctuation + "ab1 \n\t", max_size=10)),
    min_size=1, max_size=10).map("".join)


def _stored(text: str) -> bool:
    try:
        clean_text(text)
    except ValidationError:
        return False
    return True


def _owner_ok(text: str) -> bool:
    try:
        owner_name(text)
    except ValidationError:
        return False
    return True


def _line_ok(text: str) -> bool:
    try:
        clean_line(text, what="title")
    except ValidationError:
        return False
    return True


# What hypothesis found: a bare URL before a line break (once ended by a space, which changed
# the text; and markdown-it's linkify carries a URL over the <br> to a closing quote or bracket).
FOUND = [
    "~~s~~![i](http://e.com/i.png)1^)\n '+#|>\"\r\n<br>=\t`@1%[a.%...<! =!-+\"b\t.1a",
    "~~s~~;^:;b:\nhttps://e.com/a_b_'|,&:\n'|,&:;^:;b:[^1]>[\t  ",
    "https://e.com/a_b_+__+*@/:;~\"1{*&&%>[1\n'%$\"1{*&&%>[1<!-- c -->--?<<='/+=(]<!-- c -->",
    "see https://e.com/x\nnext line", "https://e.com/(a\nb) and https://e.com/'q\nr'",
    "1<!a\r\n# ",  # the ">" of the report's <br> closed a declaration
    "<1@ab>", "x <-@ab.c>",  # an e-mail autolink whose address starts with no letter
    "[^1](\\)", "[a](b\\) c",  # a backslash typed, doubled in the output, closed the link
    "[^1](1\n1)", "[a](\n)",  # a line break, "<br>" in the output, inside a link's destination
    # linkify-it's "user@" part ran from a URL with no path over the <br> to an "@"
    "<http://e.com>\n@1", "http://e.com\n`x@1`",
    "[!NOTE](<)", "[a](<b c)",  # no link: a destination that starts with "<" must close with ">"
]


# Each example builds an incident in a real SQLite file and renders four reports, so this runs
# a few hundred derandomized cases (the same ones every run) without shrinking: a failure is
# printed as generated. The md() property below runs thousands of texts in every position.
@settings(max_examples=250, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
@example(notes=FOUND[1:], title="|[#[@;'/1^", summary=FOUND[0], update="1. =>`x`",
         owner="_@1\\@)=")
@example(notes=[FOUND[-2], FOUND[-1]], title="https://e.com/a", summary=FOUND[-1],
         update=FOUND[2], owner="bob")
@given(notes=st.lists(hostile.filter(_stored), min_size=1, max_size=4),
       title=hostile.filter(_line_ok), summary=hostile.filter(_stored),
       update=hostile.filter(_stored), owner=hostile.filter(_owner_ok))
def test_hostile_text_stays_text(wr, notes, title, summary, update, owner):
    ref = wr.declare(title, lead="alice").incident
    logged = [wr.note(ref, text) for text in notes]
    decision = wr.log(ref, "decision", notes[0])
    benign = wr.note(ref, BENIGN)
    wr.write_summary(ref, summary)
    wr.post_update(ref, update)
    wr.log(ref, "action", notes[-1], owner=owner)
    wr.add_followup(ref, summary, owner=owner)
    wr.write_public(ref, {"what_happened": summary, "cause": notes[0]})
    state = wr.state(ref)
    for template in BUILTIN_TEMPLATES:
        report = wr.export_report(ref, template=template, tz="UTC")
        doc = check_report(report, template, False, ref, state.title)
        timeline = {r["#"]: r["Entry"] for r in table(doc, "Timeline")}
        for entry in logged + [decision, benign]:
            assert timeline[str(entry.seq)] == entry.text
        assert f"| {BENIGN} |" in report  # byte for byte in the raw file
        assert doc["sections"]["Summary"]["paragraphs"][-1] == state.latest_summary.text
        updates = table(doc, "Communications sent")
        assert [u["Update"] for u in updates] == [state.latest_comms.text]
        followups = table(doc, "Follow-up actions" if template == "govuk" else "Action items")
        assert {f["Owner"] for f in followups} == {owner_name(owner)}
        public = wr.export_report(ref, public=True, template=template, tz="UTC")
        check_report(public, template, True, ref, None)


# What a note reads like: none of it is structure anywhere in the report, so all of it must
# come out byte for byte.
BENIGN = ("INC-1 at 2026-12-03 06:22:29 UTC: can't reach example.com or "
          "https://status.example.com/v1/x_y?a=1&b=2 (v2.14.0 -> v2.13.2, ~70% of 1,140/min; "
          "drop_strict; 2 * 3 = 6; [ERROR] \"quoted\" C:\\temp R&D 100% #channel-name a_b_c e.g.)")

# The positions md() text takes in a report: a heading, a paragraph, a list item, a task-list
# item, a table cell beside others. The document around it is fixed; only the text varies.
POSITIONS = "# {t}\n\n{t}\n\n- {t}\n- [x] {t}\n\n| a | b |\n| --- | --- |\n| {t} | {t} |\n"
SHORTCUT = re.compile(r"@(?<!\w@)[A-Za-z0-9]|#[0-9]|:[a-z0-9_+\-]{2,}:|GH-[0-9]")
GFM = MarkdownIt("gfm-like")
# GitHub reads emphasis, code and escapes before it links bare URLs: the same, unlinked.
GFM_UNLINKED = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _shape(tokens) -> list:
    return [(t.type, t.tag, t.nesting) for t in tokens]


def _plain(text: str, source: str) -> bool:
    """Whether ``source`` parses to one inline token whose children are plain text equal to
    ``text`` (a bare URL GitHub links to itself counts as plain), linked or not."""
    return _plain_by(GFM, text, source) and _plain_by(GFM_UNLINKED, text, source)


def _plain_by(parser, text: str, source: str) -> bool:
    tokens = parser.parse(source)
    inlines = [t for t in tokens if t.type == "inline"]
    if len(inlines) != (2 if source.startswith("| a |") else 1) or (
            source.startswith("| a |") and not any(t.type == "table_open" for t in tokens)):
        return False
    try:
        return inline_text(inlines[-1]) == text and all(
            c.type in ("text", "link_open", "link_close") for c in inlines[-1].children)
    except AssertionError:
        return False


def has_no_structure(text: str) -> bool:
    """Whether ``text`` means nothing but itself in every position of the report: as a
    paragraph, a list item and a table cell (CommonMark and GFM by markdown-it), and to
    GitHub's extras markdown-it does not know (mentions and references, single-tilde
    strikethrough, inline maths, task-list boxes)."""
    if not text.isprintable() or text != text.strip() or not text or SHORTCUT.search(text):
        return False
    if text.count("$") > 1 or re.match(r"\[[ xX]\]", text):
        return False
    if re.match(r"\[.*\]:[ \t]*\S", text):
        return False  # md() escapes what could be a link reference definition without checking
        # that its destination is valid ("[!NOTE]://x)" is not one): harmless, and rare
    # md() pairs emphasis runs exactly when there are two of a kind; with three or more, the
    # rule of 3 can leave them all unpaired, and md() escapes them anyway (harmless, and rare).
    if any(len(re.findall(rf"\{c}+", text)) > 2 for c in "*_"):
        return False
    if len(re.findall(r"~+", text)) > 1:
        return False  # GitHub's ~strike~ and ~~strike~~, which markdown-it reads only in part:
        # md() escapes any pair of runs that could open and close (more than GitHub needs)
    return (_plain(text, text) and _plain(text, f"- {text}") and _plain(text, f"# {text}")
            and _plain(text, f"| a |\n| - |\n| {text} |"))


punctuation_heavy = st.lists(
    st.one_of(st.sampled_from(SNIPPETS + [BENIGN, "a_b", "~70%", "[ERROR]", "can't", "2 * 3",
                                          "v2.1", "14:05:07", "https://e.com/a_b", "->"]),
              st.text(alphabet=string.punctuation + "ab1 é\u00a0", max_size=8)),
    min_size=1, max_size=8).map("".join)


# A fixed set of 3,000 in the suite (the same every run, so a red run is this change's doing);
# WARROOM_EXPLORE=1 draws new ones each run, which is how the FOUND cases above were found.
@settings(max_examples=3000, deadline=None, derandomize=not os.environ.get("WARROOM_EXPLORE"))
@given(text=st.one_of(punctuation_heavy, hostile))
def test_typed_text_is_never_structure_and_plain_text_is_verbatim(text):
    """The property, in every position md() text takes: the document's structure is the
    template's whatever was typed, each position reads back exactly the text (line breaks as
    <br>), and text with no structural meaning appears byte for byte in the raw file."""
    shown = md(text)
    if not shown:
        return  # nothing visible: callers write "(empty)" or leave a blank cell
    expected = clean_text(text) if _stored(text) else None
    placeholder = POSITIONS.format(t="x")
    doc = POSITIONS.format(t=shown)
    for parser in PARSERS.values():
        tokens = parser.parse(doc)
        assert _shape(tokens) == _shape(parser.parse(placeholder)), (text, shown)
        if expected is not None:
            header = False
            for token in tokens:
                header = (header or token.type == "thead_open") and token.type != "thead_close"
                if token.type == "inline" and not header:
                    read = inline_text(token)
                    read = read[4:] if read.startswith("[x] ") and token.map == [5, 6] else read
                    assert read == CONTROL.sub("", expected).strip().replace("\r", ""), (
                        text, shown)
    if has_no_structure(text):
        assert shown == text, (text, shown)


def test_known_hostile_texts_are_never_structure():
    for text in SNIPPETS + [BENIGN, "*a*", "**b**", "_u_", "~x~", "~~s~~", "[a](b)", "![a](b)",
                            "<b>x</b>", "`c`", "``c``", "&amp;", "&#35;", "$x$", "[ ] t", "[x]: /u",
                            "    code", "1) x", "10. x", "+ x", "***", "___", "- - -", "> x",
                            *FOUND]:
        test_typed_text_is_never_structure_and_plain_text_is_verbatim.hypothesis.inner_test(text)
    assert md(BENIGN) == BENIGN


def test_a_bare_url_before_a_line_break_keeps_its_text():
    # GFM ends a bare URL at the "<" of the report's <br>: no space is needed, none is added.
    assert md("see https://e.com/x_y?a=1\nnext line") == "see https://e.com/x_y?a=1<br>next line"
    assert md(BENIGN + "\n" + BENIGN) == f"{BENIGN}<br>{BENIGN}"
    # markdown-it's linkify would carry the URL over the <br> to the closing quote: the
    # opener inside the URL becomes a character reference, which reads the same.
    assert md("https://e.com/'q\nr'") == "https://e.com/&#39;q<br>r'"
    # and its "user@" part over the <br> to an "@" (no "/", white space or bracket between):
    # the URL's ":" becomes a reference; GitHub reads it first and links the URL, as typed.
    assert md("<http://e.com>\n@1") == "\\<http&#58;//e.com><br>`@1`"
    assert md("see http://e.com/a\n@1") == "see http://e.com/a<br>`@1`"


def test_what_github_would_link_is_kept_in_code_spans():
    assert md("ping @alice about #12, owner/repo#3 and GH-4 :fire:") == (
        "ping `@alice` about `#12`, owner/repo`#3` and `GH-4` `:fire:`")
    assert md("mail bob@example.com at 14:05:07") == "mail bob@example.com at 14:05:07"
    assert md(":fire:@alice") == "`:fire:@alice`"  # adjacent spans merge: `` would not close
    assert md("`@alice`") == "\\``@alice`\\`"
    assert md("a\x1b[31mred\x1b[0m\u202e") == "ared"


# --------------------------------------------------------------------------- public version

def test_public_report_redacts_secrets_and_names(wr):
    """Redaction stays as a second line of defence, for what the public statement says."""
    ref = wr.declare("Login failures", lead="alice", services=["Authentication"]).incident
    wr.assign_role(ref, "scribe", "bob.smith")
    wr.note(ref, "scratchpad: bob.smith thinks it is the cache")
    wr.write_public(ref, {"what_happened": (
        "alice rolled back; Bob.Smith checked with @carol and dave@example.com. "
        "Leaked password=hunter2 and AKIAIOSFODNN7EXAMPLE; see https://admin:pw@auth.example.com")})
    wr.post_update(ref, "We are investigating. Contact support@example.com. Token: ghp_"
                        + "x" * 36)
    report = wr.export_report(ref, public=True, tz="UTC")
    doc = check_report(report, "govuk", True, ref, "Login failures")
    assert "scratchpad" not in report
    assert doc["sections"]["What happened"]["paragraphs"][0] == (
        "[name] rolled back; [name] checked with [name] and [email]. Leaked "
        "password=[redacted: secret] and [redacted: AWS access key]; see "
        "https://admin:[redacted: password]@auth.example.com")
    assert table(doc, "Status updates sent")[0]["Update"] == (
        "We are investigating. Contact [email]. Token: [redacted: secret]")


INTERNAL = [
    ("note", "ssh ops@bastion-02.internal.example.net and tail /var/log/pay/api.log"),
    ("change", "ran `kubectl -n pay rollout restart deployment/pay-api` on cluster prod-eu-7"),
    ("result", "db-primary-3.prod.internal answers again; replication lag 0s"),
    ("decision", "page the DBA on call rather than wait for business hours"),
    ("note", "internal: blame the vendor's release if anyone asks"),
]


def test_public_report_is_built_from_what_was_written_for_the_public(wr):
    ref = wr.declare("Payments failing", lead="alice", services=["Authentication"],
                     description="pay-api on prod-eu-7 returns 502 via lb-int-4.corp").incident
    for kind, text in INTERNAL:
        wr.log(ref, kind, text)
    wr.log(ref, "action", "restart pay-api on prod-eu-7", owner="bob")
    wr.write_summary(ref, "Lead summary: bastion-02.internal.example.net shows OOM kills in pay-api")
    sent = [wr.post_update(ref, "We are investigating problems with payments."),
            wr.post_update(ref, "Payments are working again; we are monitoring.")]
    no_statement = wr.export_report(ref, public=True, tz="UTC")
    doc = check_report(no_statement, "govuk", True, ref, "Payments failing")
    assert doc["sections"]["What happened"]["paragraphs"][0].startswith("No public summary has been written")
    statement = {"what_happened": "Between 14:00 and 14:40 UTC some card payments failed.",
                 "users_saw": "An error page after entering card details.",
                 "response": "We restarted the payment service.",
                 "cause": "The payment service ran out of memory.",
                 "prevention": "We are giving the payment service more memory and an alert."}
    wr.write_public(ref, statement)
    report = wr.export_report(ref, public=True, tz="UTC")
    doc = check_report(report, "govuk", True, ref, "Payments failing")
    for heading, key in (("What happened", "what_happened"), ("What users saw", "users_saw"),
                         ("How we responded", "response"), ("Cause of the problem", "cause"),
                         ("What we're doing to prevent it happening again", "prevention")):
        assert doc["sections"][heading]["paragraphs"][0] == statement[key]
    assert [r["Update"] for r in table(doc, "Status updates sent")] == [e.text for e in sent]
    window = {r["When"]: r["Time (UTC)"] for r in table(doc, "What happened")}
    assert window["Services affected"] == "Authentication"
    for secret in ["bastion-02", "internal", "kubectl", "prod-eu-7", "db-primary-3", "DBA",
                   "blame", "lb-int-4", "OOM", "restart pay-api", "alice", "bob"]:
        assert secret not in report, secret
    # The draft the dialog offers comes from the status updates, never the internal log.
    from warroom.core.public import public_draft
    state = wr.state(ref)
    draft = public_draft(replace(state, public=None), [("14:05", e.text) for e in sent])
    assert draft["users_saw"] == sent[0].text and "kubectl" not in json.dumps(draft)


def test_export_public_without_a_statement_warns(db, tmp_path):
    seed(db, title="Slow pages")
    out = tmp_path / "public.md"
    result = run_cli("--db", db, "export", "INC-1", "--public", "-o", str(out))
    assert result.returncode == 0
    assert result.stderr.strip().splitlines() == [
        "warroom: warning: INC-1 has no public summary yet: the report says so (write one with "
        "warroom public INC-1 or the p key)"]
    assert "No public summary has been written" in out.read_text(encoding="utf-8")


def test_public_report_of_a_security_incident_is_refused_unless_forced(wr):
    ref = wr.declare("Credential stuffing", security=True).incident
    before = len(wr.entries(ref))
    with pytest.raises(WarroomError, match="security incident") as refused:
        wr.export_report(ref, public=True)
    assert "\n" not in str(refused.value)
    assert len(wr.entries(ref)) == before
    with pytest.raises(WarroomError, match="security incident"):  # the pure function too
        render_report(ref, wr.entries(ref), wr.incident_profile(ref), public=True)
    assert wr.export_report(ref)  # the internal report is fine
    report = wr.export_report(ref, public=True, force=True)
    forced = wr.entries(ref)[-1]
    assert forced.kind == "system" and forced.author == "alice"
    assert forced.data["event"] == "public_report_forced"
    assert "override" in forced.text
    assert "Credential stuffing" in report


# --------------------------------------------------------------------------- sections

def test_cadence_on_time_late_and_missed(wr, clock):
    ref = wr.declare("Slow checkout", severity="sev2").incident
    clock.advance(timedelta(minutes=5))
    wr.post_update(ref, "first", next_update=timedelta(minutes=10))
    clock.advance(timedelta(minutes=15))
    wr.post_update(ref, "second")  # 5 minutes late against the 10 it promised
    clock.advance(timedelta(minutes=30))
    wr.post_update(ref, "third")  # no promise: the profile's hourly cadence applies
    clock.advance(timedelta(minutes=90))
    wr.change_status(ref, "resolved", "fixed")
    doc = parse(wr.export_report(ref, tz="UTC"))
    cadence = [r["Cadence"] for r in table(doc, "Communications sent")]
    assert cadence == ["first update, 5m 00s after declaration",
                       "late by 5m 00s (due by 2026-11-22 14:15:00)",
                       "on time (due by 2026-11-22 15:20:00)"]
    assert doc["sections"]["Communications sent"]["paragraphs"][-1] == (
        "No update was sent between the one due by 2026-11-22 15:50:00 UTC and the resolution "
        "at 2026-11-22 16:20:00 UTC.")


def test_post_incident_review_due_date_runbook_and_checklist(wr, clock):
    ref = wr.declare("Disk full", severity="sev3").incident
    wr.log(ref, "change", "rm -rf /var/log/old/*  # freed 40G")
    clock.advance(timedelta(hours=1))
    wr.change_status(ref, "resolved", "Disk cleaned", checklist={"Users are no longer facing issues": True})
    doc = parse(wr.export_report(ref, tz="UTC"))
    post = doc["sections"]["Post-incident"]["paragraphs"]
    assert post[0] == ("Review meeting due by Sunday 2026-11-29 "
                       "(7d after resolution, per Default incident process).")
    # The runbook the process asks for points to the changes; it does not list them again.
    change = next(e for e in wr.entries(ref) if e.kind == "change")
    assert post[1] == ("Runbook: the process asks for one (“Publish a runbook for this failure”): "
                       "write it from the change made, under “Actions taken and changes made” "
                       f"(entry {change.seq}).")
    assert not any("rm -rf" in p for p in post)
    assert post[-3:] == ["[ ] Schedule a blameless review meeting", "[ ] Draft the incident report",
                         "[ ] Publish a runbook for this failure"]
    resolution = doc["sections"]["Resolution"]["paragraphs"]
    assert resolution[0] == "Resolved 2026-11-22 15:00:00 UTC by alice: Disk cleaned"
    # The resolve checklist in the process's order, with who ticked each.
    steps = wr.incident_profile(ref).checklists["resolve"]
    checklist = resolution[resolution.index("Resolve checklist (Default incident process):") + 1:]
    assert [line[4:].rsplit(" (", 1)[0] for line in checklist] == list(steps)
    assert ("[x] Users are no longer facing issues (ticked when resolved, 2026-11-22 15:00:00 UTC "
            "by alice)") in checklist
    assert sum(line.startswith("[x]") for line in checklist) == 1
    details = {r["Field"]: r["Value"] for r in table(doc, "Incident details")}
    assert details["Duration (impact)"] == "1h 00m"
    assert details["Resolved"] == "2026-11-22 15:00:00 UTC"


def test_labelled_entries_fill_the_sre_sections(wr, clock):
    ref = wr.declare("Queue backlog").incident
    wr.note(ref, "Trigger: the 02:00 batch doubled its batch size")
    root = wr.note(ref, "Root cause: consumer concurrency capped at 1")
    wr.amend(ref, root.seq, "Root cause: consumer concurrency capped at 1 by a config default")
    wr.note(ref, "Went well: alerting fired in 2 minutes")
    wr.note(ref, "nothing labelled here")
    doc = parse(wr.export_report(ref, template="sre", tz="UTC"))
    section = lambda h: doc["sections"][h]["paragraphs"]  # noqa: E731
    assert section("Trigger") == ["2026-11-22 14:00:00 UTC by alice: the 02:00 batch doubled its batch size"]
    assert section("Root causes") == ["2026-11-22 14:00:00 UTC by alice: consumer concurrency "
                                      "capped at 1 by a config default"]
    assert section("Lessons learned") == ["Went well, 2026-11-22 14:00:00 UTC by alice: alerting "
                                          "fired in 2 minutes"]
    assert section("Detection")[1].startswith("First event logged")


def test_root_causes_hold_the_cause_and_not_the_whole_summary(wr, clock):
    ref = wr.declare("Queue backlog").incident
    wr.write_summary(ref, "Cause: we suspect the 2.14 release. Rolling back. Plan: watch.")
    clock.advance(timedelta(minutes=30))
    wr.write_summary(ref, "Status: monitoring, P2.\nCause: the firewall change PR 7412 dropped "
                          "outbound HTTPS (e.g. to GOV.UK Pay). Reverted at ~32m; now P2. "
                          "Open: follow-ups. Plan: resolve at ~1h15m.")
    doc = parse(wr.export_report(ref, template="sre", tz="UTC"))
    # Only the latest summary's cause line, to the end of its first sentence.
    assert doc["sections"]["Root causes"]["paragraphs"] == [
        "2026-11-22 14:30:00 UTC by alice, in the lead summary: the firewall change PR 7412 "
        "dropped outbound HTTPS (e.g. to GOV.UK Pay)."]
    # A note written as the root cause is whole; the public summary's cause is beside it, in
    # time order.
    wr.note(ref, "Root cause: a default-order policy. It passed review as a no-op.")
    clock.advance(timedelta(minutes=5))
    wr.write_public(ref, {"cause": "A firewall change blocked outbound connections."})
    causes = parse(wr.export_report(ref, template="sre", tz="UTC"))["sections"]["Root causes"]
    assert causes["paragraphs"] == [
        "2026-11-22 14:30:00 UTC by alice, in the lead summary: the firewall change PR 7412 "
        "dropped outbound HTTPS (e.g. to GOV.UK Pay).",
        "2026-11-22 14:30:00 UTC by alice: a default-order policy. It passed review as a no-op.",
        "2026-11-22 14:35:00 UTC by alice, in the public summary: A firewall change blocked "
        "outbound connections."]
    # No cause anywhere: said plainly, and no summary in its place.
    other = wr.declare("Disk full").incident
    wr.write_summary(other, "Disk at 97%. Plan: clean /var/log. Cause unknown so far.")
    report = wr.export_report(other, template="sre", tz="UTC")
    assert parse(report)["sections"]["Root causes"]["paragraphs"] == [
        "Not identified in the log: agree the root causes at the review meeting (entries that "
        "start with “Root cause:”, the public summary's cause and a lead summary's “Cause:” "
        "line are collected here)."]


def test_escalations_and_support_tickets_are_apart(wr):
    ref = wr.declare("Sites down", profile="dxw", severity="major", lead="ana").incident
    wr.log_escalation(ref, "2nd line support", "woke Sam", how="phone")
    wr.log_ticket(ref, "AWS", "1716", "raised from the console")
    doc = parse(wr.export_report(ref, tz="UTC"))
    assert [r["Escalated to"] for r in table(doc, "Escalations")] == ["2nd line support"]
    assert [r["Supplier"] for r in table(doc, "Third-party support tickets")] == ["AWS"]
    assert len(doc["sections"]["Third-party support tickets"]["tables"]) == 1
    # A template with support tickets and no escalations section keeps both, each labelled.
    write_template("tickets-only", '[[sections]]\nsection = "tickets"\nheading = "Support"\n')
    doc = parse(wr.export_report(ref, template="tickets-only", tz="UTC"))
    support = doc["sections"]["Support"]
    assert [t[1][2] for t in support["tables"]] == ["2nd line support", "AWS"]
    assert "Escalations:" in support["paragraphs"]
    assert "Third-party support tickets:" in support["paragraphs"]


def test_a_process_without_a_runbook_gets_no_runbook_line(wr):
    ref = wr.declare("Router down", profile="govuk-paas", severity="p2", lead="ana").incident
    wr.log(ref, "change", "rolled back the router release")
    post = parse(wr.export_report(ref, tz="UTC"))["sections"]["Post-incident"]["paragraphs"]
    assert not any("unbook" in p for p in post) and not any("rolled back" in p for p in post)


def test_a_template_with_no_other_place_for_the_changes_lists_them_in_the_runbook(wr):
    write_template("post", '[[sections]]\nsection = "post_incident"\nheading = "After"\n')
    ref = wr.declare("Disk full").incident
    wr.log(ref, "change", "rm -rf /var/log/old/*")
    wr.log(ref, "change", "restarted nginx")
    report = wr.export_report(ref, template="post", tz="UTC")
    after = parse(report)["sections"]["After"]["paragraphs"]
    assert after[1:4] == ["Runbook: the process asks for one (“Publish a runbook for this failure”). "
                          "The changes made during the incident, in order:",
                          "rm -rf /var/log/old/*", "restarted nginx"]


def test_a_log_with_control_characters_in_every_field_is_safe_to_cat(store, profiles):
    """Entries that did not come through the domain (an old import, a hand-edited database)."""
    bad = "\x1b]0;pwned\x07\x1b[2Jx\x00y\x9b31m\u202eevil\r"
    items, prev = [], GENESIS
    for seq, (kind, data) in enumerate([
            ("declared", {"title": bad, "profile": "default", "severity": bad, "services": [bad]}),
            ("role", {"role": bad, "person": bad}), ("comms", {"audience": bad, "next_update_s": 60}),
            ("action", {"owner": bad}), ("ticket", {"party": bad, "reference": bad}),
            ("note", {})], start=1):
        e = Entry(incident="INC-9", seq=seq, uid=f"u{seq}", kind=kind, author=bad,
                  occurred_at=f"2026-11-22T14:0{seq}:00.000000Z",
                  recorded_at=f"2026-11-22T14:0{seq}:00.000000Z", text=bad, data=data, prev_hash=prev)
        e = replace(e, hash=chain_hash(prev, e))
        items.append(e)
        prev = e.hash
    store.import_incident("INC-9", 9, "no-such-profile", items[0].recorded_at, items)
    w = Warroom(store, profiles, user="alice")
    for template in BUILTIN_TEMPLATES:
        for public in (False, True):
            report = w.export_report("INC-9", template=template, public=public, tz="Europe/Paris")
            assert CONTROL.search(report) is None
            assert "\x1b" not in report and "\r" not in report
            parse(report)


# --------------------------------------------------------------------------- templates

def write_template(name: str, text: str) -> Path:
    folder = Path(os.environ["WARROOM_CONFIG_DIR"]) / "templates"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_user_template_orders_and_names_the_sections(wr):
    write_template("review", '''
title = "Blameless review"
[[sections]]
section = "summary"
heading = "What happened (#1 <b>|</b>)"
note = "Written by the incident lead | *not* markup."
[[sections]]
section = "followups"
heading = "What we will change"
''')
    ref = wr.declare("Outage").incident
    wr.write_summary(ref, "All good now")
    report = wr.export_report(ref, template="review", tz="UTC")
    doc = check_report(report, "review", False, ref, "Outage")
    assert [h for _, h in doc["headings"]][1:] == ["What happened (#1 <b>|</b>)", "What we will change"]
    assert doc["sections"]["What happened (#1 <b>|</b>)"]["paragraphs"][0] == \
        "Written by the incident lead | *not* markup."
    assert template_names() == ["govuk", "sre", "review"]


@pytest.mark.parametrize("order", [("timeline", "appendix"), ("appendix", "timeline")])
def test_a_template_naming_timeline_and_appendix_shows_files_and_head_once(wr, order):
    write_template("both", "".join(f'[[sections]]\nsection = "{sid}"\nheading = "{sid.title()}"\n'
                                   for sid in order))
    ref = wr.declare("Outage").incident
    wr.attach(ref, "out.txt", b"ok\n")
    report = wr.export_report(ref, template="both", tz="UTC")
    first, second = report.split(f"## {order[0].title()}", 1)[1].split(f"## {order[1].title()}")
    for once in ("recomputed from the entries", "SHA-256 is under the hash chain"):
        assert once in first and once not in second
    if order[0] == "timeline":
        assert "The files and the chain head are with the timeline above." in second


@pytest.mark.parametrize("text, problem", [
    ("sections = 3", "sections: must be a non-empty array"),
    ("[[sections]]\nsection = 'summary'\nheading = 'S'\ncolour = 'red'", "sections[0].colour: unknown key"),
    ("[[sections]]\nsection = 'exec(1)'\nheading = 'S'", "sections[0].section: 'exec(1)' is not a section"),
    ("[[sections]]\nsection = 'summary'", "sections[0].heading: is required"),
    ("[[sections]]\nsection = 'summary'\nheading = '   '", "sections[0].heading: is empty"),
    ("include = 'x'\n[[sections]]\nsection = 'summary'\nheading = 'S'", "include: unknown key"),
    ("[[sections]\n", "not valid TOML"),
])
def test_a_bad_user_template_names_the_key_and_the_problem(wr, text, problem):
    path = write_template("broken", text)
    ref = wr.declare("x").incident
    with pytest.raises(ValidationError) as err:
        wr.export_report(ref, template="broken")
    assert str(path) in str(err.value) and problem in str(err.value)


@pytest.mark.parametrize("name", ["nope", "../../etc/passwd", "GOVUK/..", ""])
def test_unknown_template_is_one_line_not_found(wr, name):
    ref = wr.declare("x").incident
    if name == "":
        assert wr.export_report(ref, template=name)  # empty means the default
        return
    with pytest.raises(NotFound, match="unknown report template") as err:
        wr.export_report(ref, template=name)
    assert "\n" not in str(err.value) and "govuk, sre" in str(err.value)


# --------------------------------------------------------------------------- command line

@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "team.db")


def test_export_writes_atomically_with_mode_0600(db, tmp_path):
    seed(db, "| not | a | table |", title="Checkout 503s", lead="ana")
    out = tmp_path / "reports" / "INC-1.md"
    out.parent.mkdir()
    out.write_text("old report", encoding="utf-8")
    os.chmod(out, 0o644)
    refused = run_cli("--db", db, "export", "INC-1", "-o", str(out))  # never replaced unasked
    assert refused.returncode == 1 and "--overwrite" in refused.stderr
    assert out.read_text(encoding="utf-8") == "old report"
    result = run_cli("--db", db, "export", "INC-1", "-o", str(out), "--overwrite")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert [p.name for p in out.parent.iterdir()] == ["INC-1.md"]  # no temp file left behind
    stdout = run_cli("--db", db, "export", "INC-1").stdout
    assert out.read_text(encoding="utf-8") == stdout
    assert "\\| not \\| a \\| table \\|" in stdout
    sre = run_cli("--db", db, "export", "INC-1", "--template", "sre").stdout
    assert "## Root causes" in sre


def test_export_to_a_missing_folder_is_a_one_line_error(db, tmp_path):
    seed(db, title="x")
    result = run_cli("--db", db, "export", "INC-1", "-o", str(tmp_path / "no" / "such" / "r.md"))
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_export_public_of_a_security_incident(db, tmp_path):
    seed(db, title="Leaked key", security=True, lead="ana")
    out = tmp_path / "public.md"
    refused = run_cli("--db", db, "export", "INC-1", "--public", "-o", str(out))
    assert refused.returncode == 1
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "security incident" in lines[0] and "--force" in lines[0]
    assert not out.exists()
    forced = run_cli("--db", db, "--as", "comms-lead", "export", "INC-1", "--public", "--force",
                     "-o", str(out))
    assert forced.returncode == 0, forced.stderr
    assert out.read_text(encoding="utf-8").startswith("# INC-1: Leaked key\n")
    log = export_doc(db)["entries"]
    assert log[-1]["kind"] == "system" and log[-1]["author"] == "comms-lead"
    assert log[-1]["data"]["event"] == "public_report_forced"
    assert not re.search(r"\bana\b", out.read_text(encoding="utf-8"))


def test_export_unknown_template_exit_1_one_line(db):
    seed(db, title="x")
    result = run_cli("--db", db, "export", "INC-1", "--template", "fancy")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "warroom: unknown report template 'fancy' (choose from: govuk, sre)"]


def test_every_section_id_has_a_writer():
    from warroom.core.report.sections import WRITERS
    from warroom.core.report.templates import PUBLIC_SECTIONS, SECTIONS

    assert set(WRITERS) == set(SECTIONS) | PUBLIC_SECTIONS


def test_impact_window_from_the_command_line_reaches_the_report(db):
    """declare --at sets when impact started; set --detected/--mitigated the rest; the report's
    duration is the impact window, with time to detect, mitigate and resolve."""
    now = datetime.now(timezone.utc).replace(microsecond=0)
    started = (now - timedelta(minutes=50)).strftime("%Y-%m-%dT%H:%M:%SZ")
    declared = run_cli("--db", db, "--as", "alice", "declare", "Slow logins", "--at", started)
    assert declared.returncode == 0 and declared.stdout == "INC-1\n", declared.stderr
    detected = (now - timedelta(minutes=45)).strftime("%Y-%m-%dT%H:%M:%SZ")
    mitigated = (now - timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    done = run_cli("--db", db, "set", "INC-1", "--detected", detected, "--mitigated", mitigated,
                   "--reason", "from the load balancer graphs")
    assert done.returncode == 0, done.stderr
    bad = run_cli("--db", db, "declare", "Later", "--at", "tomorrow-ish")
    assert bad.returncode != 0 and len(bad.stderr.strip().splitlines()) == 1
    report = run_cli("--db", db, "export", "INC-1").stdout
    details = {r["Field"]: r["Value"] for r in table(parse(report), "Incident details")}
    assert details["Impact started"] == started.replace("T", " ").replace("Z", " UTC")
    assert details["Detected"] == detected.replace("T", " ").replace("Z", " UTC")
    assert details["Mitigated"] == mitigated.replace("T", " ").replace("Z", " UTC")
    assert details["Time to detect"] == "5m" and details["Time to mitigate"] == "30m"
    assert details["Duration (impact)"] == "30m"
