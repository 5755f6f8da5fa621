"""The SQLite file itself, before and around SQLAlchemy: creating it private (0700 folder,
0600 file), checking that a path holds a warroom database (header, schema version) without
writing a byte, how a read-only viewer reads it (in place, immutable, or a private copy),
tightening loose permissions, fsyncing a folder, and SQLite's own error codes.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import stat
import threading
from pathlib import Path
from urllib.parse import quote

from warroom.base.errors import ReadOnlyStore, StoreBusy, StoreError
from warroom.base.files import make_private_dirs

SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 5000
"""How long a write waits for another process's write lock by default, in milliseconds."""


def create_private_file(path: Path) -> None:
    """Make the folder (0700) and an empty database file (0600) before SQLite touches them,
    so that neither is ever world-readable, whatever the umask."""
    folder = path.parent
    ancestor = folder
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not (ancestor.stat().st_mode & stat.S_IWUSR) or not os.access(ancestor, os.W_OK):
        raise ReadOnlyStore(f"{ancestor}: read-only folder; cannot create the database {path}")
    try:
        if not folder.exists():
            make_private_dirs(folder)  # the missing parents too, 0700 whatever the umask
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.fchmod(fd, 0o600)
        os.close(fd)
    except FileExistsError:
        pass
    except OSError as exc:
        where = folder if not folder.exists() or not os.access(folder, os.W_OK) else path
        raise ReadOnlyStore(f"{where}: cannot create the database ({exc.strerror})") from None


_HEADS: dict[tuple[int, int], int] = {}
_HEADS_LOCK = threading.Lock()


def _read_head(path: Path, size: int) -> bytes:
    """The first ``size`` bytes of ``path``, read through one descriptor per file kept open for
    the life of the process. Closing a descriptor of a SQLite file drops every POSIX lock this
    process's connections hold on it (SQLite's documented way to corrupt a database): another
    process closing its last connection would then take the file for its own and delete the
    -wal under the app. A descriptor never closed drops nothing."""
    st = os.stat(path)
    key = (st.st_dev, st.st_ino)
    with _HEADS_LOCK:
        fd = _HEADS.get(key)
        if fd is None:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            if (os.fstat(fd).st_dev, os.fstat(fd).st_ino) != key:  # replaced meanwhile
                os.close(fd)  # not the file we looked at: nobody holds a lock through it
                raise OSError(errno.EAGAIN, "the file changed while it was read")
            _HEADS[key] = fd
    return os.pread(fd, size, 0)


def check_sqlite_header(path: Path) -> None:
    try:
        head = _read_head(path, 100)
    except OSError as exc:
        raise StoreError(f"{path}: cannot be read ({exc.strerror})") from None
    if not head:
        return  # an empty file is a new database
    if not head.startswith(SQLITE_MAGIC):
        if looks_like_a_damaged_warroom_db(path):
            raise StoreError(f"{path}: the database is corrupt (its SQLite header is overwritten); "
                             "restore it from a backup (warroom backup) or an export; "
                             "the file was not changed")
        raise StoreError(f"{path}: not a warroom database (not a SQLite file); "
                         "check the --db path; the file was not changed")
    if len(head) < 100:
        raise StoreError(f"{path}: the database is corrupt (truncated header); "
                         "restore it from a backup; the file was not changed")


def looks_like_a_damaged_warroom_db(path: Path) -> bool:
    """A file whose first bytes are not SQLite's, yet whose first page still holds warroom's
    schema: the right file with a damaged header (what to do differs from a wrong path)."""
    try:
        with open(path, "rb") as fh:
            first = fh.read(1 << 20)  # the schema spans a few of the first pages
    except OSError:
        return False
    return b"CREATE TABLE entries" in first and b"CREATE TABLE incidents" in first


def writable(path: Path) -> bool:
    """Writable for real: owner write bit set (root ignores permissions, people do not)."""
    folder = path.parent
    try:
        fmode, dmode = path.stat().st_mode, folder.stat().st_mode
    except OSError:
        return False
    return (bool(fmode & stat.S_IWUSR) and bool(dmode & stat.S_IWUSR)
            and os.access(path, os.W_OK) and os.access(folder, os.W_OK))


def why_readonly(path: Path) -> str:
    if not (path.stat().st_mode & stat.S_IWUSR) or not os.access(path, os.W_OK):
        return "the file is not writable"
    return f"its folder {path.parent} is not writable"


def viewer_uri(path: Path, busy_timeout_ms: int) -> tuple[str, Path | None, str]:
    """How a read-only viewer reads ``path``: (URI, private snapshot folder or None, words).

    A database someone can write is read in place (``mode=ro``), sharing its -shm with the
    writers so that new entries show up. A read-only file, or a read-only folder where no -shm
    can be made, has no writer: it is read as it is (``immutable=1``, creating no file next to
    it), or, when its -wal still holds entries that were never checkpointed (``immutable=1``
    would silently leave those out), from a private copy of the database and its -wal."""
    live = f"file:{quote(str(path))}?mode=ro"
    shm, wal = Path(f"{path}-shm"), Path(f"{path}-wal")
    file_writable = bool(path.stat().st_mode & stat.S_IWUSR) and os.access(path, os.W_OK)
    if file_writable and (shm.exists() or writable_folder(path.parent)):
        try:
            probe = sqlite3.connect(live, uri=True, timeout=busy_timeout_ms / 1000)
            try:
                probe.execute("SELECT count(*) FROM sqlite_master").fetchone()
            finally:
                probe.close()
            return live, None, ""
        except sqlite3.Error as exc:
            if sqlite_code(exc) not in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY):
                return live, None, ""  # not a read-only problem: reported by the version peek
    if wal.exists() and wal.stat().st_size > 0:
        import shutil
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="warroom-view-"))
        try:
            for src in (path, wal):
                dest = folder / src.name.replace(path.name, "view.db", 1)
                shutil.copyfile(src, dest)
                os.chmod(dest, 0o600)
        except OSError as exc:
            remove_snapshot(folder)
            raise StoreError(f"{path}: cannot be read ({exc.strerror})") from None
        return (f"file:{quote(str(folder / 'view.db'))}?mode=ro", folder,
                "read-only: showing a copy taken when it was opened")
    return (f"file:{quote(str(path))}?immutable=1", None,
            "read-only: nobody can write it; shown as it is")


