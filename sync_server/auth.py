"""Central users sign in; each role reaches only its own pages.

admin: users, devices, forms, and everything an analyst does, sensitive reports included.
analyst: records, corrections, exports, replies to the community.
viewer: dashboards only.

Sessions live in the database (collector.sessions): signing out, a password change, a
disabled account or a new role ends them, and the cookie carries no expiry date. Wrong
passwords slow further attempts per account and per client (collector.throttle, counted
in a file every server process shares), with the same answer whether the name exists or not.
"""

from __future__ import annotations

import functools
import math

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext

from collector import passwords, sessions, throttle as delays_module
from collector.i18n import wait_message
from collector.security import limiter
from collector.security_log import log_event, user_account

from .store import get_store

bp = Blueprint("auth", __name__)
RANK = {"viewer": 0, "analyst": 1, "admin": 2}


@bp.before_app_request
def load_user():
    g.user = None
    sid = session.get("sid")
    if sid is None:
        return
    store = get_store()
    # Idle time, counted here: PERMANENT_SESSION_LIFETIME is no cookie's expiry any more.
    user_id = sessions.resolve(store.db, sid, current_app.permanent_session_lifetime)
    if user_id is not None:
        g.user = store.user(user_id)  # None for a disabled account
    if g.user is None:
        session.pop("sid", None)


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
        passwords.check_nobody(password)
        return None
    matches = passwords.matches(user["password_hash"], password)
    return user if matches and not user["disabled_at"] else None  # disabled: no sign-in


@bp.record_once
def _make_throttles(state) -> None:
    config = state.app.config
    delays = dict(base=config["SIGNIN_DELAY_SECONDS"], cap=config["SIGNIN_MAX_DELAY_SECONDS"])
    # Shared by every worker process: per-process counts would multiply the guesses allowed.
    state.app.extensions["signin_throttles"] = {
        "client": delays_module.shared(
            state.app, "signin_client", free=config["SIGNIN_CLIENT_FREE_ATTEMPTS"], **delays
        ),
        "account": delays_module.shared(
            state.app, "signin_account", free=config["SIGNIN_FREE_ATTEMPTS"], **delays
        ),
    }


def _counted(name: str) -> list:
    """(throttle, key) pairs a sign-in attempt is charged to."""
    throttles = current_app.extensions["signin_throttles"]
    return [
        (throttles["client"], ("client", request.remote_addr)),
        (throttles["account"], ("account", name.strip().casefold())),
    ]


@bp.route("/signin", methods=("GET", "POST"))
@limiter.limit(lambda: current_app.config["SIGNIN_RATE_LIMIT"], methods=["POST"])
def signin():
    if request.method == "GET":
        return render_template("server_signin.html", error=None, name="")
    name, password = request.form.get("name", ""), request.form.get("password", "")
    store, counted = get_store(), _counted(name)
    wait = max(throttle.wait(key) for throttle, key in counted)
    if wait > 0:
        # Not even checked: the same answer for every name, right password or not.
        _log("signin_throttled", _known_id(name))
        return _refused(name, wait, 429)
    user = check_password(name, password)
    if user is None:
        wait = max(throttle.failed(key) for throttle, key in counted)
        _log("signin_failed", _known_id(name))
        return _refused(name, wait, 401)
    for throttle, key in counted:
        throttle.succeeded(key)
    with store.transaction():
        sessions.forget_idle(store.db, current_app.permanent_session_lifetime)
        sid = sessions.start(store.db, user["id"])
        log_event(store.db, "signin_succeeded", user_account(user["id"]))
    session.clear()
    session.permanent = False  # no expiry date in the cookie: a wrong clock cannot spoil it
    session["sid"] = sid
    target = request.args.get("next", "")
    safe = target.startswith("/") and not target.startswith("//")
    return redirect(target if safe else url_for("dashboard.index"))


@bp.route("/signout", methods=("POST",))
def signout():
    store = get_store()
    with store.transaction():
        sessions.end(store.db, session.get("sid"))
        if g.user is not None:
            log_event(store.db, "signed_out", user_account(g.user["id"]))
    session.clear()
    flash(gettext("You are signed out."))
    return redirect(url_for("auth.signin"))


def _refused(name: str, wait: float, status: int):
    if wait > 0:
        seconds = math.ceil(wait)
        error = wait_message(seconds)
    else:
        error = gettext("That name and password do not match.")
    return render_template("server_signin.html", error=error, name=name), status


def _known_id(name: str) -> int | None:
    user = get_store().user_by_name(name.strip())
    return user["id"] if user else None


def _log(event: str, user_id: int | None) -> None:
    store = get_store()
    with store.transaction():
        log_event(store.db, event, user_account(user_id))
