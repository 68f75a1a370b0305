"""The sync server: where the central team receives anonymized records from many laptops."""

from __future__ import annotations

import contextlib
import os
from datetime import timedelta
from pathlib import Path

from flask import Flask, request
from flask_babel import gettext
from jinja2 import ChoiceLoader, FileSystemLoader
from werkzeug.middleware.proxy_fix import ProxyFix

import collector
from collector import (
    datadir,
    errors,
    i18n,
    passwords,
    protocol,
    request_checks,
    security,
    templating,
)

# Owner-only files, defined once for both apps (the database holds what the devices'
# signatures rest on); sync_server.cli imports owner_only_files from here.
from collector.datadir import owner_only_database, owner_only_files  # noqa: F401

from . import (
    accounts,
    api,
    attachments,
    auth,
    dashboard,
    data,
    devices,
    feedback,
    forms,
    help_contacts,
    identity,
    logs,
    prompts,
    retention_pages,
    security_pages,
    settings as server_settings,
)
from .database import is_postgresql
from .store import Store, close_store

DATABASE_FILE = "sync-server.db"
STARTUP_LOCK_FILE = ".startup.lock"
# One stylesheet and script set for both apps: the server reuses the collector's.
STATIC_FOLDER = str(Path(collector.__file__).parent / "static")


def create_app(
    test_config: dict | None = None, data_dir: Path | str | None = None, database: str | None = None
) -> Flask:
    """Build the central app for a data dir (created on first run)."""
    passwords.method()  # a mistyped hashing method stops the start, not a sign-in
    app = Flask(__name__, static_folder=STATIC_FOLDER)
    test_config = dict(test_config or {})
    owner_only_files()
    data_dir = datadir.ensure_data_dir(
        Path(data_dir or test_config.get("DATA_DIR") or datadir.default_data_dir("sync-server"))
    )
    app.config.from_mapping(
        DATA_DIR=str(data_dir),
        MAX_CONTENT_LENGTH=protocol.MAX_BATCH_BYTES + 64 * 1024,
        DEFAULT_LOCALE="en",
        SUPPRESSION_K=5,
        SIGNIN_RATE_LIMIT="20 per minute",
        # Growing delays after wrong passwords (collector.throttle): free attempts per
        # account and per client, then a wait that doubles from the first to the longest.
        SIGNIN_FREE_ATTEMPTS=5,
        SIGNIN_CLIENT_FREE_ATTEMPTS=10,
        SIGNIN_DELAY_SECONDS=1.0,
        SIGNIN_MAX_DELAY_SECONDS=900.0,
        # How long a central session may stay idle (counted server-side: collector.sessions).
        PERMANENT_SESSION_LIFETIME=timedelta(hours=10),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="central_session",
        WTF_CSRF_TIME_LIMIT=None,
        # The name hubs show beside the fingerprint when their operator enrolls them.
        SERVER_NAME_LABEL="",
        # The health check answers 503 "disk_full" below this much free space.
        MIN_FREE_BYTES=errors.DEFAULT_MIN_FREE_BYTES,
    )
    settings = server_settings.load_settings(data_dir)
    settings.update(test_config.pop("SERVER_SETTINGS", {}))
    server_settings.check(settings, "SERVER_SETTINGS")
    app.config["DATABASE"] = database_path(database or settings["database"], data_dir)
    # Record-level releases (sync_server.disclosure): the project's k and l.
    app.config.update(RELEASE_K=settings["release_k"], RELEASE_L=settings["release_l"])
    app.config.update(test_config)
    prepare_data_dir(app, data_dir)
    # Shared partials (the language bar) come from the hub's templates; ours win on a clash.
    own_templates = app.jinja_loader
    assert own_templates is not None  # this package has its templates folder
    app.jinja_loader = ChoiceLoader(
        [own_templates, FileSystemLoader(str(Path(collector.__file__).parent / "templates"))]
    )
    behind_proxies(app, settings["proxy_hops"])
    i18n.init_app(app)
    templating.init_app(app, lambda: gettext("Central workspace"))
    security.init_app(app)
    security.csrf.exempt(api.bp)  # devices authenticate with tokens, not cookies
    security.csrf.exempt(attachments.api_bp)
    errors.init_app(app, errors.server_disk_full)
    logs.init_app(app)
    request_checks.init_app(app)  # after the request line's clock starts
    app.register_error_handler(protocol.ProtocolError, api.protocol_error)
    register_database_errors(app)
    for blueprint in (
        accounts.bp,
        api.bp,
        attachments.api_bp,
        attachments.api_files_bp,
        attachments.bp,
        auth.bp,
        dashboard.bp,
        dashboard.api_bp,
        data.bp,
        data.api_bp,
        devices.bp,
        feedback.bp,
        forms.bp,
        help_contacts.bp,
        prompts.api_bp,
        retention_pages.bp,
        security_pages.bp,
    ):
        app.register_blueprint(blueprint)
    app.jinja_env.globals.update(can=auth.can)
    app.teardown_appcontext(close_store)
    warning = old_pseudonym_key_warning(data_dir)
    if warning:
        app.logger.warning(warning)
    return app


