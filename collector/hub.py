"""The hub's own pages: home, health check, and how phones connect."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, g, render_template, request
from flask_babel import gettext

from .clock import now_iso
from .db import get_db, write_transaction
from .form_library import available_forms
from .lan import hub_urls, qr_svg
from .records import status_counts

bp = Blueprint("hub", __name__)
HEALTH_TIMEOUT_MS = 2000


@bp.route("/")
def index():
    forms = available_forms() if g.user else {}
    counts = status_counts(get_db()) if g.user else None
    return render_template("index.html", forms=forms, counts=counts)


@bp.route("/healthz")
def healthz():
    """200 only when the database accepts a write, which is what saving needs."""
    db = get_db()
    # A probe must answer quickly: a write lock held longer than this is a problem too.
    db.execute(f"PRAGMA busy_timeout = {HEALTH_TIMEOUT_MS}")
    try:
        with write_transaction(db):
            db.execute("INSERT OR REPLACE INTO hub_state (key, value) VALUES ('health_check', ?)",
                       [now_iso()])
    except Exception as error:  # any failure to write means "not healthy"
        current_app.logger.warning("Health check failed: %s", error)
        return {"status": "error", "database": "not writable"}, 503
    return {"status": "ok", "database": "writable"}


def _urls() -> list[str]:
    port = request.host.rpartition(":")[2]
    port = int(port) if port.isdigit() else (443 if request.scheme == "https" else 80)
    return hub_urls(port, request.scheme, current_app.config.get("PUBLIC_HOST"))


@bp.route("/connect")
def connect():
    urls = _urls()
    return render_template("connect.html", urls=urls, feedback_urls=[u + "feedback" for u in urls])


@bp.route("/connect/qr/<any(hub, feedback):kind>/<int:index>.svg")
def qr(kind: str, index: int):
    urls = _urls()
    if index >= len(urls):
        abort(404)
    url = urls[index] + ("feedback" if kind == "feedback" else "")
    svg = qr_svg(url, gettext("QR code for %(url)s", url=url))
    return Response(svg, mimetype="image/svg+xml")
