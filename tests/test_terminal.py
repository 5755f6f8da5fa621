"""The app under a real pseudo-terminal: escape sequences in notes never reach the terminal, an
app killed right after Enter has the entry, and a database nobody may write opens as a viewer.

Each runs ``python -m warroom`` on a pty and reads every byte it writes."""

from __future__ import annotations

import random

import pytest

from tests.app.test_live_and_safety import insert_behind_the_apps_back
from tests.pty_terminal import Terminal, warroom
from tests.test_faults import as_plain_user, lock_down, snapshot_folder, unlock
from warroom.core.domain import Warroom
from warroom.demo import load_sample
from warroom.store import Store

PLACEHOLDER = "hat happened or was said"  # the note line, empty (its first letter is the cursor)

HOSTILE = [
    "HX1 clipboard \x1b]52;c;SGVsbG8=\x07 write",
    "HX2 link \x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\ here",
    "HX3 cursor \x1b[1;1Hmoved\x1b[2J\x1b[?1049l away",
    "HX4 c1 \u009b31mred \u009d52;c;QUFB\u009c end",
    "HX5 bidi \u202eevil\u202c \u2066iso\u2069 \u200fdone",
    "HX6 title \x1b]0;pwned title\x07 set",
    "HX7 dcs \x1bP+q544e\x1b\\ query \x1b_apc\x1b\\ \x1b^pm\x1b\\",
]
PASTED = "PX1 pasted \x1b]52;c;UEFTVEU=\x07 \x1b]8;;http://paste.example/\x07x\x1b]8;;\x07 \u202eyo"
FORBIDDEN = [
    b"\x1b]52;", b"\x1b]8;;http://evil", b"\x1b]8;;http://paste", b"\x1b[1;1Hmoved",
    b"\x1b]0;pwned", b"\x1bP+q544e", b"\x1b_apc", b"\x1b^pm",
    "\u009b".encode(), "\u009d".encode(), "\u009c".encode(),
    "\u202e".encode(), "\u202c".encode(), "\u2066".encode(), "\u2069".encode(), "\u200f".encode(),
]


@pytest.fixture
def sample(tmp_path) -> tuple:
    folder = tmp_path / "team"
    folder.mkdir(mode=0o700)
    db = folder / "warroom.db"
    with Store.open(db) as store:
        ref = load_sample(store)
    return db, ref


def _leave(term: Terminal) -> None:
    """Esc closes the line, then q quits (each waited for on the screen)."""
    mark = term.send(b"\x1b")
    term.wait_for("quit", since=mark)
    term.send(b"q")
    term.drain()
    assert term.exited() == 0


def test_escape_sequences_in_notes_never_reach_the_terminal(sample):
    db, ref = sample
    insert_behind_the_apps_back(db, ref, HOSTILE, author="mal\x1b]52;c;QQ==\x07lory\u202e")
    term = Terminal(warroom("--db", str(db), "--as", "tester", "open", ref), cols=120, rows=40)
    try:
        for note in HOSTILE:
            term.wait_for(note[:3])  # every hostile note is on the screen
        term.wait_for("mal")
        # The chain is checked once the incident is loaded, off the event loop: the warning
        # says it is done (then the first save asks).
        term.wait_for("does not verify")
        mark = term.send(b"n")
        term.wait_for(PLACEHOLDER, since=mark)
        mark = term.paste(PASTED)
        term.wait_for("PX1", since=mark)
        mark = term.send(b"\r")
        # Rows forged behind the app's back break the chain: it asks before adding to it.
        term.wait_for("y adds it anyway", since=mark)
        mark = term.send(b"y")
        term.wait_for(PLACEHOLDER, since=mark)  # saved: the line is clear again
        _leave(term)
    finally:
        term.close()
    out = bytes(term.output)
    for sequence in FORBIDDEN:
        assert sequence not in out, f"{sequence!r} reached the terminal"
    with Store.open(db) as store:
        saved = store.entries(ref)[-1]
    # The paste arrives whole and in order (warroom.app.compat_input), cleaned of its sequences.
    assert saved.text == "PX1 pasted  x yo"
    assert "\u202e" not in saved.text


