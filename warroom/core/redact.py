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

Also redacted, because a public report must not carry them: e-mail addresses (``[email]``,
including ``user@localhost`` and internationalised ones) and IPv4/IPv6 addresses.

Hidden forms are found too: the text is matched once as written and once after Unicode
normalisation (NFKC, zero-width characters removed, Cyrillic and Greek lookalike letters mapped
to Latin), so ``pass\u200bword=…`` or a full-width ``ｔｏｋｅｎ=…`` is caught; the normalised
text is used only when it reveals something to redact. A token broken over a line break is
joined and caught as well.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Callable, Match

_KEY_WORDS = (r"password|passwd|passphrase|pwd|secret|token|api[_-]?key|access[_-]?key|"
              r"private[_-]?key|client[_-]?secret|auth[_-]?key|account[_-]?key|"
              r"(?<=[_\-.])pass\b")


def _label(what: str) -> str:
    return f"[redacted: {what}]"


def _keep_prefix(what: str) -> Callable[[Match[str]], str]:
    """Keep group 1 (the key, the scheme...) and replace the rest with a label."""
    return lambda m: m.group(1) + _label(what)


# Order matters: whole blocks first, then structures with a key in front of the secret, then
# bare tokens recognised by their prefix.
_RULES: tuple[tuple[re.Pattern[str], Callable[[Match[str]], str] | str], ...] = (
    # A PEM or PGP private key block; a paste cut off before its END line loses the rest too.
    (re.compile(r"(?i)-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
                r"[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|\Z)"),
     _label("private key")),
    # scheme://user:password@host: the user stays (the public report scrubs names separately).
    # The password may hold "/" (not a port followed by a path).
    (re.compile(r"(\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@]+:)(?!\d+(?:/|\s|$))[^\s@]+(?=@)"),
     _keep_prefix("password")),
    # Passwords on a command line: curl -u user:pw, sshpass -p pw, mysql -ppw, --password pw.
    (re.compile(r"((?<!\S)(?:-u|--user|--proxy-user)\s*['\"]?[^\s:'\"]+:)(?!\[redacted)[^\s'\"]+"),
     _keep_prefix("password")),
    (re.compile(r"(\bsshpass\b[^\n]*?\s-p\s*)(?!\[redacted)\S+"), _keep_prefix("password")),
    (re.compile(r"(\b(?:mysql|mysqldump|mysqladmin|mariadb|mariadb-dump)\b[^\n]*?\s-p)"
                r"(?!\[redacted)(?=\S)[^\s-]\S*"), _keep_prefix("password")),
    (re.compile(r"(?i)((?<!\S)--?[\w\-]*(?:password|passwd|pass|token|secret|api[_-]?key|"
                r"access[_-]?key|auth[_-]?key)(?:\s+|=))(?!\[redacted)(?!-)"
                r"(?:\"[^\"\n]*\"|'[^'\n]*'|\S+)"), _keep_prefix("password")),
    # Environment variables: export DB_PASS=..., PGPASSWORD=..., AWS_SECRET_ACCESS_KEY=...
    (re.compile(r"(\b[A-Z][A-Z0-9_]*(?:PASS|PWD|SECRET|TOKEN|_KEY|_CREDENTIALS?)[A-Z0-9_]*"
                r"\s*=\s*)(?!\[redacted)(?:\"[^\"\n]*\"|'[^'\n]*'|[^\s,;&\"']+)"),
     _keep_prefix("secret")),
    # Signed URLs: S3 pre-signed (X-Amz-Signature...), Azure SAS (sig=...).
    (re.compile(r"(?i)([?&](?:x-amz-signature|x-amz-credential|x-amz-security-token|sig|"
                r"signature|awsaccesskeyid|access_token|refresh_token)=)(?!\[redacted)[^&\s#\"']+"),
     _keep_prefix("signature")),
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
    (re.compile(r"\b(?:[sr]k|pk)_(?:live|test)_[0-9A-Za-z]{16,}\b|\bwhsec_[0-9A-Za-z]{24,}\b"),
     _label("Stripe key")),
    (re.compile(r"\bnpm_[A-Za-z0-9]{36}\b"), _label("npm token")),
    (re.compile(r"\bSG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}"), _label("SendGrid key")),
    (re.compile(r"\bSK[0-9a-fA-F]{32}\b"), _label("Twilio key")),
    # An AWS secret access key on its own: 40 characters of base64 mixing cases and digits
    # (a git hash is lower-case hex, a path has no such mix).
    (re.compile(r"(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]{0,39}[a-z])(?=[A-Za-z0-9/+]{0,39}[A-Z])"
                r"(?=[A-Za-z0-9/+]{0,39}[0-9])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"),
     _label("AWS secret key")),
    # Addresses (ADDRESS_RULES: the last three): e-mail (also user@localhost,
    # internationalised), IPv4, IPv6.
    (re.compile(r"(?<![\w.+%\-])[\w.+%\-]+@(?:localhost\b|(?:[\w\-]+\.)+[\w\-]{2,}\b)"),
     "[email]"),
    (re.compile(r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}"
                r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?!\w|\.\d)"), _label("IP address")),
    (re.compile(r"(?<![\w:])(?=[0-9A-Fa-f:]*::|(?:[0-9A-Fa-f]{1,4}:){7})(?=:*[0-9A-Fa-f])"
                r"(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])"), _label("IP address")),
)

# Zero-width and invisible characters someone (or a chat client) put inside a word.
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200d\u2060-\u2064\ufeff]")
# Latin lookalikes from Cyrillic and Greek (NFKC leaves these alone).
_LOOKALIKES = str.maketrans(
    "аеорсхуіѕјкмтнвАВЕКМНОРСТХУІЅЈ" "αοερτυικνΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "aeopcxyisjkmthbABEKMHOPCTXYISJ" "aoeptuiknABEZHIKMNOPTYX")
# A token broken over a line break (a narrow terminal, a chat client): joined, then judged.
_SPLIT = re.compile(r"\b(?:gh[pousr]_|github_pat_|gl(?:pat|dt|rt)-|xox[abposr]-|[sr]k_live_|"
                    r"[sr]k_test_|SG\.|npm_|AIza|AKIA|ASIA|eyJ)[A-Za-z0-9_\-.]*"
                    r"(?:[ \t]*\r?\n[ \t>]*[A-Za-z0-9_\-.]+)+")


ADDRESS_RULES = 3
"""The last rules of ``_RULES`` find addresses, not secrets (``redact(addresses=False)`` skips
them: an internal record keeps the host a command talked to)."""


def _apply(text: str, addresses: bool = True) -> str:
    for pattern, replacement in (_RULES if addresses else _RULES[:-ADDRESS_RULES]):
        text = pattern.sub(replacement, text)
    return text


def _joined(match: Match[str], addresses: bool = True) -> str:
    whole = match.group(0)
    joined = re.sub(r"\s+", "", whole.replace(">", ""))
    out = _apply(joined, addresses)
    return out if out != joined and "[redacted" in out else whole


def _normalised(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return _INVISIBLE.sub("", text).translate(_LOOKALIKES)


def redact(text: str, *, addresses: bool = True) -> str:
    """``text`` with every secret it recognises replaced by ``[redacted: WHAT]`` (addresses:
    ``[email]``, ``[redacted: IP address]``, unless not ``addresses``)."""
    def joined(m: Match[str]) -> str:
        return _joined(m, addresses)

    first = _apply(_SPLIT.sub(joined, text), addresses)
    plain = _normalised(first)
    if plain == first:
        return first
    second = _apply(_SPLIT.sub(joined, plain), addresses)
    return second if second != plain else first
