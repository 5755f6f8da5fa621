"""``warroom outbox``: what waits on this machine, by uid, and ``--drop`` for an entry that can
never be delivered (its database moved, its incident is not there): printed first, then gone."""

from __future__ import annotations

import json

from tests.conftest import run_cli
from warroom.base.model import Draft
from warroom.store.outbox import Outbox

DB = "postgresql+psycopg://team@db.example:5432/incidents"


def _draft(uid: str, text: str) -> Draft:
    return Draft(uid=uid, kind="note", author="kim", host="h", session="s",
                 occurred_at="2026-12-03T03:00:00.000000Z",
                 recorded_at="2026-12-03T03:00:00.000000Z", text=text, data={})


def _fill(tmp_path) -> tuple[dict[str, str], Outbox]:
    env = {"WARROOM_DATA_DIR": str(tmp_path / "data")}
    box = Outbox(tmp_path / "data" / "outbox.db")
    box.put(DB, "INC-3", _draft("aaaa1111" + "0" * 24, "first: 5xx at 40%"))
    box.put(DB, "INC-3", _draft("aaaa2222" + "0" * 24, "second | with a pipe"))
    box.put("postgresql+psycopg://old-host/incidents", "INC-9",
            _draft("bbbb3333" + "0" * 24, "for a database that moved"))
    box.undeliverable(box.waiting()[2], "no incident 'INC-9' in old-host")
    return env, box


def _uids(box: Outbox) -> list[str]:
    return [item.draft.uid[:8] for item in box.waiting()]


def test_the_list_shows_each_entrys_uid(tmp_path):
    env, _ = _fill(tmp_path)
    done = run_cli("outbox", env=env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split()[2] for line in lines] == ["aaaa11110000", "aaaa22220000", "bbbb33330000"]
    assert lines[2].endswith("[no incident 'INC-9' in old-host]")


def test_drop_prints_each_entry_then_takes_it_out(tmp_path):
    env, box = _fill(tmp_path)
    done = run_cli("outbox", "--drop", "bbbb3333", "--drop", "AAAA2222000", env=env)
    assert done.returncode == 0, done.stderr
    printed = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(p["incident"], p["text"]) for p in printed] == [
        ("INC-3", "second | with a pipe"), ("INC-9", "for a database that moved")]
    assert printed[1]["db"] == "postgresql+psycopg://old-host/incidents"
    assert done.stderr == ("warroom: took 2 entries out of the outbox (printed on stdout); "
                           "they will not be delivered\n")
    assert _uids(box) == ["aaaa1111"]


def test_drop_takes_all_or_none(tmp_path):
    env, box = _fill(tmp_path)
    for words, message in (
            (["--drop", "aaaa1111", "--drop", "cccc0000"], "'cccc0000': no entry in the outbox has that uid"),
            (["--drop", "aaaa"], "'aaaa': give at least 8 characters of the entry's uid"),
            (["--drop", "bbbb3333", "--drop", "aaaa3333"], "'aaaa3333': no entry in the outbox"),
    ):
        done = run_cli("outbox", *words, env=env)
        assert done.returncode == 1 and done.stdout == ""
        assert done.stderr.startswith("warroom: " + message) and done.stderr.count("\n") == 1
        assert _uids(box) == ["aaaa1111", "aaaa2222", "bbbb3333"]
    box.put(DB, "INC-3", _draft("aaaa1111" + "f" * 24, "same start"))
    done = run_cli("outbox", "--drop", "aaaa1111", env=env)
    assert done.returncode == 1
    assert "2 entries in the outbox have uids starting so; give more of it" in done.stderr
    assert len(box.waiting()) == 4


def test_drop_and_flush_go_separately(tmp_path):
    env, box = _fill(tmp_path)
    done = run_cli("outbox", "--drop", "aaaa1111", "--flush", env=env)
    assert done.returncode == 2 and "--drop and --flush go separately" in done.stderr
    assert len(box.waiting()) == 3
