"""Devices page: see every laptop's state, create enrollment codes, revoke."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext

from collector.security_log import user_account

from . import identity
from .auth import role_required
from .enrollment import code_hash, expiry, new_code
from .store import get_store

bp = Blueprint("devices", __name__, url_prefix="/devices")
CODE_HOURS = 72


@bp.route("")
@role_required("admin")
def index():
    # The code is shown once, right after it was made, and never stored in clear.
    return render_template(
        "devices.html",
        devices=get_store().devices(),
        new_code=session.pop("new_code", None),
        server_fingerprint=identity.fingerprint(current_app.config["DATA_DIR"]),
    )


@bp.route("/new", methods=("POST",))
@role_required("admin")
def add():
    label = request.form.get("label", "").strip()
    if not label or len(label) > 100:
        flash(gettext("Give the laptop a label of 1 to 100 characters."))
        return redirect(url_for("devices.index"))
    code, expires_at = new_code(), expiry(CODE_HOURS)
    get_store().add_enrollment_code(code_hash(code), label, expires_at)
    session["new_code"] = {"code": code, "label": label, "expires_at": expires_at}
    return redirect(url_for("devices.index"))


@bp.route("/<device_id>/revoke", methods=("POST",))
@role_required("admin")
def revoke(device_id: str):
    store = get_store()
    if store.device(device_id) is None:
        abort(404)
    store.revoke_device(device_id, actor=g.user["name"], account=user_account(g.user["id"]))
    flash(gettext("The device is revoked. It keeps its records but can no longer sync."))
    return redirect(url_for("devices.index"))
