"""Enumerator accounts: hashed PINs and a lock after repeated wrong PINs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from werkzeug.security import check_password_hash, generate_password_hash

from .clock import now_iso, parse_iso, utcnow
from .db import write_transaction

PIN_PATTERN = re.compile(r"^[0-9]{4,12}$")
# Checked when no such user exists, so a wrong name costs as long as a wrong PIN.
_DUMMY_HASH = generate_password_hash("0000")


class UserError(ValueError):
    """A user that cannot be added as asked."""


@dataclass
class SignIn:
    user_id: int | None = None
    locked_until: str | None = None

    @property
    def ok(self) -> bool:
        return self.user_id is not None


def add_user(db, name: str, pin: str) -> int:
    name = name.strip()
    if not name or len(name) > 80:
        raise UserError("A name needs 1 to 80 characters.")
    if not PIN_PATTERN.match(pin):
        raise UserError("A PIN is 4 to 12 digits.")
    with write_transaction(db):
        if db.execute("SELECT 1 FROM users WHERE name = ?", [name]).fetchone():
            raise UserError(f"There is already an enumerator called {name}.")
        cursor = db.execute(
            "INSERT INTO users (name, pin_hash, created_at) VALUES (?, ?, ?)",
            [name, generate_password_hash(pin), now_iso()],
        )
    return cursor.lastrowid


def list_users(db) -> list[dict]:
    return list(db.query("SELECT id, name, created_at, locked_until FROM users ORDER BY name"))


def get_user(db, user_id: int) -> dict | None:
    rows = list(db.query("SELECT id, name FROM users WHERE id = ?", [user_id]))
    return rows[0] if rows else None


def check_pin(db, name: str, pin: str, attempts: int, lockout_minutes: int) -> SignIn:
    """Verify a PIN; count failures and lock the account after `attempts` in a row."""
    with write_transaction(db):
        row = db.execute(
            "SELECT id, pin_hash, failed_attempts, locked_until FROM users WHERE name = ?",
            [name.strip()],
        ).fetchone()
        if row is None:
            check_password_hash(_DUMMY_HASH, pin)
            return SignIn()
        user_id, pin_hash, failed, locked_until = row
        if locked_until and parse_iso(locked_until) > utcnow():
            return SignIn(locked_until=locked_until)
        if check_password_hash(pin_hash, pin):
            db.execute("UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE id = ?",
                       [user_id])
            return SignIn(user_id=user_id)
        failed += 1
        lock = None
        if failed >= attempts:
            lock = (utcnow() + timedelta(minutes=lockout_minutes)).isoformat().replace("+00:00", "Z")
            failed = 0
        db.execute("UPDATE users SET failed_attempts = ?, locked_until = ? WHERE id = ?",
                   [failed, lock, user_id])
        return SignIn(locked_until=lock)
