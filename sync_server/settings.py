"""The central server's deployment settings, read from ``settings.toml`` in its data dir.

Declared here as the hub's are in collector.settings (the same file name, the same
`Setting` declarations and the same errors): an unknown setting or a value of the wrong
type stops the server at start-up, so a typo never silently changes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from collector.settings import SETTINGS_FILE, Setting, SettingsError, read_settings_file

MAX_PROXY_HOPS = 5

SETTINGS = (
    Setting("proxy_hops", 0,
            "How many reverse proxies (nginx, Caddy) stand in front of the server and set "
            "X-Forwarded-For, -Proto and -Host. 0: those headers are ignored, as a client "
            "could send them."),
    Setting("release_k", 5,
            "Record-level releases: every combination of key variables is shared by at least "
            "this many records (k-anonymity). Never below 3."),
    Setting("release_l", 2,
            "Record-level releases: each group of records sharing their key variables holds "
            "at least this many different answers to each sensitive question (l-diversity)."),
)
MIN_RELEASE_K = 3
DEFAULTS = {s.name: s.default for s in SETTINGS}


def load_settings(data_dir: Path) -> dict[str, Any]:
    """Defaults, overridden by the data dir's settings.toml when it exists."""
    values = {**DEFAULTS, **read_settings_file(data_dir)}
    check(values)
    return values


def check(values: dict[str, Any], source: str = SETTINGS_FILE) -> None:
    unknown = sorted(set(values) - set(DEFAULTS))
    if unknown:
        raise SettingsError(f"{source}: unknown setting(s): {', '.join(unknown)}")
    hops = values["proxy_hops"]
    # bool is an int in Python: `proxy_hops = true` must not mean 1.
    if not isinstance(hops, int) or isinstance(hops, bool) or not 0 <= hops <= MAX_PROXY_HOPS:
        raise SettingsError(f"{source}: proxy_hops should be a whole number from 0 to "
                            f"{MAX_PROXY_HOPS}")
    k, l = values["release_k"], values["release_l"]
    if not _whole(k) or k < MIN_RELEASE_K:
        raise SettingsError(f"{source}: release_k should be a whole number of at least "
                            f"{MIN_RELEASE_K}: fewer records per group would let people be "
                            "singled out")
    if not _whole(l) or not 1 <= l <= k:
        raise SettingsError(f"{source}: release_l should be a whole number from 1 to release_k")


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
