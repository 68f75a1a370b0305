"""Checks every request of both apps passes before any page runs.

A NUL character is no part of any name, answer or address a person types, and PostgreSQL
refuses it in text: a path, query argument or form field holding one is answered 400 here,
alike on SQLite and PostgreSQL, instead of reaching a query. A sign-in refused so still
counts as a failed attempt from that client (collector.throttle), so the refusal is no way
round the growing delays.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_babel import gettext

from . import errors

NUL = "\x00"
SIGNIN_ENDPOINT = "auth.signin"


def init_app(app: Flask) -> None:
    app.before_request(refuse_nul)


def refuse_nul():
    if not _holds_nul():
        return None
    if request.endpoint == SIGNIN_ENDPOINT and request.method == "POST":
        throttles = current_app.extensions.get("signin_throttles", {})
        if "client" in throttles:
            throttles["client"].failed(("client", request.remote_addr))
    return errors.error_response(
        400,
        "nul_character",
        gettext(
            "The request holds a NUL character (code 0), which no address or field accepts: "
            "remove it and try again."
        ),
    )


def _holds_nul() -> bool:
    if NUL in request.path:
        return True
    fields = [*request.args.items(multi=True)]
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        fields += request.form.items(multi=True)
        fields += (
            (name, upload.filename or "") for name, upload in request.files.items(multi=True)
        )
    return any(NUL in name or NUL in value for name, value in fields)
