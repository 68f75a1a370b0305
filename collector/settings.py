"""Deployment settings: declared once here, read from ``settings.toml`` in the data dir.

An unknown setting is a start-up error, so a typo never silently changes nothing.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SETTINGS_FILE = "settings.toml"


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str


SETTINGS = (
    Setting("hub_name", "", "Name shown at the top of every page; empty for the translated default."),
    Setting("default_locale", "en", "Interface language when the browser asks for none we have."),
    Setting("pin_attempts", 5, "Wrong PINs in a row before an enumerator account is locked."),
    Setting("lockout_minutes", 15, "How long a locked enumerator account stays locked."),
    Setting("session_hours", 12, "How long an enumerator stays signed in without activity."),
    Setting("feedback_rate_limit", "10 per minute;60 per hour",
            "How many feedback messages one phone may send (Flask-Limiter syntax)."),
    Setting("signin_rate_limit", "20 per minute", "Sign-in attempts allowed per phone."),
    Setting("purge_after_days", 30,
            "Days after a record is synced before its identifying fields are removed."),
    Setting("referral_contacts", [],
            "Where people can get help, shown after a discrimination report: a list of tables "
            "with name, description, phone and hours."),
)

DEFAULTS = {s.name: s.default for s in SETTINGS}


class SettingsError(ValueError):
    """The settings file cannot be used as it is."""


def load_settings(data_dir: Path) -> dict[str, Any]:
    """Defaults, overridden by the data dir's settings.toml when it exists."""
    values = dict(DEFAULTS)
    path = Path(data_dir) / SETTINGS_FILE
    if not path.exists():
        return values
    try:
        found = tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{path.name}: {error}") from error
    unknown = sorted(set(found) - set(DEFAULTS))
    if unknown:
        raise SettingsError(f"{path.name}: unknown setting(s): {', '.join(unknown)}")
    for name, value in found.items():
        if not isinstance(value, type(DEFAULTS[name])):
            raise SettingsError(
                f"{path.name}: {name} should be a {type(DEFAULTS[name]).__name__}")
    values.update(found)
    return values
