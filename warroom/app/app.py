"""The app: wires the screens to one Warroom (the domain API) and owns the clock and themes."""

from __future__ import annotations

import threading
from functools import partial
from typing import TYPE_CHECKING, Any, Iterable

from textual import events
from textual.app import App, SystemCommand
from textual.screen import Screen

from warroom.app import compat
from warroom.app.bindings import KEYMAP, display_key
from warroom.app.screens.war_room import WarRoomScreen
from warroom.app.themes import DEFAULT_THEME, ThemeError, ThemeSet, load_themes, save_theme, saved_theme
from warroom.base.clock import Clock, SystemClock

if TYPE_CHECKING:
    from warroom.core.domain import Warroom


class WarroomApp(App[None]):
    # The first frame's stylesheets, parsed once at start: a screen with its own CSS_PATH makes
    # Textual re-parse every stylesheet when it is first pushed. The dialogs and the declare
    # screen bring theirs as DEFAULT_CSS, parsed (alone) when they first open.
    CSS_PATH = ["app.tcss", "screens/war_room.tcss"]
    TITLE = "warroom"

    def __init__(self, *, db: str, user: str | None = None, ref: str | None = None,
                 theme: str | None = None, clock: Clock | None = None,
                 themes: ThemeSet | None = None, prompts: bool = True,
                 busy_timeout_ms: int | None = None, watch: bool = False) -> None:
        super().__init__()
        self.watch_only = watch
        """Read only (``warroom open --watch``): never writes, not even presence."""
        self.busy_timeout_ms = busy_timeout_ms
        """How long a save waits for another process's write lock before it says so."""
        self.prompts = prompts
        """Keep the incident's clocks: prompt the lead, notify due timers (off in picture tests,
        whose frozen clock would have every timer of the sample due at once)."""
        self.db, self.user, self.start_ref = db, user, ref
        self.clock: Clock = clock or SystemClock()
        self.error: str | None = None
        self.readonly = False
        self.user_name = user or ""
        self.checklist_after_declare: str | None = None
        """A reference just declared here: its war room opens with the declare checklist."""
        self._warroom: Warroom | None = None
        self._open_lock = threading.Lock()
        self.theme_set = themes if themes is not None else load_themes()
        for item in self.theme_set.themes.values():
            self.register_theme(item)
        wanted = theme or saved_theme() or DEFAULT_THEME
        if wanted not in self.available_themes:
            if theme:
                known = ", ".join(sorted(self.theme_set.themes))
                raise ThemeError(f"unknown theme {theme!r} (choose from: {known}; or add "
                                 f"NAME.toml to the config folder's themes/)")
            wanted = DEFAULT_THEME if DEFAULT_THEME in self.available_themes else "textual-dark"
        before = self.theme
        self.theme = wanted
        # Setting the theme queues a refresh_css, which re-parses every stylesheet; nothing has
        # been parsed yet, so the first parse may as well use this theme's variables, and the
        # queued re-parse (which the first frame would wait for) is skipped.
        self._skip_css_refresh = self.theme != before
        if self._skip_css_refresh:
            compat.set_css_variables(self, self.get_css_variables())
        self._remember_theme = theme is not None
        from warroom.app.keyflow import KeyFlow

        self.keyflow = KeyFlow(self, super().on_event)
        self._drafts: Any = None

    async def on_event(self, event: events.Event) -> None:
        # Keys and pastes from the terminal go one at a time, each once the screen has settled
        # from the one before (warroom.app.keyflow): typed-ahead keys land where they were meant.
        if isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded:
            await self.keyflow.receive(event)
            return
        await super().on_event(event)

    def drafts(self):
        """The person's drafts on this database (warroom.core.drafts), once we know who they are."""
        if self._drafts is None and self.user_name:
            from warroom.core.drafts import Drafts
            from warroom.locations import data_dir

            self._drafts = Drafts(data_dir() / "drafts", self.db, self.user_name)
        return self._drafts

    def get_default_screen(self) -> Screen:
        # The war room is the app's first screen (not pushed over an empty default one, which
        # would be composed and styled for nothing before the first frame). No screen may have
        # a CSS_PATH or CSS of its own: switching away from the only screen would then re-style
        # the app with an empty screen stack.
        screen = WarRoomScreen(self.start_ref)
        # What push_screen gives a screen, so that switch_screen can replace this one too.
        compat.adopt_default_screen(screen, self)
        return screen

    def _display(self, screen: Screen, renderable: Any) -> None:
        """Each frame on its way to the terminal: a partial one writes only the cells that
        changed (a countdown's digits, not the row from its pane's border: compat.tighten)."""
        super()._display(screen, compat.tighten(renderable))

    # ------------------------------------------------------------------ notifications
    def notify(self, message: str, *, title: str = "", severity: Any = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """A toast, and for warnings and errors the same words on the war room's status line,
        where they stay readable after the toast goes."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)
        if severity in ("warning", "error"):
            room = self._war_room()
            if room is not None:
                text = " ".join(message.split())
                room.show_status(f"{title}: {text}" if title else text, error=severity == "error")

    def _war_room(self) -> WarRoomScreen | None:
        return next((s for s in reversed(self.screen_stack) if isinstance(s, WarRoomScreen)), None)

    def _refresh_notifications(self) -> None:
        """Toasts are shown on the war room, under any dialog open over it: a dialog's box
        covers them, so they never sit over its fields or hints (the war room places them
        clear of the newest rows and the entry line: see war_room.tcss)."""
        screen = self.screen if self.screen_stack else None
        room = self._war_room()
        if room is None or screen is None or not screen.is_modal:
            super()._refresh_notifications()
            return
        for rack in compat.toast_racks(room):
            self.call_later(rack.show, compat.notifications(self))
        for rack in compat.toast_racks(screen):  # anything the dialog showed goes
            self.call_later(rack.show, [])

    def on_mount(self) -> None:
        for problem in self.theme_set.problems:
            self.notify(problem, title="theme skipped", severity="warning", markup=False)
        if self._remember_theme:
            self._save_theme(self.theme)
        self._remember_theme = True

    def refresh_css(self, animate: bool = True) -> None:
        if self._skip_css_refresh:
            self._skip_css_refresh = False
            return
        super().refresh_css(animate)

    def watch_theme(self, name: str) -> None:
        if getattr(self, "_remember_theme", False):  # not while __init__ sets the first one
            self._save_theme(name)

    def _save_theme(self, name: str) -> None:
        try:
            save_theme(name)
        except ThemeError as exc:
            self.notify(str(exc), severity="warning", markup=False)

    # ------------------------------------------------------------------ the domain
    def open_warroom(self) -> Warroom:
        """Open the store once (blocking: call from a worker). A read-only database opens in
        the viewer mode instead of failing."""
        with self._open_lock:
            if self._warroom is None:
                from warroom.core.domain import Warroom

                self._warroom = Warroom.open(self.db, user=self.user,
                                             readonly=True if self.watch_only else None,
                                             clock=self.clock,
                                             busy_timeout_ms=self.busy_timeout_ms,
                                             queue=not self.watch_only)
                self.readonly = self._warroom.readonly
            return self._warroom

    def close_store(self) -> None:
        # Never wait for an opening in progress (a server that does not answer): it ends by
        # its own timeout, in a worker the process does not wait for.
        if not self._open_lock.acquire(timeout=0.5):
            return
        try:
            if self._warroom is not None:
                if not self.readonly and self._warroom.unreachable_since is None:
                    from warroom.base.errors import WarroomError

                    try:
                        self._warroom.leave()  # others see us gone at once, not in 30 s
                    except WarroomError:
                        pass
                self._warroom.close()
                self._warroom = None
        finally:
            self._open_lock.release()

    def action_help_quit(self) -> None:
        """Ctrl+C quits (every entry is already saved, or kept in the outbox)."""
        self.exit()

    def fail(self, message: str) -> None:
        """Leave with a one-line error (the command line prints it on stderr, exit 1)."""
        self.error = message
        self.exit(return_code=1)

    # ------------------------------------------------------------------ screens
    def open_incident(self, ref: str) -> None:
        self.switch_screen(WarRoomScreen(ref))

    def declare(self, *, first: bool = False) -> None:
        from warroom.app.screens.declare import DeclareScreen

        if first:
            self.switch_screen(DeclareScreen(first=True))
        else:
            self.push_screen(DeclareScreen(first=False))

    # ------------------------------------------------------------------ command palette
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Every key of the key map is also a command (the same table the footer reads)."""
        if isinstance(screen, WarRoomScreen):
            for item in KEYMAP:
                if item.action == "quit":
                    continue
                if screen.check_action(item.action.split("(")[0], ()) is not True:
                    continue
                yield SystemCommand(f"{item.description} ({display_key(item.key)})",
                                    item.label.capitalize(), partial(screen.run_action, item.action))
                if item.action == "facts":  # the impact window, on its field (SPEC: g)
                    yield SystemCommand("Impact started at… (g, opened on that field)", "Impact started",
                                        partial(screen.run_action, "facts('started')"))
        yield from super().get_system_commands(screen)
