"""The war-room screen: incident summary, role board, live timeline and update timers, all at
once, plus the hotkey entry line.

This file is the screen's layout, its panes and its actions (the hotkeys and the dialogs they
open). Its other jobs live in mixins next to it: loading, following the change feed and
presence in :mod:`warroom.app.live`; saves (busy retries, dialogs' domain calls) in
:mod:`warroom.app.saving`; the timers and the lead's summary prompt in
:mod:`warroom.app.prompting`.

The screen paints empty panes first and loads after (a worker opens the store and reads the
incident through the change feed). Every entry shown, our own included, arrives through the
feed: a save polls it at once, and a timer polls it every half second for other processes.
All writes go through the domain API in thread workers, so the screen never freezes.
"""

from __future__ import annotations

import gc
import threading
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.css.scalar import Scalar
from textual.screen import Screen
from textual.widgets import Input, Label

from warroom.app import compat
from warroom.app.bindings import KEYMAP, textual_bindings
from warroom.app.formatting import ENTRY_KINDS, MIN_COLS, MIN_ROWS, SMALL_TERMINAL, shown_zone, zone_name
from warroom.app.screens.corrections import CorrectionsMixin
from warroom.app.live import (POLL_SECONDS, PRESENCE_SECONDS, TAIL,  # noqa: F401 (re-exported)
                              LiveIncident, Outage, severity_labeller)
from warroom.app.messages import EntriesArrived, FilterChanged, IncidentLoaded, LoadFailed, TailLoaded
from warroom.app.prompting import IDLE_SECONDS, Prompting  # noqa: F401 (re-exported)
from warroom.app.saving import BUSY_RETRY_SECONDS, Operation, Saving  # noqa: F401 (re-exported)
from warroom.app.widgets.entry_line import EntryLine
from warroom.app.widgets.key_bar import KeyBar
from warroom.app.widgets.quiet import set_title
from warroom.app.widgets.role_board import RoleBoard
from warroom.app.widgets.search_bar import SearchBar
from warroom.app.widgets.summary import SummaryPane
from warroom.app.widgets.timeline import Timeline
from warroom.app.widgets.timers import TimersPane

if TYPE_CHECKING:
    from textual.binding import BindingType

    from warroom.app.host import HostApp
    from warroom.core.profiles import Profile
    from warroom.core.results import Feed
    from warroom.core.state import IncidentState

SUMMARY_MIN, SUMMARY_NARROW = 34, 34
ROLES_MAX, TIMERS_MAX = 44, 40

READ_ONLY = "read-only: this database cannot be written; viewing only"
WATCHING = "watching: read only (warroom open --watch); this screen writes nothing"
WRITE_ACTIONS = {k.action.split("(")[0] for k in KEYMAP if k.writes}
TOAST_ROOM = 8
"""Rows a notification or two take over the timeline."""
HOTKEY_ACTIONS = {k.action.split("(")[0] for k in KEYMAP}


