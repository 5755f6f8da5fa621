"""Load the sample incident into a database, as the people in it would have typed it.

The sample (``sample_data/*.json``) is a script of domain calls with offsets from the
declaration; replaying it through the domain API means the demo exercises the same paths a
real incident does, and its times line up with "now" so the timers are live.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from warroom.base.clock import FrozenClock, SystemClock
from warroom.core.domain import Warroom
from warroom.core.durations import parse_duration
from warroom.core.profiles import ProfileRegistry
from warroom.base.errors import WarroomError
from warroom.locations import sample_data_dir, user_profiles_dir

DEFAULT_SAMPLE = "checkout-outage.json"


def sample_path(name: str = DEFAULT_SAMPLE) -> Path:
    return sample_data_dir() / name


def load_sample(into: Warroom | Any, *, name: str = DEFAULT_SAMPLE,
                start: datetime | None = None, profiles: ProfileRegistry | None = None) -> str:
    """Replay the sample into a database: ``into`` is an open :class:`Warroom` (its profiles
    unless ``profiles``), or a store. ``start`` is the declaration time (default: so that the
    last step happened a minute ago). Returns the new reference."""
    path = sample_path(name)
    try:
        script = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise WarroomError(f"{path}: sample data unreadable ({exc})") from None
    steps: list[dict[str, Any]] = script["steps"]
    last = max((_offset(s["t"]) for s in steps), default=timedelta())
    if start is None:
        start = SystemClock().now() - last - timedelta(minutes=1)
    clock = FrozenClock(start)
    base = into if isinstance(into, Warroom) else Warroom(
        into, profiles or ProfileRegistry(user_profiles_dir()))
    session = "demo"

    def as_(who: str) -> Warroom:
        return base.speaking_as(who, clock=clock, host="demo-host", session=session,
                                profiles=profiles)

    # The sample is made up, not written by the people it names: on SQLite its entries record
    # no writer (as in a database from before writers were recorded), so nothing claims one
    # and pictures of it do not depend on who runs them. (PostgreSQL records its role anyway.)
    store = base.store
    writer, store.os_user = store.os_user, ""
    try:
        d = script["declare"]
        ref = as_(d["as"]).declare(
            d["title"], profile=script["profile"], severity=d.get("severity"),
            services=d.get("services", []), description=d.get("description", ""),
            lead=d.get("lead"), security=d.get("security", False),
            customer_impacting=d.get("customer_impacting", False)).incident
        labels: dict[str, int] = {}
        for step in steps:
            clock.set(start + _offset(step["t"]))
            w = as_(step["as"])
            do = step["do"]
            if do in ("note", "decision", "action", "result", "change"):
                entry = w.log(ref, do, step["text"], owner=step.get("owner"))
            elif do == "summary":
                entry = w.write_summary(ref, step["text"], prompted=step.get("prompted", False))
            elif do == "comms":
                nxt = parse_duration(step["next_update"]) if step.get("next_update") else None
                entry = w.post_update(ref, step["text"], template=step.get("template"),
                                      audience=step.get("audience", ""), next_update=nxt)
            elif do == "role":
                entry = w.assign_role(ref, step["role"], step["person"], note=step.get("note", ""))
            elif do == "severity":
                entry = w.change_severity(ref, step["to"], step["reason"])
            elif do == "status":
                entry = w.change_status(ref, step["to"], step.get("note", ""),
                                        checklist=step.get("checklist"))
            elif do == "services":
                entry = w.set_services(ref, step["services"])
            elif do == "followup":
                entry = w.add_followup(ref, step["text"], step.get("owner"))
            elif do == "done":
                entry = w.mark_done(ref, labels[step["target"]], step.get("text", ""))
            elif do == "ticket":
                entry = w.log_ticket(ref, step["party"], step.get("reference", ""), step.get("text", ""))
            elif do == "escalation":
                entry = w.log_escalation(ref, step["to"], step.get("text", ""))
            elif do == "amend":
                entry = w.amend(ref, labels[step["target"]], step["text"])
            elif do == "checklist":
                entry = w.tick_checklist(ref, step["checklist"], step["item"],
                                         step.get("outcome", "done"), reason=step.get("reason", ""))
            elif do == "prompt":
                until = clock.now() + parse_duration(step["for"]) if step.get("for") else None
                entry = w.record_prompt(ref, step["timer"], step["outcome"],
                                        reason=step.get("reason", ""), until=until)
            else:
                raise WarroomError(f"{path}: unknown step {do!r}")
            if "label" in step:
                labels[step["label"]] = entry.seq
    finally:
        store.os_user = writer
    return ref


def _offset(value: str) -> timedelta:
    minutes, _, seconds = str(value).partition(":")
    return timedelta(minutes=int(minutes), seconds=int(seconds or 0))


def load_demo(db: str, *, user: str | None = None) -> str:
    with Warroom.open(db, user=user) as w:
        return load_sample(w)
