"""The store: SQL lives here and nowhere else."""

from warroom.store.store import Draft, IncidentRow, Store, resolve_url

__all__ = ["Draft", "IncidentRow", "Store", "resolve_url"]
