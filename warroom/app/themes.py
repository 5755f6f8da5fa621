"""Themes are TOML files a user can copy and edit (``themes/`` shipped, plus the config
folder's ``themes/``), loaded into Textual's :class:`~textual.theme.Theme`.

A bad file is reported as ``FILE: KEY: PROBLEM`` and skipped, so one typo never stops the app.
The chosen theme is remembered in the config folder's ``settings.toml``.
"""

from __future__ import annotations

import json
import os
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from textual.color import Color, ColorParseError
from textual.theme import Theme

from warroom.base.files import make_private_dirs
from warroom.base.errors import WarroomError
from warroom.locations import builtin_themes_dir, config_dir, user_themes_dir

DEFAULT_THEME = "dark"
_COLOURS = ("primary", "secondary", "warning", "error", "success", "accent", "foreground",
            "background", "surface", "panel", "boost")
_NUMBERS = ("luminosity_spread", "text_alpha")
_ALLOWED = {"name", "dark", "variables", *_COLOURS, *_NUMBERS}


class ThemeError(WarroomError):
    """A theme file is invalid, or an unknown theme was asked for."""


@dataclass
class ThemeSet:
    themes: dict[str, Theme] = field(default_factory=dict)
    sources: dict[str, Path] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def parse_theme(path: Path, text: str) -> Theme:
    def fail(key: str, problem: str) -> ThemeError:
        return ThemeError(f"theme {path}: {key}: {problem}")

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ThemeError(f"theme {path}: not valid TOML: {exc}") from None
    for key in data:
        if key not in _ALLOWED:
            raise fail(key, f"unknown key (expected one of: {', '.join(sorted(_ALLOWED))})")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise fail("name", "is required (a string)")
    if "primary" not in data:
        raise fail("primary", "is required")
    kwargs: dict = {"name": name.strip()}
    for key in _COLOURS:
        if key in data:
            value = data[key]
            if not isinstance(value, str):
                raise fail(key, "must be a colour string like \"#4C9BE8\"")
            try:
                Color.parse(value)
            except ColorParseError:
                raise fail(key, f"{value!r} is not a colour") from None
            kwargs[key] = value
    for key in _NUMBERS:
        if key in data:
            if not isinstance(data[key], (int, float)) or isinstance(data[key], bool):
                raise fail(key, "must be a number")
            kwargs[key] = float(data[key])
    dark = data.get("dark", True)
    if not isinstance(dark, bool):
        raise fail("dark", "must be true or false")
    variables = data.get("variables", {})
    if not isinstance(variables, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in variables.items()):
        raise fail("variables", "must be a table of name = \"value\" strings")
    variables = dict(variables)
    if "border-blurred" not in variables and "background" in kwargs and "foreground" in kwargs:
        # Textual's default edge is the background darkened a shade: invisible on a 16-colour
        # terminal (black on black) and under NO_COLOR. Halfway to the text reads everywhere.
        back = Color.parse(kwargs["background"])
        variables["border-blurred"] = back.blend(Color.parse(kwargs["foreground"]), 0.45).hex
    return Theme(dark=dark, variables=variables, **kwargs)


def load_themes(folders: list[Path] | None = None) -> ThemeSet:
    """Shipped themes, then the user's (a user file with a shipped name overrides it)."""
    found = ThemeSet()
    for folder in folders if folders is not None else [builtin_themes_dir(), user_themes_dir()]:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                theme = parse_theme(path, path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError) as exc:
                found.problems.append(f"theme {path}: cannot be read: {exc}")
                continue
            except ThemeError as exc:
                found.problems.append(str(exc))
                continue
            found.themes[theme.name] = theme
            found.sources[theme.name] = path
    return found


def settings_path() -> Path:
    return config_dir() / "settings.toml"


def saved_theme() -> str | None:
    try:
        data = tomllib.loads(settings_path().read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    value = data.get("theme")
    return value if isinstance(value, str) else None


def save_theme(name: str) -> None:
    """Remember the theme (atomic write, owner-only: the config folder is personal)."""
    path = settings_path()
    try:
        make_private_dirs(path.parent)  # 0700, parents too, whatever the umask
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".settings.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(f"# warroom settings (written by the app)\ntheme = {json.dumps(name)}\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError as exc:
        raise ThemeError(f"{path}: cannot save the theme choice ({exc.strerror})") from None
