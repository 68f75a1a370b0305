"""The sync server: where the central team receives anonymized records from many laptops."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader

import collector
from collector import datadir, errors, i18n, protocol, security, templating

from . import api, auth, dashboard, data, devices, feedback, forms
from .store import Store, close_store

DATABASE_FILE = "sync-server.db"
# One stylesheet and script set for both apps: the server reuses the collector's.
STATIC_FOLDER = str(Path(collector.__file__).parent / "static")


def create_app(test_config: dict | None = None, data_dir: Path | str | None = None,
               database: str | None = None) -> Flask:
    """Build the central app for a data dir (created on first run)."""
    app = Flask(__name__, static_folder=STATIC_FOLDER)
    test_config = dict(test_config or {})
    data_dir = datadir.ensure_data_dir(Path(data_dir or test_config.get("DATA_DIR")
                                            or datadir.default_data_dir("sync-server")))
    app.config.from_mapping(
        DATA_DIR=str(data_dir),
        DATABASE=database_path(database, data_dir),
        SECRET_KEY=datadir.read_or_create_secret(data_dir, "session_key"),
        # The project's key for pseudonyms, given to each device when it enrolls.
        PSEUDONYM_KEY=datadir.read_or_create_secret(data_dir, "pseudonym_key"),
        MAX_CONTENT_LENGTH=protocol.MAX_BATCH_BYTES + 64 * 1024,
        HUB={"hub_name": "", "central": True},
        DEFAULT_LOCALE="en",
        SUPPRESSION_K=5,
        SIGNIN_RATE_LIMIT="20 per minute",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=10),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="central_session",
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.config.update(test_config)
    # Shared partials (the language bar) come from the hub's templates; ours win on a clash.
    app.jinja_loader = ChoiceLoader([app.jinja_loader, FileSystemLoader(
        str(Path(collector.__file__).parent / "templates"))])
    Store.create(app.config["DATABASE"]).close()
    i18n.init_app(app)
    templating.init_app(app)
    security.init_app(app)
    security.csrf.exempt(api.bp)  # devices authenticate with tokens, not cookies
    errors.init_app(app)
    app.register_error_handler(protocol.ProtocolError, api.protocol_error)
    for blueprint in (api.bp, auth.bp, dashboard.bp, data.bp, data.api_bp, devices.bp,
                      feedback.bp, forms.bp):
        app.register_blueprint(blueprint)
    app.jinja_env.globals.update(can=auth.can)
    app.teardown_appcontext(close_store)
    return app


def database_path(database: str | None, data_dir: Path) -> str:
    """The SQLite file for --database (a path or sqlite:///path), default in the data dir."""
    if not database:
        return str(data_dir / DATABASE_FILE)
    if database.startswith("sqlite:///"):
        return database[len("sqlite:///"):]
    if "://" in database:
        scheme = database.split("://")[0]
        raise ValueError(f"{scheme} databases are not supported yet; use SQLite "
                         "(a file path or sqlite:///path).")
    return database
