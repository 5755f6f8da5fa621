"""Evidence from the terminal: a command line as the log shows it, the tail of its output, what
kind of file an attachment is.

A command line is logged with its secrets redacted by the public report's rules
(:func:`warroom.core.redact.redact`, without the address rules: the internal record keeps the
host a command talked to) and database URLs masked (:func:`warroom.base.urls.redact_url`); the
command itself receives them unchanged. Each argument is judged in the context of those before it,
so ``--password hunter2`` (two arguments) is caught as well as ``--password=hunter2``.
"""

from __future__ import annotations

import mimetypes
import re
import shlex
from typing import Sequence

from warroom.base.model import Entry
from warroom.base.urls import redact_urls_in
from warroom.core.redact import redact
from warroom.core.text import MAX_LINE, sanitize

MAX_ATTACHMENT = 20 * 1024 * 1024
"""Largest file ``warroom attach`` stores, and the most output ``warroom run`` keeps."""

TAIL_LINES = 10
"""How many of a command's last output lines its result entry shows."""
TAIL_CHARS = 4000

_MARK = "WARROOMREDACTEDLABEL"
_LABEL = re.compile(r"\[redacted: [^\]]*\]|\*\*\*")
_SECRET_ASSIGNMENT = re.compile(
    r"(?i)^(--?[\w\-]*(?:password|passwd|pass|token|secret|api[_-]?key|access[_-]?key|"
    r"auth[_-]?key)[\w\-]*=)(?!\[redacted).+$", re.DOTALL)


def _redact_one(text: str) -> str:
    return redact(redact_urls_in(text), addresses=False)


def redacted_args(argv: Sequence[str]) -> list[str]:
    """Each argument with what is secret in it replaced by a label, judged in the context of
    the arguments before it (``--password`` then ``hunter2``; ``mysql ... -phunter2``)."""
    out: list[str] = []
    for i, arg in enumerate(argv):
        mine = _redact_one(arg)
        whole = _SECRET_ASSIGNMENT.match(arg)
        if whole:  # --password=two words: the whole value, not its first word
            mine = whole.group(1) + "[redacted: password]"
        if i and len(argv) <= 500:
            before = " ".join(argv[max(0, i - 8):i])  # enough context for -u, -p, --password
            with_me = _redact_one(f"{before} {arg}")
            head = _redact_one(before) + " "
            if with_me.startswith(head) and with_me[len(head):] != arg:
                tail = with_me[len(head):]
                if len(tail) < len(mine) or mine == arg:
                    mine = tail
        out.append(mine)
    return out


_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")


def program(argv: Sequence[str]) -> str:
    """The program a command line runs: its first word after any ``NAME=value`` (which may be
    a secret: ``PGPASSWORD=…``)."""
    for word in argv:
        if not _ASSIGNMENT.match(word):
            return word
    return "command"


def short_command(argv: Sequence[str], line: str, limit: int = 100) -> str:
    """The command line as a result entry names it: whole when short and on one line, else the
    program and its first arguments (the change entry holds it whole)."""
    if len(line) <= limit and "\n" not in line:
        return line
    cut = line.split("\n", 1)[0][:limit].rstrip()
    return f"{cut} …" if cut else file_name(program(argv))


def removed_secrets(argv: Sequence[str]) -> list[str]:
    """The secrets :func:`redacted_args` took out of the command line (longest first), so the
    same values can be kept out of the record of its output (``psql`` may echo a password)."""
    found: set[str] = set()
    for arg, shown in zip(argv, redacted_args(argv)):
        if arg == shown:
            continue
        pieces = _LABEL.split(shown)
        pattern = "^" + "(.+?)".join(re.escape(p) for p in pieces) + "$"
        match = re.match(pattern, arg, re.DOTALL)
        if match:
            found.update(g for g in match.groups() if len(g) >= 4)
    return sorted(found, key=len, reverse=True)


def scrub_output(output: bytes, secrets: Sequence[str]) -> bytes:
    """``output`` with each secret replaced by a label (the terminal saw it unchanged)."""
    for secret in secrets:
        output = output.replace(secret.encode("utf-8", "surrogateescape"),
                                b"[redacted: password]")
    return output


def command_line(argv: Sequence[str]) -> str:
    """The command as a shell would take it back, its secrets redacted, clean text."""
    parts = []
    for arg in redacted_args(argv):
        labels = _LABEL.findall(arg)
        quoted = shlex.quote(_LABEL.sub(_MARK, arg)) if arg else "''"
        for label in labels:  # a label reads as a label, not as quoted text
            quoted = quoted.replace(_MARK, label, 1)
        parts.append(quoted)
    return sanitize(" ".join(parts))


def screen_lines(output: bytes) -> list[str]:
    """Output as a terminal would leave it on screen: a carriage return rewrites its line
    (progress bars leave their last state), escape sequences and controls dropped."""
    text = output.decode("utf-8", errors="replace").replace("\r\n", "\n")
    lines = []
    for line in text.split("\n"):
        if "\r" in line:  # each part is written over the start of the line before it
            shown = ""
            for part in line.split("\r"):
                part = sanitize(part)
                shown = part + shown[len(part):]
            lines.append(shown.rstrip())
        else:
            lines.append(sanitize(line).rstrip())
    return lines


def output_tail(output: bytes, *, lines: int = TAIL_LINES, chars: int = TAIL_CHARS) -> str:
    """The last ``lines`` non-empty-ended lines of output, clean text, at most ``chars``."""
    shown = screen_lines(output[-(chars * 8):])
    while shown and not shown[-1]:
        shown.pop()
    tail = "\n".join(shown[-lines:])
    return tail[-chars:]


def media_type(name: str, content: bytes) -> str:
    """A file's media type: from its name, else text/plain for UTF-8 text, else octet-stream."""
    guessed, _ = mimetypes.guess_type(name, strict=False)
    if guessed:
        return guessed[:100]
    return "text/plain" if is_text(content) else "application/octet-stream"


def is_text(content: bytes) -> bool:
    """Readable as text: UTF-8 without NUL bytes (terminal sequences are cleaned when shown)."""
    if b"\x00" in content[:65536]:
        return False
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def shown_text(content: bytes, *, limit: int = 2_000_000) -> str:
    """A file's text as a screen may show it: terminal sequences and controls dropped, carriage
    returns as the terminal would leave the line; cut at ``limit`` characters with a note."""
    lines = screen_lines(content[:limit])
    text = "\n".join(lines)
    if len(content) > limit:
        text += f"\n[… {len(content) - limit:,} more bytes not shown; export the attachment]"
    return text


def file_name(name: str) -> str:
    """A file's name as stored: its last path part, clean, one line, at most MAX_LINE."""
    base = name.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    base = " ".join(sanitize(base).split())[:MAX_LINE]
    return base or "file"


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    for unit in ("KB", "MB", "GB"):
        size_f = size / 1024
        if size_f < 1024 or unit == "GB":
            return f"{size_f:.1f} {unit}"
        size = int(size_f)
    return f"{size} B"  # pragma: no cover


def duration_text(ms: int) -> str:
    if ms < 1000:
        return f"{ms} ms"
    s = ms / 1000
    if s < 60:
        return f"{s:.1f} s"
    m, sec = divmod(int(round(s)), 60)
    if m < 60:
        return f"{m}m{sec:02d}s"
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m"


def exported_name(entry: Entry) -> str:
    """The name an entry's file has beside the report (``export --attachments DIR``) and in
    it: the entry's number first, so two files of the same name never collide."""
    name = file_name(str(entry.data.get("file") or "file"))
    return f"{entry.seq:04d}-{name}"
