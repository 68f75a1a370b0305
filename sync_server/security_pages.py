"""The security log, for admins: sign-ins, failed sign-ins, enrollments, exports, roles.

The log stores internal ids only (collector.security_log); this page shows the user's
name or the device's label beside them, looked up when the page is drawn.
"""

from __future__ import annotations

import re

from flask import Blueprint, render_template, request
from flask_babel import gettext

from collector.security_log import EVENTS, recent_events

from .auth import role_required
from .store import get_store

bp = Blueprint("security_pages", __name__)
PAGE_SIZES = (50, 200, 1000)
ACCOUNT = re.compile(r"\b(user|device):([0-9A-Za-z-]+)")


def event_labels() -> dict[str, str]:
    """Each event in the reader's language."""
    return {
        "signin_succeeded": gettext("Signed in"),
        "signin_failed": gettext("Sign-in failed"),
        "signin_throttled": gettext("Sign-in refused: too many attempts"),
        "signed_out": gettext("Signed out"),
        "sessions_ended": gettext("Sessions ended"),
        "user_added": gettext("User added"),
        "password_changed": gettext("Password changed"),
        "account_disabled": gettext("Account disabled"),
        "account_enabled": gettext("Account enabled"),
        "role_changed": gettext("Role changed"),
        "api_token_created": gettext("API token created"),
        "api_token_revoked": gettext("API token revoked"),
        "api_auth_failed": gettext("API sign-in failed"),
        "device_enrolled": gettext("Device enrolled"),
        "device_enrollment_repeated": gettext("Device enrollment repeated"),
        "device_enrollment_refused": gettext("Device enrollment refused"),
        "device_revoked": gettext("Device revoked"),
        "server_changed": gettext("Server changed"),
        "server_refused": gettext("Server refused: not the one enrolled with"),
        "form_refused": gettext("Form refused"),
        "form_accepted": gettext("Form installed by the operator"),
        "pseudonym_key_installed": gettext("Pseudonym key installed"),
        "free_text_released": gettext("Free text released after review"),
        "export": gettext("Export"),
        "record_refused": gettext("Record refused"),
        "bundle_imported": gettext("USB bundle imported"),
        "bundle_refused": gettext("USB bundle refused"),
        "help_contacts_imported": gettext("Help contacts imported from a file"),
        "help_contacts_refused": gettext("Help contacts file refused"),
    }


@bp.route("/security-log")
@role_required("admin")
def index():
    limit = request.args.get("limit", type=int)
    limit = limit if limit in PAGE_SIZES else PAGE_SIZES[0]
    event = request.args.get("event") or None
    event = event if event in EVENTS else None
    db = get_store().db
    names = _NameLookup(db)
    labels = event_labels()
    entries = [
        dict(
            row,
            label=labels.get(row["event"], row["event"]),
            who=names.of(row["account"]),
            detail=names.in_text(row["detail"]),
        )
        for row in recent_events(db, limit, event)
    ]
    choices = sorted(((name, labels.get(name, name)) for name in EVENTS), key=lambda c: c[1])
    return render_template(
        "security_log.html",
        entries=entries,
        limit=limit,
        event=event,
        page_sizes=PAGE_SIZES,
        choices=choices,
    )


class _NameLookup:
    """Names of users and labels of devices by internal id, each looked up once."""

    def __init__(self, db):
        self.db, self.cache = db, {}

    def of(self, account: str | None) -> str | None:
        if not account:
            return None
        if account not in self.cache:
            kind, _, key = account.partition(":")
            if kind == "user":
                row = self.db.execute("SELECT name FROM users WHERE id = ?", [key]).fetchone()
            elif kind == "device":
                row = self.db.execute("SELECT label FROM devices WHERE id = ?", [key]).fetchone()
            else:
                row = None
            self.cache[account] = row[0] if row else None
        return self.cache[account]

    def in_text(self, detail: str | None) -> str | None:
        """The detail with a name after each id it mentions ("by user:3 (maria)")."""
        if not detail:
            return detail

        def named(match):
            name = self.of(match.group(0))
            return f"{match.group(0)} ({name})" if name else match.group(0)

        return ACCOUNT.sub(named, detail)
