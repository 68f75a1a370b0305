"""Personal API tokens: how scripts (R, pandas) read records without a person's password.

A token is 32 random bytes behind a recognisable prefix (`cfc_`), so one found in a
leaked file or repository is easy to spot. Only its SHA-256 is stored; the token itself
is shown once, when it is made. It works only while it is not revoked nor expired, its
user is enabled and that user's role may still read records. Account passwords are never
accepted by the API: a password that can be tried there can be guessed there.
"""

from __future__ import annotations

import hashlib
import json
import math
import secrets

from flask import Response, current_app, request

from collector import throttle as delays_module
from collector.clock import now_iso, parse_iso, utcnow
from collector.security_log import log_event, user_account
from collector.throttle import Throttle

PREFIX = "cfc_"
RECORDS_READ = "records:read"
SCOPES = (RECORDS_READ,)
READ_ROLES = ("analyst", "admin")  # the roles whose tokens may read records
MAX_LABEL = 100
TOUCH_EVERY_SECONDS = 60  # last_used_at moves at most once a minute: fewer writes
COLUMNS = "id, user_id, label, scope, created_at, last_used_at, revoked_at, expires_at"


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def looks_like_token(text: str) -> bool:
    return text.startswith(PREFIX)


# -- create, list, revoke (each in its own transaction unless said otherwise) ----------------


def create(
    db,
    user_id: int,
    label: str,
    scope: str = RECORDS_READ,
    expires_at: str | None = None,
    actor: str | None = None,
) -> tuple[int, str]:
    """A new token for a user: (its id, the token). The token is never stored."""
    if scope not in SCOPES:
        raise ValueError(f"Unknown scope {scope}")
    token = new_token()
    with db.transaction():
        token_id = db.execute(
            "INSERT INTO api_tokens (user_id, label, token_hash, scope, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            [user_id, label[:MAX_LABEL], token_hash(token), scope, now_iso(), expires_at],
        ).fetchone()[0]
        log_event(
            db, "api_token_created", user_account(user_id), _detail(f"token {token_id}", actor)
        )
    return token_id, token


def tokens_of(db, user_id: int) -> list[dict]:
    """A user's tokens, newest first, each with its state (active, expired, revoked)."""
    rows = list(
        db.query(f"SELECT {COLUMNS} FROM api_tokens WHERE user_id = ? ORDER BY id DESC", [user_id])
    )
    now = now_iso()
    for row in rows:
        row["state"] = (
            "revoked"
            if row["revoked_at"]
            else "expired"
            if row["expires_at"] and row["expires_at"] <= now
            else "active"
        )
    return rows


def token(db, token_id: int) -> dict | None:
    rows = list(db.query(f"SELECT {COLUMNS} FROM api_tokens WHERE id = ?", [token_id]))
    return rows[0] if rows else None


def revoke(db, token_id: int, owner: int | None = None, actor: str | None = None) -> bool:
    """Revoke one token (only among `owner`'s when given); False when there was none to
    revoke."""
    with db.transaction():
        sql, params = (
            "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            [now_iso(), token_id],
        )
        if owner is not None:
            sql, params = sql + " AND user_id = ?", params + [owner]
        found = db.execute("SELECT user_id FROM api_tokens WHERE id = ?", [token_id]).fetchone()
        done = bool(db.execute(sql, params).rowcount)
        if done:
            log_event(
                db, "api_token_revoked", user_account(found[0]), _detail(f"token {token_id}", actor)
            )
    return done


def revoke_all(db, user_id: int, actor: str | None = None) -> int:
    """Revoke every live token of a user, inside the caller's transaction."""
    count = db.execute(
        "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
        [now_iso(), user_id],
    ).rowcount
    if count:
        log_event(db, "api_token_revoked", user_account(user_id), _detail(f"{count} tokens", actor))
    return count


def _detail(text: str, actor: str | None) -> str:
    return f"{text}, by {actor}" if actor else text


# -- authentication ----------------------------------------------------------------------------