@pytest.mark.parametrize("round_", range(6))
def test_an_app_killed_right_after_enter_has_the_entry(sample, round_):
    """SIGKILL the app the moment the line clears after Enter (even rounds), or at a random
    instant within 40 ms of Enter (odd rounds): whenever the line had cleared, the entry is in
    the database, the numbers are contiguous and the chain holds."""
    db, ref = sample
    with Store.open(db) as store:
        before = len(store.entries(ref))
    text = f"killed after enter {round_}"
    term = Terminal(warroom("--db", str(db), "--as", "tester", "open", ref))
    cleared = False
    try:
        term.wait_for(" entries")  # the incident is loaded: the keys that write are live
        mark = term.send(b"n")
        term.wait_for(PLACEHOLDER, since=mark)
        mark = term.send(text)
        term.wait_for(text, since=mark)
        mark = term.send(b"\r")
        if round_ % 2 == 0:
            term.wait_for(PLACEHOLDER, since=mark)
        else:
            term.read(random.Random(round_).uniform(0, 0.04))
        term.kill()  # the instant it is seen: nothing more is read before the kill
        cleared = PLACEHOLDER.encode() in term.output[mark:]
    finally:
        term.close()
    with Store.open(db) as store:
        entries = store.entries(ref)
        assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
        assert store.verify(ref)[1] is None
    texts = [e.text for e in entries]
    if cleared:
        assert texts.count(text) == 1, "the line cleared but the entry is not in the database"
    assert len(entries) in (before, before + 1)
    if round_ % 2 == 0:
        assert cleared


def test_a_database_nobody_may_write_opens_as_a_viewer_on_a_real_terminal(sample):
    db, ref = sample
    lock_down(db.parent)
    try:
        before = snapshot_folder(db.parent)
        term = Terminal(as_plain_user(warroom("--db", str(db), "--as", "tester", "open", ref)))
        try:
            term.wait_for("read-only")
            term.wait_for(" entries")
            mark = term.send(b"n")
            term.send(b"d")
            mark2 = term.send(b"?")  # the help opens: the keys were read, and n, d did nothing
            term.wait_for("Help", since=mark2)
            assert PLACEHOLDER.encode() not in term.output[mark:]
            mark = term.send(b"q")  # closes the help; the key bar is drawn again
            term.wait_for(" entries", since=mark)
            term.send(b"q")
            term.drain()
            assert term.exited() == 0
        finally:
            term.close()
        assert snapshot_folder(db.parent) == before
    finally:
        unlock(db.parent)


def test_warroom_demo_opens_the_sample_incident_and_quits_cleanly(tmp_path):
    """The README's first command ends in ``warroom demo``: the populated sample, on screen."""
    kept = tmp_path / "demo.db"
    term = Terminal(warroom("demo", "--keep", str(kept), "--as", "tester"), cols=120, rows=40)
    try:
        term.wait_for(" entries")
        term.wait_for("Checkout 503s")
        term.wait_for("Here now")  # loaded: presence is written with the rest
        term.send(b"q")
        term.drain()
        assert term.exited() == 0
    finally:
        term.close()
    with Store.open(kept) as store:
        (incident,) = store.incidents()
        kinds = {e.kind for e in store.entries(incident.ref)}
        assert store.verify(incident.ref)[1] is None
    assert {"declared", "note", "decision", "action", "result", "change", "role", "severity",
            "status", "comms", "summary", "followup"} <= kinds


def test_escape_sequences_in_a_commands_output_never_reach_the_terminal_when_shown(sample):
    """A run's captured output holds every hostile sequence; opened from the timeline (Enter),
    the terminal receives its text and none of its sequences."""
    db, ref = sample
    output = ("OUT-START\n" + "\n".join(HOSTILE) + "\nOUT-END\n").encode()
    w = Warroom(Store.open(db), clock=None, user="sam", host="box", session="run")
    try:
        w.run_finished(ref, ["kubectl", "logs", "api-2"], exit_status=1, duration_ms=900,
                       output=output)
        w.attach(ref, "evil.txt", ("FILE-START\n" + "\n".join(HOSTILE) + "\nFILE-END\n").encode())
    finally:
        w.store.close()
    term = Terminal(warroom("--db", str(db), "--as", "tester", "open", ref), cols=120, rows=40)
    try:
        term.wait_for("Attached evil.txt")
        mark = term.send(b"\x1b[A\x1b[A")  # ↑ twice: the cursor on the run's result
        term.wait_for("kubectl logs api-2", since=mark)
        mark = term.send(b"\r")
        term.wait_for("OUT-END", since=mark)
        for note in HOSTILE:
            term.wait_for(note[:3], since=mark)
        mark = term.send(b"\x1b")
        term.wait_for("Timeline", since=mark)
        mark = term.send(b"\x1b[B\r")  # ↓ then Enter: the attached file
        term.wait_for("FILE-END", since=mark)
        mark = term.send(b"\x1b")
        term.wait_for("Timeline", since=mark)
        mark = term.send(b"\x1b[F")  # End: the cursor off, the timeline follows again
        term.send(b"q")
        term.drain()
        assert term.exited() == 0
    finally:
        term.close()
    out = bytes(term.output)
    for sequence in FORBIDDEN:
        assert sequence not in out, f"{sequence!r} reached the terminal"
