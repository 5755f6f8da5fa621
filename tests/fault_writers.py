"""Writer processes for the fault-injection tests (not a test module).

They are forked from a multiprocessing fork server that has already imported warroom, so a
writer starts in milliseconds instead of the half second a fresh interpreter needs: the crash
loop can kill and restart writers hundreds of times within the suite's time budget.
"""

from __future__ import annotations

import os
import sys

from warroom.core.domain import Warroom
from warroom.store import Store


def note_writer(db: str, ref: str, name: str, ack_path: str) -> None:
    """Log notes through the domain API for ever; after each call returns, print an
    acknowledgement ``SEQ UID`` on stdout, which is the file ``ack_path``.

    The acknowledgement is what a person sees when Enter has saved the entry: everything
    acknowledged must survive a SIGKILL at any moment."""
    fd = os.open(ack_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 1)
    os.close(fd)
    sys.stdout = open(1, "w", buffering=1, closefd=False)
    w = Warroom(Store.open(db), user=name, session=name)
    i = 0
    while True:
        uid = f"{name}-{i}"
        entry = w.note(ref, f"{name} note {i}", uid=uid)
        sys.stdout.write(f"{entry.seq} {uid}\n")
        sys.stdout.flush()
        i += 1
