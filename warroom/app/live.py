"""The war-room screen's live side: loading the incident, following its change feed, presence.

Loading paints the newest entries first (through the feed, so nothing written meanwhile falls
in between), then reads the older ones and derives the state from the whole log. Following:
every entry shown, the screen's own included, arrives through the feed, one delivery at a
time, on one long-lived follower thread (asleep between checks: on the LISTEN socket on
PostgreSQL, a ``PRAGMA data_version`` per feed interval on SQLite).
Presence: the screen says it is here every :data:`PRESENCE_SECONDS` and shows who else is.

A mixin of :class:`~warroom.app.screens.war_room.WarRoomScreen`; all database calls go through
the domain API in thread workers.
"""

from __future__ import annotations

import itertools
import threading
from typing import TYPE_CHECKING, Callable

from textual import work

from warroom.app.messages import IncidentLoaded, LoadFailed, TailLoaded
from warroom.app.widgets.timeline import display_texts
from warroom.base.errors import WarroomError

if TYPE_CHECKING:
    from textual.screen import Screen

    from warroom.app.host import HostApp
    from warroom.base.model import Entry
    from warroom.core.domain import Warroom
    from warroom.core.profiles import Profile
    from warroom.core.results import Feed
    from warroom.core.state import IncidentState

    _Screen = Screen[None]
else:
    _Screen = object

POLL_SECONDS = 0.5
"""Kept for callers; the feed's own interval now paces the follower thread."""
MAX_BACKOFF = 30.0
"""Longest wait between two attempts while the database is full (or fails otherwise)."""
OUTAGE_BACKOFF = 4.0
"""Longest wait between two reconnection attempts while the team database is unreachable
(each attempt is itself bounded by the connect timeout): back within seconds of its return."""
PRESENCE_SECONDS = 10
"""How often an open screen says it is here (others count it gone after about 30 s)."""
TAIL = 1000
"""Entries shown before the rest of a big incident is read (many screens' worth)."""


