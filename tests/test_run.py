"""``warroom run``: real commands through the real command line (pipes when stdout is not a
terminal, a pty when it is), their statuses back unchanged, and what the log then holds."""

from __future__ import annotations

import hashlib
import os
import signal
import struct
import subprocess
import sys
import termios
import fcntl

import pytest

from tests.conftest import REPO, dump, open_domain, run_cli, seed
from tests.pty_terminal import Terminal, warroom
from warroom.base import runner
from warroom.store import Store

PY = sys.executable


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "w.db"
    seed(path)
    return path


def entries(db):
    with Store.open(db) as store:
        return store.entries("INC-1")


def runs(db):
    """(change, result) of each run, in order."""
    found = entries(db)
    by_run = {}
    for e in found:
        if e.kind in ("change", "result") and e.data.get("run"):
            by_run.setdefault(e.data["run"], []).append(e)
    return [tuple(pair) for pair in by_run.values()]


@pytest.mark.parametrize("script, status", [("exit 0", 0), ("exit 3", 3),
                                            ("kill -TERM $$", 128 + signal.SIGTERM),
                                            ("kill -KILL $$", 128 + signal.SIGKILL)])
def test_the_commands_status_comes_back_unchanged(db, script, status):
    done = run_cli("--db", str(db), "run", "--", "sh", "-c", script)
    assert done.returncode == status, done.stderr
    assert done.stderr == ""
    (change, result), = runs(db)
    assert change.kind == "change" and change.data["command"] == f"sh -c '{script}'"
    assert change.data["cwd"] == str(REPO) and change.data["user"]
    assert change.host
    if status > 128:
        assert result.data["signal"] == signal.Signals(status - 128).name
        assert "exit_status" not in result.data
        assert result.text.startswith(f"Killed by {signal.Signals(status - 128).name} after ")
    else:
        assert result.data["exit_status"] == status and "signal" not in result.data
        assert result.text.startswith(f"Exit {status} after ")
    assert result.data["started"] == change.seq
    assert isinstance(result.data["duration_ms"], int) and 0 <= result.data["duration_ms"] < 60_000
    with Store.open(db) as store:
        assert store.verify("INC-1")[1] is None


def test_output_and_errors_pass_through_and_the_tail_is_logged(db):
    script = ("import sys\n"
              "for i in range(1, 41): print(f'line {i}')\n"
              "print('\\x1b[31mred\\x1b[0m \\x1b]52;c;SGVsbG8=\\x07copied', flush=True)\n"
              "print('progress 10%\\rprogress 100%', flush=True)\n"
              "print('to stderr', file=sys.stderr)\n"
              "sys.exit(3)\n")
    done = run_cli("--db", str(db), "run", "--note", "is the queue draining?", "--",
                   PY, "-c", script)
    assert done.returncode == 3
    assert "line 40\n" in done.stdout and "\x1b[31mred" in done.stdout  # untouched
    assert done.stderr == "to stderr\n"
    (change, result), = runs(db)
    assert change.text.endswith("\nis the queue draining?")
    assert result.text.startswith("Exit 3 after ")
    # The last 10 lines as the terminal left them (a carriage return rewrote its line), after
    # the command cut to its first line (the change entry has it whole).
    tail = [f"line {i}" for i in range(34, 41)] + ["red copied", "progress 100%", "to stderr"]
    assert result.text.endswith(" -c 'import sys …\n" + "\n".join(tail))
    assert change.data["command"].endswith("sys.exit(3)\n'")
    assert "\x1b" not in result.text
    with Store.open(db) as store:
        kept = store.attachment("INC-1", result.uid, result.data["sha256"])
    assert kept is not None and b"line 1\n" in kept.content and b"\x1b]52;" in kept.content
    assert result.data["output_bytes"] == len(kept.content) and not result.data["truncated"]


