"""The command line: the same domain API as the app, one line on stderr for every error.

Exit codes: 0 success, 1 any error, 2 a usage error. Never a traceback for a user mistake.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Sequence

from warroom import __version__
from warroom.base.errors import NotFound, StoreError, UsageError, ValidationError, WarroomError
from warroom.base.files import check_output_path, read_bounded, write_private_atomic
from warroom.core.public import PARTS as PUBLIC_PARTS

MAX_STDIN = 1_000_000
"""Most bytes ``note`` reads from stdin (``/dev/zero`` is refused, not read into memory)."""

if TYPE_CHECKING:
    from warroom.core.domain import Warroom


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see: {self.prog} --help)")


def _common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    # On sub-commands the defaults are SUPPRESS, so "warroom --db X note" is not undone by the
    # sub-command's own default.
    default: Any = None if top else argparse.SUPPRESS
    parser.add_argument("--db", default=default, metavar="URL",
                        help="SQLAlchemy URL or file path (env WARROOM_DB; default: a SQLite "
                             "file in the user data folder)")
    parser.add_argument("--as", dest="user", default=default, metavar="NAME",
                        help="who is typing (env WARROOM_USER; default: your login name)")
    parser.add_argument("--debug", action="store_true", default=False if top else argparse.SUPPRESS,
                        help="show the traceback of an unexpected error")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="warroom", description="A keyboard-first terminal war room for incidents.")
    parser.add_argument("--version", action="version", version=f"warroom {__version__}")
    _common(parser, top=True)
    parser.add_argument("--theme", default=None, help="colour theme for the app")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        _common(p, top=False)
        return p

    p = command("demo", "open a populated sample incident in a throwaway database")
    p.add_argument("--theme", default=argparse.SUPPRESS)
    p.add_argument("--keep", metavar="FILE", help="write the demo database here instead of a temp file")

    p = command("declare", "declare a new incident; prints its reference")
    p.add_argument("title")
    p.add_argument("--severity")
    p.add_argument("--service", action="append", default=[], metavar="NAME")
    p.add_argument("--profile", default=os.environ.get("WARROOM_PROFILE", "default"))
    p.add_argument("--description", default="")
    p.add_argument("--lead", metavar="NAME")
    p.add_argument("--security", action="store_true")
    p.add_argument("--customer-impacting", action="store_true")
    p.add_argument("--at", metavar="ISO-TIME", dest="impact_started",
                   help="when the impact started, if before now (the impact window)")
    declare_help = p.format_help
    p.format_help = lambda: declare_help() + _profiles_help()  # type: ignore[method-assign]

    p = command("list", "list incidents (open ones unless --all)")
    p.add_argument("--all", action="store_true")
    p.add_argument("--json", action="store_true")

    p = command("open", "open an incident in the war-room screen")
    p.add_argument("ref")
    p.add_argument("--watch", action="store_true",
                   help="read only, on one connection (from WARROOM_READ_DB if set: a read "
                        "replica or a read-only URL); writes nothing, not even presence")
    p.add_argument("--theme", default=argparse.SUPPRESS)

    p = command("note", "log an entry from a script or alert hook (text, or stdin)")
    p.add_argument("text", nargs="*", help="the text (words are joined); omit to read stdin")
    p.add_argument("--incident", metavar="REF", help="default: the most recent open incident")
    p.add_argument("--kind", default="note",
                   help="note, decision, action, result, change, comms, summary, "
                        "escalation (with --to) or ticket (with --supplier and --case)")
    p.add_argument("--at", metavar="ISO-TIME", help="when it happened (backdate an event)")
    p.add_argument("--owner", help="owner of an action (or @name in the text)")
    _process_note_options(p)
    _queue_option(p)

    _process_commands(command)

    _evidence_commands(command)

    p = command("amend", "correct an entry (REF#SEQ, as note prints it): text, kind, owner, "
                         "time; both are kept")
    p.add_argument("entry", metavar="REF#SEQ")
    p.add_argument("text", nargs="*", help="the corrected text (words are joined); omit to keep "
                                            "the text, or give - to read stdin")
    p.add_argument("--kind", help="the corrected kind: note, decision, action, result, change, "
                                  "comms or summary")
    p.add_argument("--at", metavar="ISO-TIME", help="when it really happened")
    p.add_argument("--owner", help="the corrected owner of an action (or @name in the text)")

    p = command("export", "export an incident: Markdown report or lossless JSON")
    p.add_argument("ref")
    p.add_argument("--format", choices=("md", "json"), default="md")
    p.add_argument("--public", action="store_true", help="the version for publication")
    p.add_argument("--force", action="store_true", help="publish a security incident anyway")
    p.add_argument("--template", default=None, help="report template (Markdown only)")
    p.add_argument("-o", "--output", metavar="FILE", help="write here ('-': standard output)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing file at -o")
    p.add_argument("--attachments", metavar="DIR",
                   help="also write the incident's attached files and command output here")

    p = command("import", "load a JSON export (restore, or move between databases)")
    p.add_argument("file")

    command("profiles", "list process profiles and where each came from")

    p = command("backup", "a consistent copy of a live database")
    p.add_argument("-o", "--output", metavar="FILE")

    p = command("verify", "check that no entry was changed behind the app's back")
    p.add_argument("ref")
    p.add_argument("--head", metavar="HASH",
                   help="a chain head recorded earlier (a report, verify's output): today's "
                        "chain must still extend it")
    p.add_argument("--against", metavar="FILE",
                   help="an earlier JSON export or backup database: today's chain must still "
                        "extend its head")

    command("chain-key", "make this database's chain key (kept in your config folder, never "
                         "in the database): every new entry is sealed with it")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    try:
        parser = build_parser()
        args, extra = _parse_run(parser, words) or parser.parse_known_args(words)
        if extra and getattr(args, "command", None) == "amend" and not any(
                x.startswith("-") for x in extra):
            args.text += extra  # REF#SEQ --kind K TEXT: the text may follow the options
        elif extra:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        _check_arguments(args)
        return _dispatch(args)
    except WarroomError as exc:
        _fail(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (warroom list | head): not an error worth a traceback.
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 1
    except SystemExit:
        raise  # --help, --version
    except BaseException as exc:  # noqa: BLE001 - the last guard: one line, never a traceback
        return _unexpected(exc, debug="--debug" in words)


def _unexpected(exc: BaseException, *, debug: bool) -> int:
    """Anything nobody foresaw: one line on stderr and exit 1 (``--debug``: the traceback)."""
    if debug:
        import traceback

        from warroom.base.urls import redact_urls_in

        sys.stderr.write(redact_urls_in("".join(traceback.format_exception(exc))))
        return 1
    if isinstance(exc, OSError) and exc.strerror:
        where = f"{str(exc.filename)[:200]}: " if exc.filename is not None else ""
        _fail(f"{where}{exc.strerror}")
    elif isinstance(exc, MemoryError):
        _fail("out of memory; nothing was saved")
    else:
        detail = str(exc)[:300]
        _fail(f"unexpected error: {type(exc).__name__}{': ' + detail if detail else ''} "
              "(run again with --debug for the details)")
    return 1


# Arguments that name things (files, databases, references): they must be text. Free text
# (a note, a title) is cleaned instead: undecodable bytes are dropped like control characters.
_NAMES = ("db", "ref", "incident", "output", "file", "keep", "profile", "template", "severity",
          "kind", "at", "theme", "attachments")


def _profiles_help() -> str:
    """What ``declare --help`` ends with: each profile, its severities and its services (read
    only when help is asked for)."""
    from warroom.core.profiles import ProfileRegistry
    from warroom.locations import user_profiles_dir

    registry = ProfileRegistry(user_profiles_dir())
    lines = ["", "profiles (--profile), their severities (--severity) and services (--service):"]
    for name in registry.names():
        try:
            prof = registry.get(name)
        except WarroomError as exc:
            lines.append(f"  {name}: invalid ({_shown(exc)})")
            continue
        sevs = ", ".join(s.label for s in prof.live_severities())
        lines.append(f"  {name}: severities {sevs} (default {prof.severity_label(prof.default_severity)})")
        lines.append(f"    services: {'; '.join(prof.services) or 'none'}")
    return "\n".join(lines) + "\n"


def _check_arguments(args: argparse.Namespace) -> None:
    for name in _NAMES:
        value = getattr(args, name, None)
        if not isinstance(value, str):
            continue
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            flag = {"ref": "the reference", "file": "the file name"}.get(name, f"--{name}")
            raise UsageError(f"{flag} is not valid UTF-8 text") from None
        if "\x00" in value:
            raise UsageError(f"--{name} holds a NUL character")


def _shown(value: object) -> str:
    """Anything printed to the terminal that came from a file or the database: one clean line."""
    from warroom.core.text import sanitize

    return " ".join(sanitize(str(value)).split())


def _warn_exposed(db: str | None = None) -> None:
    from warroom.locations import exposure_warnings

    extra = [Path(db).expanduser().absolute().parent] if db and "://" not in db else []
    for line in exposure_warnings(*extra):
        print(f"warroom: {_shown(line)}", file=sys.stderr)


def _fail(message: str) -> None:
    from warroom.base.urls import redact_urls_in

    first = _shown(redact_urls_in(message)) if message else "unknown error"
    print(f"warroom: {first}", file=sys.stderr)


def _settings(args: argparse.Namespace) -> tuple[str, str | None]:
    from warroom.locations import default_db_path

    db = getattr(args, "db", None) or os.environ.get("WARROOM_DB") or str(default_db_path())
    user = getattr(args, "user", None) or os.environ.get("WARROOM_USER") or None
    return db, user


def open_warroom(args: argparse.Namespace, *, readonly: bool = False,
                 create: bool = True) -> "Warroom":
    from warroom.core.domain import Warroom

    db, user = _settings(args)
    _warn_exposed(db)
    queue = bool(getattr(args, "command", None) in ("note", "run", "attach")
                 and not getattr(args, "no_queue", False) and not readonly)
    return Warroom.open(db, user=user, readonly=readonly, create=create, queue=queue,
                        offline_ok=queue)


def _open_for_reading(args: argparse.Namespace) -> "Warroom":
    """For a command that only reads: never creates a database; opened as usual when it can be
    written (so SQLite tidies its -wal/-shm away on close), read-only when it cannot."""
    from warroom.base.errors import ReadOnlyStore

    try:
        return open_warroom(args, create=False)
    except ReadOnlyStore:
        return open_warroom(args, readonly=True)


def _dispatch(args: argparse.Namespace) -> int:
    command = args.command
    if command is None:
        return _run_app(args, ref=None)
    fresh = _not_yet_there(args)
    try:
        return globals()[f"cmd_{command.replace('-', '_')}"](args)
    except BaseException:
        _remove_if_empty(fresh)  # a failing command creates nothing (not even a database)
        raise


def _not_yet_there(args: argparse.Namespace) -> list[Path]:
    """The SQLite file this command would create, then the folders it would create for it."""
    db, _ = _settings(args)
    try:
        if "://" in db:
            if not db.startswith("sqlite:///"):
                return []
            db = db[len("sqlite:///") - 1:]
        path = Path(db).expanduser().absolute()
        missing = [path] if not os.path.lexists(path) else []
        folder = path.parent
        while missing and not folder.exists() and folder != folder.parent:
            missing.append(folder)
            folder = folder.parent
        return missing
    except (OSError, ValueError):
        return []


def _remove_if_empty(fresh: list[Path]) -> None:
    if not fresh or not fresh[0].is_file():
        return
    import sqlite3
    from urllib.parse import quote

    path = fresh[0]
    try:
        con = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
            if "incidents" in tables and con.execute("SELECT count(*) FROM incidents").fetchone()[0]:
                return  # someone else's incident is in it by now: not ours to remove
        finally:
            con.close()
    except (sqlite3.Error, UnicodeError, ValueError):
        return
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    for folder in fresh[1:]:
        try:
            folder.rmdir()
        except OSError:
            break


def _run_app(args: argparse.Namespace, ref: str | None, *, db: str | None = None) -> int:
    from warroom.app import run

    settings_db, user = _settings(args)
    watch = bool(getattr(args, "watch", False))
    if watch and not db and not getattr(args, "db", None):
        settings_db = os.environ.get("WARROOM_READ_DB") or settings_db
    return run(db=db or settings_db, user=user, ref=ref, theme=getattr(args, "theme", None),
               watch=watch)


def cmd_demo(args: argparse.Namespace) -> int:
    import tempfile

    from warroom.demo import load_demo

    if args.keep:
        path = Path(args.keep)
        if path.exists():
            raise WarroomError(f"{path}: already exists; the demo writes a new database")
    else:
        folder = Path(tempfile.mkdtemp(prefix="warroom-demo-"))
        path = folder / "demo.db"
    ref = load_demo(str(path), user=_settings(args)[1])
    return _run_app(args, ref=ref, db=str(path))


def cmd_open(args: argparse.Namespace) -> int:
    # The app paints first and opens the store after; an unknown reference or a bad database
    # still ends in one line on stderr and exit 1 (the app's loader reports it).
    return _run_app(args, ref=args.ref)


def cmd_declare(args: argparse.Namespace) -> int:
    w = open_warroom(args)
    with w:
        first = w.declare(args.title, profile=args.profile, severity=args.severity,
                          services=args.service, description=args.description, lead=args.lead,
                          security=args.security, customer_impacting=args.customer_impacting)
        if args.impact_started:
            w.set_impact(first.incident, "started", args.impact_started,
                         reason="impact started before the declaration (declare --at)")
        scope = _out_of_hours_scope(w, first.incident)
    print(first.incident)
    if scope:
        print(scope, file=sys.stderr)
    return 0


def _out_of_hours_scope(w, ref: str) -> str:
    """dxw: out of hours, only critical alerts and emergency tickets are responded to."""
    from warroom.core.rules import out_of_hours_scope

    scope = out_of_hours_scope(w.incident_profile(ref), w.state(ref), w.clock.now())
    return scope.text if scope is not None else ''


def cmd_list(args: argparse.Namespace) -> int:
    from warroom.base.clock import format_time

    try:  # creates nothing, works on a database you can only read
        w = _open_for_reading(args)
    except NotFound:
        if getattr(args, "db", None) or os.environ.get("WARROOM_DB"):
            raise  # a typo'd --db is said, not created
        rows = []  # no database yet at the default place: nothing declared
        if args.json:
            print("[]")
        else:
            print("no open incidents" if not args.all else "no incidents", file=sys.stderr)
        return 0
    with w:
        rows = w.list_incidents(include_closed=args.all)
        if args.json:
            print(json.dumps([{
                "ref": r.ref, "alias": r.alias or None, "title": r.title,
                "severity": r.severity, "status": r.status,
                "profile": r.profile, "entries": r.entries,
                "declared_at": format_time(r.declared_at) if r.declared_at else None,
                "resolved_at": format_time(r.resolved_at) if r.resolved_at else None,
            } for r in rows], indent=2, ensure_ascii=False))
            return 0
        if not rows:
            print("no open incidents" if not args.all else "no incidents", file=sys.stderr)
            return 0
        labels = {}
        for r in rows:
            try:
                labels[r.ref] = _shown(w.profile(r.profile).severity(r.severity).label)
            except WarroomError:
                labels[r.ref] = _shown(r.severity)
        shown = {r.ref: _shown(r.ref) + (f" (was {_shown(r.alias)})" if r.alias else "")
                 for r in rows}
        width = max(len(v) for v in shown.values())
        for r in rows:
            declared = r.declared_at.astimezone().strftime("%Y-%m-%d %H:%M") if r.declared_at else ""
            print(f"{shown[r.ref]:<{width}}  {labels[r.ref]:<9} {_shown(r.status):<13} {declared}  "
                  f"{_shown(r.title)}" + (f"  [damaged: {r.damaged} entries]" if r.damaged else ""))
    return 0


def cmd_note(args: argparse.Namespace) -> int:
    if args.kind in PROCESS_KINDS:
        return _note_process(args)
    text = " ".join(args.text) if args.text else None
    if text is None:
        if sys.stdin is None or sys.stdin.isatty():
            raise UsageError("give the note text as an argument or on stdin")
        try:
            text = read_bounded(sys.stdin.buffer, MAX_STDIN, what="stdin").decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError("stdin is not UTF-8 text; nothing was saved") from None
    from warroom.base.errors import EntryQueued

    w = open_warroom(args, create=False)  # a note needs an incident: never a new database
    with w:
        ref = _ref_or_last(w, args.incident)
        if not ref:
            raise WarroomError("no open incident: declare one, or say which with --incident REF")
        ref = w.canonical_ref(ref)
        try:
            entry = w.log(ref, args.kind, text, at=args.at, owner=args.owner)
        except EntryQueued as exc:
            return _queued(exc)
        warning = _change_warning(w, ref, entry) if args.kind == "change" else None
    print(f"{entry.incident}#{entry.seq}")
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def _change_warning(w, ref: str, entry) -> str | None:
    """GOV.UK PaaS: only the incident lead changes production; a change logged by anyone else
    is saved, and said."""
    from warroom.core.rules import changes_by_others

    found = [c for c in changes_by_others(w.incident_profile(ref), w.state(ref))
             if c.entry.seq == entry.seq]
    return found[0].text if found else None


def cmd_amend(args: argparse.Namespace) -> int:
    from warroom.core.domain import parse_entry_ref

    ref, seq = parse_entry_ref(args.entry)
    text = " ".join(args.text) if args.text else None
    if text == "-" or (text is None and sys.stdin is not None and not sys.stdin.isatty()
                       and args.kind is None and args.at is None and args.owner is None):
        try:
            text = read_bounded(sys.stdin.buffer, MAX_STDIN, what="stdin").decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError("stdin is not UTF-8 text; nothing was saved") from None
    if text is None and args.kind is None and args.at is None and args.owner is None:
        raise UsageError("say what to correct: the text (argument or stdin), --kind, --at or --owner")
    w = open_warroom(args, create=False)  # a correction needs an incident: never a new database
    with w.store:
        entry = w.amend(ref, seq, text, kind=args.kind, at=args.at, owner=args.owner)
    print(f"{entry.incident}#{entry.seq}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    to_file = bool(args.output) and args.output != "-"
    if to_file:  # refuse a bad -o before anything is read or recorded
        check_output_path(Path(args.output), overwrite=args.overwrite)
    # Read-only (works on a database you can only read), unless a forced public report of a
    # security incident must record the override.
    w = (open_warroom(args, create=False) if args.public and args.force
         else _open_for_reading(args))
    with w:
        ref = w.canonical_ref(args.ref)
        if args.format == "json":
            if args.public or args.template:
                raise UsageError("--public and --template apply to the Markdown report only")
            content = json.dumps(w.export_json(ref), indent=2, ensure_ascii=False) + "\n"
        else:
            content = w.export_report(ref, public=args.public, force=args.force,
                                      template=args.template)
        if args.attachments:
            if args.public:
                raise UsageError("--attachments goes with the internal report: the public "
                                 "one never carries commands or files")
            export_attachments(w, ref, Path(args.attachments))
        if args.public and w.state(ref).public is None:
            print(f"warroom: warning: {ref} has no public summary yet: the report says so "
                  f"(write one with warroom public {ref} or the p key)", file=sys.stderr)
    if to_file:
        write_private_atomic(Path(args.output), content, overwrite=args.overwrite)
    else:
        sys.stdout.write(content)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from warroom.core.importing import load_export, parse_export

    path = Path(args.file)
    # Read (bounded) and check the whole file before the database is even opened: a refused
    # import leaves nothing behind, not even an empty database.
    doc = load_export(sys.stdin.buffer if str(path) == "-" else path, name=str(path))
    parsed = parse_export(doc, source=str(path))
    w = open_warroom(args)
    with w:
        got = w.import_export(parsed, source=str(path))
        ref = got.ref
        if got.alias:  # this database already had that reference: the next free one
            print(f"warroom: imported as {ref}; its reference {_shown(got.alias)} kept as an "
                  "alias", file=sys.stderr)
        try:
            w.incident_profile(ref)
        except WarroomError as exc:
            print(f"warroom: warning: {exc}", file=sys.stderr)
    print(ref)
    return 0


def cmd_profiles(args: argparse.Namespace) -> int:
    from warroom.core.profiles import ProfileRegistry
    from warroom.locations import user_profiles_dir

    _warn_exposed()
    registry = ProfileRegistry(user_profiles_dir())
    failed = 0
    for name, (path, origin) in registry.files().items():
        try:
            profile = registry.get(name)
            severities = "/".join(_shown(s.label) for s in profile.severities)
            print(f"{_shown(name):<24} {origin:<26} {severities:<30} {_shown(str(path))}")
        except WarroomError as exc:
            failed += 1
            print(f"{_shown(name):<24} {'INVALID':<26} {_shown(str(exc))}")
    if failed:
        raise WarroomError(f"{failed} profile(s) invalid (see above)")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    # Read-only: a backup never writes to the database it copies (which may be read-only).
    w = open_warroom(args, readonly=True)
    with w:
        dest: Path | None = None
        if args.output:
            if args.output == "-":
                raise UsageError("a backup is a database file: give -o FILE, not standard output")
            dest = Path(args.output)
            check_output_path(dest, hint="choose another file (nothing was overwritten)")
        elif w.database.path is None:
            raise UsageError("give -o FILE")
        dest = w.backup(dest)
        # The heads of the copy, recomputed from its entries: what `verify --head` and
        # `verify --against` compare with later.
        from warroom.core.domain import Warroom

        with Warroom.open(dest, user=w.user, readonly=True) as copy:
            heads = copy.chain_heads()
    print(dest)
    for ref, seq, head in heads:
        if seq < 0:
            print(f"{_shown(ref)}: the chain does not verify: {_shown(head)}")
        else:
            print(f"{_shown(ref)}: chain head #{seq} {head}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    # Read-only: checking for tampering must never write (it also runs on read-only copies).
    if args.head is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", args.head.strip()):
        raise UsageError("--head takes a chain head: 64 hexadecimal digits (a report's or "
                         "verify's 'chain head')")
    w = open_warroom(args, readonly=True)
    with w:
        found = w.verify(args.ref)
        if not found.ok and found.first_bad is not None:
            raise WarroomError(f"{found.ref}: entry #{found.first_bad.seq} fails verification: "
                               f"{found.detail}; the {found.intact} entries before it are intact")
        if not found.ok:
            raise WarroomError(f"{found.ref}: the chain does not verify: {found.detail}")
        earlier: list[tuple[int | None, str, str]] = []
        if args.head is not None:
            earlier.append((None, args.head, "--head"))
        if args.against is not None:
            earlier.append(w.head_in_file(found.ref, Path(args.against)))
        checks = [w.extends(found.ref, head, seq=seq, source=source)
                  for seq, head, source in earlier]
    for check in checks:
        if not check.extends:
            at = f" #{check.seq}" if check.seq else ""
            raise WarroomError(
                f"{found.ref}: today's chain does not extend the earlier head{at} {check.hash} "
                f"({_shown(check.source)}): the log was changed or re-hashed since; today's "
                f"{found.intact} entries hold together on their own (recomputed head "
                f"#{found.head_seq} {found.head_hash})")
    print(f"{found.ref}: {found.intact} entries intact; chain head #{found.head_seq} "
          f"{found.head_hash} (recomputed from the entries"
          + ("; the recorded head agrees)" if found.recorded else ")"))
    print(f"{found.ref}: {found.seals}")
    # --as is self-declared; the database says who wrote each entry: one line per pair.
    pairs: dict[tuple[str, str], list[int]] = {}
    for entry in found.writers:
        pairs.setdefault((entry.written_by_other(), entry.author), []).append(entry.seq)
    for (writer, author), seqs in pairs.items():
        shown = ", ".join(f"#{n}" for n in seqs[:10]) + (", …" if len(seqs) > 10 else "")
        count = f" ({len(seqs)} entries)" if len(seqs) > 1 else ""
        print(f"  written by {_shown(writer)} as {_shown(author)}: {shown}{count}")
    for check in checks:
        print(f"{found.ref}: extends the earlier head #{check.seq} {check.hash} "
              f"({_shown(check.source)})")
    return 0


def cmd_chain_key(args: argparse.Namespace) -> int:
    w = open_warroom(args, create=False)  # a key for a database that exists, never a new one
    with w:
        path, made = w.create_chain_key()
    if made:
        print(f"{_shown(str(path))}: chain key made; every entry written to this database from "
              "now on is sealed with it (copy the file to every machine that writes here)")
    else:
        print(f"{_shown(str(path))}: this database already has a chain key; nothing was changed")
    return 0


# ---------------------------------------------------------------------- the process (issue 13)
PROCESS_KINDS = ("escalation", "ticket")


def _process_note_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--to", metavar="WHO", help="escalation: who or which level was called")
    p.add_argument("--how", help="escalation: how (phone, PagerDuty...)")
    p.add_argument("--supplier", metavar="S", help="ticket: the third party (AWS, Aiven...)")
    p.add_argument("--case", metavar="ID", help="ticket: the supplier's case id")


def _process_commands(command) -> None:
    p = command("set", "change the facts as you learn them: flags, services, impact started")
    p.add_argument("ref")
    p.add_argument("--security", dest="security", action="store_const", const=True, default=None)
    p.add_argument("--no-security", dest="security", action="store_const", const=False)
    p.add_argument("--customer-impacting", dest="customer_impacting", action="store_const",
                   const=True, default=None)
    p.add_argument("--no-customer-impacting", dest="customer_impacting", action="store_const",
                   const=False)
    p.add_argument("--service", action="append", default=None, metavar="X",
                   help="the impacted services, all of them (repeat)")
    p.add_argument("--impact-started", metavar="ISO-TIME")
    p.add_argument("--detected", metavar="ISO-TIME", help="when the problem was detected")
    p.add_argument("--mitigated", metavar="ISO-TIME", help="when users stopped being affected")
    p.add_argument("--reason", required=True, help="why (goes in the timeline)")

    p = command("public", "write the public statement the published report is built from")
    p.add_argument("ref")
    p.add_argument("--draft", action="store_true",
                   help="print a draft from the status updates sent (and the statement so far)")
    for key, label in PUBLIC_PARTS.items():
        p.add_argument(f"--{key.replace('_', '-')}", dest=key, metavar="TEXT", help=label)


def _optional_text(args: argparse.Namespace) -> str:
    if args.text:
        return " ".join(args.text)
    if sys.stdin is None or sys.stdin.isatty():
        return ""
    try:
        return sys.stdin.buffer.read().decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError("stdin is not UTF-8 text; nothing was saved") from None


def _note_process(args: argparse.Namespace) -> int:
    """``note --kind escalation --to WHO`` and ``note --kind ticket --supplier S --case ID``."""
    if args.kind == "escalation" and not (args.to and args.to.strip()):
        raise UsageError("--kind escalation needs --to WHO (a level of the escalation chain, or a name)")
    if args.kind == "ticket" and not (args.supplier and args.supplier.strip()):
        raise UsageError("--kind ticket needs --supplier S (and --case ID)")
    from warroom.base.errors import EntryQueued

    text = _optional_text(args)
    w = open_warroom(args)
    with w:
        ref = _ref_or_last(w, args.incident)
        if not ref:
            raise WarroomError("no open incident: declare one, or say which with --incident REF")
        ref = w.canonical_ref(ref)
        try:
            if args.kind == "escalation":
                entry = w.log_escalation(ref, args.to, text, how=args.how or "", at=args.at)
            else:
                entry = w.log_ticket(ref, args.supplier, args.case or "", text, at=args.at)
        except EntryQueued as exc:
            return _queued(exc)
    print(f"{entry.incident}#{entry.seq}")
    return 0


def cmd_public(args: argparse.Namespace) -> int:
    from warroom.core.public import public_draft

    parts = {key: getattr(args, key) for key in PUBLIC_PARTS if getattr(args, key) is not None}
    if args.draft:
        if parts:
            raise UsageError("--draft prints a draft; give the parts without it to write them")
        w = _open_for_reading(args)
        with w:
            ref = w.canonical_ref(args.ref)
            state = w.state(ref)
            updates = [(e.occurred.strftime("%H:%M UTC"), e.text) for e in w.entries(ref)
                       if e.kind == "comms"]
            draft = public_draft(state, updates)
        for key, label in PUBLIC_PARTS.items():
            print(f"{label}:\n{draft[key] or '(to write)'}\n")
        return 0
    if not parts:
        raise UsageError("say what the public statement says: --what-happened, --users-saw, "
                         "--response, --cause, --prevention (or --draft for a draft)")
    w = open_warroom(args)
    with w:
        entry = w.write_public(w.canonical_ref(args.ref), parts)
    print(f"{entry.incident}#{entry.seq}")
    return 0


def cmd_set(args: argparse.Namespace) -> int:
    w = open_warroom(args)
    with w:
        ref = w.canonical_ref(args.ref)
        from warroom.core.domain import FactsChanged

        timed = [(f, getattr(args, f)) for f in ("detected", "mitigated") if getattr(args, f)]
        if timed and args.security is None and args.customer_impacting is None \
                and args.service is None and args.impact_started is None:
            result = FactsChanged(())
        else:
            result = w.set_facts(ref, reason=args.reason, security=args.security,
                                 customer_impacting=args.customer_impacting, services=args.service,
                                 impact_started=args.impact_started)
        result = FactsChanged(result.entries + tuple(
            w.set_impact(ref, field, at, reason=args.reason) for field, at in timed),
            result.security_steps, result.roles_now_required)
    for entry in result.entries:
        print(f"{entry.incident}#{entry.seq} {entry.text}")
    for step in result.security_steps:
        print(f"security incident, now: {step}", file=sys.stderr)
    for role in result.roles_now_required:
        print(f"required now: {role} (the incident affects customers)", file=sys.stderr)
    return 0


# ---------------------------------------------------------------------- evidence (issue 17)
def _evidence_commands(command) -> None:
    p = command("run", "run a command as the shell would and log it: the command line when it "
                       "starts, its exit status, duration and output when it ends; exits with "
                       "its status (usage: warroom run [--incident REF] [--note TEXT] -- CMD "
                       "[ARGS...])")
    p.add_argument("--incident", metavar="REF", help="default: the most recent open incident")
    p.add_argument("--note", metavar="TEXT", help="why it is run (logged with the command)")
    _queue_option(p)
    p.add_argument("cmd", nargs=argparse.REMAINDER, metavar="-- CMD [ARGS...]")

    p = command("attach", "attach a file to the log (a log excerpt, a screenshot, a config "
                          "diff): stored in the database with its SHA-256, under the chain")
    p.add_argument("file")
    p.add_argument("--incident", metavar="REF", help="default: the most recent open incident")
    p.add_argument("--note", metavar="TEXT", help="what it is")
    _queue_option(p)

    p = command("outbox", "list the entries kept on this machine while the team database "
                          "could not be reached (or deliver them now with --flush)")
    p.add_argument("--flush", action="store_true",
                   help="deliver them now (any warroom that reaches the database does too)")
    p.add_argument("--drop", action="append", metavar="UID", default=[],
                   help="take this entry out of the outbox for good (its uid as listed, or "
                        "the start of it); each is printed on stdout as a JSON line first, "
                        "so its text can be logged again elsewhere. Repeatable")


def _queue_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-queue", action="store_true",
                   help="fail (exit 1) when the team database cannot take the entry, instead "
                        "of keeping it in the local outbox for later delivery")


def _queued(exc: WarroomError) -> int:
    """The entry went to the outbox: one line on stderr, exit 0."""
    print(f"warroom: queued: {' '.join(str(exc).split())}", file=sys.stderr)
    return 0


def _ref_or_last(w: "Warroom", given: str | None) -> str | None:
    """The incident named, or the most recent open one; offline, the one this machine last
    used on that database."""
    from warroom.base.errors import StoreAtCapacity, StoreUnreachable

    if given:
        return given
    try:
        return w.most_recent_open()
    except (StoreUnreachable, StoreAtCapacity):
        last = w.last_used_ref()
        if last is None:
            raise StoreUnreachable(f"{w.database.where}: team database unreachable and no incident "
                               "used from here before: say which with --incident REF to keep "
                               "the entry locally") from None
        return last


def _parse_run(parser: argparse.ArgumentParser,
               words: list[str]) -> tuple[argparse.Namespace, list[str]] | None:
    """``warroom [options] run [options] -- CMD [ARGS...]``: what follows the first ``--`` is
    the command, untouched (its own options are not warroom's)."""
    if "--" not in words:
        return None
    cut = words.index("--")
    try:
        args, extra = parser.parse_known_args(words[:cut])
    except UsageError:
        return None
    if getattr(args, "command", None) != "run":
        return None
    args.cmd = list(args.cmd or []) + words[cut + 1:]
    return args, extra


def _evidence_warroom(args: argparse.Namespace) -> tuple["Warroom", str]:
    w = open_warroom(args, create=False)  # evidence needs an incident: never a new database
    try:
        ref = _ref_or_last(w, args.incident)
        if not ref:
            raise WarroomError("no open incident: declare one, or say which with --incident REF")
        return w, w.canonical_ref(ref)
    except BaseException:
        w.close()
        raise


def cmd_run(args: argparse.Namespace) -> int:
    """The command runs whatever happens to the log: a database that cannot be reached or
    written is said in one line on stderr (what was not recorded), never in its way."""
    from datetime import datetime, timezone

    from warroom.base import runner
    from warroom.base.errors import EntryQueued
    from warroom.core.domain import new_uid

    argv = [a for a in (args.cmd or [])]
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        raise UsageError("say what to run: warroom run [--incident REF] [--note TEXT] -- CMD [ARGS...]")
    run_id = new_uid()
    cwd = os.getcwd()
    w = ref = started = None
    start_queued = False
    try:
        w, ref = _evidence_warroom(args)
        try:
            started = w.run_started(ref, argv, cwd=cwd, note=args.note or "", run=run_id)
        except EntryQueued as exc:
            start_queued = True
            _queued(exc)
        else:
            warning = _change_warning(w, ref, started)  # GOV.UK PaaS: only the lead changes prod
            if warning:
                print(f"warning: {warning}", file=sys.stderr)
    except WarroomError as exc:
        if not isinstance(exc, StoreError):
            raise  # a mistake in what was typed (no such incident): said before anything runs
        _fail(f"the start of this command was not recorded ({exc}); running it anyway")
    began = datetime.now(timezone.utc)
    try:
        outcome = runner.run(argv, limit=_max_attachment())
    except runner.NotStarted as exc:
        _fail(str(exc))
        outcome = runner.Outcome(exc.status, None, 0, f"warroom: {exc}\n".encode(), 0,
                                 began.timestamp())
    try:
        if w is None:
            w, ref = _evidence_warroom(args)
        assert ref is not None
        if started is None and not start_queued:
            started = w.run_started(ref, argv, cwd=cwd, note=args.note or "", run=run_id,
                                    at=began)
        w.run_finished(ref, argv, exit_status=outcome.returncode,
                       signal_name=outcome.signal_name, duration_ms=outcome.duration_ms,
                       output=outcome.output, output_bytes=outcome.output_bytes,
                       started=started, run=run_id)
    except EntryQueued as exc:
        _queued(exc)
    except WarroomError as exc:
        what = f"exit {outcome.status}" if outcome.signal is None else outcome.signal_name
        _fail(f"the result of this command ({what}) was not recorded: {exc}")
    finally:
        if w is not None:
            w.close()
    return outcome.status


def _max_attachment() -> int:
    from warroom.core.evidence import MAX_ATTACHMENT

    return MAX_ATTACHMENT


def cmd_attach(args: argparse.Namespace) -> int:
    from warroom.core.evidence import MAX_ATTACHMENT, human_size

    path = Path(args.file)
    try:
        if path.is_dir():
            raise ValidationError(f"{path}: a folder, not a file; nothing was saved")
        with open(path, "rb") as handle:
            content = handle.read(MAX_ATTACHMENT + 1)
    except FileNotFoundError:
        raise NotFound(f"{path}: no such file; nothing was saved") from None
    except PermissionError:
        raise ValidationError(f"{path}: permission denied; nothing was saved") from None
    if len(content) > MAX_ATTACHMENT:
        raise ValidationError(f"{path.name}: over the {human_size(MAX_ATTACHMENT)} limit for an "
                              "attachment; nothing was saved (attach an excerpt)")
    from warroom.base.errors import EntryQueued

    w, ref = _evidence_warroom(args)
    with w:
        try:
            entry = w.attach(ref, path.name, content, note=args.note or "")
        except EntryQueued as exc:
            return _queued(exc)
    print(f"{entry.incident}#{entry.seq} {entry.data['sha256']}")
    return 0


def cmd_outbox(args: argparse.Namespace) -> int:
    """The local outbox: what waits for which database; ``--flush`` delivers it now."""
    from warroom.core.domain import Warroom

    if args.drop:
        if args.flush:
            raise UsageError("--drop and --flush go separately")
        dropped = Warroom.outbox_drop(args.drop)
        for item in dropped:
            d = item.draft
            print(json.dumps({"db": item.db, "incident": item.ref, "uid": d.uid,
                              "kind": d.kind, "author": d.author, "occurred_at": d.occurred_at,
                              "text": d.text, "data": d.data, "amends": d.amends,
                              "files": [f.name for f in item.files]}, ensure_ascii=False))
        count = len(dropped)
        print(f"warroom: took {count} {'entry' if count == 1 else 'entries'} out of the outbox "
              f"(printed on stdout); {'it' if count == 1 else 'they'} will not be delivered",
              file=sys.stderr)
        return 0
    if args.flush:
        db, user = _settings(args)
        if "://" in db and not db.startswith("sqlite"):
            w = Warroom.open(db, user=user, queue=True)  # delivers as it opens
            with w:
                left = w.deliver_outbox() if w.outbox_count() else 0
                where = w.database.where
            if left:
                raise StoreError(f"{where}: {left} entries still waiting")
        for item in Warroom.outbox_waiting(db):
            if item.problem:
                print(f"warroom: {item.ref} {item.draft.uid}: not delivered: {item.problem}",
                      file=sys.stderr)
    items = Warroom.outbox_waiting()
    if not items:
        print("the outbox is empty", file=sys.stderr)
        return 0
    from datetime import datetime, timezone

    for item in items:
        when = datetime.fromtimestamp(item.queued_at, timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
        text = " ".join(item.draft.text.split())[:60]
        state = f" [{item.problem}]" if item.problem else ""
        print(f"{when}  {item.draft.uid[:12]}  {item.ref}  {item.draft.kind:<10} "
              f"{item.draft.author}: {text}  ({item.db}){state}")
    return 0


def export_attachments(w: "Warroom", ref: str, folder: Path) -> list[Path]:
    """Every attached file and command output of ``ref`` into ``folder`` (created 0700 if
    need be), named as the report names them; an existing file there is never replaced."""
    from warroom.core.evidence import exported_name

    from warroom.base.files import make_private_dirs

    make_private_dirs(folder)
    written = []
    for entry, item in w.attachments(ref):
        if item is None:
            print(f"warroom: {ref}#{entry.seq}: its attachment is not in the database; "
                  "not exported", file=sys.stderr)
            continue
        dest = folder / exported_name(entry)
        write_private_atomic(dest, item.content, overwrite=False)
        written.append(dest)
    return written
