"""The data dir: the database and the generated secrets, readable by the owner only."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import click

from . import protection

DATABASE_FILE = "collector.db"
SECRETS_DIR = "secrets"


def default_data_dir(app_name: str = "collector") -> Path:
    """A per-user data folder (e.g. ~/.config/collector, %LOCALAPPDATA%\\collector)."""
    return Path(click.get_app_dir(app_name, roaming=False))


def ensure_data_dir(path: Path) -> Path:
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    _owner_only(path, 0o700)
    (path / SECRETS_DIR).mkdir(exist_ok=True)
    _owner_only(path / SECRETS_DIR, 0o700)
    return path


def read_or_create_secret(data_dir: Path, name: str, nbytes: int = 32) -> str:
    """A random secret generated on first use and kept in the data dir (sealed with the
    data key when the folder is protected, collector.protection)."""
    found = read_secret(data_dir, name)
    if found is not None:
        return found
    value = secrets.token_hex(nbytes)
    # O_EXCL: two processes starting at once must not both write a key.
    try:
        fd = os.open(secret_path(data_dir, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        found = read_secret(data_dir, name)
        assert found is not None  # another process has just created the file
        return found
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(protection.seal_secret(data_dir, name, value))
    return value


def secret_path(data_dir: Path, name: str) -> Path:
    return Path(data_dir) / SECRETS_DIR / name


def read_secret(data_dir: Path, name: str) -> str | None:
    """A secret's value, opened if sealed; None when there is no such file.

    protection.Locked when the folder is protected and its passphrase was not given."""
    try:
        stored = secret_path(data_dir, name).read_text("ascii").strip()
    except FileNotFoundError:
        return None
    return protection.open_secret(data_dir, name, stored)


def write_secret(data_dir: Path, name: str, value: str) -> None:
    """Replace a secret, owner-only, whole or not at all; sealed when the folder is protected."""
    path = secret_path(data_dir, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    protection.replace_file(path, protection.seal_secret(data_dir, name, value).encode("ascii"))


def owner_only_files() -> None:
    """Every file this process makes from now on (databases, secrets, backups, exports'
    temporary files) is readable by its owner only: the umask, set once at the start
    of every command and app."""
    if os.name == "posix":
        os.umask(0o077)


def owner_only_database(path: Path | str) -> None:
    """A SQLite database and its -wal and -shm files owner-only, also one made before the
    umask (an older version, another program); SQLite gives later -wal and -shm files the
    database's own mode."""
    if os.name == "posix":
        for name in (str(path), f"{path}-wal", f"{path}-shm"):
            if os.path.exists(name):
                os.chmod(name, 0o600)


def _owner_only(path: Path, mode: int) -> None:
    # Windows has no POSIX modes; its per-user profile folders are private already.
    if os.name == "posix":
        os.chmod(path, mode)
