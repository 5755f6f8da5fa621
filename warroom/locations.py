"""The one place that knows where data, config, profiles, themes and sample data live."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

_PACKAGE = Path(__file__).resolve().parent
_SOURCE_ROOT = _PACKAGE.parent


def data_dir() -> Path:
    """The user data folder (holds the default database). Created 0700 by the store, not here."""
    override = os.environ.get("WARROOM_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir("warroom"))


def config_dir() -> Path:
    override = os.environ.get("WARROOM_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir("warroom"))


def default_db_path() -> Path:
    return data_dir() / "warroom.db"


def user_profiles_dir() -> Path:
    return config_dir() / "profiles"


def user_themes_dir() -> Path:
    return config_dir() / "themes"


def user_templates_dir() -> Path:
    return config_dir() / "templates"


def _shipped(name: str) -> Path:
    """A folder shipped with warroom: inside the wheel (``warroom/_data``) or, from a source
    checkout, at the top of the repository."""
    installed = _PACKAGE / "_data" / name
    return installed if installed.is_dir() else _SOURCE_ROOT / name


def builtin_themes_dir() -> Path:
    return _shipped("themes")


def sample_data_dir() -> Path:
    return _shipped("sample_data")


def builtin_profiles_dir() -> Path:
    return _PACKAGE / "profiles"


def ensure_private_dir(folder: Path) -> Path:
    """Create ``folder`` (and its missing parents, such as ~/.config or ~/.local/share) 0700
    whatever the umask, so another user cannot plant profiles, templates or a database."""
    from warroom.base.files import make_private_dirs

    make_private_dirs(folder)
    return folder


def exposed_folders(*extra: Path) -> list[Path]:
    """The config and data folders (and ``extra``) that exist and other users could write."""
    from warroom.base.files import exposed

    seen: list[Path] = []
    for folder in (config_dir(), user_profiles_dir(), user_templates_dir(), data_dir(), *extra):
        if folder not in seen and exposed(folder):
            seen.append(folder)
    return seen


def exposure_warnings(*extra: Path) -> list[str]:
    """One line per folder another user could write (someone could plant files in it)."""
    return [f"warning: {folder} is writable by other users; anyone could plant files there "
            f"(chmod 700 {folder})" for folder in exposed_folders(*extra)]
