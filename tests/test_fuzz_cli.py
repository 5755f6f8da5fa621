"""Fuzzing the command line and stdin, in-process: whatever is typed or piped in, the exit code
is 0, 1 or 2, stderr holds at most one line and never a traceback, a failing command leaves the
database's bytes as they were, and a failing or read-only command creates no file."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import warroom.cli as cli
from warroom.core.domain import Warroom
from warroom.store import Store

COMMANDS = ("declare", "list", "note", "export", "import", "profiles", "backup", "verify")
READ_ONLY = {"list", "verify", "profiles"}
STATS = {"tried": 0, "ok": 0, "refused": 0, "usage": 0}


class ZeroStream(io.RawIOBase):
    """/dev/zero, in-process: never ends."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        buffer[:] = b"\0" * len(buffer)
        return len(buffer)


class Stdin:
    def __init__(self, data: bytes | None) -> None:
        self.buffer = ZeroStream() if data is None else io.BytesIO(data)

    def isatty(self) -> bool:
        return False

    def read(self, n: int = -1) -> str:
        return self.buffer.read(n).decode("utf-8", "replace")


@pytest.fixture(scope="module")
def world():
    folder = Path(tempfile.mkdtemp(prefix="warroom-fuzz-"))
    db = folder / "w.db"
    with Store.open(db) as s:
        w = Warroom(s, user="ana")
        ref = w.declare("Checkout down", lead="ana").incident
        w.note(ref, "first")
        doc = w.export_json(ref)
    import json

    doc["incident"]["ref"] = "INC-77"
    (folder / "inc.json").write_text(json.dumps(doc))
    (folder / "existing.md").write_text("old")
    (folder / "dir").mkdir()
    os.mkfifo(folder / "fifo")
    yield folder, db


def values(folder: Path, db: Path):
    special = [
        "INC-1", "inc-1", "INC-999", "", " ", "-", "--", "/dev/null", "/dev/zero", str(db),
        f"{db}-wal", str(folder / "fifo"), str(folder / "dir"), str(folder / "existing.md"),
        str(folder / "inc.json"), "out.md", "new.db", "a" * 300, "x/" * 3000, "\udcff\udcfe",
        "INC-\udcff", "\x1b]52;c;ZWNobw==\x07", "\u202egnp.exe", "a\x00b",
        "2026-01-01T00:00Z", "0999-01-01T00:00Z", "9999-12-31T23:59-05:00", "0001-01-01T00:00+05:00",
        "2026-03-29T01:30", "soon", "sev1", "SEV1", "nope", "md", "json", "note", "action",
        "postgresql+psycopg2://bob:S3CRET@h/x", "bob:S3CRET@h/x", "sqlite://u:S3CRET@/x",
        "postgresql+psycopg://bob:S3CRET@127.0.0.1:1/x?password=S3CRET", "mysql://b:S3CRET@h/x",
        "postgresql+psycopg://b@h:99999/x", "@sam do it", "1e999", "-1", "9" * 40,
    ]
    free = st.text(max_size=30).map(lambda t: "./" + t if t.startswith(("/", "~")) else t)
    return st.one_of(st.sampled_from(special), free)


FLAGS = {
    "declare": ["--severity", "--service", "--profile", "--description", "--lead", "--security",
                "--customer-impacting"],
    "list": ["--all", "--json"],
    "note": ["--incident", "--kind", "--at", "--owner"],
    "export": ["--format", "--public", "--force", "--template", "-o", "--overwrite"],
    "import": [],
    "profiles": [],
    "backup": ["-o"],
    "verify": [],
}
POSITIONAL = {"declare": ["Checkout down", "x" * 300, ""], "note": ["a note", "@sam do it"],
              "export": ["INC-1", "inc-1", "INC-2"], "verify": ["INC-1", "inc-1", "INC-2"],
              "import": ["inc.json", "-", "/dev/zero", "dir", "fifo"]}
SWITCHES = {"--security", "--customer-impacting", "--all", "--json", "--public", "--force",
            "--overwrite"}


