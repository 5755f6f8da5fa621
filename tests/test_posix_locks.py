"""A second store opened on a live SQLite file in the same process (the app's chain check, a
second screen) must not drop the first one's locks: otherwise a command from a hook, closing
its last connection, deletes the -wal under the app and the app's next save is refused."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from tests.conftest import run_cli
from warroom.base.clock import FrozenClock
from warroom.core.domain import Warroom
from warroom.store import Store

NOW = datetime(2026, 12, 3, 3, 0, tzinfo=timezone.utc)


def test_a_second_store_in_the_process_keeps_the_first_ones_wal(tmp_path: Path):
    db = tmp_path / "w.db"
    with Warroom(Store.open(str(db)), user="lead", session="a", clock=FrozenClock(NOW)) as w:
        ref = w.declare("Checkout 503s").incident
        w.note(ref, "first")
        for _ in range(3):  # the app opens more stores on the same file while this one lives
            Store.open(str(db)).close()
        done = run_cli("--db", str(db), "note", "--incident", ref, "from the hook")
        assert done.returncode == 0, done.stderr
        assert Path(f"{db}-wal").exists()  # the hook's close did not take the file for itself
        w.note(ref, "after the hook")  # not refused as "its -wal file was deleted or replaced"
        texts = [e.text for e in w.entries(ref)]
    with Warroom(Store.open(str(db)), user="lead", session="b", clock=FrozenClock(NOW)) as w2:
        assert w2.verify(ref).ok
    assert texts[-2:] == ["from the hook", "after the hook"]
