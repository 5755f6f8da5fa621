"""Database URLs in messages: never a password, in any form.

:func:`redact_url` masks the password in the user-info (``bob:S3CRET@``, also a password with
``/`` or ``@`` in it), every password-like query parameter (``?password=``, ``sslpassword``,
``token``...), whatever the driver (known or not: ``postgresql+psycopg2://``, ``mysql://``).
:func:`redact_secrets` removes a URL's password from any other text (a driver's error message
may quote it back). :func:`looks_like_url_without_scheme` spots ``bob:S3CRET@host/x`` so that
it is refused instead of becoming a folder named after the password.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

MASK = "***"
_QUERY_SECRET = re.compile(
    r"(?i)([?&;](?:[\w.\-]*(?:password|passwd|pwd|secret|token|key|sslpassword|auth)[\w.\-]*)=)"
    r"[^&;#\s]*")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:/{1,3}")  # one slash: a URL passed as a path
_NO_SCHEME = re.compile(r"\A[^/\s:@]+:[^\s]*@[^/\s@]+(?:[/?:]|\Z)")
_DRIVER_PACKAGES = {"psycopg": "psycopg[binary]", "psycopg2": "psycopg2-binary",
                    "pg8000": "pg8000", "asyncpg": "asyncpg", "pymysql": "PyMySQL",
                    "mysqldb": "mysqlclient", "cx_oracle": "cx_Oracle",
                    "pyodbc": "pyodbc", "oracledb": "oracledb"}


def redact_url(url: str) -> str:
    """``url`` with every password replaced by ``***``. Text that is not a URL comes back
    unchanged (a file path has no password)."""
    text = str(url)
    match = _SCHEME.match(text)
    if match:
        rest = text[match.end():]
        # The authority runs to the first "/", "?" or "#" after the last "@" (a password may
        # hold "/" or "@" itself).
        at = rest.rfind("@", 0, _authority_end(rest))
        if at >= 0:
            userinfo = rest[:at]
            user = userinfo.split(":", 1)[0]
            masked = f"{user}:{MASK}" if ":" in userinfo else user
            text = match.group(0) + masked + rest[at:]
    elif _NO_SCHEME.match(text):
        user = text.split(":", 1)[0]
        text = f"{user}:{MASK}" + text[text.rfind("@", 0, _authority_end(text)):]
    return _QUERY_SECRET.sub(lambda m: m.group(1) + MASK, text)


def _authority_end(rest: str) -> int:
    """Where the host part ends: the first "/", "?" or "#" after the last "@" before the path
    would start. Simple and conservative: the last "@" before the first "?" or "#" wins."""
    cut = len(rest)
    for sep in ("?", "#"):
        pos = rest.find(sep)
        if pos >= 0:
            cut = min(cut, pos)
    last_at = rest.rfind("@", 0, cut)
    if last_at < 0:
        return cut
    slash = rest.find("/", last_at)
    return slash if slash >= 0 else cut


def passwords(url: str) -> list[str]:
    """The secrets in ``url`` (raw and percent-decoded), to scrub from other messages."""
    found: list[str] = []
    text = str(url)
    match = _SCHEME.match(text)
    rest = text[match.end():] if match else text
    at = rest.rfind("@", 0, _authority_end(rest))
    if at >= 0 and ":" in rest[:at]:
        found.append(rest[:at].split(":", 1)[1])
    for m in _QUERY_SECRET.finditer(text):
        value = text[m.end(1):m.end()]
        if value:
            found.append(value)
    out = []
    for secret in found:
        for form in (secret, unquote(secret)):
            if len(form) >= 3 and form not in out:
                out.append(form)
    return out


def redact_secrets(message: str, url: str) -> str:
    """``message`` with the URL masked wherever it appears and its password removed."""
    text = str(message).replace(str(url), redact_url(url))
    for secret in passwords(url):
        text = text.replace(secret, MASK)
    return text


def looks_like_url_without_scheme(value: str) -> bool:
    """``bob:S3CRET@host/x``: a database URL someone forgot the scheme of."""
    return bool(_NO_SCHEME.match(str(value))) and "://" not in str(value)


def driver_package(url: str) -> str | None:
    """The package that provides a URL's driver (``postgresql+psycopg2`` → psycopg2-binary)."""
    match = re.match(r"([A-Za-z0-9]+)(?:\+([A-Za-z0-9_]+))?://", str(url))
    if not match:
        return None
    driver = (match.group(2) or {"postgresql": "psycopg2", "postgres": "psycopg2",
                                 "mysql": "mysqldb"}.get(match.group(1).lower(), "")).lower()
    return _DRIVER_PACKAGES.get(driver)


_URL_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:/{1,3}[^\s'\"]+|(?<![\w/])[^\s/:@'\"]+:[^\s'\"]*@[^\s/@'\"]+")


def redact_urls_in(text: str) -> str:
    """Every URL inside a message (argparse echoing an argument, say) with its password masked."""
    return _URL_TOKEN.sub(lambda m: redact_url(m.group(0)), str(text))
