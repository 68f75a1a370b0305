"""The central server's deployment settings, read from ``settings.toml`` in its data dir.

Declared here as the hub's are in collector.settings (the same file name, the same
`Setting` declarations and the same errors): an unknown setting or a value of the wrong
type stops the server at start-up, so a typo never silently changes nothing. Each setting
may also come from the environment as SYNC_SERVER_<NAME> (SYNC_SERVER_PROXY_HOPS=1), which
wins over the file: how a systemd unit or a container configures the server.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from collector.settings import SETTINGS_FILE, Setting, SettingsError, read_settings_file

MAX_PROXY_HOPS = 5

SETTINGS = (
    Setting(
        "database",
        "",
        "The server's database: empty for the SQLite file in the data dir, a SQLite path, "
        "or a PostgreSQL URL (postgresql://user@host/name) for several server processes. "
        "The --database option of every command wins over it.",
    ),
    Setting(
        "proxy_hops",
        0,
        "How many reverse proxies (nginx, Caddy) stand in front of the server and set "
        "X-Forwarded-For, -Proto and -Host. 0: those headers are ignored, as a client "
        "could send them.",
    ),
    Setting(
        "release_k",
        5,
        "Record-level releases: every combination of key variables is shared by at least "
        "this many records (k-anonymity). Never below 3.",
    ),
    Setting(
        "release_l",
        2,
        "Record-level releases: each group of records sharing their key variables holds "
        "at least this many different answers to each sensitive question (l-diversity).",
    ),
)
MIN_RELEASE_K = 3
DEFAULTS = {s.name: s.default for s in SETTINGS}


ENV_PREFIX = "SYNC_SERVER_"


def env_name(name: str) -> str:
    """The environment variable that sets a setting: SYNC_SERVER_PROXY_HOPS for proxy_hops."""
    return ENV_PREFIX + name.upper()


def load_settings(data_dir: Path, environ=None) -> dict[str, Any]:
    """Defaults, overridden by the data dir's settings.toml when it exists, then by
    SYNC_SERVER_<NAME> environment variables (a systemd unit or container sets those)."""
    values = {**DEFAULTS, **read_settings_file(data_dir)}
    check(values)
    found = from_environment(os.environ if environ is None else environ)
    if found:
        values.update(found)
        check(values, " and ".join(env_name(name) for name in sorted(found)))
    return values


def from_environment(environ) -> dict[str, Any]:
    """The settings given as environment variables: text settings as written, the others
    read as in settings.toml (SYNC_SERVER_PROXY_HOPS=1 is the number 1)."""
    found = {}
    for name in DEFAULTS:
        text = environ.get(env_name(name), "").strip()
        if text and isinstance(DEFAULTS[name], str):
            found[name] = text
        elif text:
            try:
                found[name] = tomllib.loads(f"value = {text}")["value"]
            except tomllib.TOMLDecodeError as error:
                raise SettingsError(
                    f"{env_name(name)}: {text!r} is not a value settings.toml "
                    "could hold (a number, true or false, or text in double "
                    "quotes)"
                ) from error
    return found


def check(values: dict[str, Any], source: str = SETTINGS_FILE) -> None:
    unknown = sorted(set(values) - set(DEFAULTS))
    if unknown:
        raise SettingsError(f"{source}: unknown setting(s): {', '.join(unknown)}")
    database = values["database"]
    if not isinstance(database, str) or (
        "://" in database
        and not database.startswith(("sqlite:///", "postgresql://", "postgres://"))
    ):
        raise SettingsError(
            f"{source}: database should be text: a SQLite file path,"
            " sqlite:///path, or postgresql://user@host/name"
        )
    hops = values["proxy_hops"]
    # bool is an int in Python: `proxy_hops = true` must not mean 1.
    if not isinstance(hops, int) or isinstance(hops, bool) or not 0 <= hops <= MAX_PROXY_HOPS:
        raise SettingsError(
            f"{source}: proxy_hops should be a whole number from 0 to {MAX_PROXY_HOPS}"
        )
    k, l = values["release_k"], values["release_l"]
    if not _whole(k) or k < MIN_RELEASE_K:
        raise SettingsError(
            f"{source}: release_k should be a whole number of at least "
            f"{MIN_RELEASE_K}: fewer records per group would let people be "
            "singled out"
        )
    if not _whole(l) or not 1 <= l <= k:
        raise SettingsError(f"{source}: release_l should be a whole number from 1 to release_k")


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
