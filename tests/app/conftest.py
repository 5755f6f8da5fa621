"""App test fixtures: a sample incident at a fixed time, an app on a frozen clock, and helpers
that wait on the app's own workers (never on sleeps)."""

from __future__ import annotations

import asyncio
import inspect
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from warroom.app.app import WarroomApp
from warroom.base.clock import FrozenClock
from warroom.core.domain import Warroom
from warroom.core.profiles import ProfileRegistry
from warroom.demo import load_sample
from warroom.store import Store

SAMPLE_START = datetime(2026, 11, 22, 13, 0, tzinfo=timezone.utc)
NOW = "2026-11-22T14:10:00Z"


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """Run ``async def`` tests in a fresh event loop (no async plugin needed)."""
    if inspect.iscoroutinefunction(pyfuncitem.obj):
        names = pyfuncitem._fixtureinfo.argnames
        asyncio.run(pyfuncitem.obj(**{name: pyfuncitem.funcargs[name] for name in names}))
        return True
    return None


@pytest.fixture(autouse=True)
def _utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


@pytest.fixture(scope="session")
def _sample_template(tmp_path_factory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("sample") / "sample.db"
    with Store.open(path) as store:
        ref = load_sample(store, start=SAMPLE_START)
    return path, ref


@pytest.fixture
def sample_db(tmp_path, _sample_template) -> tuple[Path, str]:
    """A database holding the sample incident, declared at SAMPLE_START (a private copy)."""
    template, ref = _sample_template
    path = tmp_path / "sample.db"
    shutil.copyfile(template, path)
    path.chmod(0o600)
    return path, ref


@pytest.fixture
def frozen() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def make_app(sample_db, frozen):
    def make(ref: str | None = "default", *, db: Path | None = None, theme: str | None = None,
             user: str = "tester", clock=None, prompts: bool = False,
             busy_timeout_ms: int | None = None) -> WarroomApp:
        path, sample_ref = sample_db
        return WarroomApp(db=str(db or path), user=user,
                          ref=sample_ref if ref == "default" else ref, theme=theme,
                          clock=clock or frozen, prompts=prompts, busy_timeout_ms=busy_timeout_ms)
    return make


def writer(db: Path, user: str = "other", clock=None) -> Warroom:
    """Another process's view of the same database (writes behind the app's back)."""
    return Warroom(Store.open(db), ProfileRegistry(), clock=clock or FrozenClock(NOW), user=user,
                   host="other-host", session="other")


async def settle(pilot, rounds: int = 3) -> None:
    """Let the app's workers finish and their messages land (all but the PostgreSQL
    follower, which waits on its LISTEN connection for as long as the screen is open)."""
    for _ in range(rounds):
        busy = [w for w in pilot.app.workers if w.group != "follow"]
        if busy:  # (an empty list would mean "all of them")
            await pilot.app.workers.wait_for_complete(busy)
        await pilot.pause()


async def ready(pilot) -> None:
    """Wait until the war room has loaded its incident."""
    for _ in range(50):
        await settle(pilot, 1)
        screen = pilot.app.screen
        if getattr(screen, "state", None) is not None or pilot.app.error or not hasattr(screen, "state"):
            break
    await settle(pilot)
    no_blink(pilot.app)


def no_blink(app) -> None:
    from textual.widgets import Input, TextArea

    for field in app.screen.query(Input):
        field.cursor_blink = False
        field._cursor_visible = True  # a fixed cursor: the blink phase is not part of a picture
        field.refresh()
    for area in app.screen.query(TextArea):
        # A fixed cursor in the focused box, none elsewhere (where the person starts typing is
        # part of the picture). With the blink off Textual draws the cursor whenever the box
        # has the focus, but its line cache does not key on the focus: a line drawn before the
        # focus arrived kept no cursor, one drawn after kept one (the flaky summary pictures).
        area.cursor_blink = False
        area._pause_blink(visible=area.has_focus)
        area._line_cache.clear()
        area.refresh()


async def poll_now(pilot) -> None:
    """Read the change feed now instead of waiting for its follower thread (the app's own hook)."""
    await settle(pilot, 1)
    pilot.app.screen._poll_tick()
    await settle(pilot)


async def paste(pilot, text: str) -> None:
    """Text into the focused field as one paste (what a fast typist or a paste does)."""
    from textual import events

    pilot.app.focused.post_message(events.Paste(text))
    await settle(pilot, 1)


async def press(pilot, *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)
    no_blink(pilot.app)


def rows(app) -> list[str]:
    return app.screen.timeline.row_texts()
