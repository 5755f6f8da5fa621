"""The war-room screen: incident summary, role board, live timeline and update timers, all at
once, plus the hotkey entry line.

The screen paints empty panes first and loads after (a worker opens the store and reads the
incident through the change feed). Every entry shown, our own included, arrives through the
feed: a save polls it at once, and a timer polls it every half second for other processes.
All writes go through the domain API in thread workers, so the screen never freezes.
"""

from __future__ import annotations

import gc
import threading
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Input, Label
from textual.worker import WorkerFailed

from warroom.app.bindings import KEYMAP, textual_bindings
from warroom.app.formatting import ENTRY_KINDS
from warroom.app.messages import (EntriesArrived, EntryFailed, EntrySaved, EntrySubmitted,
                                  FilterChanged, IncidentLoaded, LoadFailed, TailLoaded)
from warroom.app.widgets.entry_line import EntryLine
from warroom.app.widgets.key_bar import KeyBar
from warroom.app.widgets.role_board import RoleBoard
from warroom.app.widgets.search_bar import SearchBar
from warroom.app.widgets.summary import SummaryPane
from warroom.app.widgets.timeline import Timeline, display_texts
from warroom.app.widgets.timers import TimersPane
from warroom.base.errors import WarroomError

if TYPE_CHECKING:
    from warroom.core.domain import Warroom
    from warroom.core.profiles import Profile
    from warroom.core.state import IncidentState
    from warroom.core.results import Feed

Operation = Callable[["Warroom", str], Any]
POLL_SECONDS = 0.5
PRESENCE_SECONDS = 10
"""How often an open screen says it is here (others count it gone after about 30 s)."""
IDLE_SECONDS = 20
"""An open but empty entry line untouched this long no longer holds back a due prompt."""
BUSY_RETRY_SECONDS = 0.5
"""Pause between attempts to save an entry while another process holds the write lock."""
TAIL = 1000
"""Entries shown before the rest of a big incident is read (many screens' worth)."""
READ_ONLY = "read-only: this database cannot be written; viewing only"
WRITE_ACTIONS = {k.action.split("(")[0] for k in KEYMAP if k.writes}
HOTKEY_ACTIONS = {k.action.split("(")[0] for k in KEYMAP}


