"""The security event log of either app: sign-ins, lockouts, enrollments, exports, roles.

Both apps keep a `security_events` table of the same shape. An entry names its account by
an internal id (`user:12`, `device:<uuid>`), never by a person's name, and never stores a
client's address: the log itself must hold no personal data (docs/security.md).
"""

from __future__ import annotations

from .clock import now_iso

# Every event either app writes; a name outside this list is a programming error.
EVENTS = frozenset(
    {
        "signin_succeeded",
        "signin_failed",
        "signin_throttled",
        "signed_out",
        "sessions_ended",
        "user_added",
        "password_changed",
        "account_disabled",
        "account_enabled",
        "role_changed",
        "api_token_created",
        "api_token_revoked",
        "api_auth_failed",
        "device_enrolled",
        "device_enrollment_repeated",
        "device_enrollment_refused",
        "device_revoked",
        "server_changed",
        "server_refused",
        "form_refused",
        "pseudonym_key_installed",
        "form_accepted",
        "export",
        "record_refused",
        "bundle_imported",
        "bundle_refused",
        "free_text_released",
        "help_contacts_imported",
        "help_contacts_refused",
    }
)
TABLE_SQL = """CREATE TABLE IF NOT EXISTS security_events (
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, event TEXT NOT NULL,
    account TEXT, detail TEXT)"""
MAX_DETAIL = 500


def user_account(user_id) -> str | None:
    return None if user_id is None else f"user:{user_id}"


def device_account(device_id) -> str | None:
    return None if device_id is None else f"device:{device_id}"


def log_event(db, event: str, account: str | None = None, detail: str | None = None) -> None:
    """Add one entry. Call it inside the caller's transaction when there is one, so the
    entry and the change it describes are committed together."""
    if event not in EVENTS:
        raise ValueError(f"Unknown security event: {event}")
    db.execute(
        "INSERT INTO security_events (at, event, account, detail) VALUES (?, ?, ?, ?)",
        [now_iso(), event, account, None if detail is None else str(detail)[:MAX_DETAIL]],
    )


def recent_events(db, limit: int = 200, event: str | None = None) -> list[dict]:
    """The newest entries first, for the log pages and the CLI."""
    sql, params = "SELECT id, at, event, account, detail FROM security_events", []
    if event:
        sql, params = sql + " WHERE event = ?", [event]
    return list(db.query(sql + " ORDER BY id DESC LIMIT ?", params + [limit]))


def events_text(events: list[dict], as_json: bool = False) -> str:
    """What `collector security-log` and `sync-server security-log` print."""
    if as_json:
        import json

        return json.dumps(events, indent=2)
    return "\n".join(event_lines(events)) if events else "No security events yet."


def event_lines(events: list[dict]) -> list[str]:
    """The entries as aligned text lines, with a header, for the command line."""
    rows = [("at", "event", "account", "detail")] + [
        (e["at"], e["event"], e["account"] or "-", e["detail"] or "") for e in events
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    # The first three columns padded to their widths; the detail (row[3]) as it is.
    return [
        "  ".join(
            [*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[3]]
        ).rstrip()
        for row in rows
    ]
