"""Enumerator sign-in with name and PIN; the kiosk needs none.

Wrong PINs slow the next attempts down (growing delays, collector.throttle) instead of
locking the account, and the answer is the same whether the name exists or not. A phone
an enumerator has signed in on before carries a "known device" cookie for that name
(OWASP's defence against online guessing): its attempts are counted on their own, so
strangers trying PINs on the kiosk slow only each other, never the enumerator's phone.
Sessions live in the database (collector.sessions): signing out ends every copy of the
cookie, and no cookie carries an expiry date that a wrong laptop clock could spoil.
"""

from __future__ import annotations

import functools
import hashlib
import math
import secrets
from datetime import timedelta

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from itsdangerous import BadSignature, URLSafeSerializer

from . import sessions
from .db import get_db, write_transaction
from .errors import error_response, from_outbox
from .i18n import wait_message
from .security import limiter
from .security_log import log_event, user_account
from .throttle import Throttle
from .users import check_pin, get_user, user_id_by_name

bp = Blueprint("auth", __name__)
DEVICE_COOKIE = "collector_device"
DEVICE_COOKIE_DAYS = 365
KNOWN_NAMES_PER_DEVICE = 5  # a phone shared by a team remembers a few names, not all


@bp.before_app_request
def load_user():
    g.user = None
    sid = session.get("sid")
    if sid is None:
        return
    user_id = sessions.resolve(get_db(), sid, _idle_limit())
    if user_id is not None:
        g.user = get_user(get_db(), user_id)
    if g.user is None:
        session.pop("sid", None)  # ended, idle too long, or the account is gone


def _idle_limit() -> timedelta:
    return timedelta(hours=current_app.config["HUB"]["session_hours"])


def login_required(view):
    @functools.wraps(view)
    def wrapped(**kwargs):
        if g.user is None:
            if from_outbox():
                message = gettext("Sign in again to send the records kept on this phone.")
                return jsonify(error="signed_out", message=message), 401
            return redirect(url_for("auth.signin", next=request.full_path))
        return view(**kwargs)

    return wrapped


def is_operator(user) -> bool:
    return user is not None and user.get("role") == "operator"


def operator_required(view):
    """Only the laptop's operator: enrolling the hub, changing its server."""

    @functools.wraps(view)
    @login_required
    def wrapped(**kwargs):
        if not is_operator(g.user):
            return error_response(
                403,
                "operator_required",
                gettext(
                    "Only the laptop's operator can do this. Ask the person who runs this hub."
                ),
            )
        return view(**kwargs)

    return wrapped


def _signin_limit():
    return current_app.config["HUB"]["signin_rate_limit"]


@bp.record_once
def _make_throttles(state) -> None:
    hub = state.app.config["HUB"]
    delays = dict(base=hub["signin_delay_seconds"], cap=hub["signin_max_delay_seconds"])
    state.app.extensions["signin_throttles"] = {
        "client": Throttle(free=hub["signin_client_free_attempts"], **delays),
        "account": Throttle(free=hub["signin_free_attempts"], **delays),
        "device": Throttle(free=hub["signin_free_attempts"], **delays),
    }


class _Counters:
    """The failure counters one sign-in attempt is charged to."""

    def __init__(self, name: str, device_nonce: str | None):
        throttles = current_app.extensions["signin_throttles"]
        account = name.strip().casefold()
        self.pairs: list[tuple[Throttle, tuple[str | None, ...]]]
        if device_nonce:
            # A phone this person signed in on: its own count, untouched by strangers.
            self.pairs = [(throttles["device"], ("device", account, device_nonce))]
        else:
            self.pairs = [
                (throttles["client"], ("client", request.remote_addr)),
                (throttles["account"], ("account", account)),
            ]

    def wait(self) -> float:
        return max(throttle.wait(key) for throttle, key in self.pairs)

    def failed(self) -> float:
        return max(throttle.failed(key) for throttle, key in self.pairs)

    def succeeded(self) -> None:
        for throttle, key in self.pairs:
            throttle.succeeded(key)


@bp.route("/signin", methods=("GET", "POST"))
@limiter.limit(_signin_limit, methods=["POST"])
def signin():
    if request.method == "GET":
        return render_template("signin.html", error=None, name="")
    name, pin = request.form.get("name", ""), request.form.get("pin", "")
    db = get_db()
    device_nonce = _known_device_nonce(name)
    counters = _Counters(name, device_nonce)
    wait = counters.wait()
    if wait > 0:
        # Not even checked: the same answer for every name, right PIN or not.
        _log(db, "signin_throttled", user_id_by_name(db, name))
        return _refused(name, wait, 429)
    result = check_pin(db, name, pin)
    if not result.ok:
        wait = counters.failed()
        _log(db, "signin_failed", result.known_id)
        return _refused(name, wait, 401)
    counters.succeeded()
    with write_transaction(db):
        sessions.forget_idle(db, _idle_limit())
        sid = sessions.start(db, result.user_id)
        log_event(db, "signin_succeeded", user_account(result.user_id))
    session.clear()
    session.permanent = False  # no expiry date in the cookie: idle time is counted here
    session["sid"] = sid
    response = redirect(_safe_next(request.args.get("next")))
    _remember_device(response, name, device_nonce)
    return response


@bp.route("/signout", methods=("POST",))
def signout():
    db = get_db()
    with write_transaction(db):
        sessions.end(db, session.get("sid"))
        if g.user is not None:
            log_event(db, "signed_out", user_account(g.user["id"]))
    session.clear()
    flash(gettext("You are signed out."))
    return redirect(url_for("hub.index"))


def _refused(name: str, wait: float, status: int):
    if wait > 0:
        seconds = math.ceil(wait)
        error = wait_message(seconds)
    else:
        error = gettext("That name and PIN do not match.")
    return render_template("signin.html", error=error, name=name), status


def _log(db, event: str, user_id: int | None) -> None:
    with write_transaction(db):
        log_event(db, event, user_account(user_id))


def _device_serializer() -> URLSafeSerializer:
    key = current_app.secret_key
    assert key is not None  # create_app always sets SECRET_KEY, from the data dir
    return URLSafeSerializer(
        key, salt="collector-known-device", signer_kwargs={"digest_method": hashlib.sha256}
    )


def _known_names() -> list[list[str]]:
    """[[name, nonce], ...] from this browser's known-device cookie; [] when absent or forged."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return []
    try:
        entries = _device_serializer().loads(raw)
    except BadSignature:
        return []
    if not isinstance(entries, list):
        return []
    return [
        entry
        for entry in entries
        if isinstance(entry, list)
        and len(entry) == 2
        and all(isinstance(part, str) for part in entry)
    ]


def _known_device_nonce(name: str) -> str | None:
    account = name.strip().casefold()
    return next((nonce for known, nonce in _known_names() if known == account), None)


def _remember_device(response, name: str, nonce: str | None) -> None:
    account = name.strip().casefold()
    entry = [account, nonce or secrets.token_urlsafe(16)]
    others = [known for known in _known_names() if known[0] != account]
    value = _device_serializer().dumps([entry] + others[: KNOWN_NAMES_PER_DEVICE - 1])
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=DEVICE_COOKIE_DAYS * 86400,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
    )


def _safe_next(target: str | None) -> str:
    # Only paths on this hub: never an open redirect to another site.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("hub.index")
