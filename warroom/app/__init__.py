"""The Textual app. ``run()`` is what the command line calls.

Nothing here imports the database layer at import time: the screen paints first and the store
(SQLAlchemy costs most of the start-up budget) is opened by a worker after.
"""

from __future__ import annotations

import sys


def run(*, db: str, user: str | None = None, ref: str | None = None,
        theme: str | None = None, watch: bool = False) -> int:
    """Open the war room on ``db``; ``ref=None`` opens the most recent open incident (or the
    declare screen). ``watch``: read only. Returns the exit code; errors are one line on
    stderr."""
    from warroom.app.app import WarroomApp
    from warroom.app.compat_input import install
    from warroom.app.themes import ThemeError

    install()  # Esc+letter bursts and pastes read as typed (see warroom.app.compat_input)

    try:
        app = WarroomApp(db=db, user=user, ref=ref, theme=theme, watch=watch)
    except ThemeError as exc:
        print(f"warroom: {exc}", file=sys.stderr)
        return exc.exit_code
    try:
        app.run()
    finally:
        app.close_store()
    if app.error:
        print(f"warroom: {' '.join(app.error.split())}", file=sys.stderr)
        return 1
    return app.return_code or 0
