"""The war-room screen's saves: an entry from the entry line, retried while another process
holds the write lock, and any other domain call a dialog makes (:meth:`Saving.perform`).

Every save runs in a thread worker (the screen never freezes), then pulls the change feed so
that the entry shows the moment it is durable. A busy (or slow) database takes the entry off the
line, where it waits with any typed after it (each saved in order, with its typing time), and
retries with the same uid (saved once, however many attempts the lock costs).

No save is written before the incident's hash chain has been checked (it is checked once the
incident is loaded): a save made earlier waits for the check (after a second it leaves the line
like a slow save, kept on disk), then goes on, or asks first when the chain does not verify. A
check the team database is too far away to run does not hold saves: they go to the local outbox,
and the check runs again when the database is back.

A mixin of :class:`~warroom.app.screens.war_room.WarRoomScreen`.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Callable, cast

from textual import work
from textual.worker import WorkerFailed

from warroom.app.messages import EntryFailed, EntrySaved, EntrySubmitted
from warroom.base.errors import StoreBusy, StoreUnreachable, WarroomError

if TYPE_CHECKING:
    from textual.screen import Screen

    from warroom.app.host import HostApp
    from warroom.app.widgets.entry_line import EntryLine
    from warroom.core.domain import Warroom

    _Screen = Screen[None]
else:
    _Screen = object

Operation = Callable[["Warroom", str], Any]
BUSY_RETRY_SECONDS = 0.5
"""Pause between attempts to save an entry while another process holds the write lock."""
SLOW_SAVE_SECONDS = 1.0
"""An entry not saved by then leaves the line (it waits, kept on disk); typing goes on."""
CHAIN_BUSY_RETRY_S = 5.0
"""The hash chain check found the database busy (another process held its lock throughout):
it runs again after this long."""


class Saving(_Screen):
    """Entry-line saves with busy retries, and dialogs' domain calls, for the war-room screen."""

    ref: str | None
    _stopping: threading.Event

    if TYPE_CHECKING:
        app: HostApp
        @property
        def entry_line(self) -> EntryLine: ...
        def show_status(self, message: str, *, error: bool = True) -> None: ...
        def clear_status(self) -> None: ...
        def _pull(self) -> None: ...
        def _queued(self, draft: object, since: float | None) -> None: ...

    chain_problem: str | None = None
    """Why this incident's hash chain does not verify (checked once it is loaded), or None."""
    chain_accepted: bool = False
    """The person said yes to adding to it anyway (asked once, on the first save)."""
    chain_unchecked: bool = False
    """The check could not reach the database: it runs again when the database is back."""
    chain_checked: bool = False
    """The latest check has finished (the chain holds, does not, or could not be checked):
    saves no longer wait for it."""
    _chain_run: int = 0
    _held_saves: list[Callable[[], None]]
    """Saves made before the check finished, in order: each goes on once it has."""
    _releasing: bool = False
    _asking: list[Callable[[bool], None]] | None = None
    """Saves waiting for the answer to the question on screen now (one question for all)."""

    def _check_chain(self) -> None:
        """Verify the incident's chain (again); saves made meanwhile wait for the answer."""
        self.chain_checked = False
        self._chain_run += 1
        self._verify_chain(self._chain_run)

    @work(thread=True, group="chain", exclusive=True)
    def _verify_chain(self, run: int) -> None:
        """Verify the incident's chain off the event loop; warn if it does not hold."""
        ref = cast(str, self.ref)
        problem: str | None = None
        unchecked = busy = False
        try:
            found = self.app.open_warroom().verify(ref)
        except (StoreUnreachable, StoreBusy) as exc:
            # Not a broken chain: the database is away or busy. Checked again once it is back,
            # or in a moment when it was only busy (an outage must never make the first save
            # ask about tampering).
            unchecked, busy = True, isinstance(exc, StoreBusy)
        except WarroomError as exc:
            problem = f"it could not be checked ({exc})"
        else:
            if not found.ok:
                problem = (f"entry #{found.first_bad.seq}: {found.detail}" if found.first_bad
                           else found.detail)
        if not self._stopping.is_set():
            self.app.call_from_thread(self._chain_verified, run, problem, unchecked, busy)

    def _chain_verified(self, run: int, problem: str | None, unchecked: bool,
                        busy: bool = False) -> None:
        if run != self._chain_run or self._stopping.is_set():
            return  # an older check's answer (a newer one runs), or the screen went
        self.chain_unchecked = unchecked
        if busy:  # nobody says when a busy database is free again: ask it again soon
            self.set_timer(CHAIN_BUSY_RETRY_S, lambda: self._recheck_busy(run))
        if problem is not None:
            self._chain_broken(problem)  # (its banner replaces "checking")
        elif not unchecked and self._held_saves:
            self.clear_status()  # "checking the hash chain" is over
        self.chain_checked = True
        self._release_saves()

    def _recheck_busy(self, run: int) -> None:
        """The check found the database busy: run it again, unless another has run since or
        the database has gone away meanwhile (then it runs when it is back)."""
        if (run == self._chain_run and self.chain_unchecked and not self._stopping.is_set()
                and getattr(self, "_outage_since", None) is None):
            self.chain_unchecked = False
            self._check_chain()

    def _chain_unreachable(self) -> None:
        """The team database is away (the follower, or the loader, says so): saves waiting for
        the check go on now, to the local outbox (nothing is lost, nothing waits on a check
        that cannot run); the check runs (again) when the incident is loaded or the database
        is back (:meth:`~warroom.app.live.Outage._back_online`)."""
        if self.chain_checked:
            return
        self.chain_unchecked = True
        if self._chain_run:  # the check started and cannot finish before the database is back
            self.chain_checked = True
        # (Else the incident is still loading: its check starts once it is loaded, and saves
        # made until then wait for it, or for the next word of the outage.)
        self._release_saves()

    def _release_saves(self) -> None:
        held, self._held_saves = self._held_saves, []
        self._releasing = True  # each goes on now, whether or not the check has finished
        try:
            for then in held:
                then()
        finally:
            self._releasing = False

    def _hold_save(self, then: Callable[[], None]) -> bool:
        """Before the chain has been checked: keep ``then`` until it has, and return True."""
        if self.chain_checked or self._releasing:
            return False
        self._held_saves.append(then)
        self.show_status(f"checking {self.ref}'s hash chain before saving", error=False)
        return True

    def _chain_broken(self, problem: str) -> None:
        self.chain_problem = problem
        self.notify(f"{self.ref}: {problem}. What you see may have been changed behind the "
                    f"app's back (warroom verify {self.ref}); the next save asks first.",
                    title="The hash chain does not verify", severity="error", timeout=600,
                    markup=False)
        self.clear_status()

    def _ask_before_appending(self, then: Callable[[bool], None]) -> bool:
        """When the chain does not verify and nobody said yes yet: ask, then call ``then``
        with the answer, and return True (the caller waits for it). Saves that come while
        the question is on screen wait for the same answer."""
        if self.chain_problem is None or self.chain_accepted:
            return False
        if self._asking is not None:
            self._asking.append(then)
            return True
        from warroom.app.dialogs.chain import BrokenChainDialog

        self._asking = [then]

        def answered(yes: object) -> None:
            waiting, self._asking = self._asking or [], None
            if yes:
                self.chain_accepted = True
            for each in waiting:
                each(bool(yes))
        self.app.push_screen(BrokenChainDialog(cast(str, self.ref), self.chain_problem), answered)
        return True

    def on_entry_submitted(self, message: EntrySubmitted) -> None:
        self._submit(message)

    def _submit(self, message: EntrySubmitted, *, waited: bool = False) -> None:
        """Save an entry from the line. ``waited``: it waited (for the chain check, for an
        answer), so it happened when it was typed."""
        line = self.entry_line
        if self._hold_save(lambda: self._submit(message, waited=True)):
            # A check slower than a slow save frees the line the same way (the entry waits,
            # kept on disk, and the scribe goes on).
            if line.on_line:
                self.set_timer(SLOW_SAVE_SECONDS, lambda: line.busy(message.uid))
            return

        def answered(yes: bool) -> None:
            if yes:
                self._submit(message, waited=True)
            else:
                self.entry_line.failed(EntryFailed(
                    "not saved: you chose not to add to a log that does not verify"))
        if self._ask_before_appending(answered):
            return
        self._save_entry(message.kind, message.text, message.uid, message.typed_at,
                         queued=waited or not line.on_line)
        if line.on_line:  # a save slower than this frees the line for the next entry
            self.set_timer(SLOW_SAVE_SECONDS, lambda: line.busy(message.uid))

    @work(thread=True, group="write")
    def _save_entry(self, kind: str, text: str, uid: str, typed_at: str | None = None, *,
                    queued: bool = False) -> None:
        from warroom.base.errors import EntryQueued, StoreBusy

        line = self.entry_line
        w = self.app.open_warroom()  # opened already (the screen has loaded): no I/O
        attempt = 0
        while True:
            try:
                # An entry that waited (the database busy) happened when it was typed.
                at = typed_at if (queued or attempt) else None
                entry = w.log(cast(str, self.ref), kind, text, uid=uid, at=at)
                break
            except EntryQueued as queued:
                # The team database is away: the entry is durable in the local outbox (as
                # typed, with its uid) and will be delivered once; the line clears.
                self.app.call_from_thread(self._queued, queued.draft, queued.since)
                self.app.call_from_thread(line.saved, cast(EntrySaved, None))
                return
            except StoreBusy as exc:
                # Nothing was saved. The entry leaves the line and waits (kept on disk, with
                # the entries typed after it queued behind); the same uid goes again, so it is
                # saved once, however many attempts the lock costs. Each attempt waits out the
                # busy timeout itself, so the save lands the moment the lock goes.
                if attempt == 0:
                    self.app.call_from_thread(line.busy)  # the scribe goes on meanwhile
                attempt += 1
                self.app.call_from_thread(self.show_status, w.busy_retry_message(attempt, exc))
                if self._stopping.wait(BUSY_RETRY_SECONDS):
                    return
            except WarroomError as exc:
                self.app.call_from_thread(self._entry_failed, str(exc))
                return
        try:
            self._pull()
        except WarroomError as exc:
            self.app.call_from_thread(self.show_status, str(exc))
        self.app.call_from_thread(line.saved, EntrySaved(entry))
        self.app.call_from_thread(self.clear_status)

    def _entry_failed(self, message: str) -> None:
        self.show_status(message)
        self.entry_line.failed(EntryFailed(message))

    async def perform(self, op: Operation) -> str | None:
        """Run one domain call off the event loop, then pull the feed. Returns the error
        message, or None when the entry is durable and shown."""
        import asyncio

        loop = asyncio.get_running_loop()
        checked: asyncio.Future[None] = loop.create_future()

        def go_on() -> None:
            if not checked.done():
                checked.set_result(None)
        if self._hold_save(go_on):
            await checked  # the dialog keeps its input meanwhile
        if self.chain_problem is not None and not self.chain_accepted:
            answer: asyncio.Future[bool] = loop.create_future()

            def answered(yes: bool) -> None:
                if not answer.done():
                    answer.set_result(yes)

            def ask() -> None:
                if not self._ask_before_appending(answered):
                    answered(True)  # someone said yes meanwhile
            # Asked from the war room's own queue: Textual hands a dialog's answer to the one
            # that opened it, and the dialog waiting here could not take it (it would hang).
            self.call_next(ask)
            if not await answer:
                return "not saved: you chose not to add to a log that does not verify"
        worker = self._perform(op)
        try:
            return await worker.wait()
        except WorkerFailed as exc:  # a bug, not a user mistake: say so, keep running
            return f"unexpected error: {exc.error}"

    @work(thread=True, group="write")
    def _perform(self, op: Operation) -> str | None:
        """A dialog's save. A busy database is retried like the entry line's: the dialog keeps
        its input (and the keys typed meanwhile wait), and it is saved once the lock goes."""
        from warroom.base.errors import EntryQueued, StoreBusy, StoreUnreachable

        attempt = 0
        asker = self.app.screen
        while True:
            try:
                op(self.app.open_warroom(), cast(str, self.ref))  # writes wait for the load
                break
            except EntryQueued as queued:  # kept in the outbox, like a note
                self.app.call_from_thread(self._queued, queued.draft, queued.since)
                return None
            except StoreUnreachable as exc:
                return (f"team database unreachable ({exc.cause}): this needs its current "
                        "state; try again when it is back (entries typed on the line are kept "
                        "locally meanwhile)")
            except StoreBusy as exc:
                # Nothing was written: the lock was never ours. The same call goes again.
                attempt += 1
                message = self.app.open_warroom().busy_retry_message(attempt, exc)
                tell = getattr(asker, "show_error", None) or self.show_status
                self.app.call_from_thread(tell, message)
                if self._stopping.wait(BUSY_RETRY_SECONDS):
                    return "the screen closed before the database accepted the save"
            except WarroomError as exc:
                return str(exc)
        if attempt:
            self.app.call_from_thread(self.clear_status)
        try:
            self._pull()
        except WarroomError as exc:
            return str(exc)
        return None
