"""The kiosk: community members leave feedback without signing in, and read replies later.

Nothing about the sender is stored: no address, no browser, no account.

A receipt code is the only key to the replies, so it stays out of URLs (history, Referer,
logs): the thanks page shows it once (the next person on a shared kiosk phone does not see
it), and codes are looked up through a POST form, a few per phone per minute. Feedback kept
on the phone while the hub was away gets no code on the phone at all: it is sent later, in
front of whoever holds the phone then.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext

from . import review, validation
from .db import get_db
from .errors import from_outbox
from .form_library import get_form
from .forms import FEEDBACK_FORM
from .i18n import posted_locale
from .records import (
    RecordError,
    format_receipt_code,
    is_uuid,
    new_uuid,
    replies_for_receipt,
    submit_anonymous,
)
from .security import limiter

bp = Blueprint("feedback", __name__, url_prefix="/feedback")
FORM_ID = FEEDBACK_FORM


def _feedback_limit():
    return current_app.config["HUB"]["feedback_rate_limit"]


def _status_limit():
    return current_app.config["HUB"]["status_rate_limit"]


def _not_a_lookup() -> bool:
    # Showing the empty form (or a code already counted on its way in) costs nothing.
    return request.method == "GET" and "code" not in request.args


@bp.route("", methods=("GET",))
def kiosk():
    form = get_form(FORM_ID)
    return _render(form, new_uuid(), validation.defaults(form))


@bp.route("", methods=("POST",))
@limiter.limit(_feedback_limit)
def submit():
    form = get_form(FORM_ID)
    record_uuid = request.form.get("_uuid", "")
    if not is_uuid(record_uuid):
        abort(400)
    result = validation.read_all(
        form, request.form, posted_locale(), strict=True, stored=validation.defaults(form)
    )
    answers = result.answers
    if (result.errors or result.unseen) and from_outbox():
        message = gettext("Some answers need attention before the record can be finalized.")
        return jsonify(error="needs_attention", message=message), 422
    if result.errors:
        return _render(form, record_uuid, answers, result.errors, result.raw), 422
    if result.unseen:
        notice = gettext("Your answers open more questions. Please look at them and send again.")
        return _render(form, record_uuid, answers, raw=result.raw, notice=notice)
    try:
        code = submit_anonymous(get_db(), record_uuid, form, posted_locale(), answers)
    except RecordError:
        abort(409)
    # Held at once when the kiosk's free text waits for the operator (collector.review).
    review.hold_pending(
        get_db(), current_app.config["HUB"]["hold_free_text_for_review"], record_uuid
    )
    if from_outbox() and request.form.get("_now") != "1":
        return _delivered_later(record_uuid)
    session["receipt_code"] = code
    if from_outbox():  # sent in reach: the thanks page shows the code to its sender
        return jsonify(uuid=record_uuid, next=url_for("feedback.thanks"))
    return redirect(url_for("feedback.thanks"))


def _delivered_later(record_uuid: str):
    """Feedback kept on the phone and sent when the hub came back: whoever holds the phone
    now is likely someone else, so the answer carries neither the code nor the message, and
    the thanks page does not show the code either (its sender was told no code is given)."""
    return jsonify(uuid=record_uuid, message=gettext("Feedback kept on this phone was sent."))


@bp.route("/thanks")
def thanks():
    # Once: a reload, or the next person on this phone, sees a page without the code.
    code = session.pop("receipt_code", None)
    return render_template("feedback_thanks.html", code=format_receipt_code(code) if code else None)


@bp.route("/status", methods=("GET", "POST"))
@limiter.limit(_status_limit, exempt_when=_not_a_lookup)
def status():
    if request.method == "POST":
        return _status_page(request.form.get("code", "").strip())
    if "code" in request.args:
        # An old link with the code in it: carry the code in the session cookie to a
        # page whose address does not hold it, so it leaves no trace in history.
        session["status_code"] = request.args.get("code", "").strip()
        return redirect(url_for("feedback.status"), 303)
    return _status_page(session.pop("status_code", ""))


def _status_page(code: str):
    record, replies = replies_for_receipt(get_db(), code) if code else (None, [])
    return render_template(
        "feedback_status.html", code=code, record=record, replies=replies, asked=bool(code)
    )


def _render(form, record_uuid, answers, errors=None, raw=None, notice=None):
    return render_template(
        "feedback.html",
        form=form,
        record_uuid=record_uuid,
        errors=errors or {},
        notice=notice,
        **validation.whole_form_view(form, answers, raw),
    )
