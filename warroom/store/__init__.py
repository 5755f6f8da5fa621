"""The store: SQL lives here and nowhere else."""

from warroom.store.store import Draft, IncidentRow, Presence, Store, resolve_url

__all__ = ["Draft", "IncidentRow", "Presence", "Store", "resolve_url"]
