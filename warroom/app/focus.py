"""Handing focus back when a bar or line closes: to the screen's main pane where it has one
(the war room's timeline), else to nothing, so the screen's hotkeys work again."""

from __future__ import annotations

from textual.screen import Screen


def focus_main(screen: Screen) -> None:
    back = getattr(screen, "focus_main", None)
    if callable(back):
        back()
    else:
        screen.set_focus(None)
