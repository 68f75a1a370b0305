"""Exceptions become responses in one place: JSON for API paths, a page otherwise."""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import cast

from flask import Flask, current_app, got_request_exception, jsonify, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.local import LocalProxy


def _messages():
    return {
        400: gettext("The request could not be understood."),
        403: gettext("You are not allowed to open this page."),
        404: gettext("This page does not exist."),
        405: gettext("This page cannot be used that way."),
        409: gettext("This record was changed elsewhere; open it again."),
        413: gettext("What you sent is too large."),
        429: gettext("Too many attempts. Please wait a minute and try again."),
        500: gettext("Something went wrong here. Nothing you saved before is lost."),
    }


# The health check says "disk full" below this much free space in the data dir.
DEFAULT_MIN_FREE_BYTES = 50 * 1024 * 1024
DISK_FULL_STATUS = 507  # Insufficient Storage
# Less than this free when SQLite reports an I/O error: the disk is what failed.
NO_SPACE_BYTES = 1024 * 1024


def is_disk_full(error: BaseException, folder=None) -> bool:
    """SQLite's "database or disk is full" (SQLITE_FULL), the system's "no space left", or
    SQLite's "disk I/O error" while `folder` has no space left (opening a database must
    create its shared-memory file, and that fails as an I/O error on a full disk)."""
    if isinstance(error, sqlite3.OperationalError):
        code = getattr(error, "sqlite_errorcode", None)
        if code == sqlite3.SQLITE_FULL or "database or disk is full" in str(error):
            return True
        io_error = (
            code is not None and code & 0xFF == sqlite3.SQLITE_IOERR
        ) or "disk i/o error" in str(error).lower()
        return io_error and folder is not None and _no_space_left(folder)
    return isinstance(error, OSError) and error.errno == 28  # ENOSPC


def _no_space_left(folder) -> bool:
    try:
        return shutil.disk_usage(folder).free < NO_SPACE_BYTES
    except OSError:
        return False


def disk_problem(data_dir, min_free: int = DEFAULT_MIN_FREE_BYTES) -> str | None:
    """Why the data dir cannot take more data (too little free space, or a small test
    write fails), or None when it can. Plain English: for logs and the health check."""
    try:
        free = shutil.disk_usage(data_dir).free
    except OSError as error:
        return f"The data folder cannot be read: {error.strerror}."
    if free < min_free:
        return (
            f"Only {free // (1024 * 1024)} MB free in the data folder; at least "
            f"{min_free // (1024 * 1024)} MB are needed."
        )
    probe = Path(data_dir) / f".write-test-{uuid.uuid4().hex}"
    try:
        with probe.open("wb") as handle:
            # No fsync: hubs probe often; the free-space figure covers delayed allocation.
            handle.write(b"\0" * 4096)
    except OSError as error:
        return f"A test write in the data folder failed: {error.strerror}."
    finally:
        probe.unlink(missing_ok=True)
    return None


def from_outbox() -> bool:
    """A record sent by a phone's script (its outbox, or Finalize in reach): the answer is
    JSON, never a page or a redirect, so the phone can keep what was refused."""
    return request.headers.get("X-Hub-Outbox") == "1"


def error_response(status: int, code: str, message: str | None = None):
    message = message or _messages().get(status) or _messages()[400]
    if request.path.startswith("/api/") or request.path == "/healthz":
        return jsonify(error={"code": code, "message": message}), status
    if from_outbox():
        return jsonify(error=code, message=message), status
    return render_template("error.html", status=status, message=message), status


def handle_http(error: HTTPException):
    code = (error.name or "error").lower().replace(" ", "_")
    return error_response(error.code or 500, code)


def handle_csrf(error: CSRFError):
    return error_response(
        400,
        "csrf",
        gettext(
            "This page was open too long or was opened in another session. "
            "Go back, reload the page and try again; your saved answers are kept."
        ),
    )


BUSY_RETRY_SECONDS = 5


def is_busy(error: BaseException) -> bool:
    """SQLite's write lock was not free within the busy timeout (a crowd of writers)."""
    return isinstance(error, sqlite3.OperationalError) and "locked" in str(error)


def busy_response(error: Exception):
    """The database was too busy to take this request: it rolled back, nothing was saved,
    and the client should send it again (a hub does, with the same batch, kept once)."""
    current_app.logger.warning("Database busy on %s: %s", request.path, error)
    body, status = error_response(
        503,
        "busy",
        gettext("The server is busy: nothing of this request was saved. Try again in a moment."),
    )
    return body, status, {"Retry-After": str(BUSY_RETRY_SECONDS)}


def handle_disk_full(error: Exception):
    """A full disk: the transaction rolled back, so say plainly that nothing was saved."""
    if is_busy(error):
        return busy_response(error)
    if not is_disk_full(error, current_app.config.get("DATA_DIR")):
        return handle_unexpected(error)
    current_app.logger.error("Disk full on %s: %s", request.path, error)
    code, message = current_app.extensions["disk_full_answer"]()
    return error_response(DISK_FULL_STATUS, code, message)


def hub_disk_full() -> tuple[str, str]:
    return "disk_full", gettext(
        "The hub's disk is full: nothing was saved. Tell the hub's operator."
    )


def server_disk_full() -> tuple[str, str]:
    return "server_disk_full", gettext(
        "The server's disk is full: nothing was saved. Tell the server's administrator."
    )


def handle_unexpected(error: Exception):
    # Flask announces only the exceptions no handler takes; this one is taken here, so it is
    # announced here, for whoever follows errors (the server's log).
    # cast: Flask's stubs declare current_app a Flask, but it is the proxy in front of one.
    app = cast("LocalProxy[Flask]", current_app)._get_current_object()
    got_request_exception.send(app, exception=error)
    current_app.logger.exception("Unhandled error on %s", request.path)
    return error_response(500, InternalServerError().name.lower().replace(" ", "_"))


def init_app(app, disk_full_answer: Callable[[], tuple[str, str]]) -> None:
    """`disk_full_answer`: the error code and message for a full disk, which say whom to
    tell (`hub_disk_full` or `server_disk_full`): each app passes its own."""
    app.extensions["disk_full_answer"] = disk_full_answer
    app.register_error_handler(CSRFError, handle_csrf)
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(sqlite3.OperationalError, handle_disk_full)
    app.register_error_handler(OSError, handle_disk_full)
    app.register_error_handler(Exception, handle_unexpected)