def register_database_errors(app: Flask) -> None:
    """PostgreSQL busy (a deadlock broken, a lock or pool wait too long) or gone: 503 with
    Retry-After, nothing saved, as for SQLite's busy write lock (collector.errors)."""
    try:
        from psycopg import OperationalError
    except ImportError:  # a server without the PostgreSQL driver
        return
    app.register_error_handler(OperationalError, errors.busy_response)


def prepare_data_dir(app: Flask, data_dir: Path) -> None:
    """Secrets, the identity key pair and the database schema, made or brought up to date by
    one process at a time: several workers (gunicorn) start at once on one data dir, and
    each must find what the first one made rather than make its own."""
    with startup_lock(data_dir):
        if not app.config.get("SECRET_KEY"):
            app.config["SECRET_KEY"] = datadir.read_or_create_secret(data_dir, "session_key")
        identity.fingerprint(data_dir)  # the identity key pair exists from the first run on
        Store.create(app.config["DATABASE"]).close()  # migrations: a no-op once done
        owner_only_database(app.config["DATABASE"])


@contextlib.contextmanager
def startup_lock(data_dir: Path):
    """Hold an exclusive lock on the data dir's start-up lock file (released on close, also
    when a process dies holding it)."""
    with open(Path(data_dir) / STARTUP_LOCK_FILE, "a+b") as handle:
        if os.name == "posix":
            import fcntl

            fcntl.flock(handle, fcntl.LOCK_EX)
            yield
            return
        import msvcrt  # Windows runs one server process; commands may still start beside it

        handle.seek(0)
        # Waits up to 10 s. The ignores: type checks run for Linux, whose msvcrt stub is empty.
        msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)  # type: ignore[attr-defined]
        try:
            yield
        finally:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]


def old_pseudonym_key_warning(data_dir: Path) -> str | None:
    """Older servers made the project's pseudonym key and kept it here. It is no longer
    read: it belongs with the data custodian, wrapped in a passphrase-protected file."""
    path = Path(data_dir) / datadir.SECRETS_DIR / "pseudonym_key"
    if not path.exists():
        return None
    return (
        f"{path} holds the project's pseudonym key, which the server no longer uses. "
        f"Give it to the data custodian (collector keys create FILE --from-hex-file "
        f"{path}), then delete it from this server."
    )


def database_path(database: str | None, data_dir: Path) -> str:
    """The database for --database: a SQLite file (a path or sqlite:///path, by default in
    the data dir) or a PostgreSQL URL (postgresql://user@host/name), kept as given."""
    if not database:
        return str(data_dir / DATABASE_FILE)
    if database.startswith("sqlite:///"):
        return database[len("sqlite:///") :]
    if is_postgresql(database):
        return database
    if "://" in database:
        scheme = database.split("://")[0]
        raise ValueError(
            f"{scheme} databases are not supported; use SQLite (a file path or"
            " sqlite:///path) or PostgreSQL (postgresql://user@host/name)."
        )
    return database


def behind_proxies(app: Flask, hops: int) -> None:
    """Trust X-Forwarded-For, -Proto and -Host from `hops` proxies (only when set: a client
    must not be able to claim HTTPS or another address), and send HSTS over HTTPS."""
    if hops:
        # Flask documents wrapping wsgi_app so; its stubs type it as a plain method.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )
    app.after_request(strict_transport_security)


def strict_transport_security(response):
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response
