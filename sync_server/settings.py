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
)
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
