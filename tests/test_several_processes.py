"""The central server as production runs it on Linux: gunicorn with several worker processes
on one data dir and one SQLite database (docs/deployment.md).

Real gunicorn on loopback: workers that start at once on a fresh data dir, batches pushed
from many threads at the same moment (each (uuid, revision) stored once), a session used on
every worker, sign-in delays shared by the workers, and the proxy setting.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests

from collector import protocol
from collector.passwords import hash_secret
from collector.throttle import SharedThrottle
from support import CSRF_PATTERN, IN_CI, LiveHub, free_port, need_tool, port_taken
from sync_server import create_app
from test_workspace import feedback_record

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "a long enough passphrase"
HTTPS = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "central.example.org"}
HSTS = "Strict-Transport-Security"
PID_LOG_FORMAT = "%(p)s %(s)s %(r)s"  # the worker's pid first: which worker answered


def need_gunicorn() -> None:
    """Skip without gunicorn here (and on Windows, which it does not run on); fail in CI."""
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        if IN_CI:
            pytest.fail("gunicorn is required in CI (the server extra) but is not installed")
        pytest.skip("gunicorn is not installed")
    if os.name != "posix":
        pytest.skip("gunicorn runs on Linux and macOS only")


class Gunicorn:
    """`gunicorn -c python:sync_server.gunicorn_config sync_server.wsgi:app` on a free
    loopback port, configured through the environment as a systemd unit would."""

    def __init__(self, folder: Path, workers: int, **environment):
        folder.mkdir()
        self.data_dir, self.log = folder / "data", folder / "access.log"
        self.errors_path, self.environment = folder / "gunicorn.log", environment
        self.workers = workers
        self.start()

    def start(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(
            os.environ,
            SYNC_SERVER_DATA_DIR=str(self.data_dir),
            SYNC_SERVER_BIND=f"127.0.0.1:{self.port}",
            **self.environment,
        )
        env.pop("SYNC_SERVER_DATABASE", None)
        self.errors = open(self.errors_path, "wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "python:sync_server.gunicorn_config",
                "--workers",
                str(self.workers),
                "--access-logfile",
                str(self.log),
                "--access-logformat",
                PID_LOG_FORMAT,
                # Stopping: each worker gets a second, not the production 30 s.
                "--graceful-timeout",
                "1",
                "sync_server.wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.errors,
            stderr=subprocess.STDOUT,
        )

    def wait_until_serving(self, seconds: float = 30.0, tries: int = 5) -> None:
        """Until every worker has booted and the health check answers. If another test
        process took the port first, gunicorn stops: it starts again on another."""
        for _ in range(tries):
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline and self.process.poll() is None:
                if self.serving():
                    return
                time.sleep(0.1)
            if self.process.poll() is None or not port_taken(self.output()):
                break
            self.errors.close()
            self.start()
        pytest.fail(f"gunicorn did not start:\n{self.output()}")

    def serving(self) -> bool:
        try:
            return (
                self.output().count("Booting worker") >= self.workers
                and requests.get(self.url + "/api/v1/health", timeout=5).status_code == 200
            )
        except requests.ConnectionError:
            return False

    def output(self) -> str:
        self.errors.flush()
        return Path(self.errors.name).read_text("utf-8", "replace")

    def pids_of(self, request_line: str) -> list[int]:
        """The workers that answered requests starting with `request_line` (GET /path)."""
        lines = self.log.read_text("utf-8").splitlines()
        return [
            int(line.split()[0].strip("<>"))
            for line in lines
            if line.split(" ", 2)[2].startswith(request_line)
        ]

    def logged_pids(self, request_line: str, count: int = 1) -> list[int]:
        """pids_of, once at least `count` such requests are in the log: a worker writes its
        access line just after the answer, so a test reading at once may be ahead of it."""
        deadline = time.monotonic() + 10
        while len(found := self.pids_of(request_line)) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return found

    @property
    def database(self) -> Path:
        return self.data_dir / "sync-server.db"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
        self.wait()

    def wait(self) -> None:
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.errors.close()


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """Two servers, each on a fresh data dir, started together: `plain` (3 workers, no
    proxy setting) and `behind` (4 workers, behind one proxy by SYNC_SERVER_PROXY_HOPS)."""
    need_gunicorn()
    folder = tmp_path_factory.mktemp("several")
    started = {
        "plain": Gunicorn(folder / "plain", 3),
        "behind": Gunicorn(folder / "behind", 4, SYNC_SERVER_PROXY_HOPS="1"),
    }
    try:
        for server in started.values():
            server.wait_until_serving()
        yield started
    finally:
        for server in started.values():  # both at once
            server.process.send_signal(signal.SIGINT)
        for server in started.values():
            server.wait()


def add_user(server: Gunicorn, name: str) -> None:
    from sync_server.store import Store

    store = Store(server.database)
    try:
        store.add_user(name, "admin", hash_secret(PASSWORD))
    finally:
        store.close()


def enroll(server: Gunicorn) -> str:
    """A device's token, enrolled over HTTP with a code made as `sync-server device add` does."""
    from sync_server.enrollment import code_hash, expiry, new_code
    from sync_server.store import Store

    code = new_code()
    store = Store(server.database)
    try:
        store.add_enrollment_code(code_hash(code), "zone C", expiry(1))
    finally:
        store.close()
    answer = requests.post(
        server.url + "/api/v1/enroll",
        timeout=10,
        json={"protocol": "1.0", "code": code, "enrollment_id": str(uuid.uuid4())},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["device_token"]


def push(server: Gunicorn, token: str, batch_id: str, records: list[dict]) -> requests.Response:
    body = protocol.compress(protocol.dumps(protocol.batch_message(batch_id, records, 0, "test")))
    return requests.post(
        server.url + "/api/v1/records",
        data=body,
        timeout=60,
        headers={
            protocol.VERSION_HEADER: "1.0",
            "Authorization": f"Bearer {token}",
            "Content-Encoding": "gzip",
            "Content-Type": "application/json",
        },
    )


def fresh_connection_get(url: str, **kwargs) -> requests.Response:
    """Each call on a new connection, so the kernel may hand it to any worker."""
    return requests.get(
        url, timeout=10, headers=dict(kwargs.pop("headers", {}), Connection="close"), **kwargs
    )


# -- start-up ---------------------------------------------------------------------------------


def test_workers_starting_at_once_on_a_fresh_data_dir_share_one_set_of_secrets(servers):
    for server in servers.values():
        output = server.output()
        assert "Traceback" not in output and "failed to boot" not in output, output
        secrets = server.data_dir / "secrets"
        for name in ("session_key", "server_identity_key"):
            assert re.fullmatch(r"[0-9a-f]{64}", (secrets / name).read_text("ascii").strip())
        # Every migration once, and every worker answers with the one identity.
        with sqlite3.connect(server.database) as db:
            names = [row[0] for row in db.execute("SELECT name FROM _sqlite_migrations")]
        assert names and len(names) == len(set(names))
        fingerprints = {
            fresh_connection_get(server.url + "/api/v1/health").json()["server"]["fingerprint"]
            for _ in range(12)
        }
        assert len(fingerprints) == 1


# -- exactly once, whoever answers ------------------------------------------------------------


def test_batches_pushed_at_the_same_moment_to_several_workers_are_stored_once(servers):
    server = servers["plain"]
    token = enroll(server)
    groups = [[feedback_record(message=f"Message {g}.{i}") for i in range(40)] for g in range(4)]
    # 8 senders released together: for groups 0 and 1 the very same batch twice (a retry
    # racing the original), for groups 2 and 3 the same records in two different batches.
    jobs = []
    for number, records in enumerate(groups):
        same = str(uuid.uuid4())
        jobs += [(same if number < 2 else str(uuid.uuid4()), records) for _ in range(2)]
    answers: list = [None] * len(jobs)
    start = threading.Barrier(len(jobs))

    def send(index: int) -> None:
        start.wait()
        answers[index] = push(server, token, *jobs[index])

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    stored: dict = {}
    for (_batch_id, records), response in zip(jobs, answers, strict=True):
        if response.status_code == 409:  # the same batch id, already received
            assert response.json()["error"]["code"] == "replayed_batch"
            continue
        assert response.status_code == 200, response.text
        results = response.json()["results"]
        assert {(r["uuid"], r["revision"]) for r in results} == {
            (r["uuid"], r["revision"]) for r in records
        }  # every record acknowledged
        for result in results:
            assert result["status"] in ("stored", "duplicate"), result
            if result["status"] == "stored":
                key = (result["uuid"], result["revision"])
                stored[key] = stored.get(key, 0) + 1
    statuses = [response.status_code for response in answers]
    assert statuses[0:2].count(200) == 1 and statuses[2:4].count(200) == 1, statuses
    assert statuses[4:] == [200] * 4, statuses
    pushed = {(r["uuid"], r["revision"]) for records in groups for r in records}
    assert stored == {key: 1 for key in pushed}  # each stored by exactly one answer
    with sqlite3.connect(server.database) as db:
        rows = db.execute("SELECT uuid, revision FROM records").fetchall()
    assert sorted(rows) == sorted(pushed)


# -- sessions and delays live in the database and the data dir, not in a worker -----------------


def sign_in(
    server: Gunicorn, name: str, password: str = PASSWORD, headers: dict | None = None
) -> requests.Response:
    headers = dict(headers or {}, Connection="close")
    page = requests.get(server.url + "/signin", headers=headers, timeout=10)
    cookie = page.cookies.get("central_session")
    return requests.post(
        server.url + "/signin",
        allow_redirects=False,
        timeout=10,
        cookies={"central_session": cookie},
        headers=headers,
        data={
            "name": name,
            "password": password,
            "csrf_token": CSRF_PATTERN.search(page.text).group(1),
        },
    )


def test_a_session_started_on_one_worker_works_on_the_others_and_ends_on_all(servers):
    server = servers["plain"]
    add_user(server, "wanjiru")
    signed_in = sign_in(server, "wanjiru")
    assert signed_in.status_code == 302, signed_in.text[:300]
    cookies = {"central_session": signed_in.cookies["central_session"]}
    [signer] = server.logged_pids("POST /signin")
    # New connections until one is answered by another worker (the kernel picks the worker).
    for attempt in range(1, 201):
        page = fresh_connection_get(server.url + "/devices", cookies=cookies)
        assert page.status_code == 200 and "Sign out" in page.text
        if set(server.logged_pids("GET /devices", attempt)) - {signer}:
            break
    assert set(server.pids_of("GET /devices")) - {signer}, "one worker answered every request"
    # The page's cookie: it carries the CSRF token the page was given.
    signed_out = requests.post(
        server.url + "/signout",
        timeout=10,
        cookies={"central_session": page.cookies["central_session"]},
        allow_redirects=False,
        headers={"Connection": "close"},
        data={"csrf_token": CSRF_PATTERN.search(page.text).group(1)},
    )
    assert signed_out.status_code == 302
    for _ in range(6):
        after = fresh_connection_get(
            server.url + "/devices", cookies=cookies, allow_redirects=False
        )
        assert after.status_code == 302 and "/signin" in after.headers["Location"]


def test_wrong_passwords_are_counted_across_workers(servers):
    server = servers["plain"]
    add_user(server, "baraka")
    statuses = [sign_in(server, "baraka", "not the password at all").status_code for _ in range(6)]
    # 5 free attempts per account (SIGNIN_FREE_ATTEMPTS), whichever workers answered them.
    assert statuses == [401] * 5 + [429], statuses
    assert sign_in(server, "baraka").status_code == 429  # even the right one waits


def test_shared_delays_are_one_count_for_every_process(tmp_path):
    """Two throttles on one file, as two worker processes hold them: one count."""
    first, second = (
        SharedThrottle(tmp_path / "delays.db", "signin_account", "key", free=2) for _ in range(2)
    )
    assert first.failed(("account", "amani")) == 0
    assert second.failed(("account", "amani")) == pytest.approx(1.0, abs=0.5)
    assert first.wait(("account", "amani")) > 0 and first.failures(("account", "amani")) == 2
    assert second.wait(("account", "someone else")) == 0
    other_name = SharedThrottle(tmp_path / "delays.db", "api_auth", "key", free=2)
    assert other_name.failures(("account", "amani")) == 0  # each throttle counts apart
    second.succeeded(("account", "amani"))
    assert first.wait(("account", "amani")) == 0 and first.failures(("account", "amani")) == 0
    # The file names no account or address: keys are keyed hashes.
    assert b"amani" not in (tmp_path / "delays.db").read_bytes()


# -- behind a TLS proxy: forwarded headers believed only with the setting ----------------------


def session_cookie(response) -> str:
    [cookie] = [
        c for c in response.raw.headers.getlist("Set-Cookie") if c.startswith("central_session=")
    ]
    return cookie.lower()


def bad_tokens(server: Gunicorn, count: int, forwarded_for: str) -> list[int]:
    return [
        fresh_connection_get(
            server.url + "/api/v1/data/community_feedback",
            headers={"Authorization": "Bearer cfc_not_a_token", "X-Forwarded-For": forwarded_for},
        ).status_code
        for _ in range(count)
    ]


def test_forwarded_headers_are_believed_only_with_the_proxy_setting(servers):
    plain, behind = servers["plain"], servers["behind"]
    claimed = fresh_connection_get(plain.url + "/signin", headers=HTTPS)
    assert "secure" not in session_cookie(claimed) and HSTS not in claimed.headers
    secure = fresh_connection_get(behind.url + "/signin", headers=HTTPS)
    assert "; secure" in session_cookie(secure) and secure.headers[HSTS] == "max-age=31536000"

    # The client's address: each person behind the proxy has their own delays ...
    assert bad_tokens(behind, 6, "203.0.113.7") == [401] * 5 + [429]
    assert bad_tokens(behind, 1, "198.51.100.4") == [401]
    # ... and without the setting a made-up X-Forwarded-For is not a new client.
    assert bad_tokens(plain, 6, "203.0.113.8") == [401] * 5 + [429]
    assert bad_tokens(plain, 1, "198.51.100.5") == [429]


def test_signing_in_through_the_proxy_over_https(servers):
    server = servers["behind"]
    add_user(server, "amani")
    headers = dict(HTTPS, Referer="https://central.example.org/signin")
    signed_in = sign_in(server, "amani", headers=headers)
    assert signed_in.status_code == 302, signed_in.text[:300]
    assert signed_in.headers["Location"].startswith(("/", "https://central.example.org/"))
    assert "; secure" in session_cookie(signed_in)


# -- backups ----------------------------------------------------------------------------------


def test_the_backup_script_copies_a_serving_server_and_the_copy_restores(servers, tmp_path):
    """docs/deployment/backup.sh on the SQLite server while it serves, then the restore of
    docs/deployment.md: the same records, and the same identity for the hubs."""
    need_tool("sqlite3")
    server = servers["plain"]
    token = enroll(server)
    assert (
        push(
            server,
            token,
            str(uuid.uuid4()),
            [feedback_record(message=f"Backup {i}") for i in range(20)],
        ).status_code
        == 200
    )
    backups = tmp_path / "backups"
    done = subprocess.run(
        ["sh", str(ROOT / "docs" / "deployment" / "backup.sh")],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(
            os.environ,
            SYNC_SERVER_DATA_DIR=str(server.data_dir),
            BACKUP_DIR=str(backups),
            KEEP_DAYS="14",
        ),
    )
    assert done.returncode == 0, done.stderr
    [database] = backups.glob("database-*.db")
    [folder] = backups.glob("data-dir-*.tar.gz")
    assert oct(database.stat().st_mode & 0o777) == oct(0o600)

    restored = tmp_path / "restored"
    restored.mkdir(mode=0o700)
    subprocess.run(["tar", "-C", str(restored), "-xzf", str(folder)], check=True)
    shutil.copyfile(database, restored / "sync-server.db")
    live = LiveHub(create_app(data_dir=restored))
    try:
        health = requests.get(live.url + "/api/v1/health", timeout=10).json()
    finally:
        live.stop()
    assert (
        health["server"] == requests.get(server.url + "/api/v1/health", timeout=10).json()["server"]
    )
    query = "SELECT uuid, revision FROM records ORDER BY uuid, revision"
    with (
        sqlite3.connect(server.database) as original,
        sqlite3.connect(restored / "sync-server.db") as copy,
    ):
        assert copy.execute(query).fetchall() == original.execute(query).fetchall()


# -- configuration ----------------------------------------------------------------------------


def test_a_bad_setting_in_the_environment_stops_the_start_with_its_name(tmp_path):
    from collector.settings import SettingsError
    from sync_server import settings

    with pytest.raises(SettingsError, match="SYNC_SERVER_PROXY_HOPS: proxy_hops should be"):
        settings.load_settings(tmp_path, {"SYNC_SERVER_PROXY_HOPS": "true"})
    with pytest.raises(SettingsError, match="SYNC_SERVER_RELEASE_K: 'five' is not a value"):
        settings.load_settings(tmp_path, {"SYNC_SERVER_RELEASE_K": "five"})
    (tmp_path / "settings.toml").write_text("proxy_hops = 1\n", "utf-8")
    assert settings.load_settings(tmp_path, {"SYNC_SERVER_PROXY_HOPS": "2"})["proxy_hops"] == 2


def test_the_wsgi_module_reads_its_environment(tmp_path, monkeypatch):
    # Importing the module makes its app: in a folder of the test's, not the user's own.
    monkeypatch.setenv("SYNC_SERVER_DATA_DIR", str(tmp_path / "wsgi"))
    from sync_server.wsgi import config_from_environment

    found = config_from_environment(
        {
            "SYNC_SERVER_DATA_DIR": str(tmp_path),
            "SYNC_SERVER_SUPPRESSION_K": "10",
            "SYNC_SERVER_NAME": "National office",
        }
    )
    assert found == {
        "test_config": {"SERVER_NAME_LABEL": "National office", "SUPPRESSION_K": 10},
        "data_dir": str(tmp_path),
        "database": None,
    }
    with pytest.raises(ValueError, match="SYNC_SERVER_SUPPRESSION_K should be a whole number"):
        config_from_environment({"SYNC_SERVER_SUPPRESSION_K": "1"})


def test_every_server_setting_is_documented_with_its_variable():
    from sync_server.settings import SETTINGS, env_name

    docs = (ROOT / "docs" / "deployment.md").read_text("utf-8")
    for setting in SETTINGS:
        assert f"`{setting.name}`" in docs, f"setting {setting.name} is not documented"
        assert env_name(setting.name) in docs, f"{env_name(setting.name)} is not documented"
    for unit in (
        "sync-server.service",
        "sync-server-backup.service",
        "sync-server-backup.timer",
        "nginx.conf",
    ):
        assert (ROOT / "docs" / "deployment" / unit).exists()
        assert f"deployment/{unit}" in docs
