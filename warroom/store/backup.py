"""Backup: a consistent copy of a live SQLite database, made with SQLite's online backup API.

The copy is read in one read transaction (a snapshot however many writers are busy), checked
(``integrity_check``), written under a private temporary name, fsynced, and linked into place
so that it never replaces a file; a backup is mode 0600 and a self-contained file (no -wal).
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from warroom.base.errors import StoreError
from warroom.base.files import fsync_folder


class Source(Protocol):
    """What a backup needs of the store it copies (a :class:`~warroom.store.store.Store`)."""

    engine: Engine
    path: Path | None
    where: str

    def translate_error(self, exc: BaseException) -> StoreError: ...


def default_destination(path: Path, at: datetime | None = None) -> Path:
    """Next to the database, named after it and the local time: ``warroom-backup-20261122-140500.db``."""
    stamp = (at or datetime.now().astimezone()).astimezone().strftime("%Y%m%d-%H%M%S")
    return path.with_name(f"{path.stem}-backup-{stamp}.db")


def backup(store: Source, dest: Path | None = None, *, at: datetime | None = None) -> Path:
    """Copy ``store``'s SQLite database to ``dest`` (default: :func:`default_destination` at
    ``at``). Raises :class:`StoreError` for a server database, an existing ``dest``, a corrupt
    database (no backup is written) or a write that fails."""
    if store.path is None:
        raise StoreError(f"{store.where}: backup copies a SQLite file; for PostgreSQL use "
                         "pg_dump or 'warroom export --format json' per incident")
    dest = default_destination(store.path, at) if dest is None else Path(dest)
    if dest.exists():
        raise StoreError(f"{dest}: already exists; choose another file (nothing was overwritten)")
    tmp: Path | None = None
    try:
        # A private temp name of our own next to the destination (never another backup's).
        fd, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".partial")
        os.close(fd)
        tmp = Path(name)
        raw = store.engine.raw_connection()  # this store's view (live, immutable or snapshot)
        try:
            target = sqlite3.connect(tmp)
            try:
                # One step: the whole copy is read in one read transaction, a consistent
                # snapshot however many writers are busy meanwhile.
                source = raw.driver_connection
                assert source is not None  # a checked-out connection has its driver's
                source.backup(target, pages=-1)
                target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
                problems = [r[0] for r in target.execute("PRAGMA integrity_check(5)")]
            finally:
                target.close()
        finally:
            raw.close()
        if problems != ["ok"]:
            first = " ".join(problems[0].replace("*** in database main ***", "").split())
            raise StoreError(f"{store.where}: the database is corrupt ({first[:120]}); no "
                             "backup was written; restore an earlier backup or an export")
        os.chmod(tmp, 0o600)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.link(tmp, dest)  # never replaces a file that appeared meanwhile
        fsync_folder(dest.parent)
    except (DBAPIError, sqlite3.Error) as exc:
        raise store.translate_error(exc) from None
    except FileExistsError:
        raise StoreError(f"{dest}: already exists; choose another file (nothing was "
                         "overwritten)") from None
    except OSError as exc:
        raise StoreError(f"{dest}: cannot write the backup ({exc.strerror})") from None
    finally:
        if tmp is not None:
            for leftover in (tmp, Path(f"{tmp}-journal"), Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
                leftover.unlink(missing_ok=True)
    return dest


