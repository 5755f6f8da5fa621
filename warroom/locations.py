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

