"""Changing a database behind the app's back, the way anyone with the file (or a superuser on
the server) can: the guarding triggers set aside, rows changed, hashes forged. Shared by the
tamper tests (tests/test_tamper.py) and the app's warning tests (tests/app/test_chain_warning.py).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace
from typing import Iterator

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Connection

from warroom.base.chain import GENESIS, chain_hash
from warroom.base.model import Entry, dumps_data
from warroom.store.schema import entries, heads, incidents
from warroom.store.store import resolve_url, row_to_entry

VARIANTS = ("edit-text", "delete-last", "forge-append", "rehash-after-edit", "swap-refs")
"""What test_tamper and test_chain_warning do to a database, each caught by verify."""


@contextmanager
def unguarded(db: str) -> Iterator[Connection]:
    """One transaction on ``db`` with every guarding trigger out of the way: SQLite's dropped
    (as anyone with the file can), PostgreSQL's skipped for this transaction (a superuser's
    session_replication_role)."""
    engine = create_engine(resolve_url(db))
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "sqlite":
                names = conn.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger'").scalars().all()
                for name in names:
                    conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
            else:
                conn.execute(text("SET LOCAL session_replication_role = replica"))
            yield conn
    finally:
        engine.dispose()


def incident_id(conn: Connection, ref: str) -> int:
    return conn.execute(select(incidents.c.id).where(incidents.c.ref == ref)).scalar_one()


def chain_of(conn: Connection, ref: str) -> list[Entry]:
    iid = incident_id(conn, ref)
    return [row_to_entry(ref, row) for row in conn.execute(
        select(entries).where(entries.c.incident_id == iid).order_by(entries.c.seq)).all()]


def edit_text(conn: Connection, ref: str, seq: int, new: str = "we never said that") -> None:
    conn.execute(entries.update().where(entries.c.incident_id == incident_id(conn, ref),
                                        entries.c.seq == seq).values(text=new))


def delete_last(conn: Connection, ref: str) -> None:
    iid = incident_id(conn, ref)
    last = conn.execute(select(func.max(entries.c.seq)).where(entries.c.incident_id == iid)).scalar()
    conn.execute(text("DELETE FROM seals WHERE entry_id IN (SELECT id FROM entries WHERE "
                      "incident_id = :i AND seq = :s)"), {"i": iid, "s": last})
    conn.execute(entries.delete().where(entries.c.incident_id == iid, entries.c.seq == last))


def forge_append(conn: Connection, ref: str, words: str = "the fix was approved by the CAB",
                 *, move_head: bool = False) -> Entry:
    """A well-formed entry with a correct hash and link, added at the end (and, with
    ``move_head``, the recorded head moved to it as the app would)."""
    chain = chain_of(conn, ref)
    last = chain[-1]
    forged = Entry(incident=ref, seq=last.seq + 1, uid=f"forged-{last.seq + 1}", kind="note",
                   author=last.author, occurred_at=last.occurred_at, recorded_at=last.recorded_at,
                   text=words, host=last.host, session=last.session, prev_hash=last.hash)
    forged = replace(forged, hash=chain_hash(last.hash, forged))
    iid = incident_id(conn, ref)
    conn.execute(entries.insert().values(
        incident_id=iid, seq=forged.seq, uid=forged.uid, kind=forged.kind, author=forged.author,
        host=forged.host, session=forged.session, occurred_at=forged.occurred_at,
        recorded_at=forged.recorded_at, text=forged.text, data=dumps_data(forged.data),
        amends=None, prev_hash=forged.prev_hash, hash=forged.hash))
    if move_head:
        conn.execute(heads.update().where(heads.c.incident_id == iid)
                     .values(last_seq=forged.seq, head_hash=forged.hash))
    return forged


def rehash(conn: Connection, ref: str) -> str:
    """Every hash and link of the incident computed again from the entries as they are now, and
    the recorded head moved to match: a forger who knows the algorithm. Returns the new head."""
    iid = incident_id(conn, ref)
    prev = GENESIS
    for entry in chain_of(conn, ref):
        digest = chain_hash(prev, entry)
        conn.execute(entries.update().where(entries.c.id == entry.id)
                     .values(prev_hash=prev, hash=digest))
        prev = digest
    conn.execute(heads.update().where(heads.c.incident_id == iid).values(head_hash=prev))
    return prev


def swap_refs(conn: Connection, one: str, other: str) -> None:
    a, b = incident_id(conn, one), incident_id(conn, other)
    conn.execute(incidents.update().where(incidents.c.id == a).values(ref="swapping"))
    conn.execute(incidents.update().where(incidents.c.id == b).values(ref=one))
    conn.execute(incidents.update().where(incidents.c.id == a).values(ref=other))


def tamper(db: str, variant: str, ref: str, other: str | None = None) -> None:
    """Apply one of :data:`VARIANTS` to ``ref`` (``other``: the second incident of a swap)."""
    with unguarded(db) as conn:
        if variant == "edit-text":
            edit_text(conn, ref, 3)
        elif variant == "delete-last":
            delete_last(conn, ref)
        elif variant == "forge-append":
            forge_append(conn, ref)
        elif variant == "rehash-after-edit":
            edit_text(conn, ref, 3)
            rehash(conn, ref)
        elif variant == "swap-refs":
            assert other is not None
            swap_refs(conn, ref, other)
        else:
            raise AssertionError(variant)
