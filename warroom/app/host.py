"""What the war-room screen and its mixins need of the app they run in, for the type checker.

:class:`~warroom.app.app.WarroomApp` provides all of it; the screen modules import this one
(under ``TYPE_CHECKING`` only) rather than the app module, which imports the screen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import App

if TYPE_CHECKING:
    from warroom.base.clock import Clock
    from warroom.core.domain import Warroom


class HostApp(App[None]):
    clock: Clock
    user_name: str
    readonly: bool
    """The database opened as a viewer."""
    prompts: bool
    """Keep the incident's clocks (off in picture tests)."""
    checklist_after_declare: str | None
    """An incident just declared here: open its declare checklist once it has loaded."""
    error: str | None
    """Why the app is leaving (set by :meth:`fail`)."""

    def open_warroom(self) -> Warroom:
        raise NotImplementedError

    def declare(self, *, first: bool = False) -> None:
        raise NotImplementedError

    def open_incident(self, ref: str) -> None:
        raise NotImplementedError

    def fail(self, message: str) -> None:
        raise NotImplementedError
