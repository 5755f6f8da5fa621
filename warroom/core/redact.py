"""Secrets out of text that is about to be published.

People paste what is on their screen into a war room: a curl command with its Authorization
header, a connection string, a token from an error message. ``redact`` replaces each secret it
recognises with a label saying what was there (``[redacted: GitHub token]``), so the public
report still reads sensibly and a reviewer can see that something was removed.

Each pattern needs the shape of a real secret, not just a keyword, so that prose survives:
"AKIA" on its own, "the password reset page", "token bucket", a URL without credentials and
"Bearer of bad news" are left alone. An assignment (``password=...``, ``token: ...``) is the one
place a keyword is enough, because the value after it is the secret whatever it looks like.
Redacting twice changes nothing.
"""

from __future__ import annotations

import re
from typing import Callable, Match

_KEY_WORDS = (r"password|passwd|passphrase|pwd|secret|token|api[_-]?key|access[_-]?key|"
              r"private[_-]?key|client[_-]?secret|auth[_-]?key")


def _label(what: str) -> str:
    return f"[redacted: {what}]"


def _keep_prefix(what: str) -> Callable[[Match[str]], str]:
    """Keep group 1 (the key, the scheme...) and replace the rest with a label."""
    return lambda m: m.group(1) + _label(what)


# Order matters: whole blocks first, then structures with a key in front of the secret, then
# bare tokens recognised by their prefix.
_RULES: tuple[tuple[re.Pattern[str], Callable[[Match[str]], str] | str], ...] = (
    # A PEM or PGP private key block; a paste cut off before its END line loses the rest too.
    (re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
                r"[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|\Z)"),
     _label("private key")),
    # scheme://user:password@host: the user stays (the public report scrubs names separately).
    (re.compile(r"(\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@]+:)[^\s/@]+(?=@)"),
     _keep_prefix("password")),
    # Authorization / Proxy-Authorization headers, as typed in curl or copied from a browser:
    # keep the scheme word, drop the credentials up to the end of the header value.
    (re.compile(r"(?i)(\b(?:proxy-)?authori[sz]ation[\"']?\s*[:=]\s*[\"']?"
                r"(?:(?:bearer|basic|digest|token|negotiate|ntlm|aws4-hmac-sha256)\s+)?+)"
                r"(?!\[redacted)[^\s\"'][^\n\"']*"),
     _keep_prefix("credentials")),
    # "Bearer <token>" on its own (a header split over lines, a log line).
    (re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9\-._~+/]{16,}=*"), _keep_prefix("token")),
    # password=..., DB_PASSWORD: ..., "api_key": "...", token=... in a query string.
    (re.compile(r"(?i)(\b[\w.\-]*(?:" + _KEY_WORDS + r")[\w.\-]*[\"']?\s*[=:]\s*)"
                r"(?!\[redacted)(?:\"[^\"\n]*\"|'[^'\n]*'|[^\s,;&\"']+)"),
     _keep_prefix("secret")),
    (re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA)[A-Z0-9]{16}\b"),
     _label("AWS access key")),
    (re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b"),
     _label("GitHub token")),
    (re.compile(r"\bgl(?:pat|dt|rt|ptt|cbt|oas|ft|imt|agent)-[A-Za-z0-9_\-]{20,}"),
     _label("GitLab token")),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}|\bxapp-\d-[A-Za-z0-9\-]{10,}"),
     _label("Slack token")),
    (re.compile(r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_\-]+"),
     _label("Slack webhook")),
    (re.compile(r"\beyJ[A-Za-z0-9_\-]{4,}\.eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*"),
     _label("JSON web token")),
    (re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"), _label("Google API key")),
    (re.compile(r"\b[sr]k_live_[0-9A-Za-z]{16,}\b"), _label("Stripe key")),
    (re.compile(r"\bnpm_[A-Za-z0-9]{36}\b"), _label("npm token")),
)


def redact(text: str) -> str:
    """``text`` with every secret it recognises replaced by ``[redacted: WHAT]``."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text
