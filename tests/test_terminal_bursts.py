"""A fast typist's terminal, byte for byte: whole bursts in one write (as ``tmux send-keys`` or a
paste produces them), each entry stored with the kind, owner and text that were meant.

Each runs ``python -m warroom`` on a pty; waiting is on the terminal's own output."""

from __future__ import annotations

import os
import signal

import pytest

from tests.pty_terminal import Terminal, warroom
from tests.test_terminal import PLACEHOLDER
from warroom.demo import load_sample
from warroom.store import Store


@pytest.fixture
def sample(tmp_path) -> tuple:
    folder = tmp_path / "team"
    folder.mkdir(mode=0o700)
    db = folder / "warroom.db"
    with Store.open(db) as store:
        ref = load_sample(store)
    return db, ref


def _new_entries(db, ref, before):
    with Store.open(db) as store:
        entries = store.entries(ref)
        assert store.verify(ref)[1] is None
    return entries[before:]


def _count(db, ref):
    with Store.open(db) as store:
        return len(store.entries(ref))


def _quit(term: Terminal) -> None:
    mark = term.send(b"\x1b")
    term.wait_for("quit", since=mark)
    term.send(b"q")
    term.drain()
    assert term.exited() == 0


def test_entries_and_kind_switches_in_one_burst(sample):
    db, ref = sample
    before = _count(db, ref)
    term = Terminal(warroom("--db", str(db), "--as", "tester", "open", ref), cols=120, rows=40)
    try:
        term.wait_for(" entries")
        mark = term.send(b"nfirst a note\r\x1brthen a result\r\x1ba@bob restart the LB\r"
                         b"\x1bcpaste ^ caret kept\r")
        term.wait_for("caret kept", since=mark)
        term.wait_for(PLACEHOLDER.replace("hat happened or was said", "he command run"),
                      since=mark)  # the line cleared after the last save
        _quit(term)
    finally:
        term.close()
    got = [(e.kind, e.text, e.data.get("owner")) for e in _new_entries(db, ref, before)]
    assert got == [("note", "first a note", None), ("result", "then a result", None),
                   ("action", "@bob restart the LB", "bob"), ("change", "paste ^ caret kept", None)]


def test_a_line_typed_while_the_app_starts_is_saved(sample):
    """Typed before the app has the terminal: the terminal, still in its line mode, turns the
    Enter into a line feed (Ctrl+J to the app). The line is saved all the same, not left
    sitting on the entry line looking sent."""
    db, ref = sample
    before = _count(db, ref)
    term = Terminal(warroom("--db", str(db), "--as", "tester", "open", ref), cols=120, rows=40)
    try:
        term.send(b"ntyped while it opened\r")  # at once: the app has not started yet
        term.wait_for(f" {before + 1} entries")  # in the timeline's title: saved
        _quit(term)
    finally:
        term.close()
    assert [(e.kind, e.text) for e in _new_entries(db, ref, before)] == [
        ("note", "typed while it opened")]


def test_dialogs_opened_and_filled_in_one_burst(sample):
    db, ref = sample
    before = _count(db, ref)
    with Store.open(db) as store:
        from warroom.core.state import project

        state = project(ref, store.entries(ref))
    term = Terminal(warroom("--db", str(db), "--as", "tester", "open", ref), cols=120, rows=40)
    try:
        term.wait_for(" entries")
        # A note, Esc+o (the role dialog: Enter takes the highlighted role, a name, Enter),
        # then v (severity: it starts on the current one, ↑ one more severe, Enter takes it, a
        # reason, Enter): one write.
        mark = term.send(b"nchecking roles\r\x1bo\rcarol\rv\x1b[A\rcustomers cannot pay\r")
        # On the timeline ("P2 → P1: customers cannot pay"), not just typed into the dialog:
        # a "q" sent while the dialog's last Enter is still queued would be typed into it.
        term.wait_for(": customers cannot pay", since=mark)
        term.send(b"q")
        term.drain()
        assert term.exited() == 0
    finally:
        term.close()
    new = _new_entries(db, ref, before)
    assert [e.kind for e in new] == ["note", "role", "severity"]
    assert new[0].text == "checking roles"
    assert new[1].data["person"] == "carol"
    assert new[2].text == "customers cannot pay" and new[2].data["from"] == state.severity


def test_escalation_and_ticket_dialogs_filled_in_one_burst(sample):
    """Enter moves through who, how and the note (the note typed straight after "how" once
    went to the war room's hotkeys: "c" opened a change entry), and saves from the note."""
    db, ref = sample
    before = _count(db, ref)
    term = Terminal(warroom("--db", str(db), "--as", "tester", "open", ref), cols=120, rows=40)
    try:
        term.wait_for(" entries")
        # x: no chain in this profile, so "someone else" (Enter: type who), how, note; then k:
        # AWS (Enter: the case id), the note.
        mark = term.send(b"x\rDuty manager\rphone\rcalled about the firewall\r"
                         b"k\r171682304100512\rclick to call\r")
        term.wait_for("click to call", since=mark)
        term.send(b"q")
        term.drain()
        assert term.exited() == 0
    finally:
        term.close()
    new = _new_entries(db, ref, before)
    assert [(e.kind, e.text, e.data) for e in new] == [
        ("escalation", "called about the firewall", {"to": "Duty manager", "how": "phone"}),
        ("ticket", "click to call", {"party": "AWS", "reference": "171682304100512"})]


