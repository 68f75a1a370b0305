"""The hub's app factory: the Flask app of the field laptop, with its blueprints."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app
from flask_babel import gettext

from . import (
    auth,
    datadir,
    db,
    errors,
    feedback,
    form_library,
    hub,
    i18n,
    interview,
    passphrase as sealing,
    passwords,
    protection,
    request_checks,
    security,
    sync,
    templating,
)
from .settings import load_settings


def create_app(test_config: dict | None = None, data_dir: Path | str | None = None) -> Flask:
    """Build the collector app for the data dir (created on first run).

    A protected data dir must have been unlocked in this process first
    (protection.unlock, or the command line's passphrase prompt); otherwise
    protection.Locked is raised and nothing is opened.
    """
    datadir.owner_only_files()  # the database, its log, secrets and certificates
    passwords.method()  # a mistyped hashing method stops the start, not a sign-in
    sealing.cost()  # and so does a mistyped passphrase cost
    app = Flask(__name__)
    test_config = dict(test_config or {})
    data_dir = datadir.ensure_data_dir(
        Path(data_dir or test_config.get("DATA_DIR") or datadir.default_data_dir())
    )
    # The data key, in memory only: every request's connection carries it (db.get_db).
    vault = protection.vault_for(data_dir)
    settings = load_settings(data_dir)
    settings.update(test_config.pop("HUB_SETTINGS", {}))
    app.config.from_mapping(
        DATA_DIR=str(data_dir),
        DATABASE=str(data_dir / datadir.DATABASE_FILE),
        DATA_VAULT=vault,
        SECRET_KEY=datadir.read_or_create_secret(data_dir, "session_key"),
        HUB=settings,
        DEFAULT_LOCALE=settings["default_locale"],
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="collector_session",
        # A long interview must not lose its page to an expired token; the token stays
        # bound to the session, which ends server-side (sign-out, session_hours idle).
        # Session cookies carry no expiry date: a laptop clock days behind would send
        # them already expired (collector.sessions counts idle time instead).
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=256 * 1024,
    )
    app.config.update(test_config)
    db.init_app(app)
    i18n.init_app(app)
    templating.init_app(app, site_name)
    security.init_app(app)
    form_library.init_app(app)
    errors.init_app(app, errors.hub_disk_full)
    request_checks.init_app(app)
    for blueprint in (hub.bp, auth.bp, interview.bp, feedback.bp, sync.bp):
        app.register_blueprint(blueprint)
    app.wsgi_app = hub.answer_reach_probes(app.wsgi_app)  # type: ignore[method-assign]
    return app


def site_name() -> str:
    """The hub's name: as its operator set it, or the default one, translated."""
    return current_app.config["HUB"]["hub_name"] or gettext("Community feedback hub")