class WarRoomScreen(Screen[None]):
    AUTO_FOCUS = "#timeline"
    BINDINGS = textual_bindings()
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (96, "-medium"), (120, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (36, "-tall")]

    def __init__(self, ref: str | None) -> None:
        super().__init__()
        self.ref = ref
        self.state: IncidentState | None = None
        self.profile: Profile | None = None
        self.feed: Feed | None = None
        self.readonly = False
        self.utc = False
        self._polling = False
        self._following = False
        self._pull_lock = threading.Lock()
        self._stopping = threading.Event()
        """Set when the screen goes: workers stop, and a retry's pause ends at once."""
        self._early: list = []
        self.scheduler = None  # TimerScheduler, once the incident is loaded
        self._prompt_due: str | None = None
        """A summary prompt that fell due while the person was busy (typing, in a dialog)."""
        self.here: list[str] = []
        """Who has this incident open now, in any terminal (this one included)."""

    def compose(self) -> ComposeResult:
        with Horizontal(id="top"):
            yield SummaryPane(id="summary")
            yield RoleBoard(id="roles")
            yield TimersPane(id="timers")
        yield SearchBar(id="search")
        yield Timeline(id="timeline")
        yield EntryLine(id="entry-line")
        yield Label(Content(""), id="status-line")
        yield KeyBar()

    def on_mount(self) -> None:
        # The hidden lines start hidden in the stylesheet and the timeline has the focus from
        # AUTO_FOCUS: each style change here would restyle the screen before the first frame.
        self.timeline.border_title = "Timeline"
        # Paint first: the loader imports the database layer, which would hold the GIL
        # while the first frame is being drawn.
        self.call_after_refresh(self._load)

    @property
    def _gone(self) -> bool:
        return self._stopping.is_set()

    def on_unmount(self) -> None:
        self._stopping.set()
        gc.unfreeze()
        if self.scheduler is not None:
            self.scheduler.shutdown()
        if self.feed is not None:
            self.feed.close()

    @property
    def timeline(self) -> Timeline:
        return self.query_one(Timeline)

    @property
    def entry_line(self) -> EntryLine:
        return self.query_one(EntryLine)

    def focus_main(self) -> None:
        self.timeline.focus()
        if self._prompt_due is not None:
            self.call_after_refresh(self._offer_prompt)

    def on_screen_resume(self) -> None:
        if self._prompt_due is not None:
            self.call_after_refresh(self._offer_prompt)

    def now(self) -> datetime:
        return self.app.clock.now()

    # ------------------------------------------------------------------ loading
    @work(thread=True, exclusive=True, group="load")
    def _load(self) -> None:
        """Newest entries first (a usable timeline at once, even at 50,000 entries), then the
        older ones and the state derived from the whole log."""
        from warroom.core.state import IncidentState

        try:
            w = self.app.open_warroom()
            ref = self.ref or w.most_recent_open()
            if ref is None:
                self.app.call_from_thread(self.app.declare, first=True)
                return
            found = w.incident(ref)
            ref = found.ref
            profile = self._profile(w, found.profile)
            label = _severity_labeller(profile)
            loaded = w.load_tail(ref, TAIL)
            tail, boundary = loaded.entries, loaded.boundary
            self.feed = loaded.feed
            self.app.user_name = w.user
            shown = threading.Event()
            self.post_message(TailLoaded(ref, profile, tail, display_texts(tail, label),
                                         self.app.readonly, shown))
            # Let the newest page reach the screen before the long read of the older entries
            # (which would otherwise share the GIL with drawing it).
            shown.wait(timeout=2.0)
            older = w.entries(ref, limit=boundary) if boundary else []
            state = IncidentState(ref=ref)
            for entry in older:
                state.apply(entry)
            for entry in tail:
                state.apply(entry)
            if state.profile != profile.name:
                profile = self._profile(w, state.profile)
        except WarroomError as exc:
            self.post_message(LoadFailed(str(exc)))
            return
        here = self._here(w, ref)
        self.post_message(IncidentLoaded(state, older, display_texts(older, label), here))

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
        here = self._here(self.app.open_warroom(), self.ref)
        if not self._gone:
            self.app.call_from_thread(self._show_here, here)

    def _show_here(self, here: list[str]) -> None:
        if here != self.here:
            self.here = here
            self.refresh_panes()

    def _profile(self, w: Warroom, name: str) -> Profile:
        try:
            return w.profile(name)
        except WarroomError as exc:
            # A broken or missing profile must not hide the log: show it with the default.
            self.app.call_from_thread(self.app.notify, f"{exc}; showing with the default profile",
                                      severity="warning", markup=False)
            return w.profile("default")

    def on_load_failed(self, message: LoadFailed) -> None:
        self.app.fail(message.message)

    def on_tail_loaded(self, message: TailLoaded) -> None:
        self.ref, self.profile, self.readonly = message.ref, message.profile, message.readonly
        self.timeline.severity_label = _severity_labeller(self.profile)
        self.timeline.set_entries(message.entries, message.texts)
        self.app.sub_title = message.ref
        if self.readonly:
            self.show_status(READ_ONLY, error=False)
        self.query_one(SummaryPane).loading(message.ref, self.readonly)
        self._title_timeline()
        self.refresh_bindings()
        self.query_one(KeyBar).refresh()
        if message.shown is not None:
            self.call_after_refresh(self._show_newest, message.shown)

    def _show_newest(self, shown: threading.Event, tries: int = 10) -> None:
        """Follow the bottom once the layout knows the timeline's height, then let the loader
        go on (its long read would share the GIL with this frame)."""
        tl = self.timeline
        tl.scroll_end(animate=False, immediate=True)
        if tries <= 0 or (tl.max_scroll_y and tl.scroll_y >= tl.max_scroll_y) or tl.size.height >= tl.virtual_size.height:
            self.call_after_refresh(shown.set)
        else:
            self.call_after_refresh(self._show_newest, shown, tries - 1)

    def on_incident_loaded(self, message: IncidentLoaded) -> None:
        self.state = message.state
        self.here = message.here
        self.timeline.prepend(message.older, message.texts)
        early, self._early = self._early, []
        if early:  # saved or polled while the older entries were being read
            self._apply(early)
        self.refresh_panes()
        self.refresh_bindings()
        self.query_one(KeyBar).refresh()
        self.set_interval(POLL_SECONDS, self._poll_tick)
        self.set_interval(1, self._tick)
        self.set_interval(PRESENCE_SECONDS, self._presence_tick)
        if self.feed is not None and self.feed.mode == "listen":
            self._follow()
        else:
            self._poll_tick()
        self._start_clocks()
        # A big incident is a big heap of long-lived objects (50,000 entries: a full collection
        # takes tens of milliseconds, and it could fall on an Enter). The cyclic collector
        # leaves what is loaded now alone; leaving the screen hands it back.
        gc.freeze()

    # ------------------------------------------------------------------ the feed
    def _poll_tick(self) -> None:
        if not self._polling and not self._following and self.feed is not None:
            self._polling = True
            self._poll()

    @work(thread=True, group="poll")
    def _poll(self) -> None:
        try:
            self._pull()
        except WarroomError as exc:
            self.app.call_from_thread(self.show_status, str(exc))
        finally:
            self._polling = False

    def _pull(self) -> None:
        """Read the feed (in a worker) and apply what is new on the screen's thread. One
        delivery at a time (a save, the poll, the follower), so entries arrive in order."""
        with self._pull_lock:
            fresh = self.feed.poll() if self.feed is not None else []
            if fresh and not self._gone:
                self.app.call_from_thread(self._apply, fresh)

    @work(thread=True, group="follow")
    def _follow(self) -> None:
        """PostgreSQL: wait on the feed's LISTEN connection, so that what others commit shows
        the moment the NOTIFY comes (in place of the half-second poll). If LISTEN is lost the
        feed polls, and so does this, at its interval, until it can LISTEN again."""
        feed = self.feed
        self._following = True
        try:
            while not self._gone and feed is self.feed:
                try:
                    self._pull()
                except WarroomError as exc:
                    self.app.call_from_thread(self.show_status, str(exc))
                feed.block()
        finally:
            self._following = False

    def _apply(self, entries: list) -> None:
        if self.state is None:  # still reading the older entries: hold these until then
            self._early.extend(entries)
            return
        for entry in entries:
            self.state.apply(entry)
        self.timeline.add(entries)
        self.refresh_panes()
        self._replan()
        self.post_message(EntriesArrived(entries))

    def on_entries_arrived(self, message: EntriesArrived) -> None:
        """Announced for dialogs that show live lists (follow-ups) and for tests."""
        for screen in self.app.screen_stack:
            refresh = getattr(screen, "entries_arrived", None)
            if refresh is not None and screen is not self:
                refresh(message.entries)

    # ------------------------------------------------------------------ panes
    def timers(self):
        from warroom.core.timers import compute_timers

        return compute_timers(self.profile, self.state, self.now())

    def refresh_panes(self) -> None:
        if self.state is None or self.profile is None:
            return
        from warroom.core.domain import role_warnings

        now = self.now()
        self.query_one(SummaryPane).show(self.state, self.profile, now, utc=self.utc,
                                         readonly=self.readonly)
        self.query_one(RoleBoard).show(self.state, self.profile, now,
                                       role_warnings(self.state, self.profile, now), self.here)
        stopped = "" if self.state.is_open else f"incident {self.state.status}"
        self.query_one(TimersPane).show(self.timers(), now, stopped=stopped)
        self._title_timeline()

    def _tick(self) -> None:
        self.refresh_panes()
        if self._prompt_due is not None:
            self._offer_prompt()

    # ------------------------------------------------------------------ the clocks
    def _start_clocks(self) -> None:
        """One APScheduler job on Textual's loop at the next instant a timer falls due. Timers
        already due when the incident opens are announced once; an overdue summary prompts."""
        if not self.app.prompts or self.readonly or self.scheduler is not None:
            return
        from warroom.core.scheduler import TimerScheduler
        from warroom.core.timers import SUMMARY, find

        self.scheduler = TimerScheduler(self._timer_due, clock=self.app.clock, catch_up=False,
                                        on_error=self._clock_failed)
        self.scheduler.start()
        timers = self.timers()
        self.scheduler.replan(timers)
        now = self.now()
        due = [t for t in timers if t.alerting]
        if due:
            self.notify("; ".join(_phrase(t, now) for t in due),
                        title="Already due", severity="warning", timeout=20, markup=False)
        # The lead reopening the war room with the summary overdue gets the prompt back.
        summary = find(timers, SUMMARY)
        if summary is not None and summary.alerting and self._i_lead():
            self._prompt_due = SUMMARY
            self._offer_prompt()

    def replan_timers(self) -> None:
        """Plan the clocks again now: after the clock jumped (a frozen clock in tests)."""
        self._replan()

    def _replan(self) -> None:
        """An entry changed the picture: move the job, and drop a prompt no longer due."""
        if self.scheduler is not None and self.state is not None:
            self.scheduler.replan(self.timers())
        if self._prompt_due is not None:
            self._offer_prompt()

    def _clock_failed(self, exc: BaseException) -> None:
        self.notify(f"timer error: {exc}", severity="error", markup=False)

    def _timer_due(self, timer) -> None:
        """The scheduler says a timer fell due (on the event loop). The summary prompt opens
        for the lead; everything else notifies and rings the bell without taking focus."""
        from warroom.core.timers import SUMMARY

        if self._gone or self.state is None or self.profile is None:
            return
        lead = self.state.holder("lead")
        if timer.kind == SUMMARY and self._i_lead():
            self._prompt_due = timer.id
            self._offer_prompt(announce=True)
            return
        whose = f" (for the lead, {lead})" if timer.kind == SUMMARY and lead else ""
        detail = f" · {timer.detail}" if timer.detail else ""
        self.notify(f"{_phrase(timer, self.now())}{whose}{detail}",
                    title="Timer due", severity="warning", timeout=30, markup=False)
        self.app.bell()

    def _i_lead(self) -> bool:
        """The summary prompt is the lead's: whoever holds the role, or anyone while vacant."""
        lead = self.state.holder("lead") if self.state is not None else None
        return not lead or lead.casefold() == (self.app.user_name or "").casefold()

    def _busy(self) -> str:
        """Why a prompt must wait now ("" when it may open): it never takes keystrokes."""
        if self.app.screen is not self:
            return "it opens when this dialog closes"
        line = self.entry_line
        if line.display:
            field = line.input
            idle = time.monotonic() - field.last_input >= IDLE_SECONDS
            if field.value or line.saving or field.held or not idle:
                return "it opens when this entry is saved and the line closed (Esc), or press s"
        elif self.typing():
            return "it opens when you leave the search (Enter or Esc)"
        return ""

    def _offer_prompt(self, *, announce: bool = False) -> None:
        from warroom.core.timers import find

        if self._prompt_due is None or self.state is None or self._gone:
            return
        timer = find(self.timers(), self._prompt_due)
        if timer is None or not timer.alerting:  # written, snoozed or dismissed meanwhile
            self._prompt_due = None
            return
        waiting = self._busy()
        if waiting:
            if announce:
                self.notify(f"{timer.label} due: {waiting}", title="Lead summary",
                            severity="warning", timeout=15, markup=False)
                self.app.bell()
            return
        self._prompt_due = None
        self.app.bell()
        self.open_summary(prompted=True)

    def _title_timeline(self) -> None:
        tl = self.timeline
        count = tl.entry_count
        title = f"Timeline · {count} {'entry' if count == 1 else 'entries'}"
        if tl.filtered:
            title = f"Timeline · {tl.shown_count} of {count} shown (filtered)"
        title += " · UTC" if self.utc else " · local time"
        tl.border_title = title

    def show_status(self, message: str, *, error: bool = True) -> None:
        line = self.query_one("#status-line", Label)
        line.update(Content(" ".join(message.split())))
        line.set_class(error, "-error")
        line.display = bool(message)

    def clear_status(self) -> None:
        if self.readonly:
            self.show_status(READ_ONLY, error=False)
        else:
            self.show_status("")

    # ------------------------------------------------------------------ writing
    def on_entry_submitted(self, message: EntrySubmitted) -> None:
        self._save_entry(message.kind, message.text, message.uid)

    @work(thread=True, group="write")
    def _save_entry(self, kind: str, text: str, uid: str) -> None:
        from warroom.base.errors import StoreBusy

        line = self.entry_line
        w = self.app.open_warroom()  # opened already (the screen has loaded): no I/O
        attempt = 0
        while True:
            try:
                entry = w.log(self.ref, kind, text, uid=uid)
                break
            except StoreBusy:
                # Nothing was saved. The draft stays on the line (and keys typed meanwhile
                # wait behind it); the same uid goes again, so it is saved once, however many
                # attempts the lock costs. Each attempt waits out the busy timeout itself, so
                # the save lands the moment the lock goes.
                attempt += 1
                self.app.call_from_thread(self.show_status, w.busy_retry_message(attempt))
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
        worker = self._perform(op)
        try:
            return await worker.wait()
        except WorkerFailed as exc:  # a bug, not a user mistake: say so, keep running
            return f"unexpected error: {exc.error}"

    @work(thread=True, group="write")
    def _perform(self, op: Operation) -> str | None:
        try:
            op(self.app.open_warroom(), self.ref)
            self._pull()
        except WarroomError as exc:
            return str(exc)
        return None

    # ------------------------------------------------------------------ actions
    def typing(self) -> bool:
        """A text field has focus: the hotkeys are letters again."""
        return isinstance(self.focused, Input)

    def typing_hints(self) -> list[tuple[str, str]]:
        """What the footer shows instead of the hotkeys while a text field has focus."""
        if not self.typing():
            return []
        if self.entry_line.display and self.focused is self.entry_line.input:
            return [("Enter", "save"), ("Esc", "cancel"), ("Tab", "kind"), ("@name", "owner (actions)")]
        return [("Enter", "keep filter"), ("Esc", "clear"), ("Tab", "kind filter")]

    def on_descendant_focus(self) -> None:
        self.query_one(KeyBar).refresh()

    def on_descendant_blur(self) -> None:
        self.query_one(KeyBar).refresh()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in HOTKEY_ACTIONS and self.typing():
            return False
        if action in WRITE_ACTIONS:
            if self.readonly:
                return False
            if action == "log":  # the scribe can log as soon as the newest entries show
                return True if self.feed is not None else None
            return True if self.state is not None else None
        if action in {"followups", "export", "search", "toggle_utc"} and self.state is None:
            return None
        return True

    def action_quit(self) -> None:
        self.app.exit()

    def action_log(self, kind: str) -> None:
        if kind in ENTRY_KINDS:
            self.query_one(SearchBar).display = False
            self.entry_line.open(kind)

    def action_search(self) -> None:
        self.entry_line.display = False
        self.query_one(SearchBar).open()

    def on_filter_changed(self, message: FilterChanged) -> None:
        self.timeline.set_filter(message.kind, message.text)
        self._title_timeline()

    def action_toggle_utc(self) -> None:
        self.utc = not self.utc
        self.timeline.utc = self.utc
        self.refresh_panes()

    def action_help(self) -> None:
        from warroom.app.dialogs.help import HelpDialog

        self.app.push_screen(HelpDialog())

    def action_summary(self) -> None:
        self.open_summary(prompted=False)

    def open_summary(self, *, prompted: bool) -> None:
        """The summary dialog with a draft of what happened since the last summary."""
        from warroom.app.dialogs.summary_prompt import SummaryPrompt
        from warroom.core.timers import SUMMARY, find, summary_draft, summary_lateness

        state, profile = self.state, self.profile
        since = self.timeline.entries_since(state.last_summary_seq)
        draft = summary_draft(state, since, profile=profile, zone="UTC" if self.utc else None)
        timer = find(self.timers(), SUMMARY)
        self.app.push_screen(SummaryPrompt(
            self.perform, state, draft=draft, prompted=prompted,
            due=timer is not None and timer.alerting, utc=self.utc, now=self.now,
            lateness=lambda: summary_lateness(profile, state, self.now())))

    def action_status_update(self) -> None:
        from warroom.app.dialogs.status_update import StatusUpdateDialog

        self.app.push_screen(StatusUpdateDialog(self.perform, self.state, self.profile, self.now()))

    def action_handover(self) -> None:
        from warroom.app.dialogs.handover import HandoverDialog

        people = sorted({e for e in self._people()})
        self.app.push_screen(HandoverDialog(self.perform, self.state, self.profile, people))

    def _people(self) -> set[str]:
        state = self.state
        names = {h.person for h in state.roles.values()}
        names.update(c.after for c in state.role_history if c.after)
        names.update(a.owner for a in state.actions.values() if a.owner)
        names.add(self.app.user_name)
        names.discard("")
        return names

    def action_severity(self) -> None:
        from warroom.app.dialogs.severity import SeverityDialog

        self.app.push_screen(SeverityDialog(self.perform, self.state, self.profile))

    def action_status(self) -> None:
        from warroom.app.dialogs.status import StatusDialog

        self.app.push_screen(StatusDialog(self.perform, self.state, self.profile))

    def action_followups(self) -> None:
        from warroom.app.dialogs.followups import FollowupsDialog

        self.app.push_screen(FollowupsDialog(self.perform, self.state, readonly=self.readonly))

    def action_incidents(self) -> None:
        from warroom.app.dialogs.incidents import IncidentsDialog

        def chosen(choice: str | None) -> None:
            if choice == IncidentsDialog.DECLARE:
                self.app.declare()
            elif choice and choice != self.ref:
                self.app.open_incident(choice)

        self.app.push_screen(IncidentsDialog(self.ref, readonly=self.readonly), chosen)

    def action_export(self) -> None:
        from warroom.app.dialogs.export import ExportDialog

        self.app.push_screen(ExportDialog(self.ref, self.state))


def _phrase(timer, now: datetime) -> str:
    """``Lead summary: overdue 3m 10s``; a vacant role says so once (``Scribe vacant``)."""
    from warroom.core.timers import VACANT

    if timer.kind == VACANT:
        return f"{timer.label} (a required role)"
    return f"{timer.label}: {timer.countdown(now)}"


def _severity_labeller(profile: Profile) -> Callable[[str], str]:
    labels = {s.id: s.label for s in profile.severities}
    return lambda sev: labels.get(sev, str(sev).upper())