class LiveIncident(_Screen):
    """Loading, the change feed and presence, for the war-room screen."""

    ref: str | None
    state: IncidentState | None
    feed: Feed | None
    here: list[str]
    _following: bool
    _pull_lock: threading.Lock
    _stopping: threading.Event

    if TYPE_CHECKING:
        app: HostApp
        @property
        def _gone(self) -> bool: ...
        def refresh_panes(self) -> None: ...
        def show_status(self, message: str, *, error: bool = True) -> None: ...
        def clear_status(self) -> None: ...
        def _apply(self, entries: list[Entry]) -> None: ...
        def _outage_status(self, since: float | None) -> None: ...
        def _show_outbox(self, w: Warroom, ref: str) -> None: ...
        def _back_online(self) -> None: ...

    # ------------------------------------------------------------------ loading
    @work(thread=True, exclusive=True, group="load")
    def _load(self) -> None:
        """Load; while the database has no connection free, say so and try again, backing off
        (nobody is locked out for good: the screen opens the moment a connection frees)."""
        from warroom.base.errors import StoreAtCapacity, StoreUnreachable

        delay = 0.0
        since: float | None = None
        while True:
            try:
                self._load_once()
                break
            except StoreUnreachable:
                import time

                since = since or time.time()
                delay = min(OUTAGE_BACKOFF, delay * 2 or 0.5)
                self.app.call_from_thread(self._outage_status, since)
                if self._stopping.wait(delay):
                    return
            except StoreAtCapacity as exc:
                delay = min(MAX_BACKOFF, delay * 2 or 1.0)
                self.app.call_from_thread(self.show_status, f"trying again in {delay:g} s: {exc}")
                if self._stopping.wait(delay):
                    return
        if delay:
            self.app.call_from_thread(self.clear_status)

    def _load_once(self) -> None:
        """Newest entries first (a usable timeline at once, even at 50,000 entries), then the
        older ones and the state derived from the whole log."""
        from warroom.base.errors import StoreAtCapacity, StoreUnreachable
        from warroom.core.state import project

        try:
            w = self.app.open_warroom()
            ref = self.ref or w.most_recent_open()
            if ref is None:
                self.app.call_from_thread(self.app.declare, first=True)
                return
            found = w.incident(ref)
            ref = found.ref
            profile = self._profile(w, found.profile)
            label = severity_labeller(profile)
            loaded = w.load_tail(ref, TAIL)
            tail, boundary = loaded.entries, loaded.boundary
            self.feed = loaded.feed
            self.app.user_name = w.user
            shown = threading.Event()
            self.post_message(TailLoaded(ref, profile, tail, display_texts(tail, label),
                                         self.app.readonly, shown, alias=found.alias))
            # Let the newest page reach the screen before the long read of the older entries
            # (which would otherwise share the GIL with drawing it).
            shown.wait(timeout=2.0)
            older = w.entries(ref, limit=boundary) if boundary else []
            state = project(ref, itertools.chain(older, tail))
            if state.profile != profile.name:
                profile = self._profile(w, state.profile)
        except StoreAtCapacity:
            raise
        except StoreUnreachable:
            raise
        except WarroomError as exc:
            self.post_message(LoadFailed(str(exc)))
            return
        self._show_outbox(w, ref)
        here = self._here(w, ref)
        self.post_message(IncidentLoaded(state, older, display_texts(older, label), here))

    def _profile(self, w: Warroom, name: str) -> Profile:
        try:
            return w.profile(name)
        except WarroomError as exc:
            # A broken or missing profile must not hide the log: show it with the default.
            self.app.call_from_thread(self.app.notify, f"{exc}; showing with the default profile",
                                      severity="warning", markup=False)
            return w.profile("default")

    # ------------------------------------------------------------------ presence
    def _here(self, w: Warroom, ref: str) -> list[str]:
        """Say we are here (a viewer of a read-only database only looks) and learn who else
        is. Presence is a courtesy: a busy or full database must not disturb the screen."""
        try:
            return w.here(ref, announce=not self.app.readonly)
        except WarroomError:
            return self.here

    def _presence_tick(self) -> None:
        if not self._gone and self.ref is not None:
            self._heartbeat()

    @work(thread=True, exclusive=True, group="presence")
    def _heartbeat(self) -> None:
        if self.ref is None:
            return
        here = self._here(self.app.open_warroom(), self.ref)
        if not self._gone:
            self.app.call_from_thread(self._show_here, here)

    def _show_here(self, here: list[str]) -> None:
        if here != self.here:
            self.here = here
            self.refresh_panes()

    # ------------------------------------------------------------------ the feed
    def _start_following(self) -> None:
        """Once loaded: one long-lived thread follows the feed (no worker per poll)."""
        if self.feed is not None and not self._following:
            self._follow()

    def _poll_tick(self) -> None:
        """Read the feed now, in a worker (the follower thread does so by itself)."""
        if self.feed is not None:
            self._poll()

    @work(thread=True, group="poll")
    def _poll(self) -> None:
        try:
            self._pull()
        except WarroomError as exc:
            self.app.call_from_thread(self.show_status, str(exc))

    def _pull(self) -> None:
        """Read the feed (off the screen's thread) and apply what is new on the screen's
        thread. One delivery at a time (a save, the follower), so entries arrive in order."""
        with self._pull_lock:
            fresh = self.feed.poll() if self.feed is not None else []
            if fresh and not self._gone:
                self.app.call_from_thread(self._apply, fresh)

    @work(thread=True, group="follow")
    def _follow(self) -> None:
        """Follow the feed on this one thread, asleep in between: blocked on the LISTEN socket
        on PostgreSQL (what others commit shows the moment the NOTIFY comes); on SQLite, or
        without LISTEN, waking every feed interval for one cheap check (``PRAGMA
        data_version``, or one indexed query). A failed read (no connection free, the server
        gone) is said on the status line and retried, backing off up to :data:`MAX_BACKOFF`."""
        from warroom.base.errors import StoreAtCapacity, StoreUnreachable

        feed = self.feed
        if feed is None:
            return
        self._following = True
        delay = 0.0
        outage = False
        w = self.app.open_warroom()
        try:
            while not self._gone and feed is self.feed:
                try:
                    if w.outbox_count():
                        w.deliver_outbox()  # ours, a killed app's, a command's
                    self._pull()
                except (StoreUnreachable, StoreAtCapacity):
                    # Reconnect by itself: the pool opens a new connection (and LISTENs on it)
                    # at the next attempt; the feed then reads everything above what it had.
                    outage = True
                    delay = min(OUTAGE_BACKOFF, delay * 2 or 0.5)
                    self.app.call_from_thread(self._outage_status, w.unreachable_since)
                    w.wait_for_database(delay, self._stopping)  # early when its port opens
                    if self._stopping.is_set():
                        return
                    continue
                except WarroomError as exc:
                    delay = min(MAX_BACKOFF, delay * 2 or 1.0)
                    self.app.call_from_thread(self.show_status,
                                              f"trying again in {delay:g} s: {exc}")
                    if self._stopping.wait(delay):
                        return
                    continue
                if delay:
                    delay = 0.0
                    if outage:
                        outage = False
                        self.app.call_from_thread(self._back_online)
                    else:
                        self.app.call_from_thread(self.clear_status)
                feed.block()
        finally:
            self._following = False


