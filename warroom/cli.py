"""The command line: the same domain API as the app, one line on stderr for every error.

Exit codes: 0 success, 1 any error, 2 a usage error. Never a traceback for a user mistake.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Sequence

from warroom import __version__
from warroom.base.errors import UsageError, ValidationError, WarroomError
from warroom.base.files import write_private_atomic

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

    p = command("list", "list incidents (open ones unless --all)")
    p.add_argument("--all", action="store_true")
    p.add_argument("--json", action="store_true")

    p = command("open", "open an incident in the war-room screen")
    p.add_argument("ref")
    p.add_argument("--theme", default=argparse.SUPPRESS)

    p = command("note", "log an entry from a script or alert hook (text, or stdin)")
    p.add_argument("text", nargs="*", help="the text (words are joined); omit to read stdin")
    p.add_argument("--incident", metavar="REF", help="default: the most recent open incident")
    p.add_argument("--kind", default="note",
                   help="note, decision, action, result, change, comms or summary")
    p.add_argument("--at", metavar="ISO-TIME", help="when it happened (backdate an event)")
    p.add_argument("--owner", help="owner of an action (or @name in the text)")

    p = command("export", "export an incident: Markdown report or lossless JSON")
    p.add_argument("ref")
    p.add_argument("--format", choices=("md", "json"), default="md")
    p.add_argument("--public", action="store_true", help="the version for publication")
    p.add_argument("--force", action="store_true", help="publish a security incident anyway")
    p.add_argument("--template", default=None, help="report template (Markdown only)")
    p.add_argument("-o", "--output", metavar="FILE")

    p = command("import", "load a JSON export (restore, or move between databases)")
    p.add_argument("file")

    command("profiles", "list process profiles and where each came from")

    p = command("backup", "a consistent copy of a live database")
    p.add_argument("-o", "--output", metavar="FILE")

    p = command("verify", "check that no entry was changed behind the app's back")
    p.add_argument("ref")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
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


def _fail(message: str) -> None:
    first = " ".join(message.split()) if message else "unknown error"
    print(f"warroom: {first}", file=sys.stderr)


def _settings(args: argparse.Namespace) -> tuple[str, str | None]:
    from warroom.locations import default_db_path

    db = getattr(args, "db", None) or os.environ.get("WARROOM_DB") or str(default_db_path())
    user = getattr(args, "user", None) or os.environ.get("WARROOM_USER") or None
    return db, user


def open_warroom(args: argparse.Namespace, *, readonly: bool = False) -> "Warroom":
    from warroom.core.domain import Warroom

    db, user = _settings(args)
    return Warroom.open(db, user=user, readonly=readonly)


def _dispatch(args: argparse.Namespace) -> int:
    command = args.command
    if command is None:
        return _run_app(args, ref=None)
    return globals()[f"cmd_{command}"](args)


def _run_app(args: argparse.Namespace, ref: str | None, *, db: str | None = None) -> int:
    from warroom.app import run

    settings_db, user = _settings(args)
    return run(db=db or settings_db, user=user, ref=ref, theme=getattr(args, "theme", None))


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
    print(first.incident)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from warroom.base.clock import format_time

    w = open_warroom(args)
    with w:
        rows = w.list_incidents(include_closed=args.all)
        if args.json:
            print(json.dumps([{
                "ref": r.ref, "title": r.title, "severity": r.severity, "status": r.status,
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
                labels[r.ref] = w.profile(r.profile).severity(r.severity).label
            except WarroomError:
                labels[r.ref] = r.severity
        width = max(len(r.ref) for r in rows)
        for r in rows:
            declared = r.declared_at.astimezone().strftime("%Y-%m-%d %H:%M") if r.declared_at else ""
            print(f"{r.ref:<{width}}  {labels[r.ref]:<9} {r.status:<13} {declared}  {r.title}")
    return 0


def cmd_note(args: argparse.Namespace) -> int:
    text = " ".join(args.text) if args.text else None
    if text is None:
        if sys.stdin is None or sys.stdin.isatty():
            raise UsageError("give the note text as an argument or on stdin")
        try:
            text = sys.stdin.buffer.read().decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError("stdin is not UTF-8 text; nothing was saved") from None
    w = open_warroom(args)
    with w:
        ref = args.incident or w.most_recent_open()
        if not ref:
            raise WarroomError("no open incident: declare one, or say which with --incident REF")
        ref = w.canonical_ref(ref)
        entry = w.log(ref, args.kind, text, at=args.at, owner=args.owner)
    print(f"{entry.incident}#{entry.seq}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    w = open_warroom(args)
    with w:
        ref = w.canonical_ref(args.ref)
        if args.format == "json":
            if args.public or args.template:
                raise UsageError("--public and --template apply to the Markdown report only")
            content = json.dumps(w.export_json(ref), indent=2, ensure_ascii=False) + "\n"
        else:
            content = w.export_report(ref, public=args.public, force=args.force,
                                      template=args.template)
    if args.output:
        write_private_atomic(Path(args.output), content)
    else:
        sys.stdout.write(content)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        raw = path.read_bytes() if str(path) != "-" else sys.stdin.buffer.read()
    except OSError as exc:
        raise WarroomError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(f"{path}: not a warroom JSON export ({exc})") from None
    w = open_warroom(args)
    with w:
        ref = w.import_json(doc, source=str(path))
        try:
            w.incident_profile(ref)
        except WarroomError as exc:
            print(f"warroom: warning: {exc}", file=sys.stderr)
    print(ref)
    return 0


def cmd_profiles(args: argparse.Namespace) -> int:
    from warroom.core.profiles import ProfileRegistry
    from warroom.locations import user_profiles_dir

    registry = ProfileRegistry(user_profiles_dir())
    failed = 0
    for name, (path, origin) in registry.files().items():
        try:
            profile = registry.get(name)
            severities = "/".join(s.label for s in profile.severities)
            print(f"{name:<24} {origin:<26} {severities:<30} {path}")
        except WarroomError as exc:
            failed += 1
            print(f"{name:<24} {'INVALID':<26} {exc}")
    if failed:
        raise WarroomError(f"{failed} profile(s) invalid (see above)")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    # Read-only: a backup never writes to the database it copies (which may be read-only).
    w = open_warroom(args, readonly=True)
    with w:
        if not args.output and w.database.path is None:
            raise UsageError("give -o FILE")
        dest = w.backup(Path(args.output) if args.output else None)
    print(dest)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    # Read-only: checking for tampering must never write (it also runs on read-only copies).
    w = open_warroom(args, readonly=True)
    with w:
        found = w.verify(args.ref)
    if found.first_bad is not None:
        raise WarroomError(f"{found.ref}: entry #{found.first_bad.seq} fails verification: "
                           f"{found.detail}; the {found.intact} entries before it are intact")
    print(f"{found.ref}: {found.intact} entries intact; chain head {found.detail}")
    return 0
