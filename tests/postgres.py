"""A real PostgreSQL server for the tests: a private cluster in a temporary folder.

Each test process starts its own (initdb, then postgres listening on a Unix socket only),
so nothing on the machine is touched and nothing is left behind. Each test gets its own
database, created and dropped around it. Without PostgreSQL's programs the tests skip on
a developer's machine and fail in CI (CI=true), where `.ci/run` installs them.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

SUPERUSER = "postgres"


def bin_dir() -> Path | None:
    """PostgreSQL's server programs: pg_config's folder, else Debian's versioned folders."""
    config = shutil.which("pg_config")
    if config:
        found = subprocess.run([config, "--bindir"], capture_output=True, text=True).stdout.strip()
        if found and (Path(found) / "initdb").exists():
            return Path(found)
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def _as_owner(command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root: run its programs as the postgres account then.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class Cluster:
    """A running private PostgreSQL server, reachable through a socket in its folder."""

    def __init__(self):
        binaries = bin_dir()
        if binaries is None:
            if os.environ.get("CI"):
                pytest.fail("PostgreSQL is not installed: .ci/run installs it for the tests")
            pytest.skip("PostgreSQL is not installed")
        self.bin = binaries
        self.root = Path(tempfile.mkdtemp(prefix="pg-test-"))
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self.data = self.root / "data"
        subprocess.run(
            _as_owner(
                [
                    str(binaries / "initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    SUPERUSER,
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                    "--no-sync",
                ]
            ),
            check=True,
            capture_output=True,
        )
        subprocess.run(
            _as_owner(
                [
                    str(binaries / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.root / "log"),
                    "-w",
                    "-o",
                    f"-k {self.root} -c listen_addresses='' -c fsync=off"
                    " -c synchronous_commit=off -c max_connections=200",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
        )
        self.socket = str(self.root)
        self._migrated: str | None = None

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@/{database}?host={self.socket}"

    def run(self, program: str, *args: str, **kwargs) -> subprocess.CompletedProcess:
        """One of PostgreSQL's programs (pg_dump, pg_restore, psql) against this server."""
        return subprocess.run(
            [str(self.bin / program), "-h", self.socket, "-U", SUPERUSER, *args],
            check=True,
            capture_output=True,
            **kwargs,
        )

    def create_database(self, template: str = "template1") -> str:
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            # Copying a small database's files beats logging each of its blocks (measured).
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
        return name

    def create_migrated_database(self) -> str:
        """A new database holding the central server's tables and nothing else: a copy
        of one made by the server's own migrations once per test process, since running
        every migration for each test's server is most of its start on PostgreSQL."""
        if self._migrated is None:
            from sync_server.database import close_pools
            from sync_server.store import Store

            name = self.create_database()
            Store.create(self.url(name)).close()
            close_pools()  # a template must have no connections
            self._migrated = name
        return self.create_database(template=self._migrated)

    def drop_database(self, name: str) -> None:
        import psycopg

        from sync_server.database import close_pools

        close_pools()
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        subprocess.run(
            _as_owner(
                [str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"]
            ),
            capture_output=True,
        )
        for _ in range(50):
            try:
                shutil.rmtree(self.root)
                return
            except OSError:
                time.sleep(0.1)
