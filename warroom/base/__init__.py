"""The bottom layer every other part of warroom stands on, importing nothing of warroom above it.

- ``errors``: the one exception family (a one-line message and an exit code each).
- ``clock``: injected clocks and the canonical stored time format.
- ``model``: the entry record, the kinds, the draft the store numbers and chains.
- ``chain``: the hash chain (genesis and the hash of one entry on the one before).
- ``files``: private files (0600, atomic, fsynced) and folders.
"""
