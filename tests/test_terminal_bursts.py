"""A fast typist's terminal, byte for byte: whole bursts in one write (as ``tmux send-keys`` or a
paste produces them), each entry stored with the kind, owner and text that were meant.

Each runs ``python -m warroom`` on a pty; waiting is on the terminal's own output."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys

import pytest

from tests.pty_terminal import Terminal, warroom
from tests.test_terminal import PLACEHOLDER, sample  # noqa: F401  (fixture)
from warroom.store import Store


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
        # then v (severity: Enter takes the highlighted one, a reason, Enter): one write.
        mark = term.send(b"nchecking roles\r\x1bo\rcarol\rv\rcustomers cannot pay\r")
        term.wait_for("customers cannot pay", since=mark)
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
