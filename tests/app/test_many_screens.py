"""The app with many people in the room: through a real PgBouncer, one connection per open
screen, watchers that only read, and a full database that is waited out, not a lockout."""

from __future__ import annotations

from tests.app.conftest import SAMPLE_START, paste, press, ready, rows
from warroom.app.app import WarroomApp
from warroom.demo import load_sample
from warroom.store import Store

WAITS = 200  # x 0.05 s of the app's own clockwork


def _sample(url: str) -> str:
    with Store.open(url) as store:
        return load_sample(store, start=SAMPLE_START)


async def _until(pilot, seen) -> None:
    for _ in range(WAITS):
        if seen():
            return
        await pilot.pause(0.05)
    assert seen()


async def test_the_app_opens_and_logs_through_pgbouncer(bouncer, frozen):
    url, _role, mode = bouncer
    ref = _sample(url)
    app = WarroomApp(db=url, user="sam", ref=ref, clock=frozen, prompts=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert app.error is None and app.screen.state is not None
        assert app.screen.feed.mode == ("poll" if mode == "transaction" else "listen")
        await press(pilot, "d")
        await paste(pilot, "fail over to the standby")
        await press(pilot, "enter")
        await _until(pilot, lambda: rows(app)[-1] == "fail over to the standby")
    with Store.open(url, readonly=True) as store:
        assert [e.text for e in store.entries(ref)][-1] == "fail over to the standby"


async def test_screens_hold_one_connection_each_and_a_watcher_only_reads(pg_role, frozen):
    role = pg_role()
    ref = _sample(role.url)
    scribe = WarroomApp(db=role.url, user="sam", ref=ref, clock=frozen, prompts=False)
    watcher = WarroomApp(db=role.url, user="viewer", ref=ref, clock=frozen, prompts=False,
                         watch=True)
    async with scribe.run_test(size=(120, 40)) as s, watcher.run_test(size=(120, 40)) as v:
        await ready(s)
        await ready(v)
        assert watcher.readonly and not scribe.readonly
        assert str(v.app.screen.query_one("#status-line").render()).startswith("watching: read only")
        assert role.backends() == 2
        await press(s, "d")
        await paste(s, "roll back the deploy")
        await press(s, "enter")
        await _until(v, lambda: rows(watcher)[-1] == "roll back the deploy")
        assert role.backends() == 2
        with Store.open(role.url, readonly=True) as store:
            here = {p.author for p in store.present(ref, frozen.now(), stale_after=3600 * 24)}
        assert "sam" in here and "viewer" not in here  # a watcher writes nothing, not presence


async def test_a_watcher_waits_out_a_full_database_then_opens(pg_role, frozen):
    role = pg_role(limit=1)
    ref = _sample(role.url)
    holder = Store.open(role.url)  # the role's one connection taken
    watcher = WarroomApp(db=role.url, user="viewer", ref=ref, clock=frozen, prompts=False,
                         watch=True)
    async with watcher.run_test(size=(120, 40)) as pilot:
        status = lambda: str(pilot.app.screen.query_one("#status-line").render())  # noqa: E731
        await _until(pilot, lambda: "no database connection free" in status())
        assert status().startswith("trying again in 1 s: no database connection free: too many")
        assert watcher.error is None
        holder.close()
        await _until(pilot, lambda: getattr(pilot.app.screen, "state", None) is not None)
        await ready(pilot)
        assert watcher.error is None and "no database connection free" not in status()
