"""The sync server: where the central team receives anonymized records from many laptops."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from collector import datadir, protocol

from . import api
from .store import Store

DATABASE_FILE = "sync-server.db"


def create_app(test_config: dict | None = None, data_dir: Path | str | None = None,
               database: str | None = None) -> Flask:
    """Build the central app for a data dir (created on first run)."""
    app = Flask(__name__)
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
    )
    app.config.update(test_config)
    Store.create(app.config["DATABASE"]).close()
    app.register_blueprint(api.bp)
    app.teardown_appcontext(api.close_store)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
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


def _http_error(error: HTTPException):
    code = (error.name or "error").lower().replace(" ", "_")
    message = {413: "The request is larger than the server accepts."}.get(
        error.code, error.description or error.name)
    return jsonify(error={"code": code, "message": message}), error.code


def _unexpected_error(error: Exception):
    from flask import current_app

    current_app.logger.exception("Unhandled error on %s", request.path)
    return jsonify(error={"code": "internal_error",
                          "message": "The server failed; nothing was half stored."}), 500