def remove_snapshot(folder: Path | None) -> None:
    if folder is not None:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)


def writable_folder(folder: Path) -> bool:
    try:
        return bool(folder.stat().st_mode & stat.S_IWUSR) and os.access(folder, os.W_OK)
    except OSError:
        return False


def sqlite_code(exc: BaseException) -> int | None:
    """The primary SQLite result code of an error (SQLITE_BUSY, SQLITE_FULL...), if known."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def peek_sqlite_version(path: Path, *, uri: str | None = None,
                         timeout_ms: int = BUSY_TIMEOUT_MS) -> int | None:
    """Read the schema version without writing a byte. None means a new, empty database."""
    try:
        conn = sqlite3.connect(uri or f"file:{quote(str(path))}?mode=ro", uri=True,
                               timeout=timeout_ms / 1000)
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot be opened ({exc})") from None
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not tables:
            return None
        if "warroom_meta" not in tables:
            raise StoreError(f"{path}: a SQLite database, but not a warroom one; "
                             "check the --db path; the file was not changed")
        row = conn.execute("SELECT value FROM warroom_meta WHERE key='schema_version'").fetchone()
        if row is None:
            raise StoreError(f"{path}: warroom database without a schema version; it was not changed")
        return int(row[0])
    except sqlite3.DatabaseError as exc:
        code = sqlite_code(exc)
        if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            raise StoreBusy(f"{path}: database busy ({exc}); try again") from None
        if code is not None and code not in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
            raise StoreError(f"{path}: cannot be read ({exc}); the file was not changed") from None
        raise StoreError(f"{path}: the database is corrupt ({exc}); restore it from a backup; "
                         "the file was not changed") from None
    finally:
        conn.close()


def tighten(path: Path) -> None:
    """The database and its -wal/-shm are readable by their owner only."""
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            if p.exists() and stat.S_IMODE(p.stat().st_mode) & 0o077:
                os.chmod(p, stat.S_IMODE(p.stat().st_mode) & 0o700)
        except OSError:
            pass



class FileWatch:
    """Which files a writer's SQLite database is, checked around every write: a save into a
    database file or ``-wal`` that someone deleted or replaced while it was open would be
    acknowledged and then lost (SQLite keeps writing into the deleted file it still has open).

    The usual check is two ``stat`` calls compared with the identities (device, inode) seen
    before. Only when the ``-wal`` is new or gone does it look further: on Linux, whether this
    process still holds a deleted copy of either file open (``/proc/self/fd``); a ``-wal`` that
    SQLite itself recreated is then taken as the new one. Once a loss is seen, every later
    write is refused with the same message."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.wal = Path(f"{path}-wal")
        self.real = os.path.realpath(path)
        self.db_id = self._identity(path)
        self.wal_id = self._identity(self.wal)
        self.broken = ""

    @staticmethod
    def _identity(path: Path) -> tuple[int, int] | None:
        try:
            st = os.stat(path)
        except OSError:
            return None
        return st.st_dev, st.st_ino

    def check(self, *, committed: bool = False) -> None:
        """Raise :class:`StoreError` if the files are not the ones this store writes into."""
        if self.broken:
            raise StoreError(self.broken)
        db = self._identity(self.path)
        if db is None or db != self.db_id:
            what = "deleted" if db is None else "replaced by another file"
            return self._fail(f"the database file was {what} while warroom had it open")
        wal = self._identity(self.wal)
        if wal is not None and wal == self.wal_id:
            return
        deleted = self._holding_deleted()
        if deleted is None:  # no /proc: a -wal gone or changed under an open writer is a loss
            if (wal is None and committed) or (wal is not None and self.wal_id is not None):
                return self._fail("its -wal file was deleted or replaced while warroom had it open")
        elif deleted:
            return self._fail(f"its {deleted} file was deleted or replaced while warroom had "
                              "it open")
        self.wal_id = wal

    def _holding_deleted(self) -> str | None:
        """'-wal' or 'database' if this process holds that file open though it was deleted or
        replaced; '' if not; None where that cannot be known (no /proc)."""
        folder = "/proc/self/fd"
        try:
            fds = os.listdir(folder)
        except OSError:
            return None
        wal = f"{self.real}-wal (deleted)"
        db = f"{self.real} (deleted)"
        for fd in fds:
            try:
                target = os.readlink(f"{folder}/{fd}")
            except OSError:
                continue
            if target == wal:
                return "-wal"
            if target == db:
                return "database"
        return ""

    def _fail(self, why: str) -> None:
        self.broken = (f"{self.path}: not saved: {why}; entries since may be lost, so nothing "
                       "more is written here: close warroom, check it (warroom verify) and "
                       "restore from a backup if entries are missing")
        raise StoreError(self.broken)
