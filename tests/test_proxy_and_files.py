"""The central server behind a TLS proxy (the `proxy_hops` setting), and files on disk that
only the server's own account can read."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from collector.settings import SettingsError
from support import LiveHub, open_to_others
from sync_server import create_app
from sync_server.cli import cli as server_cli
from test_workspace import feedback_record, push_records

HTTPS = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "central.example.org"}
HSTS = "Strict-Transport-Security"


@pytest.fixture
def serve(tmp_path):
    """A live central server for a data dir, with settings.toml written first when given."""
    started = []

    def start(settings_toml: str | None = None, name: str = "central"):
        data_dir = tmp_path / name
        data_dir.mkdir()
        if settings_toml is not None:
            (data_dir / "settings.toml").write_text(settings_toml, "utf-8")
        live = LiveHub(create_app(data_dir=data_dir))
        started.append(live)
        return live

    yield start
    for live in started:
        live.stop()


def session_cookie(response) -> str:
    [cookie] = [
        c for c in response.raw.headers.getlist("Set-Cookie") if c.startswith("central_session=")
    ]
    return cookie


# -- point 11: behind a TLS proxy --------------------------------------------------------------


def test_without_the_setting_a_client_cannot_claim_https(serve):
    live = serve()
    response = requests.get(live.url + "/signin", headers=HTTPS, timeout=10)
    assert response.status_code == 200
    assert "secure" not in session_cookie(response).lower()
    assert HSTS not in response.headers


def test_behind_one_proxy_https_requests_get_secure_cookies_and_hsts(serve):
    live = serve("proxy_hops = 1\n")
    secure = requests.get(live.url + "/signin", headers=HTTPS, timeout=10)
    assert "; secure" in session_cookie(secure).lower()
    assert secure.headers[HSTS] == "max-age=31536000"
    # The proxy's plain-HTTP side (e.g. a health check on the loopback) gets neither.
    plain = requests.get(live.url + "/signin", timeout=10)
    assert "secure" not in session_cookie(plain).lower() and HSTS not in plain.headers
    api = requests.get(live.url + "/api/v1/health", headers=HTTPS, timeout=10)
    assert api.headers[HSTS] == "max-age=31536000"


def test_signing_in_through_the_proxy_over_https(serve):
    """As a browser behind the proxy: Secure cookies sent back (over HTTPS in real life, so
    by hand here) and Flask-WTF's Referer check against the proxy's public host."""
    from collector.passwords import hash_secret
    from support import CSRF_PATTERN
    from sync_server.store import Store

    live = serve("proxy_hops = 1\n")
    store = Store(live.app.config["DATABASE"])
    store.add_user("amani", "admin", hash_secret("a long enough passphrase"))
    store.close()
    headers = dict(HTTPS, Referer="https://central.example.org/signin")
    page = requests.get(live.url + "/signin", headers=headers, timeout=10)
    cookie = session_cookie(page).split(";")[0]
    signed_in = requests.post(
        live.url + "/signin",
        allow_redirects=False,
        timeout=10,
        headers=dict(headers, Cookie=cookie),
        data={
            "name": "amani",
            "password": "a long enough passphrase",
            "csrf_token": CSRF_PATTERN.search(page.text).group(1),
        },
    )
    assert signed_in.status_code == 302, signed_in.text[:300]
    assert "; secure" in session_cookie(signed_in).lower()
    home = requests.get(
        live.url + "/",
        timeout=10,
        headers=dict(headers, Cookie=session_cookie(signed_in).split(";")[0]),
    )
    assert home.status_code == 200 and "Sign out" in home.text
    assert home.headers[HSTS] == "max-age=31536000"


def bad_tokens(live, count, forwarded_for=None):
    headers = {"Authorization": "Bearer cfc_not_a_token"}
    if forwarded_for:
        headers["X-Forwarded-For"] = forwarded_for
    return [
        requests.get(
            live.url + "/api/v1/data/community_feedback", headers=headers, timeout=10
        ).status_code
        for _ in range(count)
    ]


def test_the_client_address_comes_from_the_proxy_only_with_the_setting(serve):
    behind = serve("proxy_hops = 1\n", name="behind")
    assert bad_tokens(behind, 6, "203.0.113.7") == [401] * 5 + [429]
    # Another person behind the same proxy is not slowed by the first one's failures.
    assert bad_tokens(behind, 1, "198.51.100.4") == [401]

    direct = serve(name="direct")
    assert bad_tokens(direct, 6, "203.0.113.7") == [401] * 5 + [429]
    # Without the setting a made-up X-Forwarded-For is not a new client.
    assert bad_tokens(direct, 1, "198.51.100.4") == [429]


@pytest.mark.parametrize(
    "content,message",
    [
        ("proxy_hops = true\n", "proxy_hops should be a whole number"),
        ("proxy_hops = -1\n", "proxy_hops should be a whole number"),
        ("proxy_hops = 1.5\n", "proxy_hops should be a whole number"),
        ("proxy_hop = 1\n", "unknown setting(s): proxy_hop"),
        ("proxy_hops = \n", "settings.toml"),
    ],
)
def test_a_bad_setting_stops_the_server_at_start(tmp_path, content, message):
    data_dir = tmp_path / "central"
    data_dir.mkdir()
    (data_dir / "settings.toml").write_text(content, "utf-8")
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        create_app(data_dir=data_dir)
    result = CliRunner().invoke(server_cli, ["serve", "--port", "0", "--data-dir", data_dir])
    assert result.exit_code == 1 and message in result.output


# -- point 12: every server file owner-only ----------------------------------------------------


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_every_file_the_server_makes_is_owner_only(central_factory, usual_umask, tmp_path):
    central = central_factory(tmp_path / "central")
    push_records(central, [feedback_record(), feedback_record(locale="fr")])
    # A reader that stays open, as a busy server's would: the write-ahead log stays too,
    # and its mode is checked with the rest (commands close their own connections).
    reader = sqlite3.connect(central.database)
    reader.execute("SELECT count(*) FROM records").fetchone()
    out = tmp_path / "exports"
    out.mkdir()
    result = CliRunner().invoke(
        server_cli,
        [
            "export",
            "--form",
            "community_feedback",
            "--format",
            "csv",
            "--output",
            str(out / "feedback.csv"),
            "--data-dir",
            str(tmp_path / "central"),
        ],
    )
    assert result.exit_code == 0, result.output
    database = Path(central.database)
    assert Path(f"{database}-wal").exists()  # the server is running: WAL in use
    files = [p for p in (tmp_path / "central").rglob("*") if p.is_file()]
    assert {"sync-server.db", "session_key"} <= {p.name for p in files}
    assert "pseudonym_key" not in {p.name for p in files}  # the custodian holds it
    assert open_to_others(tmp_path / "central") == []
    assert open_to_others(out) == []
    reader.close()


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_a_database_left_readable_by_an_older_version_is_closed(usual_umask, tmp_path):
    data_dir = tmp_path / "central"
    data_dir.mkdir()
    database = data_dir / "sync-server.db"
    sqlite3.connect(database).close()
    os.chmod(database, 0o644)
    create_app(data_dir=data_dir)
    assert stat.S_IMODE(database.stat().st_mode) == 0o600


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_command_line_files_are_owner_only(usual_umask, tmp_path):
    data_dir = tmp_path / "central"
    result = CliRunner().invoke(
        server_cli, ["device", "add", "--label", "zone A", "--data-dir", str(data_dir)]
    )
    assert result.exit_code == 0, result.output
    assert open_to_others(data_dir) == []


@pytest.fixture
def central_factory():
    from support import Central

    started = []

    def start(data_dir):
        started.append(Central(data_dir))
        return started[-1]

    yield start
    for server in started:
        server.stop()
