"""Enumerator sign-in with name and PIN; the kiosk needs none."""

from __future__ import annotations

import functools

from flask import (Blueprint, current_app, flash, g, jsonify, redirect, render_template, request,
                   session, url_for)
from flask_babel import format_datetime, gettext

from .clock import parse_iso
from .db import get_db
from .errors import from_outbox
from .security import limiter
from .users import check_pin, get_user

bp = Blueprint("auth", __name__)


@bp.before_app_request
def load_user():
    user_id = session.get("user_id")
    g.user = get_user(get_db(), user_id) if user_id is not None else None


def login_required(view):
    @functools.wraps(view)
    def wrapped(**kwargs):
        if g.user is None:
            if from_outbox():
                return jsonify(error="signed_out",
                               message=gettext("Sign in again to send the records kept on this phone.")), 401
            return redirect(url_for("auth.signin", next=request.full_path))
        return view(**kwargs)

    return wrapped


def _signin_limit():
    return current_app.config["HUB"]["signin_rate_limit"]


@bp.route("/signin", methods=("GET", "POST"))
@limiter.limit(_signin_limit, methods=["POST"])
def signin():
    error = None
    if request.method == "POST":
        hub = current_app.config["HUB"]
        result = check_pin(get_db(), request.form.get("name", ""), request.form.get("pin", ""),
                           hub["pin_attempts"], hub["lockout_minutes"])
        if result.ok:
            session.clear()
            session.permanent = True
            session["user_id"] = result.user_id
            return redirect(_safe_next(request.args.get("next")))
        if result.locked_until:
            error = gettext("Too many wrong PINs. This account is locked until %(time)s.",
                            time=format_datetime(parse_iso(result.locked_until), "short"))
        else:
            error = gettext("That name and PIN do not match.")
    status = 401 if error else 200
    return render_template("signin.html", error=error, name=request.form.get("name", "")), status


@bp.route("/signout", methods=("POST",))
def signout():
    session.clear()
    flash(gettext("You are signed out."))
    return redirect(url_for("hub.index"))


def _safe_next(target: str | None) -> str:
    # Only paths on this hub: never an open redirect to another site.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("hub.index")