class Outage(_Screen):
    """What the war room shows while the team database is away: entries kept locally (pending
    rows in the timeline), and the status line in words."""

    _pending: dict[str, tuple[str, str, str, str, str]]
    _outage_since: float | None

    if TYPE_CHECKING:
        app: HostApp
        utc: bool
        def show_status(self, message: str, *, error: bool = True) -> None: ...
        def clear_status(self) -> None: ...
        def _chain_unreachable(self) -> None: ...

    def _show_outbox(self, w: Warroom, ref: str) -> None:
        """(Worker thread) Entries of this incident still in the outbox (an app killed during
        an outage, a command): shown pending until the feed brings them."""
        items = [(d.uid, d.occurred_at, d.kind, d.author, d.text) for d in w.kept(ref)]
        if items:
            self.app.call_from_thread(self._add_pending, items)

    def _add_pending(self, items: list[tuple[str, str, str, str, str]]) -> None:
        for item in items:
            self._pending.setdefault(item[0], item)
        self._show_pending()

    def _queued(self, draft: object, since: float | None) -> None:
        """An entry went to the outbox (the save raised EntryQueued)."""
        d = draft
        self._add_pending([(getattr(d, "uid"), getattr(d, "occurred_at"), getattr(d, "kind"),
                            getattr(d, "author"), getattr(d, "text"))])
        self._outage_status(since)

    def _show_pending(self) -> None:
        from warroom.app.widgets.timeline import Timeline

        self.query_one(Timeline).set_pending(list(self._pending.values()))

    def _arrived(self, uids: set[str]) -> None:
        """Entries the feed brought: their pending rows go."""
        if not self._pending or not uids & set(self._pending):
            return
        for uid in uids & set(self._pending):
            del self._pending[uid]
        self._show_pending()
        if self._outage_since is None:
            self._back_online()

    def _outage_status(self, since: float | None) -> None:
        import time
        from datetime import datetime, timezone

        from warroom.app.formatting import clock_time

        self._outage_since = since = self._outage_since or since or time.time()
        self._chain_unreachable()  # saves waiting for the hash chain check go to the outbox
        at = clock_time(datetime.fromtimestamp(since, timezone.utc), self.utc)
        text = f"team database unreachable since {at}, retrying"
        count = len(self._pending)
        if count:
            text += f"; {count} {'entry' if count == 1 else 'entries'} kept locally"
        self.show_status(text)

    def _back_online(self) -> None:
        self._outage_since = None
        if getattr(self, "chain_unchecked", False):
            self.chain_unchecked = False
            self._check_chain()  # type: ignore[attr-defined]
        count = len(self._pending)
        if count:
            self.show_status(f"team database back; delivering {count} "
                             f"{'entry' if count == 1 else 'entries'} kept locally", error=False)
        else:
            self.clear_status()


def severity_labeller(profile: Profile) -> Callable[[str], str]:
    labels = {s.id: s.label for s in profile.severities}
    return lambda sev: labels.get(sev, str(sev).upper())