def check(db, token: str, scope: str = RECORDS_READ) -> tuple[dict | None, str, str | None]:
    """(the user, "ok", account) for a usable token; else (None, why not, account or None)."""
    row = db.execute(
        "SELECT t.id, t.user_id, t.scope, t.revoked_at, t.expires_at, t.last_used_at, u.name,"
        " u.role, u.disabled_at FROM api_tokens t JOIN users u ON u.id = t.user_id"
        " WHERE t.token_hash = ?",
        [token_hash(token)],
    ).fetchone()
    if row is None:
        return None, "unknown_token", None
    (
        token_id,
        user_id,
        token_scope,
        revoked_at,
        expires_at,
        last_used_at,
        name,
        role,
        disabled_at,
    ) = row
    account = user_account(user_id)
    now = now_iso()
    reason = (
        "revoked_token"
        if revoked_at
        else "expired_token"
        if expires_at and expires_at <= now
        else "disabled_account"
        if disabled_at
        else "role_not_allowed"
        if role not in READ_ROLES
        else "scope_not_allowed"
        if token_scope != scope
        else None
    )
    if reason:
        return None, reason, account
    if (
        last_used_at is None
        or (utcnow() - parse_iso(last_used_at)).total_seconds() >= TOUCH_EVERY_SECONDS
        or last_used_at > now
    ):
        with db.transaction():
            db.execute("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", [now, token_id])
    return {"id": user_id, "name": name, "role": role}, "ok", account


def throttle() -> Throttle:
    """The app's delays after failed API sign-ins, shared by every server process."""
    extensions = current_app.extensions
    if "api_auth_throttle" not in extensions:
        extensions["api_auth_throttle"] = delays_module.shared(
            current_app,
            "api_auth",
            free=current_app.config.get("API_AUTH_FREE_ATTEMPTS", 5),
            base=1.0,
            cap=900.0,
        )
    return extensions["api_auth_throttle"]


def request_user(db, scope: str = RECORDS_READ) -> tuple[dict | None, Response | None]:
    """Who sent this API request: (user, None), or (None, the error response to send).

    A token comes as `Authorization: Bearer <token>`, or as the password of HTTP Basic
    (the user name is ignored) for tools that only speak Basic. Failures from one client,
    and on one account, wait longer and longer after a few; each is logged, without the
    token.
    """
    client = ("client", request.remote_addr)
    delays = throttle()
    wait = delays.wait(client)
    if wait > 0:
        return None, _throttled(wait)
    kind, credential = _credential()
    if kind is None:
        return None, _unauthorized(
            "unauthorized",
            "Send a personal API token: "
            "Authorization: Bearer <token>. Create one on your Account "
            "page in the central workspace.",
        )
    if kind == "password":
        user, reason, account = None, "password_refused", None
    else:
        assert credential is not None  # _credential gives a token with kind "token"
        user, reason, account = check(db, credential, scope)
    if user is not None:
        return user, None
    keys = [client] + ([("account", account)] if account else [])
    delays.failed(*keys)
    with db.transaction():
        log_event(db, "api_auth_failed", account, reason)
    if kind == "password":
        return None, _unauthorized(
            "password_not_accepted",
            "Account passwords are not "
            "accepted by the API. Create a personal API token on your "
            "Account page in the central workspace and send it as "
            "Authorization: Bearer <token>.",
        )
    return None, _unauthorized(
        "invalid_token",
        "This API token is not valid: it is unknown, "
        "revoked or expired, or its account may no longer read records.",
    )


def _credential() -> tuple[str | None, str | None]:
    """("token", the token), ("password", None) for Basic with a password, or (None, None)."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return "token", value.strip()
    basic = request.authorization if scheme.lower() == "basic" else None
    if basic is not None and basic.password:
        if looks_like_token(basic.password):
            return "token", basic.password
        return "password", None
    return None, None


def _unauthorized(code: str, message: str) -> Response:
    return _error(401, code, message, {"WWW-Authenticate": 'Bearer realm="central"'})


def _throttled(wait: float) -> Response:
    seconds = max(1, math.ceil(wait))
    return _error(
        429,
        "too_many_attempts",
        f"Too many failed attempts from this address: try again in {seconds} seconds.",
        {"Retry-After": str(seconds)},
    )


def _error(status: int, code: str, message: str, headers: dict) -> Response:
    return Response(
        json.dumps({"error": {"code": code, "message": message}}),
        status,
        mimetype="application/json",
        headers=headers,
    )
