"""Retention page: how long the server keeps each form's records, and removing records for
good, for admins who do not use the command line.

The same rules and the same removal as `sync-server forms retention`, `sync-server purge`
and `sync-server records delete` (sync_server.retention): every change is audited with the
admin's name, and nothing is removed before the admin has seen how many records will go and
confirmed it on a second page.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext, ngettext

from collector.clock import utcnow

from .auth import role_required
from .retention import (
    MAX_DAYS,
    RetentionError,
    checked_day,
    checked_days,
    checked_form,
    cutoff,
    due,
    purge,
    remove_records,
)
from .store import get_store

bp = Blueprint("retention", __name__, url_prefix="/retention")


def form_rows(store) -> list[dict]:
    """Each form the server knows: its title, records held, period and records due now."""
    from .data import form_ids
    from .forms import current_version

    periods, held, now = store.form_retentions(), store.records_by_form(), utcnow()
    rows = []
    for form_id in form_ids(store):
        form, period = current_version(form_id, store), periods.get(form_id)
        rows.append(
            {
                "form_id": form_id,
                "title": form.text(form.data["title"], str(get_locale())) if form else form_id,
                "held": held.get(form_id, 0),
                "period": period,
                "due": (
                    store.count_received_before(form_id, cutoff(period["days"], now))
                    if period
                    else None
                ),
            }
        )
    return rows


def index_page(status: int = 200, error: str | None = None):
    store = get_store()
    return render_template(
        "retention.html", rows=form_rows(store), error=error, max_days=MAX_DAYS
    ), status


@bp.route("")
@role_required("admin")
def index():
    return index_page()


@bp.route("/<form_id>", methods=("POST",))
@role_required("admin")
def set_period(form_id: str):
    """Set a form's period (days) or turn it off (`off`)."""
    store = get_store()
    off = request.form.get("action") == "off"
    try:
        checked_form(store, form_id)
        days = None if off else checked_days(_whole_number(request.form.get("days", "")))
    except RetentionError as error:
        return index_page(400, str(error))
    if not store.set_form_retention(form_id, days, g.user["name"]):
        flash(gettext("%(form)s: nothing to change.", form=form_id))
    elif days is None:
        flash(gettext("%(form)s: records are kept until removed by hand.", form=form_id))
    else:
        flash(
            ngettext(
                "%(form)s: records are removed %(num)d day after the server last received"
                " them, at the next daily removal.",
                "%(form)s: records are removed %(num)d days after the server last received"
                " them, at the next daily removal.",
                days,
                form=form_id,
            )
        )
    return redirect(url_for("retention.index"))


def _whole_number(text: str) -> int:
    """Days as typed: ASCII digits only (a form field may bring any text)."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 6:
        raise RetentionError(
            gettext(
                "The number of days must be between 1 and %(most)d: nothing was changed.",
                most=MAX_DAYS,
            )
        )
    return int(text)


# -- removing now ----------------------------------------------------------------------------


def _chosen(args) -> tuple[str, str]:
    """(form, day) from a request's fields; RetentionError for an unknown form or a day
    that is not one."""
    return checked_form(get_store(), args.get("form", "")), checked_day(args.get("before", ""))


@bp.route("/remove")
@role_required("admin")
def confirm_removal():
    """What a removal by form and day would take, before anything is removed."""
    try:
        form_id, day = _chosen(request.args)
    except RetentionError as error:
        return index_page(400, str(error))
    count = get_store().count_received_before(form_id, day)
    return render_template("retention_confirm.html", form_id=form_id, day=day, count=count)


@bp.route("/remove", methods=("POST",))
@role_required("admin")
def remove():
    try:
        form_id, day = _chosen(request.form)
    except RetentionError as error:
        return index_page(400, str(error))
    store = get_store()
    uuids = store.uuids_received_before(form_id, day)
    done = remove_records(store, uuids, g.user["name"], f"received before {day}", _data_dir(), day)
    flash(_removed_message(done.total))
    return redirect(url_for("retention.index"))


@bp.route("/purge")
@role_required("admin")
def confirm_purge():
    """What the daily removal would take now, form by form."""
    passes = [item for item in due(get_store()) if item["uuids"]]
    return render_template("retention_confirm.html", passes=passes)


@bp.route("/purge", methods=("POST",))
@role_required("admin")
def purge_now():
    passes = purge(get_store(), _data_dir())
    flash(_removed_message(sum(item["removed"] for item in passes)))
    return redirect(url_for("retention.index"))


def _data_dir():
    return current_app.config["DATA_DIR"]


def _removed_message(count: int) -> str:
    return ngettext(
        "%(num)d record was removed for good, with its files and its part of the indicators.",
        "%(num)d records were removed for good, with their files and their part of the indicators.",
        count,
    )
