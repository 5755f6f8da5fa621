"""Keys in the order they were typed, each to whatever has focus once the key before it is
done with: typed-ahead keys are never dropped when a key moves the focus, opens or closes a
dialog, or starts a save.

Textual hands each key to the widget focused *when the key is read*, and the widget handles it
later, in its own task. A key that opens a dialog, moves the focus to the next field or closes
the entry line therefore leaves the keys right behind it (a fast typist's burst, a paste from
``tmux send-keys``) with the widget that had focus before: they land in the wrong field or
nowhere. :class:`KeyFlow` delivers one key, lets the screen settle (every widget of the active
screen, and the app, has handled what that key caused; a dialog saving holds the keys until it
is done), then delivers the next. Unsettled time is a few event-loop turns; a person typing
never waits on it.

Alt+<key> that nobody claims is Esc followed by that key (terminals send both the same way):
it is delivered as the two keys, with a settle between them (Esc may close what had focus).
A widget claims Alt keys with a ``claims_key(key) -> bool`` method (on it or an ancestor).
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING, Any, Iterable

from textual import events
from textual.widgets import Input

from warroom.app.compat_input import split_alt
from warroom.core.text import sanitize

if TYPE_CHECKING:
    from textual.app import App

SETTLE_LIMIT = 1.0
"""At most this long for a screen to settle after a key (a stuck widget must not stop typing)."""
BUSY_POLL = 0.02
URGENT = {"ctrl+c", "ctrl+q"}
"""Delivered at once even while a dialog saves: the person wants out."""


class KeyFlow:
    def __init__(self, app: App, deliver) -> None:
        self.app = app
        self._deliver = deliver  # App.on_event of Textual: bindings, then the focused widget
        self.backlog: deque[events.Event] = deque()
        self._task: asyncio.Task | None = None

    @property
    def idle(self) -> bool:
        return self._task is None and not self.backlog

    async def receive(self, event: events.Event) -> None:
        """A key or paste from the terminal (or the pilot), in the order typed."""
        if self.idle and not holding(self.app):
            if await self._dispatch(event):
                self._start()
        elif isinstance(event, events.Key) and (event.key in URGENT or (
                not self.backlog and quitting(self.app, event))):  # (typed ahead: a letter)
            await self._deliver(event)
        else:
            self.backlog.append(event)
            self._start()

    def give_back(self, items: Iterable[events.Event]) -> None:
        """Keys a widget held but will not use (the entry line closed by an Esc among them):
        they go first, to whatever has focus next."""
        fresh = [events.Key(e.key, e.character) if isinstance(e, events.Key)
                 else events.Paste(e.text) if isinstance(e, events.Paste) else e for e in items]
        # (New events: the held ones were forwarded once, and Textual delivers a forwarded
        # event to the app's own handlers only, not to the focused widget.)
        self.backlog.extendleft(reversed(fresh))
        self._start()

    def _start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        try:
            while True:
                await settle(self.app)
                while self.backlog:
                    if await self._dispatch(self.backlog.popleft()):
                        break  # this one may move the focus: settle before the next
                else:
                    return
        except Exception as exc:  # a bug: show it as Textual would, do not swallow keys silently
            self.app._handle_exception(exc)
        finally:
            self._task = None

    async def _dispatch(self, event: events.Event) -> bool:
        """Deliver one key or paste. Returns whether the screen must settle before the next:
        not after a character typed into a text field (it cannot move the focus), so typing
        flows at full speed and only Enter, Esc, Tab, hotkeys and pastes wait."""
        if isinstance(event, events.Key):
            pair = split_alt(event.key)
            if pair is not None and not claimed(self.app, event.key):
                key, char = pair
                await self._deliver(events.Key("escape", "\x1b"))
                self.backlog.appendleft(events.Key(key, char))
                return True
            field = self.app.focused
            # (A field holding its keys while it saves gets them one by one all the same: it
            # must have them all when it lets go, not some still queued.)
            typing = (event.is_printable and isinstance(field, Input)
                      and not getattr(field, "holding", False))
            await self._deliver(event)
            return not typing
        if isinstance(event, events.Paste):
            # A paste arrives whole (escape sequences and all: warroom.app.compat_input) and is
            # cleaned here, before any field shows it, as all text is at the door.
            event = events.Paste(sanitize(event.text))
        await self._deliver(event)
        return True


def quitting(app: App, event: events.Key) -> bool:
    """q while the war room is still opening (the database slow or away): out at once."""
    try:
        opening = getattr(app.screen, "opening", None)
    except Exception:
        return False
    return (event.key == "q" and opening is not None and opening()
            and not isinstance(app.focused, Input))


def holding(app: App) -> bool:
    """The active screen asks keys to wait: a dialog saving, the war room still loading."""
    try:
        holds = getattr(app.screen, "holds_keys", None)
    except Exception:
        return False
    return bool(holds is not None and holds())


def claimed(app: App, key: str) -> bool:
    node: Any = app.focused
    while node is not None:
        claims = getattr(node, "claims_key", None)
        if claims is not None and claims(key):
            return True
        node = node.parent
    return False


async def settle(app: App, limit: float = SETTLE_LIMIT) -> None:
    """Until the app and every widget of the active screen have handled what the last key
    caused (a key may start a chain: a selection, then a focus move), and no dialog is saving.

    One round posts a marker behind everything each of them has queued or is handling now,
    and waits for all the markers. It is settled after a round that began and ended with every
    queue empty (a message handled during the round is finished by then, and whatever it
    posted would be queued)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    quiet_rounds = 0
    while quiet_rounds < 2:
        try:
            screen = app.screen
        except Exception:
            return
        if holding(app):
            await asyncio.sleep(BUSY_POLL)  # a save in flight: keys wait for its outcome
            deadline = loop.time() + limit
            continue
        if loop.time() >= deadline:
            return
        pumps = [app, *screen.walk_children(with_self=True)]
        quiet = not any(p.message_queue_size for p in pumps)
        left = 0
        done = asyncio.Event()

        def one_done() -> None:
            nonlocal left
            left -= 1
            if left <= 0:
                done.set()

        for pump in pumps:
            if pump.call_later(one_done):
                left += 1
        if left:
            try:
                await asyncio.wait_for(done.wait(), max(deadline - loop.time(), 0.001))
            except asyncio.TimeoutError:
                return
        if app.screen is not screen:
            quiet = False
        quiet = quiet and not any(p.message_queue_size for p in pumps)
        quiet_rounds = quiet_rounds + 1 if quiet else 0
