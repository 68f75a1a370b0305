"""Replies to the community: feedback as a queue, answered in the feedback's language.

Reports of discrimination are sensitive: they have their own queue, for admins only.
"""

from __future__ import annotations

import uuid as uuid_module

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext

from collector.i18n import LOCALES

from .auth import can, role_required
from .store import get_store

bp = Blueprint("feedback", __name__, url_prefix="/feedback")
STATUSES = ("new", "in_progress", "answered", "closed")


def status_label(status: str) -> str:
    return {"new": gettext("New"), "in_progress": gettext("In progress"),
            "answered": gettext("Answered"), "closed": gettext("Closed")}[status]


@bp.route("")
@role_required("analyst")
def queue():
    sensitive = request.args.get("queue") == "sensitive"
    if sensitive and not can("admin"):
        abort(403)
    status = request.args.get("status")
    status = status if status in STATUSES else None
    return render_template("feedback_queue.html", cases=get_store().feedback_queue(status, sensitive),
                           status=status, statuses=STATUSES, sensitive=sensitive,
                           status_label=status_label)


@bp.route("/<record_uuid>", methods=("GET", "POST"))
@role_required("analyst")
def case(record_uuid: str):
    store = get_store()
    found = _case(record_uuid)
    if request.method == "POST":
        return _answer(store, found)
    return render_template("feedback_case.html", case=found, replies=store.replies_to(record_uuid),
                           statuses=STATUSES, status_label=status_label, locales=LOCALES)


def _case(record_uuid: str) -> dict:
    found = get_store().feedback_case(record_uuid)
    if found is None:
        abort(404)
    if found["sensitive"] and not can("admin"):
        abort(403)
    return found


def _answer(store, found: dict):
    message = request.form.get("message", "").strip()
    status = request.form.get("status", found["status"])
    locale = request.form.get("locale", found["locale"])
    if status not in STATUSES or locale not in LOCALES or len(message) > 2000:
        abort(400)
    if message:
        store.add_reply(str(uuid_module.uuid4()), found["uuid"], message, locale, g.user["name"])
        status = "answered" if status in ("new", "in_progress") else status
        flash(gettext("Reply saved. The laptop receives it on its next sync."))
    store.set_feedback_status(found["uuid"], status, found["sensitive"], g.user["name"])
    return redirect(url_for("feedback.case", record_uuid=found["uuid"]))