class WarRoomScreen(CorrectionsMixin, LiveIncident, Outage, Saving, Prompting, Screen[None]):
    AUTO_FOCUS = "#timeline"
    BINDINGS: ClassVar[list[BindingType]] = [*textual_bindings()]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (96, "-medium"), (120, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (36, "-tall")]

    if TYPE_CHECKING:
        app: HostApp

    def __init__(self, ref: str | None) -> None:
        super().__init__()
        self.ref = ref
        self.state: IncidentState | None = None
        self.profile: Profile | None = None
        self.feed: Feed | None = None
        self.readonly = False
        self.alias = ""
        self.utc = False
        self._following = False
        self._pull_lock = threading.Lock()
        self._stopping = threading.Event()
        """Set when the screen goes: workers stop, and a retry's pause ends at once."""
        self._early: list = []
        self.scheduler = None  # TimerScheduler, once the incident is loaded
        self._prompt_due: str | None = None
        """A summary prompt that fell due while the person was busy (typing, in a dialog)."""
        self.here: list[str] = []
        self._pending: dict = {}
        """Entries kept in the local outbox, by uid, until the feed brings them (warroom.app.live)."""
        self._outage_since: float | None = None
        self._held_saves = []
        """Saves made before the hash chain was checked (warroom.app.saving)."""
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
        yield Label(Content(""), id="size-notice")
        yield KeyBar()

    def on_mount(self) -> None:
        compat.narrow_partial_frames(self)  # a countdown's frame renders its pane's rows alone
        # The hidden lines start hidden in the stylesheet and the timeline has the focus from
        # AUTO_FOCUS: each style change here would restyle the screen before the first frame.
        self.timeline.border_title = "Timeline"
        self.watch(self.timeline, "virtual_size", self._toasts_for_short_log, init=False)
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
    def on_load_failed(self, message: LoadFailed) -> None:
        self.app.fail(message.message)

    def on_tail_loaded(self, message: TailLoaded) -> None:
        self.ref, self.profile, self.readonly = message.ref, message.profile, message.readonly
        self.alias = message.alias
        self.timeline.severity_label = severity_labeller(self.profile)
        self.timeline.set_entries(message.entries, message.texts)
        self.app.sub_title = message.ref
        if self.readonly:
            self.show_status(WATCHING if getattr(self.app, "watch_only", False) else READ_ONLY,
                             error=False)
        self.query_one(SummaryPane).show_loading(message.ref, self.readonly)
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
        at_bottom = bool(tl.max_scroll_y) and tl.scroll_y >= tl.max_scroll_y
        if tries <= 0 or at_bottom or tl.size.height >= tl.virtual_size.height:
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
        self.set_interval(1, self._tick)
        self.set_interval(PRESENCE_SECONDS, self._presence_tick)
        if getattr(self.app, "checklist_after_declare", None) == self.ref:
            self.app.checklist_after_declare = None
            self.call_after_refresh(self.action_checklist)
        self._start_following()
        self._start_clocks()
        self._check_chain()
        # A big incident is a big heap of long-lived objects (50,000 entries: a full collection
        # takes tens of milliseconds, and it could fall on an Enter). The cyclic collector
        # leaves what is loaded now alone; leaving the screen hands it back.
        gc.freeze()

    # ------------------------------------------------------------------ the feed
    def _apply(self, entries: list) -> None:
        if self.state is None:  # still reading the older entries: hold these until then
            self._early.extend(entries)
            return
        for entry in entries:
            self.state.apply(entry)
        self.timeline.add(entries)
        if self._pending:
            self._arrived({e.uid for e in entries})
        self.refresh_panes()
        self._replan()
        self._say_off_role_changes(entries)
        self.post_message(EntriesArrived(entries))

    def _say_off_role_changes(self, entries: list) -> None:
        """A change logged by someone other than the one role that changes production (GOV.UK
        PaaS: "only the incident lead can do this") is said at once, in full, to everyone
        watching; the role board keeps the latest in view."""
        if self.profile is None or self.state is None or not any(e.kind == "change" for e in entries):
            return
        from warroom.core.rules import changes_by_others

        fresh = {e.seq for e in entries}
        for found in changes_by_others(self.profile, self.state):
            if found.entry.seq in fresh:
                self.app.notify(found.text, title="Process", severity="warning", markup=False)

    def on_entries_arrived(self, message: EntriesArrived) -> None:
        """Announced for dialogs that show live lists (follow-ups) and for tests."""
        for screen in self.app.screen_stack:
            refresh = getattr(screen, "entries_arrived", None)
            if refresh is not None and screen is not self:
                refresh(message.entries)

    # ------------------------------------------------------------------ panes
    def refresh_panes(self) -> None:
        if self.state is None or self.profile is None:
            return
        now = self.now()
        self.refresh_summary(now)
        self.refresh_roles(now)
        stopped = "" if self.state.is_open else f"incident {self.state.status}"
        self.query_one(TimersPane).show(self.timers(), now, stopped=stopped,
                                        after=self._post_incident_steps())
        self._title_timeline()
        self._fit_top()

    def refresh_summary(self, now: datetime) -> None:
        assert self.state is not None and self.profile is not None
        self.query_one(SummaryPane).show(self.state, self.profile, now, utc=self.utc,
                                         readonly=self.readonly, alias=self.alias)

    def refresh_roles(self, now: datetime) -> None:
        from warroom.core.domain import role_warnings

        assert self.state is not None and self.profile is not None
        self.query_one(RoleBoard).show(self.state, self.profile, now,
                                       role_warnings(self.state, self.profile, now), self.here)

    def on_resize(self) -> None:
        self._fit_top()
        self._toasts_for_short_log()

    def _toasts_for_short_log(self, *_: object) -> None:
        """Toasts sit over the timeline's oldest rows, at its top. While the log is shorter
        than its pane its newest rows are up there too: then they sit at its foot, below
        the last row, where nothing is written yet (a small terminal has its own place for
        them: :meth:`_place_toasts`)."""
        timeline = self.timeline
        room = timeline.scrollable_content_region.height
        self.set_class(bool(room) and not self.has_class("-small")
                       and timeline.virtual_size.height + TOAST_ROOM <= room, "-short-log")

    def _fit_top(self) -> None:
        """Give the top panes the room they need: the role board and the timers as wide as
        their rows (names in full, else as ids; labels in full, else short), the summary the
        rest. Below 80 columns the role board gives way and a notice asks for a larger
        terminal, rather than every pane losing its values."""
        width, height = self.size
        if not width:
            return
        roles, timers = self.query_one(RoleBoard), self.query_one(TimersPane)
        narrow = width < MIN_COLS
        roles.display = not narrow
        least = SUMMARY_NARROW if narrow else SUMMARY_MIN
        timer_widths = [timers.natural_width(), timers.natural_width(short=True)]
        role_widths = [0] if narrow else [roles.natural_width(), roles.natural_width(short=True)]
        chosen = None
        for t in timer_widths:
            for r in role_widths:
                if width - min(r, ROLES_MAX) - min(t, TIMERS_MAX) >= least:
                    chosen = (min(r, ROLES_MAX), min(t, TIMERS_MAX))
                    break
            if chosen:
                break
        if chosen is None:  # shortest of each, the summary keeps what is left
            chosen = (min(role_widths[-1], ROLES_MAX), min(timer_widths[-1], TIMERS_MAX))
        r, t = chosen
        if not narrow and roles.styles.width != Scalar.from_number(r):
            roles.styles.width = r
        if timers.styles.width != Scalar.from_number(t):
            timers.styles.width = t
        notice = self.query_one("#size-notice", Label)
        small = narrow or height < MIN_ROWS
        if small:
            hidden = ": roles hidden" if narrow else ""
            notice.update(Content(SMALL_TERMINAL.replace(" ·", f"{hidden} ·", 1)))
        notice.display = small
        self._place_toasts(small, width - (0 if narrow else r) - t)

    def _place_toasts(self, small: bool, room: int) -> None:
        """On a small terminal the timeline has no rows to spare: toasts go over the summary
        pane (``room`` columns, clear of the timers, and of everything below the top panes:
        war_room.tcss); warnings and errors are on the status line as well."""
        self.set_class(small, "-small")
        for rack in compat.toast_racks(self):
            if not small:
                if rack.styles.inline.has_rule("width"):
                    rack.styles.inline.clear_rule("width")
                    rack.refresh(layout=True)
            elif rack.styles.width != Scalar.from_number(room):
                rack.styles.width = room

    def _title_timeline(self) -> None:
        tl = self.timeline
        count = tl.entry_count
        title = f"Timeline · {count} {'entry' if count == 1 else 'entries'}"
        if tl.filtered:
            title = f"Timeline · {tl.shown_count} of {count} shown (filtered)"
        title += f" · times in {zone_name(self.utc, self.now())}"
        set_title(tl, title)  # unchanged: no repaint of the whole timeline on a tick

    def show_status(self, message: str, *, error: bool = True) -> None:
        line = self.query_one("#status-line", Label)
        line.update(Content(" ".join(message.split())))
        line.set_class(error, "-error")
        line.display = bool(message)

    def clear_status(self) -> None:
        if self.chain_problem is not None:  # the banner stays while the screen is open
            self.show_status(f"warning: {self.ref}'s hash chain does not verify: "
                             f"{self.chain_problem}")
        elif self.readonly:
            self.show_status(WATCHING if getattr(self.app, "watch_only", False) else READ_ONLY,
                             error=False)
        else:
            self.show_status("")

    # ------------------------------------------------------------------ actions
    def typing(self) -> bool:
        """A text field has focus: the hotkeys are letters again."""
        return isinstance(self.focused, Input)

    def typing_hints(self) -> list[tuple[str, str]]:
        """What the footer shows instead of the hotkeys while a text field has focus."""
        if not self.typing():
            return []
        if self.entry_line.display and self.focused is self.entry_line.input:
            return [("Enter", "save"), ("Esc", "close"), ("Tab Alt+ndarc", "kind"), ("↑", "last text"),
                    ("@name", "owner")]
        return [("Enter", "keep filter"), ("Esc", "clear"), ("Tab", "kind filter")]

    def on_descendant_focus(self) -> None:
        self.query_one(KeyBar).refresh()

    def on_descendant_blur(self) -> None:
        self.query_one(KeyBar).refresh()

    def opening(self) -> bool:
        """Still opening the incident (q quits at once, whatever the keys wait for)."""
        return self.state is None and not self._gone

    def holds_keys(self) -> bool:
        """Keys typed while the incident is still loading wait for it (warroom.app.keyflow): a
        hotkey is not refused and lost because the screen was not ready yet."""
        return self.state is None and not self._gone and self.app.error is None

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
        assert state is not None and profile is not None  # the action waits for the load
        since = self.timeline.entries_since(state.last_summary_seq)
        draft = summary_draft(state, since, profile=profile, zone=shown_zone(self.utc))
        timer = find(self.timers(), SUMMARY)
        self.app.push_screen(SummaryPrompt(
            self.perform, state, draft=draft, prompted=prompted,
            due=timer is not None and timer.alerting, utc=self.utc, now=self.now,
            lateness=lambda: summary_lateness(profile, state, self.now())))

    def action_status_update(self) -> None:
        from warroom.app.dialogs.status_update import StatusUpdateDialog

        self.app.push_screen(StatusUpdateDialog(self.perform, self.state, self.profile, self.now()))

    def action_public(self) -> None:
        from warroom.app.dialogs.public import PublicDialog
        from warroom.core.public import public_draft

        state = self.state
        assert state is not None  # the action waits for the load
        updates = [(e.occurred.strftime("%H:%M UTC"), e.text)
                   for e in self.timeline.entries_since(0) if e.kind == "comms"]
        self.app.push_screen(PublicDialog(self.perform, public_draft(state, updates),
                                          drafted=state.public is None))

    def action_handover(self) -> None:
        from warroom.app.dialogs.handover import HandoverDialog
        from warroom.core.people import known_people

        assert self.state is not None  # the action waits for the load
        people = known_people(self.state, self.app.user_name)
        self.app.push_screen(HandoverDialog(self.perform, self.state, self.profile, people))

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

        assert self.ref is not None  # the action waits for the load
        self.app.push_screen(ExportDialog(self.ref, self.state))

    # ------------------------------------------------------------------ the process (issue 13)
    def action_escalate(self) -> None:
        from warroom.app.dialogs.process import EscalationDialog

        self.app.push_screen(EscalationDialog(self.perform, self.state, self.profile))

    def action_ticket(self) -> None:
        from warroom.app.dialogs.process import TicketDialog

        self.app.push_screen(TicketDialog(self.perform, self.state, self.profile))

    def action_facts(self, field: str = "") -> None:
        """The facts dialog (``field="started"``: on when impact started)."""
        from warroom.app.dialogs.process import FactsDialog

        self.app.push_screen(FactsDialog(self.perform, self.state, self.profile,
                                         notify=self._facts_changed, utc=self.utc,
                                         focus=field, now=self.now()))

    def _facts_changed(self, result) -> None:
        """What the process asks for now the facts changed: the security steps, a role."""
        lines = [f"• {step}" for step in result.security_steps]
        lines += [f"• {name} is required now: the incident affects customers"
                  for name in result.roles_now_required]
        if lines:
            title = "Security incident: do now" if result.security_steps else "Process"
            self.notify("\n".join(lines), title=title, severity="warning", timeout=60,
                        markup=False)

    def action_checklist(self) -> None:
        from warroom.app.dialogs.process import ChecklistDialog

        if self.state is None or self.profile is None:
            return
        name = "declare" if self.state.is_open else "post_incident"
        self.app.push_screen(ChecklistDialog(self.perform, self.state, self.profile, name))

    def action_answer_timer(self) -> None:
        from warroom.app.dialogs.process import TimersDialog

        self.app.push_screen(TimersDialog(self.perform, self.timers(), self.now, self._do_timer))

    def _do_timer(self, timer) -> bool:
        """Open what satisfies a timer (the "do it now" answer). False: nothing to open."""
        openers = {"summary": self.action_summary, "status_update": self.action_status_update,
                   "escalation": self.action_escalate, "response": self.action_handover,
                   "rotation": self.action_handover, "vacant": self.action_handover,
                   "review": self.action_checklist}
        opener = openers.get(timer.kind)
        if opener is None:
            return False
        self.call_after_refresh(opener)
        return True

    def _post_incident_steps(self) -> list[str]:
        if self.state is None or self.profile is None or self.state.is_open:
            return []
        steps = self.profile.checklists.get("post_incident", ())
        return self.state.checklist_open("post_incident", steps)

