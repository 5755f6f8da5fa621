"""Export of a 100,000-entry incident: the Markdown report against a plain "\\n".join.

    python bench/export.py [--entries 100000] [--runs 3] [--keep DIR]

Builds one incident of N entries (a realistic mix: notes with punctuation, multi-line pastes,
@mentions, actions and their outcomes, comms on a cadence, handovers, severity and status
changes, corrections) straight into a SQLite file with ``Store.import_incident``, hash chain
and all. Then, each in a fresh child process so one cannot warm or bloat the other:

- figure: ``Warroom.export_report(ref)`` (default template, full report, a local-time column)
  written to a file;
- floor: the same entries read with ``store.iter_entries`` and written as ``"\\n".join`` of
  their texts: the least any export of this log must do.

Time is the best of ``--runs`` runs, the two kinds alternating (wall clock, inside the child, reading the database
included). Peak memory is ``ru_maxrss`` of the child minus its resident size just before the
export (so the interpreter and imports are not counted), and tracemalloc's peak of Python
allocations in a separate child (tracemalloc slows the run, so it is never timed).
Target: the report in 1.5 s or less, and at most 2x the floor of the same run.

The report escapes each distinct text once (``md()`` keeps what it gave: the same text comes
back in the timeline and in its section, status updates repeat a template, "Done"), so a log
whose texts repeat costs less than one where every text is new: ``--unique-texts`` numbers
every entry's text, the worst case for that.

``--stages`` also prints where the report's time goes (CPU seconds of each stage, in one more
child: reading, the hash chain, the damage check, the walk, the sections and writing), against
the floor's reading and writing.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_S = 1.5
TARGET_RATIO = 2.0
REF = "INC-1"
TZ = "Europe/London"

PEOPLE = ["aisha", "tom", "sam", "grace", "ewan", "priya"]
NOTES = [
    "checkout-web log: [ERROR] PayClient - POST https://publicapi.payments.service.gov.uk/v1/payments "
    "failed: connect timed out after 5000ms | attempt=3/3 | circuit=OPEN",
    "Alert log is full of blocked TCP SYNs to 443 from 10.26.0.0/16: \"action\":\"blocked\" | "
    "\"signature\":\"aws:drop_strict\". About 3,000/min.",
    "ewan: that lines up with PR #7412 (STRICT_ORDER, default action aws:drop_strict) *applied* "
    "12 minutes before the alarm; see <https://github.com/ministryofjustice/modernisation-platform>",
    "## not a heading | not | a table\n- not a list\n1. nor this\n```\nnot a fence\n```",
    "priya: checkout 5xx 0.1% | p95 latency 410ms | 0 readiness failures in the last 30 minutes.",
    "<script>alert('x')</script> &amp; ![img](http://x/y.png) [link](http://example.com) @grace",
]
CHANGES = [
    "priya ran `kubectl -n checkout rollout restart deployment/checkout-web` (ArgoCD auto-sync off).",
    "ewan ran `aws network-firewall describe-firewall --firewall-name inline-inspection-live-data`",
]


def build(path: Path, n: int, unique: bool = False) -> None:
    """An incident of ``n`` entries, chained, written in one import."""
    from warroom.base.clock import format_time
    from warroom.base.model import Entry
    from warroom.store import Store
    from warroom.base.chain import GENESIS, chain_hash

    rng = random.Random(42)
    start = datetime(2026, 11, 22, 14, 0, tzinfo=timezone.utc)
    entries: list[Entry] = []
    prev = GENESIS
    open_actions: list[int] = []
    severity, status = "p2", "investigating"
    scribe = "tom"

    def add(kind: str, author: str, text: str, data: dict | None = None,
            amends: int | None = None) -> None:
        nonlocal prev
        seq = len(entries) + 1
        if unique and kind not in ("declared", "role", "severity", "status"):
            text = f"{text} (entry {seq})"
        at = format_time(start + timedelta(seconds=seq * 2))
        entry = Entry(incident=REF, seq=seq, uid=f"bench-{seq:07d}", kind=kind, author=author,
                      occurred_at=at, recorded_at=at, text=text, data=data or {}, amends=amends,
                      host="bench-host", session="bench", prev_hash=prev)
        digest = chain_hash(prev, entry)
        entries.append(replace(entry, hash=digest))
        prev = digest

    add("declared", "aisha", "Checkout 503s on civil-payments", {
        "title": "Checkout 503s on civil-payments", "description": "Bench incident.",
        "profile": "modernisation-platform", "severity": severity, "status": status,
        "services": ["Networking - Modernisation Platform"], "security": False,
        "customer_impacting": True})
    add("role", "aisha", "Incident Lead assigned to aisha",
        {"role": "lead", "person": "aisha", "previous": None, "handover": False})
    while len(entries) < n:
        roll = rng.random()
        who = scribe
        if roll < 0.55:
            text = rng.choice(NOTES)
            if rng.random() < 0.3:
                text = f"{text}\nsecond line {rng.randint(0, 10**6)}\n  indented third line"
            add("note", who, text)
        elif roll < 0.65:
            owner = rng.choice(PEOPLE)
            add("action", who,
                f"@{owner} check shard {rng.randint(1, 64)} (runbook step {rng.randint(1, 9)})",
                {"owner": owner})
            open_actions.append(len(entries))
        elif roll < 0.72 and open_actions:
            target = open_actions.pop(rng.randrange(len(open_actions)))
            add("done", who, "Done: checked; nothing unusual.", {"target": target})
        elif roll < 0.80:
            add("change", who, rng.choice(CHANGES))
        elif roll < 0.86:
            add("result", who, f"Checkout 5xx {rng.random():.2%} over the last 5 minutes")
        elif roll < 0.89:
            add("decision", who, "aisha: keep civil-payments on v2.13.2; no second change while we monitor.")
        elif roll < 0.92:
            add("comms", "aisha",
                "We are investigating a problem affecting Networking. Next update in 30 minutes.",
                {"audience": "External status page (PagerDuty)", "services": [], "next_update_s": 1800})
        elif roll < 0.94:
            add("summary", "aisha", "Cause: firewall policy change. Reverted; monitoring.",
                {"prompted": True})
        elif roll < 0.95:
            new = rng.choice([p for p in PEOPLE if p != scribe])
            add("role", "aisha", f"Scribe handed over from {scribe} to {new}: shift change",
                {"role": "scribe", "person": new, "previous": scribe, "handover": True})
            scribe = new
        elif roll < 0.96:
            new_sev = "p1" if severity != "p1" else "p2"
            add("severity", "aisha", "Scope changed.", {"from": severity, "to": new_sev})
            severity = new_sev
        elif roll < 0.97:
            new_status = rng.choice([s for s in ("investigating", "identified", "monitoring") if s != status])
            add("status", "aisha", f"Status: {new_status}", {"from": status, "to": new_status})
            status = new_status
        elif roll < 0.98 and len(entries) > 10:
            target = rng.randrange(3, len(entries))
            add("amend", who, "Correction: it was shard 12, not 21.",
                {"kind": entries[target - 1].kind}, amends=target)
        else:
            add("followup", who, f"@{rng.choice(PEOPLE)} write up shard {rng.randint(1, 64)} findings",
                {"owner": rng.choice(PEOPLE)})
    store = Store.open(path)
    try:
        store.import_incident(REF, 1, "modernisation-platform", entries[0].recorded_at, entries)
    finally:
        store.close()


def _rss_kb() -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def child(mode: str, db: str, out: str, memory: bool) -> None:
    """One measured export, in this fresh process; prints a JSON line."""
    from warroom.core.domain import Warroom
    from warroom.core.profiles import ProfileRegistry
    from warroom.store import Store

    store = Store.open(db, readonly=True)
    w = Warroom(store, ProfileRegistry(), user="bench")
    store.incident(REF)  # connect before measuring
    if memory:
        import tracemalloc
        tracemalloc.start()
    before = _rss_kb()
    t0 = time.perf_counter()
    if mode == "report":
        content = w.export_report(REF, tz=TZ)
    else:
        content = "\n".join(e.text for e in store.iter_entries(REF)) + "\n"
    with open(out, "w", encoding="utf-8") as fh:
        fh.write(content)
    seconds = time.perf_counter() - t0
    result = {"seconds": seconds, "bytes": len(content.encode("utf-8")),
              "rss_growth_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before}
    if memory:
        import tracemalloc
        result["traced_peak_kb"] = tracemalloc.get_traced_memory()[1] // 1024
    store.close()
    print(json.dumps(result))


def stages(db: str, out: str) -> None:
    """CPU seconds of each stage of one report, in this fresh process; prints a JSON line."""
    import gc

    from warroom.base.chain import ChainTap
    from warroom.core.domain import Warroom
    from warroom.core.entry_data import readable
    from warroom.core.profiles import ProfileRegistry
    from warroom.core.report import render
    from warroom.core.report.collect import Walker
    from warroom.core.report.templates import BUILTIN_TEMPLATES, DEFAULT_TEMPLATE
    from warroom.core.report.times import local_zone
    from warroom.store import Store

    store = Store.open(db, readonly=True)
    profile = Warroom(store, ProfileRegistry(), user="bench").profiles.get(store.incident(REF).profile)
    template, zone = BUILTIN_TEMPLATES[DEFAULT_TEMPLATE], local_zone(TZ)
    visible = template.visible(False)
    gc.disable()  # as render_report does
    took: dict[str, float] = {}
    clock = time.process_time
    t = clock()

    def lap(name: str) -> None:
        nonlocal t
        now = clock()
        took[name], t = now - t, now

    entries = list(store.iter_entries(REF))
    lap("read")
    tap = ChainTap()
    entries = list(tap(entries))
    lap("hash chain")
    entries = [readable(e) for e in entries]
    lap("damage check")
    walker = Walker(REF, profile, {s.id for s in visible}, False, zone)
    walker.out.chain = tap
    for entry in entries:
        walker.feed(entry)
    lap("walk")
    content = render._render(walker, REF, visible, profile, False, zone)
    lap("sections")
    with open(out, "w", encoding="utf-8") as fh:
        fh.write(content)
    lap("write")
    texts = "\n".join(e.text for e in entries) + "\n"
    t = clock()
    with open(out, "w", encoding="utf-8") as fh:
        fh.write(texts)
    lap("floor's join and write")
    print(json.dumps(took))


def measure(mode: str, db: Path, out: Path, memory: bool = False) -> dict:
    cmd = [sys.executable, __file__, "--child", mode, "--db", str(db), "--out", str(out)]
    if memory:
        cmd.append("--memory")
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=str(ROOT))
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", metavar="DIR", help="keep the database and outputs here")
    parser.add_argument("--unique-texts", action="store_true",
                        help="every entry's text different (the escaping memo never helps)")
    parser.add_argument("--stages", action="store_true",
                        help="also print the CPU seconds of each stage of the report")
    parser.add_argument("--child", choices=("report", "floor", "stages"), help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--memory", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "stages":
        stages(args.db, args.out)
        return 0
    if args.child:
        child(args.child, args.db, args.out, args.memory)
        return 0

    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="warroom-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "bench.db"
    if db.exists():
        db.unlink()
    t0 = time.perf_counter()
    build(db, args.entries, args.unique_texts)
    print(f"built {args.entries:,} entries in {time.perf_counter() - t0:.1f} s ({db})")

    # The runs alternate (report, floor, report, ...) so that a machine whose load changes
    # during the bench weighs on both alike: the ratio is the figure to trust.
    timed: dict[str, list[dict]] = {"report": [], "floor": []}
    for _ in range(args.runs):
        for mode in timed:
            timed[mode].append(measure(mode, db, folder / f"{mode}.out"))
    results = {}
    for mode, runs in timed.items():
        mem = measure(mode, db, folder / f"{mode}.out", memory=True)
        results[mode] = {"seconds": min(r["seconds"] for r in runs),
                         "rss_growth_kb": min(r["rss_growth_kb"] for r in runs),
                         "traced_peak_kb": mem["traced_peak_kb"], "bytes": runs[0]["bytes"]}
    fig, floor = results["report"], results["floor"]
    print(f"{'':24}{'time':>10}{'peak RSS growth':>18}{'traced peak':>14}{'output':>12}")
    for name, r in (("figure: render_report", fig), ("floor: \"\\n\".join", floor)):
        print(f"{name:24}{r['seconds']:>9.3f}s{r['rss_growth_kb'] / 1024:>16.1f}MB"
              f"{r['traced_peak_kb'] / 1024:>12.1f}MB{r['bytes'] / 1e6:>10.1f}MB")
    print(f"{'ratio':24}{fig['seconds'] / floor['seconds']:>9.1f}x"
          f"{fig['rss_growth_kb'] / max(floor['rss_growth_kb'], 1):>17.1f}x"
          f"{fig['traced_peak_kb'] / max(floor['traced_peak_kb'], 1):>13.1f}x"
          f"{fig['bytes'] / floor['bytes']:>11.1f}x")
    if args.stages:
        split = measure("stages", db, folder / "stages.out")
        print("CPU seconds by stage: " + ", ".join(f"{k} {v:.3f}" for k, v in split.items()))
    ok = fig["seconds"] <= TARGET_S and fig["seconds"] <= TARGET_RATIO * floor["seconds"]
    print(f"target: report of {args.entries:,} entries in <= {TARGET_S:.1f} s and <= "
          f"{TARGET_RATIO:.0f}x the floor: {'met' if ok else 'MISSED'}")
    if not args.keep:
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