def test_a_paste_with_escape_sequences_arrives_whole_and_in_order(sample):
    db, ref = sample
    before = _count(db, ref)
    term = Terminal(warroom("--db", str(db), "--as", "tester", "open", ref), cols=120, rows=40)
    try:
        term.wait_for(" entries")
        mark = term.send(b"n")
        term.wait_for(PLACEHOLDER, since=mark)
        mark = term.paste("log: \x1b[31mERROR\x1b[0m disk full on db-2")
        term.wait_for("disk full on db-2", since=mark)
        mark = term.send(b"\r")
        term.wait_for(PLACEHOLDER, since=mark)
        _quit(term)
    finally:
        term.close()
    (entry,) = _new_entries(db, ref, before)
    assert entry.text == "log: ERROR disk full on db-2"  # in order; the sequences cleaned away


def test_a_burst_typed_while_another_process_holds_the_lock(sample):
    """Another process sits in BEGIN IMMEDIATE while three entries are typed in one burst, with
    Esc+kind keys between them: each is saved separately, in order, with its kind and the time
    it was typed, once the lock goes."""
    from tests.test_faults import _hold_lock

    db, ref = sample
    before = _count(db, ref)
    term = Terminal(warroom("--db", str(db), "--as", "tester", "open", ref), cols=120, rows=40)
    holder = None
    try:
        term.wait_for(" entries")
        term.wait_for("Here now")  # presence written: nothing of ours is pending
        holder = _hold_lock(db)
        mark = term.send(b"nfirst: a note\r\x1bdsecond: a decision\r\x1bathird @bob acts\r")
        term.wait_for("3 waiting to be saved", since=mark)
        term.wait_for("database busy", since=mark)
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "released"
        term.wait_for("third @bob acts", since=mark)  # on the timeline: saved
        _quit(term)
    finally:
        if holder is not None:
            holder.kill()
            holder.wait()
        term.close()
    new = _new_entries(db, ref, before)
    assert [(e.kind, e.text, e.data.get("owner")) for e in new] == [
        ("note", "first: a note", None), ("decision", "second: a decision", None),
        ("action", "third @bob acts", "bob")]
    typed = [e.occurred_at for e in new]
    assert typed == sorted(typed)
    for entry in new:  # each keeps the time it was typed, before the lock let it be saved
        assert entry.occurred_at < entry.recorded_at


@pytest.mark.parametrize("how", ["sighup", "sigkill", "ctrl+q", "q-after-esc"])
def test_a_draft_survives_the_app_going_away(sample, how):
    """Half a note on the line, then the terminal closes (SIGHUP), the app is killed, or the
    person quits: opening the line again offers the draft back, word for word."""
    import json
    from pathlib import Path

    db, ref = sample
    text = f"half typed: the cache on db-2 looks ({how})"
    term = Terminal(warroom("--db", str(db), "--as", "tester", "open", ref), cols=120, rows=40)
    try:
        term.wait_for(" entries")
        mark = term.send(b"d" + text.encode())
        term.wait_for(text, since=mark)
        folder = Path(os.environ["WARROOM_DATA_DIR"]) / "drafts"
        if how in ("sighup", "sigkill"):
            # Written through as it changes: wait for it to reach the disk, then go at once.
            for _ in range(200):
                found = [p for p in folder.glob("*.json") if text in p.read_text()]
                if found:
                    break
                term.read(0.02)
            assert found, "the draft never reached the disk"
            assert (found[0].stat().st_mode & 0o777) == 0o600
            os.killpg(term.proc.pid, signal.SIGHUP if how == "sighup" else signal.SIGKILL)
            term.drain()
            term.proc.wait(10)
        elif how == "ctrl+q":
            term.send(b"\x11")
            term.drain()
            assert term.exited() == 0
        else:
            mark = term.send(b"\x1b")
            term.wait_for("quit", since=mark)
            term.send(b"q")
            term.drain()
            assert term.exited() == 0
    finally:
        term.close()
    term = Terminal(warroom("--db", str(db), "--as", "tester", "open", ref), cols=120, rows=40)
    try:
        term.wait_for(" entries")
        mark = term.send(b"n")
        term.wait_for(text, since=mark)
        term.wait_for("draft is back", since=mark)
        term.send(b"\x1b")
    finally:
        term.close()
    (draft_file,) = (Path(os.environ["WARROOM_DATA_DIR"]) / "drafts").glob("*.json")
    assert json.loads(draft_file.read_text())["kind"] == "decision"
