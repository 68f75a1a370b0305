"""Deployment settings: declared once here, read from ``settings.toml`` in the data dir.

An unknown setting is a start-up error, so a typo never silently changes nothing.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
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
    Setting(
        "hub_name", "", "Name shown at the top of every page; empty for the translated default."
    ),
    Setting("default_locale", "en", "Interface language when the browser asks for none we have."),
    Setting(
        "signin_free_attempts",
        5,
        "Wrong PINs for one name before each further attempt waits (the wait doubles).",
    ),
    Setting(
        "signin_client_free_attempts",
        10,
        "Wrong PINs from one phone before each further attempt waits (the wait doubles).",
    ),
    Setting("signin_delay_seconds", 1.0, "The first wait after the free attempts, in seconds."),
    Setting("signin_max_delay_seconds", 900.0, "The longest wait between sign-in attempts."),
    Setting("session_hours", 12, "How long an enumerator stays signed in without activity."),
    Setting(
        "feedback_rate_limit",
        "10 per minute;60 per hour",
        "How many feedback messages one phone may send (Flask-Limiter syntax).",
    ),
    Setting("signin_rate_limit", "20 per minute", "Sign-in attempts allowed per phone."),
    Setting(
        "status_rate_limit",
        "10 per minute;60 per hour",
        "How many receipt codes one phone may look up (Flask-Limiter syntax).",
    ),
    Setting(
        "purge_after_days",
        30,
        "Days after a record is synced before its identifying fields are removed.",
    ),
    Setting(
        "purge_drafts_after_days",
        30,
        "Days a draft may stay unchanged before its identifying fields and the names and "
        "numbers in its free text are removed.",
    ),
    Setting(
        "phone_region",
        "",
        "Country whose national phone format the anonymizer reads (ISO code such as KE), "
        "so 0712 345 678 and +254 712 345 678 get one pseudonym; empty: only numbers "
        "written with +country code or 00 are read as international.",
    ),
    Setting(
        "hold_free_text_for_review",
        ["community_feedback"],
        "Forms whose records with free text wait on this laptop until the operator has "
        "read them, removed more words if needed and released them (Sync page, Review); "
        "[] sends every record at once.",
    ),
    Setting(
        "attachment_max_file_mb",
        10,
        "The largest photo, recording or file one question accepts, in MB.",
    ),
    Setting(
        "attachment_max_record_mb",
        50,
        "The most one record's photos, recordings and files may hold together, in MB.",
    ),
    Setting(
        "attachment_max_pixels",
        1024,
        "Photos are made smaller on the hub to this many pixels on their longest side.",
    ),
    Setting(
        "referral_contacts",
        [],
        "Where people can get help, shown after a discrimination report: a list of tables "
        "with name, description, phone and hours.",
    ),
)

DEFAULTS = {s.name: s.default for s in SETTINGS}
# Older names still read from existing files: (new name, how to convert the old value).
RENAMED: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "pin_attempts": ("signin_free_attempts", int),
    # A lock of N minutes becomes the longest wait.
    "lockout_minutes": ("signin_max_delay_seconds", lambda minutes: float(minutes * 60)),
}


class SettingsError(ValueError):
    """The settings file cannot be used as it is."""


def read_settings_file(data_dir: Path) -> dict[str, Any]:
    """What the data dir's settings.toml says ({} without one); both apps read it so."""
    path = Path(data_dir) / SETTINGS_FILE
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{path.name}: {error}") from error


def load_settings(data_dir: Path) -> dict[str, Any]:
    """Defaults, overridden by the data dir's settings.toml when it exists."""
    values = dict(DEFAULTS)
    found = read_settings_file(data_dir)
    path = Path(SETTINGS_FILE)
    unknown = sorted(set(found) - set(DEFAULTS) - set(RENAMED))
    if unknown:
        raise SettingsError(f"{path.name}: unknown setting(s): {', '.join(unknown)}")
    for name, value in found.items():
        expected = type(DEFAULTS[RENAMED[name][0]] if name in RENAMED else DEFAULTS[name])
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            continue  # `delay = 2` means 2.0
        if not isinstance(value, expected):
            raise SettingsError(f"{path.name}: {name} should be a {expected.__name__}")
    values.update(_renamed(found))
    _check_phone_region(values["phone_region"], path.name)
    return values


def _check_phone_region(region: str, where: str) -> None:
    """A typo here would silently give one person several pseudonyms."""
    import phonenumbers  # only the collector's anonymizer needs it

    if region and region.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise SettingsError(
            f"{where}: phone_region should be a country code such as KE, not {region!r}"
        )


def _renamed(found: dict[str, Any]) -> dict[str, Any]:
    """Values under their current names; a current name wins over its old one."""
    values = {}
    for old, (new, convert) in RENAMED.items():
        if old in found and new not in found:
            values[new] = convert(found[old])
    values.update({name: value for name, value in found.items() if name not in RENAMED})
    for name, value in values.items():
        if isinstance(DEFAULTS[name], float):
            values[name] = float(value)
    return values