def test_a_command_that_prints_10_mb(db):
    script = "import sys\nsys.stdout.buffer.write(b'0123456789abcdef' * 655360)\n"
    done = subprocess.run([PY, "-m", "warroom", "--db", str(db), "run", "--", PY, "-c", script],
                          capture_output=True, cwd=str(REPO), timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == b"0123456789abcdef" * 655360
    (_, result), = runs(db)
    assert result.data["size"] == 10 * 1024 * 1024 == result.data["output_bytes"]
    assert result.data["sha256"] == hashlib.sha256(done.stdout).hexdigest()


def test_a_command_that_reads_stdin(db):
    done = run_cli("--db", str(db), "run", "--", "sort", "-r", input="b\na\nc\n")
    assert done.returncode == 0 and done.stdout == "c\nb\na\n"
    (_, result), = runs(db)
    assert result.text.split("\n")[1:] == ["c", "b", "a"]


def test_output_over_the_limit_keeps_its_head_and_end_with_a_note(tmp_path):
    out = open(tmp_path / "seen", "wb")
    try:
        got = runner.run([PY, "-c", "import sys\nsys.stdout.write('a' * 700000 + 'THE END')"],
                         use_pty=False, limit=600_000, stdout=out.fileno())
    finally:
        out.close()
    assert (tmp_path / "seen").read_bytes() == b"a" * 700000 + b"THE END"  # passed on whole
    assert got.output_bytes == 700007 and got.truncated and len(got.output) <= 600_000
    assert got.output.endswith(b"THE END") and got.output.startswith(b"aaaa")
    assert b"bytes of output not kept here (the limit is 600,000 bytes)" in got.output


def test_a_command_that_does_not_exist(db):
    done = run_cli("--db", str(db), "run", "--", "no-such-command-here", "x")
    assert done.returncode == 127
    assert done.stderr == "warroom: no-such-command-here: command not found\n"
    (change, result), = runs(db)
    assert result.data["exit_status"] == 127


def test_a_password_on_the_command_line_never_reaches_the_database(db):
    secret = "hunter2-S3CRET"
    script = "import sys; print('connecting with', sys.argv[1:])"
    done = run_cli("--db", str(db), "run", "--", PY, "-c", script, "--password", secret,
                   f"postgresql://bob:{secret}x@db.internal/app", f"--token={secret}y",
                   "-H", f"Authorization: Bearer {secret}zzzzzzzzzzzz")
    assert done.returncode == 0 and secret in done.stdout  # the command got it, unchanged
    assert done.stdout.count(secret) == 4
    (change, result), = runs(db)
    assert "--password [redacted: password]" in change.text
    assert "bob:[redacted: password]@db.internal/app" in change.text
    assert "db.internal" in change.text  # an internal record keeps the host
    everything = "\n".join(dump(db))
    assert secret not in everything and secret.encode().hex() not in everything.lower()
    with Store.open(db) as store:
        kept = store.attachment("INC-1", result.uid, result.data["sha256"])
    assert kept is not None and secret.encode() not in kept.content
    assert b"[redacted: password]" in kept.content


def test_usage_mistakes_run_nothing(db, tmp_path):
    before = dump(db)
    marker = tmp_path / "ran"
    for args in (["run"], ["run", "--"], ["run", "--incident", "INC-9", "--", "touch", str(marker)]):
        done = run_cli("--db", str(db), *args)
        assert done.returncode in (1, 2) and len(done.stderr.splitlines()) == 1, done.stderr
        assert "Traceback" not in done.stderr
    assert not marker.exists() and dump(db) == before


def test_an_unreachable_database_never_stops_the_command(tmp_path):
    marker = tmp_path / "ran"
    done = run_cli("--db", "postgresql+psycopg://nobody@127.0.0.1:9/none", "run", "--",
                   "sh", "-c", f"touch {marker}; echo hi; exit 4")
    assert done.returncode == 4 and done.stdout == "hi\n" and marker.exists()
    said = done.stderr.splitlines()
    assert len(said) == 2, said
    assert "the start of this command was not recorded" in said[0] and "running it anyway" in said[0]
    assert "the result of this command (exit 4) was not recorded" in said[1]


def test_options_after_the_double_dash_belong_to_the_command(db):
    done = run_cli("--db", str(db), "run", "--incident", "inc-1", "--", "sh", "-c",
                   "echo \"$@\"", "sh", "--incident", "--db", "--help")
    assert done.returncode == 0 and done.stdout == "--incident --db --help\n"


# ---------------------------------------------------------------------- under a real terminal
SHOW_TTY = ("import os, sys, signal\n"
            "print('TTY', sys.stdin.isatty(), sys.stdout.isatty(), os.get_terminal_size(), flush=True)\n"
            "got = []\n"
            "signal.signal(signal.SIGWINCH, lambda *a: got.append(os.get_terminal_size()))\n"
            "print('NAME?', flush=True)\n"
            "name = input()\n"
            "print('HELLO', name, got[-1] if got else None, flush=True)\n")


def _resize(term: Terminal, rows: int, cols: int) -> None:
    fcntl.ioctl(term.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    os.killpg(term.proc.pid, signal.SIGWINCH)


def test_under_a_terminal_the_command_gets_one(db):
    term = Terminal(warroom("--db", str(db), "run", "--", PY, "-c", SHOW_TTY), cols=91, rows=27)
    try:
        term.wait_for("NAME?")
        _resize(term, 33, 101)  # the window changes while the command runs
        mark = term.wait_for("NAME?")
        term.send(b"sam\r")  # typed keys reach the command as typed (raw mode)
        term.wait_for("HELLO sam", since=mark)
        term.drain()
        assert term.exited() == 0
    finally:
        term.close()
    out = bytes(term.output)
    assert b"TTY True True os.terminal_size(columns=91, lines=27)" in out
    assert b"HELLO sam os.terminal_size(columns=101, lines=33)" in out
    (change, result), = runs(db)
    assert result.data["exit_status"] == 0 and "HELLO sam" in result.text
    # The echo of what was typed is part of the output, between the prompt and the answer (on
    # the prompt's line or its own: whether the line discipline or readline echoes it first
    # depends on when the keys arrive).
    assert "sam" in result.text.split("NAME?", 1)[1].split("HELLO", 1)[0]


def test_ctrl_c_goes_to_the_command_under_a_terminal(db):
    script = "import time\nprint('WAITING', flush=True)\ntime.sleep(60)\n"
    term = Terminal(warroom("--db", str(db), "run", "--", PY, "-c", script))
    try:
        term.wait_for("WAITING")
        term.send(b"\x03")
        term.drain()
        assert term.exited() == 128 + signal.SIGINT
    finally:
        term.close()
    (_, result), = runs(db)
    assert result.data["signal"] == "SIGINT"


def test_a_signal_sent_to_warroom_is_passed_to_the_command(db):
    script = "import time\nprint('WAITING', flush=True)\ntime.sleep(60)\n"
    term = Terminal(warroom("--db", str(db), "run", "--", PY, "-c", script))
    try:
        term.wait_for("WAITING")
        term.proc.send_signal(signal.SIGTERM)
        term.drain()
        assert term.exited() == 128 + signal.SIGTERM
    finally:
        term.close()
    (_, result), = runs(db)
    assert result.data["signal"] == "SIGTERM" and result.text.startswith("Killed by SIGTERM")


def test_the_terminal_is_given_back_as_it_was(db):
    script = "print('DONE', flush=True)"
    term = Terminal(warroom("--db", str(db), "run", "--", PY, "-c", script))
    try:
        before = termios.tcgetattr(term.master)
        term.wait_for("DONE")
        term.drain()
        assert term.exited() == 0
        assert termios.tcgetattr(term.master) == before
    finally:
        term.close()


def test_the_domain_refuses_an_empty_command(tmp_path):
    w = open_domain(tmp_path / "x.db")
    try:
        ref = w.declare("t").incident
        from warroom.base.errors import ValidationError
        with pytest.raises(ValidationError):
            w.run_started(ref, [], cwd="/")
    finally:
        w.store.close()


def test_ctrl_z_under_a_terminal_never_leaves_it_waiting_on_a_stopped_command(db):
    term = Terminal(warroom("--db", str(db), "run", "--", "cat"))
    try:
        mark = term.send(b"one\r")
        term.wait_for("one\r\none", since=mark)  # the echo, then cat's copy
        # Ctrl+Z: the command's process group has no parent in its session (it is orphaned), so
        # the stop is discarded and this terminal is never left waiting on a stopped command.
        term.send(b"\x1a\r")
        term.send(b"\x04")
        term.drain()
        assert term.exited() == 0
    finally:
        term.close()


def test_piped_input_under_a_terminal_is_not_echoed(db):
    term = Terminal(["sh", "-c", f"printf 'from a pipe\\n' | {sys.executable} -m warroom "
                                  f"--db {db} run -- cat"])
    try:
        term.drain()
        assert term.exited() == 0
    finally:
        term.close()
    assert bytes(term.output).count(b"from a pipe") == 1
    (_, result), = runs(db)
    assert result.text.endswith(": cat\nfrom a pipe")


def test_leading_assignments_set_the_commands_environment_and_are_redacted(db):
    done = run_cli("--db", str(db), "run", "--", "PGPASSWORD=hunter2-S3CRET", "PGUSER=app",
                   "sh", "-c", 'echo "user=$PGUSER pw-length=${#PGPASSWORD}"')
    assert done.returncode == 0 and done.stdout == "user=app pw-length=14\n"
    (change, _), = runs(db)
    assert change.data["command"].startswith("PGPASSWORD=[redacted: secret] PGUSER=app sh -c ")
    assert "hunter2-S3CRET" not in "\n".join(dump(db))
