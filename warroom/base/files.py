"""Private files: written atomically (temp file, fsync, rename), readable by their owner only."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from warroom.base.errors import WarroomError


def write_private_atomic(path: Path, content: str, *, sync: bool = True) -> None:
    """Write a file atomically (temp file, fsync, rename) with mode 0600. ``sync=False`` skips
    the fsync: the file then survives the process being killed, not a power cut (drafts)."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise WarroomError(f"{path}: cannot write ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(content)
            fh.flush()
            if sync:
                os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise WarroomError(f"{path}: cannot write ({exc.strerror})") from None
