"""Server-side sign-in sessions for both apps: revocable, and blind to a wrong clock.

The browser's cookie holds only a random session id (inside Flask's signed cookie); the
database keeps its hash. Signing out, a password change, a disabled account or a new role
ends sessions here, so a copied cookie stops working at once. Cookies carry no expiry date
(a laptop whose clock is far behind would send one already expired): idle time is
counted here instead, and a last-seen time in the future (the clock moved back) counts
from now.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from datetime import timedelta

from .clock import now_iso, parse_iso, utcnow

TABLE_SQL = """CREATE TABLE IF NOT EXISTS user_sessions (
    id_hash TEXT PRIMARY KEY, user_id INTEGER NOT NULL,
    created_at TEXT NOT NULL, last_seen TEXT NOT NULL)"""
INDEX_SQL = "CREATE INDEX IF NOT EXISTS user_sessions_by_user ON user_sessions (user_id)"
TOUCH_EVERY = timedelta(minutes=1)  # fewer writes: last_seen moves at most once a minute


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def start(db, user_id: int) -> str:
    """A new session for the user; its id goes into the cookie, its hash into the table."""
    session_id = secrets.token_urlsafe(32)
    now = now_iso()
    db.execute(
        "INSERT INTO user_sessions (id_hash, user_id, created_at, last_seen) VALUES (?, ?, ?, ?)",
        [_hash(session_id), user_id, now, now],
    )
    return session_id


def resolve(db, session_id: str | None, idle: timedelta) -> int | None:
    """The user of a live session, or None (unknown, ended, or idle too long)."""
    if not session_id or not isinstance(session_id, str):
        return None
    key = _hash(session_id)
    row = db.execute(
        "SELECT user_id, last_seen FROM user_sessions WHERE id_hash = ?", [key]
    ).fetchone()
    if row is None:
        return None
    user_id, last_seen = row[0], parse_iso(row[1])
    now = utcnow()
    if now - last_seen > idle:
        _write(db, "DELETE FROM user_sessions WHERE id_hash = ?", [key])
        return None
    if now - last_seen >= TOUCH_EVERY or last_seen > now:
        _write(db, "UPDATE user_sessions SET last_seen = ? WHERE id_hash = ?", [now_iso(), key])
    return user_id


def end(db, session_id: str | None) -> None:
    if session_id and isinstance(session_id, str):
        db.execute("DELETE FROM user_sessions WHERE id_hash = ?", [_hash(session_id)])


def forget_idle(db, idle: timedelta) -> int:
    """Remove sessions idle longer than `idle` (nobody came back to end them)."""
    cutoff = (utcnow() - idle).isoformat().replace("+00:00", "Z")
    return db.execute("DELETE FROM user_sessions WHERE last_seen < ?", [cutoff]).rowcount


def end_all(db, user_id: int, keep: str | None = None) -> int:
    """End every session of a user (but `keep`, the caller's own, when given)."""
    if keep:
        cursor = db.execute(
            "DELETE FROM user_sessions WHERE user_id = ? AND id_hash != ?", [user_id, _hash(keep)]
        )
    else:
        cursor = db.execute("DELETE FROM user_sessions WHERE user_id = ?", [user_id])
    return cursor.rowcount


def _write(db, sql: str, params: list) -> None:
    """One statement, committed. On the hub it queues on the file's write lock with the
    other writers of the process: left to SQLite's busy handler, a session's touch that met
    a commit slept up to 100 ms while phones finalized together (docs/benchmarks.md)."""
    with getattr(db, "write_lock", None) or contextlib.nullcontext():
        db.execute(sql, params)
        _commit(db)


def _commit(db) -> None:
    # Outside an explicit transaction sqlite3 opened one for the write: close it.
    # (The server's PostgreSQL connections commit each statement outside transactions.)
    if getattr(db.conn, "in_transaction", False):
        db.conn.commit()
