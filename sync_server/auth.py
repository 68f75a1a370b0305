"""Central users sign in; each role reaches only its own pages.

admin: users, devices, forms, and everything an analyst does, sensitive reports included.
analyst: records, corrections, exports, replies to the community.
viewer: dashboards only.
"""

from __future__ import annotations

import functools

from flask import (Blueprint, abort, current_app, flash, g, redirect, render_template, request,
                   session, url_for)
from flask_babel import gettext
from werkzeug.security import check_password_hash, generate_password_hash

from collector.security import limiter

from .store import get_store

bp = Blueprint("auth", __name__)
RANK = {"viewer": 0, "analyst": 1, "admin": 2}
# Checked when no such user exists, so a wrong name costs as long as a wrong password.
_DUMMY = generate_password_hash("not a password")


@bp.before_app_request
def load_user():
    user_id = session.get("user_id")
    g.user = get_store().user(user_id) if user_id is not None else None


def role_required(role: str):
    """Signed in with at least `role`; otherwise sign in, or 403."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(**kwargs):
            if g.user is None:
                return redirect(url_for("auth.signin", next=request.full_path))
            if RANK[g.user["role"]] < RANK[role]:
                abort(403)
            return view(**kwargs)

        return wrapped

    return decorator


def can(role: str) -> bool:
    return g.user is not None and RANK[g.user["role"]] >= RANK[role]


def check_password(name: str, password: str) -> dict | None:
    user = get_store().user_by_name(name.strip())
    if user is None:
        check_password_hash(_DUMMY, password)
        return None
    return user if check_password_hash(user["password_hash"], password) else None


@bp.route("/signin", methods=("GET", "POST"))
@limiter.limit(lambda: current_app.config["SIGNIN_RATE_LIMIT"], methods=["POST"])
def signin():
    error = None
    if request.method == "POST":
        user = check_password(request.form.get("name", ""), request.form.get("password", ""))
        if user is not None:
            session.clear()
            session.permanent = True
            session["user_id"] = user["id"]
            target = request.args.get("next", "")
            safe = target.startswith("/") and not target.startswith("//")
            return redirect(target if safe else url_for("dashboard.index"))
        error = gettext("That name and password do not match.")
    return render_template("server_signin.html", error=error,
                           name=request.form.get("name", "")), 401 if error else 200


@bp.route("/signout", methods=("POST",))
def signout():
    session.clear()
    flash(gettext("You are signed out."))
    return redirect(url_for("auth.signin"))
