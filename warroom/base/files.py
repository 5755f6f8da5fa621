"""Private files: written atomically (temp file, fsync, rename), readable by their owner only.

Everything warroom writes at a path a person gave (``export -o``, ``backup -o``, the app's
export dialog) goes through :func:`check_output_path` first. Only an absent path or an existing
regular file is ever written; a symlink is never followed, and a device node, a FIFO, a socket
or a folder is never replaced. A database is never replaced by a report: neither one this
process has open (same inode as the file or its ``-wal``/``-shm``) nor any other SQLite file
or write-ahead log. An existing file is replaced only when the caller says so (``overwrite``).

Also here: folders created 0700 whatever the umask (:func:`make_private_dirs`), and bounded
reads of what a person feeds in (:func:`read_bounded`), so ``/dev/zero`` cannot exhaust memory.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path
from typing import BinaryIO

from warroom.base.errors import ValidationError, WarroomError

_SQLITE_MAGIC = b"SQLite format 3\x00"
_WAL_MAGIC = (b"\x37\x7f\x06\x82", b"\x37\x7f\x06\x83")
_PROTECTED: set[tuple[int, int]] = set()
_PROTECTED_PATHS: set[str] = set()


def protect(path: str | os.PathLike[str]) -> None:
    """Never write a report over ``path`` (an open database) or its -wal/-shm/-journal."""
    _PROTECTED_PATHS.add(os.path.abspath(os.fspath(path)))


def _protected_inodes() -> set[tuple[int, int]]:
    found = set(_PROTECTED)
    for base in _PROTECTED_PATHS:
        for suffix in ("", "-wal", "-shm", "-journal"):
            try:
                st = os.stat(base + suffix)
            except (OSError, ValueError):
                continue
            found.add((st.st_dev, st.st_ino))
    return found


def _oserror(path: Path, exc: OSError) -> WarroomError:
    return WarroomError(f"{path}: cannot write ({exc.strerror or exc})")


def check_output_path(path: Path, *, overwrite: bool = False,
                      hint: str = "add --overwrite to replace it") -> bool:
    """Refuse anything at ``path`` but nothing or a regular file we may replace. Returns whether
    a file is there now. Never follows a symlink (``lstat``)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return False
    except (OSError, ValueError) as exc:
        if isinstance(exc, ValueError):
            raise WarroomError(f"{path!s:.200}: not a usable file name") from None
        raise _oserror(path, exc) from None
    mode = st.st_mode
    if stat.S_ISLNK(mode):
        raise WarroomError(f"{path}: is a symbolic link; refusing to write through it "
                           "(give the real path)")
    if stat.S_ISDIR(mode):
        raise WarroomError(f"{path}: is a folder; give a file name")
    if not stat.S_ISREG(mode):
        raise WarroomError(f"{path}: is not a regular file (a device, FIFO or socket); "
                           "refusing to write to it")
    if (st.st_dev, st.st_ino) in _protected_inodes():
        raise WarroomError(f"{path}: is the database in use; refusing to overwrite it")
    if _is_database(path):
        raise WarroomError(f"{path}: is a SQLite database or its write-ahead log; refusing to "
                           "overwrite it")
    if not overwrite:
        raise WarroomError(f"{path}: already exists; {hint}")
    return True


def _is_database(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        head = os.read(fd, 16)
    except OSError:
        return False
    finally:
        os.close(fd)
    return head.startswith(_SQLITE_MAGIC) or head[:4] in _WAL_MAGIC


def write_private_atomic(path: Path, content: str | bytes, *, overwrite: bool = False,
                         hint: str = "add --overwrite to replace it", sync: bool = True) -> None:
    """Write a file atomically (temp file, fsync, rename) with mode 0600, after
    :func:`check_output_path`. Without ``overwrite`` an existing file is never replaced, not
    even one that appears while we write (the final step is a hard link, which fails then).
    ``sync=False`` skips the fsyncs: the file survives the process being killed, not a power
    cut (drafts, written as they change)."""
    path = Path(path)
    check_output_path(path, overwrite=overwrite, hint=hint)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name[:100]}.", suffix=".tmp")
    except OSError as exc:
        raise _oserror(path, exc) from None
    try:
        if isinstance(content, bytes):  # a file as it was attached, byte for byte
            with os.fdopen(fd, "wb") as raw:
                raw.write(content)
                raw.flush()
                if sync:
                    os.fsync(raw.fileno())
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(content)
                fh.flush()
                if sync:
                    os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        exists = check_output_path(path, overwrite=overwrite, hint=hint)  # again, just before
        if exists:
            os.replace(tmp, path)  # a directory entry swap: never follows a symlink
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise WarroomError(f"{path}: appeared while writing; {hint}") from None
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
                    raise
                os.replace(tmp, path)  # a file system without hard links
            Path(tmp).unlink(missing_ok=True)
        if sync:
            fsync_folder(folder)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise _oserror(path, exc) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def fsync_folder(folder: Path) -> None:
    """Make a new name in ``folder`` durable (best effort: not every system can)."""
    try:
        fd = os.open(folder if str(folder) else ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def make_private_dirs(folder: Path) -> None:
    """Create ``folder`` and every missing parent 0700, whatever the umask (``mkdir -p``
    would make the parents 0777 under umask 000: another user could plant files there)."""
    folder = Path(folder)
    missing = []
    probe = folder
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for each in reversed(missing):
        try:
            each.mkdir(mode=0o700)
        except FileExistsError:
            continue
        os.chmod(each, 0o700)


def exposed(folder: Path) -> bool:
    """Whether another user could write into ``folder`` (world-writable, no sticky bit)."""
    try:
        mode = os.stat(folder).st_mode
    except (OSError, ValueError):
        return False
    return bool(mode & stat.S_IWOTH) and not mode & stat.S_ISVTX


def read_bounded(source: str | os.PathLike[str] | BinaryIO, limit: int, *, what: str) -> bytes:
    """Read at most ``limit`` bytes from a path or a binary stream; refuse anything longer in
    one line (``/dev/zero`` on stdin, a 233 MB import) before it is held in memory."""
    def too_big() -> ValidationError:
        size = f"{limit / 1_000_000:g} MB" if limit >= 1_000_000 else f"{limit:,} bytes"
        return ValidationError(f"{what}: longer than {size}; nothing was saved")

    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:  # non-blocking: a FIFO with no writer must not hang us
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        except (OSError, ValueError) as exc:
            why = getattr(exc, "strerror", None) or "not a usable file name"
            raise WarroomError(f"{what}: cannot be read ({why})") from None
        mode = os.fstat(fd).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISCHR(mode)):
            os.close(fd)
            if stat.S_ISDIR(mode):
                raise WarroomError(f"{what}: is a folder")
            raise WarroomError(f"{what}: is not a regular file (a FIFO or socket); "
                               "give a file, or - for standard input")
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb") as fh:
            try:
                data = fh.read(limit + 1)
            except OSError as exc:
                raise WarroomError(f"{what}: cannot be read ({exc.strerror})") from None
    else:
        chunks, size = [], 0
        while size <= limit:
            chunk = source.read(min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        data = b"".join(chunks)
    if len(data) > limit:
        raise too_big()
    return data
