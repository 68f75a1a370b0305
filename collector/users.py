"""Enumerator accounts and their hashed PINs."""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import passwords, sessions
from .clock import now_iso
from .db import write_transaction
from .security_log import log_event, user_account

PIN_PATTERN = re.compile(r"^[0-9]{4,12}$")
# The operator runs the laptop: enrolls it or changes its server, and oversees the kiosk's
# messages and every rejected record on the Sync page.
ROLES = ("enumerator", "operator")


class UserError(ValueError):
    """A user that cannot be added as asked."""


@dataclass
class SignIn:
    user_id: int | None = None  # set when the PIN is right
    known_id: int | None = None  # the account the name belongs to, right PIN or not (for the log)

    @property
    def ok(self) -> bool:
        return self.user_id is not None


def add_user(db, name: str, pin: str, role: str = "enumerator") -> int:
    name = name.strip()
    if role not in ROLES:
        raise UserError(f"A role is one of: {', '.join(ROLES)}.")
    if not name or len(name) > 80:
        raise UserError("A name needs 1 to 80 characters.")
    if not PIN_PATTERN.match(pin):
        raise UserError("A PIN is 4 to 12 digits.")
    with write_transaction(db):
        if db.execute("SELECT 1 FROM users WHERE name = ?", [name]).fetchone():
            raise UserError(f"There is already an enumerator called {name}.")
        cursor = db.execute(
            "INSERT INTO users (name, pin_hash, role, created_at) VALUES (?, ?, ?, ?)",
            [name, passwords.hash_secret(pin), role, now_iso()],
        )
    return cursor.lastrowid


def set_pin(db, name: str, pin: str) -> int:
    """A new PIN (a forgotten one, or one others may know): every session of the account
    ends, so a phone signed in with the old PIN is signed out."""
    if not PIN_PATTERN.match(pin):
        raise UserError("A PIN is 4 to 12 digits.")
    return _change(db, name, "pin_hash", passwords.hash_secret(pin), "password_changed", None)


def set_role(db, name: str, role: str) -> int:
    """Make an account an enumerator or an operator; its sessions end."""
    if role not in ROLES:
        raise UserError(f"A role is one of: {', '.join(ROLES)}.")
    return _change(db, name, "role", role, "role_changed", role)


def _change(db, name: str, column: str, value: str, event: str, detail: str | None) -> int:
    with write_transaction(db):
        user_id = user_id_by_name(db, name)
        if user_id is None:
            raise UserError(f"There is no enumerator called {name.strip()}.")
        db.execute(f"UPDATE users SET {column} = ? WHERE id = ?", [value, user_id])
        ended = sessions.end_all(db, user_id)
        log_event(db, event, user_account(user_id), detail)
        if ended:
            log_event(db, "sessions_ended", user_account(user_id), f"{ended} by {event}")
    return user_id


def list_users(db) -> list[dict]:
    return list(db.query("SELECT id, name, role, created_at FROM users ORDER BY name"))


def get_user(db, user_id: int) -> dict | None:
    rows = list(db.query("SELECT id, name, role FROM users WHERE id = ?", [user_id]))
    return rows[0] if rows else None


def check_pin(db, name: str, pin: str) -> SignIn:
    """Verify a name and PIN. Delays after wrong PINs are the caller's (collector.throttle):
    nothing about failed attempts is written, so no clock can keep an account locked."""
    row = db.execute("SELECT id, pin_hash FROM users WHERE name = ?", [name.strip()]).fetchone()
    if row is None:
        passwords.check_nobody(pin)
        return SignIn()
    user_id, pin_hash = row
    if passwords.matches(pin_hash, pin):
        return SignIn(user_id=user_id, known_id=user_id)
    return SignIn(known_id=user_id)


def user_id_by_name(db, name: str) -> int | None:
    row = db.execute("SELECT id FROM users WHERE name = ?", [name.strip()]).fetchone()
    return row[0] if row else None
