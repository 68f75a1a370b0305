"""Exceptions become responses in one place: JSON for API paths, a page otherwise."""

from __future__ import annotations

from flask import jsonify, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError


def _messages():
    return {
        400: gettext("The request could not be understood."),
        403: gettext("You are not allowed to open this page."),
        404: gettext("This page does not exist."),
        405: gettext("This page cannot be used that way."),
        409: gettext("This record was changed elsewhere; open it again."),
        413: gettext("What you sent is too large."),
        429: gettext("Too many attempts. Please wait a minute and try again."),
        500: gettext("Something went wrong on the hub. Nothing you saved before is lost."),
    }


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
    return error_response(400, "csrf", gettext(
        "This page was open too long or was opened in another session. "
        "Go back, reload the page and try again; your saved answers are kept."))


def handle_unexpected(error: Exception):
    from flask import current_app

    current_app.logger.exception("Unhandled error on %s", request.path)
    return error_response(500, InternalServerError().name.lower().replace(" ", "_"))


def init_app(app) -> None:
    app.register_error_handler(CSRFError, handle_csrf)
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(Exception, handle_unexpected)