@st.composite
def command_lines(draw, folder: Path, db: Path):
    value = values(folder, db)
    argv: list[str] = []
    if draw(st.booleans()):
        argv += ["--db", draw(st.sampled_from([str(db), str(db), "typo.db", draw(value)]))]
    if draw(st.booleans()):
        argv += ["--as", draw(value)]
    command = draw(st.sampled_from(COMMANDS))
    argv.append(command)
    if command in POSITIONAL and draw(st.integers(0, 9)):  # mostly well-formed, sometimes not
        argv.append(draw(st.one_of(st.sampled_from(POSITIONAL[command]), value)))
    for _ in range(draw(st.integers(0, 4))):
        choice = draw(st.integers(0, 7))
        if choice == 0 or (choice == 1 and command == "note"):
            argv.append(draw(value))
        else:
            flag = draw(st.sampled_from(FLAGS[command] + ["--bogus", "--db", "--debug"]))
            argv.append(flag)
            if flag not in SWITCHES and flag != "--debug":
                argv.append(draw(value))
    return command, argv


def listing(folder: Path) -> set[str]:
    found = set()
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            found.add(os.path.relpath(os.path.join(root, name), folder))
    return {f for f in found if not f.endswith(("-wal", "-shm"))}


def run_main(argv: list[str], stdin: bytes | None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = Stdin(stdin)  # type: ignore[assignment]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main(argv)
            except SystemExit as exc:  # --help / --version
                code = exc.code if isinstance(exc.code, int) else 0
    finally:
        sys.stdin = old_stdin
    return code, out.getvalue(), err.getvalue()


def check(folder: Path, db: Path, command: str, argv: list[str], stdin: bytes | None) -> None:
    before_files, before_db = listing(folder), db.read_bytes()
    code, out, err = run_main(argv, stdin)
    STATS["tried"] += 1
    STATS[{0: "ok", 1: "refused", 2: "usage"}.get(code, "ok")] += 1
    assert code in (0, 1, 2), (argv, code, err)
    if "--debug" not in argv:  # --debug asks for the traceback of an unexpected error
        assert "Traceback" not in err and "Traceback" not in out, (argv, err)
        assert len(err.strip().splitlines()) <= 1, (argv, err)
    else:
        STATS["debug"] = STATS.get("debug", 0) + 1
        STATS["unexpected"] = STATS.get("unexpected", 0) + ("Traceback" in err)
    # No message ever carries a password. (A successful export may print one that was typed
    # as data, a name or a note, on purpose: that is the log, not a message.)
    assert "S3CRET" not in err, (argv, err)
    if code != 0:
        assert "S3CRET" not in out, (argv, out)
    if code != 0:
        assert db.read_bytes() == before_db, (argv, err)
    if code != 0 or command in READ_ONLY or (command == "export" and "-o" not in argv):
        assert listing(folder) == before_files, (argv, code, err,
                                                 listing(folder) ^ before_files)
    for extra in listing(folder) - before_files:  # a successful write: clear it away
        path = folder / extra
        if path.is_file() and path != db:
            path.unlink()


@pytest.fixture
def isolated(world, monkeypatch):
    folder, db = world
    monkeypatch.chdir(folder)
    monkeypatch.setenv("WARROOM_CONFIG_DIR", str(folder / "config"))
    monkeypatch.setenv("WARROOM_DATA_DIR", str(folder / "data"))
    monkeypatch.delenv("WARROOM_DB", raising=False)
    monkeypatch.setattr(cli, "_run_app", lambda *a, **k: 0)  # never start the terminal app
    return folder, db


def test_fuzz_command_lines(isolated, world):
    folder, db = isolated

    @settings(max_examples=int(os.environ.get("WARROOM_FUZZ_EXAMPLES", "1000")), deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def one(data):
        command, argv = data.draw(command_lines(folder, db))
        stdin = data.draw(st.one_of(st.none(), st.binary(max_size=200),
                                    st.text(max_size=100).map(lambda t: t.encode("utf-8", "surrogatepass"))))
        check(folder, db, command, argv, stdin)

    one()
    print(f"\nfuzzed command lines: {STATS}")


@pytest.mark.parametrize("argv, stdin", [
    (["note", "--incident", "INC-1", "--at", "0999-01-01T00:00Z", "x"], b""),
    (["note", "--incident", "INC-1", "--at", "0001-01-01T00:00+05:00", "x"], b""),
    (["note", "--incident", "INC-1", "--at", "9999-12-31T23:59-05:00", "x"], b""),
    (["note", "--incident", "INC-1"], None),                            # /dev/zero on stdin
    (["note", "--incident", "INC-1"], b"\xff\xfe"),                     # not UTF-8
    (["import", "-"], None),
    (["import", "/dev/zero"], b""),
    (["--db", "typo.db", "list"], b""),
    (["--db", "typo.db", "note", "x"], b""),
    (["--db", "typo.db", "export", "INC-1"], b""),
    (["--db", "typo.db", "verify", "INC-1"], b""),
    (["--db", "bob:S3CRET@host/x", "declare", "x"], b""),
    (["--db", "sqlite://u:S3CRET@/x", "declare", "x"], b""),
    (["--db", "a" * 300, "list"], b""),
    (["--db", "\udcff.db", "list"], b""),
    (["export", "\udcff"], b""),
    (["export", "INC-1", "-o", "w.db", "--overwrite"], b""),
    (["export", "INC-1", "-o", "fifo", "--overwrite"], b""),
    (["export", "INC-1", "-o", "/dev/null", "--overwrite"], b""),
    (["export", "INC-1", "-o", "existing.md"], b""),
    (["--db", "postgresql+psycopg://b:S3CRET@127.0.0.1:99999/x", "list"], b""),
])
def test_known_hostile_inputs(isolated, argv, stdin):
    folder, db = isolated
    if argv[0] != "--db":
        argv = ["--db", str(db), *argv]
    command = next(a for a in argv if a in COMMANDS)
    before = db.read_bytes()
    code, out, err = run_main(argv, stdin)
    assert code in (1, 2), (argv, code, err)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert db.read_bytes() == before
    check(folder, db, command, argv, stdin)


def test_debug_shows_the_traceback(isolated, monkeypatch):
    folder, db = isolated

    def boom(args):
        raise RuntimeError("something nobody foresaw")

    monkeypatch.setattr(cli, "cmd_list", boom)
    code, out, err = run_main(["--db", str(db), "list"], b"")
    assert code == 1 and err.count("\n") == 1 and "something nobody foresaw" in err
    assert "--debug" in err and "Traceback" not in err
    code, out, err = run_main(["--db", str(db), "list", "--debug"], b"")
    assert code == 1 and "Traceback" in err and "RuntimeError" in err


def test_real_process_invalid_utf8_and_dev_zero(world, tmp_path):
    """What only a real process has: argv bytes that are not UTF-8, and /dev/zero as stdin."""
    folder, db = world
    env = {**os.environ, "WARROOM_CONFIG_DIR": str(tmp_path / "c"),
           "WARROOM_DATA_DIR": str(tmp_path / "d")}
    cases = [
        ([b"--db", os.fsencode(db), b"export", b"INC-\xff"], subprocess.DEVNULL),
        ([b"--db", b"w\xff.db", b"list"], subprocess.DEVNULL),
        ([b"--db", os.fsencode(db), b"note", b"--incident", b"INC-1"], open("/dev/zero", "rb")),
    ]
    before = db.read_bytes()
    for argv, stdin in cases:
        done = subprocess.run([os.fsencode(sys.executable), b"-m", b"warroom", *argv],
                              stdin=stdin, capture_output=True, env=env, cwd=tmp_path, timeout=60)
        err = done.stderr.decode("utf-8", "replace")
        assert done.returncode in (1, 2) and len(err.strip().splitlines()) == 1, (argv, err)
        assert "Traceback" not in err
    assert db.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == []
