"""Text for publication: secrets redacted, e-mail addresses and people's names replaced."""

from __future__ import annotations

import re
from typing import Iterable

from warroom.core.redact import redact

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
_ANY_MENTION = re.compile(r"(?<![\w@\]])@[A-Za-z0-9][\w.\-]*")  # not a redacted URL's "]@host"


class Scrubber:
    """Text for publication: secrets redacted, then e-mail addresses and people's names."""

    def __init__(self, names: Iterable[str]) -> None:
        known = sorted({n for n in names if len(n.strip()) >= 2}, key=lambda n: (-len(n), n))
        self.names = (re.compile(r"(?<![\w@])@?(?:" + "|".join(re.escape(n) for n in known)
                                 + r")(?!\w)", re.IGNORECASE) if known else None)

    def __call__(self, text: str) -> str:
        text = _EMAIL.sub("[email]", redact(text))
        if self.names is not None:
            text = self.names.sub("[name]", text)
        return _ANY_MENTION.sub("[name]", text)
