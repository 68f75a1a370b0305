"""Accounts: everyone's own page (password, API tokens) and the admins' users page.

Every change here ends the sessions it must (collector.sessions) and is written to the
security log by the store, in the same transaction.
"""

from __future__ import annotations

import math
from datetime import timedelta

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext, ngettext

from collector import passwords
from collector.clock import utcnow
from collector.security_log import user_account

from . import api_tokens
from .auth import RANK, role_required
from .store import LastAdminError, get_store

bp = Blueprint("accounts", __name__)
ROLES = ("admin", "analyst", "viewer")
MIN_PASSWORD, MAX_PASSWORD, MIN_SCORE = 12, 256, 3
ZXCVBN_MAX = 72  # the library refuses longer input; the first 72 characters are judged
TOKEN_DAYS = (30, 90, 365, 0)  # 0: no expiry
MAX_NAME = 100


# -- the password rule (the CLI uses it too: outside a request gettext gives English) ------


def password_problem(password: str, name: str) -> str | None:
    """Why a new password is refused, in plain words; None when it is good enough."""
    if len(password) < MIN_PASSWORD:
        return gettext("A password needs at least %(count)d characters.", count=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        return gettext("A password can have at most %(count)d characters.", count=MAX_PASSWORD)
    if len(name) >= 3 and name.casefold() in password.casefold():
        return gettext("A password must not contain the user name.")
    if strength(password, name) < MIN_SCORE:
        return gettext(
            "This password is too easy to guess: it is common, or made of a name, "
            "a date, a keyboard row or a repeated pattern. Try four or five "
            "unrelated words."
        )
    return None


def strength(password: str, name: str) -> int:
    """zxcvbn's score, 0 (guessed at once) to 4 (very hard to guess)."""
    try:
        from zxcvbn import zxcvbn
    except ImportError as error:  # pragma: no cover - a collector-only install
        raise RuntimeError(
            "The central server needs its extra packages: "
            "pip install 'community-feedback-collector[server]'"
        ) from error
    return zxcvbn(password[:ZXCVBN_MAX], user_inputs=[name])["score"]


def _actor() -> str:
    account = user_account(g.user["id"])
    assert account is not None  # asked on signed-in pages only: g.user has an id
    return account


def _throttle_keys() -> list:
    # Counted apart from the API's failed tokens: one must not slow the other.
    return [("password_client", request.remote_addr), ("password_account", _actor())]


# -- everyone's own account ----------------------------------------------------------------


@bp.route("/account")
@role_required("viewer")
def account():
    return _account_page()


def _account_page(status: int = 200, error: str | None = None, new_token: dict | None = None):
    may_have_tokens = RANK[g.user["role"]] >= RANK["analyst"]
    tokens = api_tokens.tokens_of(get_store().db, g.user["id"]) if may_have_tokens else []
    return render_template(
        "account.html",
        error=error,
        tokens=tokens,
        new_token=new_token,
        may_have_tokens=may_have_tokens,
        token_days=TOKEN_DAYS,
    ), status


@bp.route("/account/password", methods=("POST",))
@role_required("viewer")
def change_password():
    """The current password is asked again: a session left open must not be enough."""
    store, delays = get_store(), api_tokens.throttle()
    wait = delays.wait(*_throttle_keys())
    if wait > 0:
        return _account_page(
            429,
            ngettext(
                "Too many wrong passwords. Try again in %(num)d second.",
                "Too many wrong passwords. Try again in %(num)d seconds.",
                math.ceil(wait),
            ),
        )
    current = request.form.get("current_password", "")
    new, again = request.form.get("new_password", ""), request.form.get("confirm_password", "")
    if not passwords.matches(store.user_record(g.user["id"])["password_hash"], current):
        delays.failed(*_throttle_keys())
        return _account_page(400, gettext("Your current password is not right."))
    problem = _new_password_problem(new, again, g.user["name"])
    if problem:
        return _account_page(400, problem)
    ended = store.set_password(
        g.user["id"], passwords.hash_secret(new), _actor(), keep_session=session.get("sid")
    )
    flash(gettext("Your password is changed."))
    if ended:
        flash(gettext("Your other sessions are signed out."))
    return redirect(url_for("accounts.account"))


def _new_password_problem(new: str, again: str, name: str) -> str | None:
    if new != again:
        return gettext("The two new passwords are not the same.")
    return password_problem(new, name)


@bp.route("/account/tokens", methods=("POST",))
@role_required("analyst")
def create_token():
    """A new token, shown on this answer only (never put in the session cookie)."""
    label = request.form.get("label", "").strip()
    days = request.form.get("days", type=int)
    if not label or len(label) > api_tokens.MAX_LABEL:
        return _account_page(400, gettext("Give the token a label of 1 to 100 characters."))
    if days not in TOKEN_DAYS:
        return _account_page(400, gettext("Choose how long the token works."))
    expires_at = (
        None if not days else (utcnow() + timedelta(days=days)).isoformat().replace("+00:00", "Z")
    )
    token_id, token = api_tokens.create(
        get_store().db, g.user["id"], label, expires_at=expires_at, actor=_actor()
    )
    return _account_page(201, new_token={"id": token_id, "label": label, "token": token})


@bp.route("/account/tokens/<int:token_id>/revoke", methods=("POST",))
@role_required("viewer")
def revoke_token(token_id: int):
    if not api_tokens.revoke(get_store().db, token_id, owner=g.user["id"], actor=_actor()):
        abort(404)
    flash(gettext("The token is revoked: scripts that use it stop working."))
    return redirect(url_for("accounts.account"))


# -- the admins' users page --------------------------------------------------------------


@bp.route("/users")
@role_required("admin")
def users():
    return _users_page()


def _users_page(status: int = 200, error: str | None = None, form: dict | None = None):
    return render_template(
        "users.html", users=get_store().users(), roles=ROLES, error=error, form=form or {}
    ), status


@bp.route("/users", methods=("POST",))
@role_required("admin")
def add_user():
    store = get_store()
    name = request.form.get("name", "").strip()
    role = request.form.get("role", "")
    password = request.form.get("password", "")
    form = {"name": name, "role": role}
    if not name or len(name) > MAX_NAME:
        return _users_page(400, gettext("Give a name of 1 to 100 characters."), form)
    if role not in ROLES:
        return _users_page(400, gettext("Choose a role."), form)
    if store.user_exists(name):
        return _users_page(
            400, gettext("There is already a user called %(name)s.", name=name), form
        )
    problem = password_problem(password, name)
    if problem:
        return _users_page(400, problem, form)
    store.add_user(name, role, passwords.hash_secret(password), actor=_actor())
    flash(gettext("%(name)s can now sign in.", name=name))
    return redirect(url_for("accounts.users"))


def _target(user_id: int) -> dict:
    user = get_store().user_record(user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users/<int:user_id>/role", methods=("POST",))
@role_required("admin")
def change_role(user_id: int):
    user, role = _target(user_id), request.form.get("role", "")
    if role not in ROLES:
        return _users_page(400, gettext("Choose a role."))
    if user_id == g.user["id"] and role != user["role"]:
        return _users_page(400, gettext("You cannot change your own role: ask another admin."))
    try:
        changed = get_store().set_role(user_id, role, _actor())
    except LastAdminError:
        return _users_page(400, gettext("At least one enabled admin must remain."))
    if changed:
        flash(
            gettext(
                "%(name)s is now %(role)s and is signed out everywhere.",
                name=user["name"],
                role=role_label(role),
            )
        )
    return redirect(url_for("accounts.users"))


@bp.route("/users/<int:user_id>/disable", methods=("POST",))
@role_required("admin")
def disable(user_id: int):
    user = _target(user_id)
    if user_id == g.user["id"]:
        return _users_page(400, gettext("You cannot disable your own account."))
    try:
        get_store().set_disabled(user_id, True, _actor())
    except LastAdminError:
        return _users_page(400, gettext("At least one enabled admin must remain."))
    flash(
        gettext(
            "%(name)s is disabled: signed out everywhere, API tokens revoked.", name=user["name"]
        )
    )
    return redirect(url_for("accounts.users"))


@bp.route("/users/<int:user_id>/enable", methods=("POST",))
@role_required("admin")
def enable(user_id: int):
    user = _target(user_id)
    get_store().set_disabled(user_id, False, _actor())
    flash(gettext("%(name)s can sign in again.", name=user["name"]))
    return redirect(url_for("accounts.users"))


@bp.route("/users/<int:user_id>/password", methods=("POST",))
@role_required("admin")
def set_password(user_id: int):
    """An admin sets a new password for someone who lost theirs; their sessions end."""
    user = _target(user_id)
    if user_id == g.user["id"]:  # there, the current password is asked again
        return _users_page(400, gettext("Change your own password on your Account page."))
    problem = _new_password_problem(
        request.form.get("new_password", ""), request.form.get("confirm_password", ""), user["name"]
    )
    if problem:
        return _users_page(400, problem)
    get_store().set_password(user_id, passwords.hash_secret(request.form["new_password"]), _actor())
    flash(
        gettext(
            "The password of %(name)s is changed; they are signed out everywhere.",
            name=user["name"],
        )
    )
    return redirect(url_for("accounts.users"))


def role_label(role: str) -> str:
    return {"admin": gettext("admin"), "analyst": gettext("analyst"), "viewer": gettext("viewer")}[
        role
    ]


@bp.app_context_processor
def helpers():
    return {"role_label": role_label}
