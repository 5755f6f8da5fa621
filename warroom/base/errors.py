"""One exception family. The command line turns each into one line on stderr and an exit code."""


class WarroomError(Exception):
    """A problem a user can act on. ``str(err)`` is the one-line message."""

    exit_code = 1


class UsageError(WarroomError):
    """The command was called wrongly (exit 2)."""

    exit_code = 2


class ValidationError(WarroomError):
    """Input refused by the domain: unknown severity, empty text, and so on."""


class NotFound(WarroomError):
    """An unknown incident reference, entry number, profile or theme."""


class ProfileError(WarroomError):
    """A process profile file is invalid. The message names the file, the key and the problem."""


class StoreError(WarroomError):
    """The database cannot be used: corrupt, not a database, newer schema, read-only..."""


class ReadOnlyStore(StoreError):
    """The database (or its folder) cannot be written. The app can still show it."""


class StoreBusy(StoreError):
    """Another process held the write lock longer than the busy timeout. Retry with the same uid."""


class StoreFull(StoreError):
    """The disk (or the database's page limit) is full. Retry with the same uid once room is made."""


class StoreAtCapacity(StoreBusy):
    """The database server (or the pooler in front of it) has no connection free: too many
    clients, a role's CONNECTION LIMIT, a pooler's queue timeout. Nothing was written; retry
    with the same uid once a connection frees up."""

    cause: str = ""
    """The server's or pooler's own words, and which database."""


class StoreUnreachable(StoreError):
    """The team database cannot be reached: refused, timed out, gone mid-call, shutting down or
    starting up. Nothing was written (or, for a commit cut off, the uid tells on retry)."""

    cause: str = ""
    """The cause in a few words ("connection refused", "no answer within 15 s")."""


class EntryQueued(WarroomError):
    """Not an error: the team database could not take the entry, so it was kept in the local
    outbox (durably) and will be delivered once, in order, when the database is back.
    ``str()`` is the one-line note for the person."""

    exit_code = 0

    def __init__(self, message: str, *, uid: str, ref: str, waiting: int, draft: object = None,
                 since: float | None = None) -> None:
        super().__init__(message)
        self.uid, self.ref, self.waiting, self.draft, self.since = uid, ref, waiting, draft, since
