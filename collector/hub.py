"""The hub's own pages: home, health check, and how phones connect."""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_wtf.csrf import generate_csrf

from .clock import now_iso
from .db import get_db, write_transaction
from .form_library import available_forms
from .i18n import current_locale, text_direction
from .lan import hub_urls, qr_svg
from .records import status_counts
from .templating import hub_name

bp = Blueprint("hub", __name__)
HEALTH_TIMEOUT_MS = 2000
HTTPS_COOKIE = "hub_https"  # set over HTTPS: this phone trusts the hub's certificate
OUTBOX_COOKIE = "hub_outbox"  # set by offline.js over HTTP while records wait there
STAYS_ON_HTTP = ("/healthz", "/csrf-token", "/connect", "/connect/hub-ca.crt")


REACH_PATH = "/reach"


def answer_reach_probes(wsgi_app):
    """Answer a phone's "is the hub in reach?" (GET /reach) before the app: no session, no
    database, nothing written. The phone asks it before sending a finished record."""

    def app(environ, start_response):
        if environ.get("PATH_INFO") == REACH_PATH and environ.get("REQUEST_METHOD") in (
            "GET",
            "HEAD",
        ):
            start_response("204 No Content", [("Cache-Control", "no-store")])
            return [b""]
        return wsgi_app(environ, start_response)

    return app


@bp.before_app_request
def prefer_https():
    """Send a phone that has reached the hub over HTTPS before back to HTTPS."""
    https_port = current_app.config.get("HTTPS_PORT")
    # Records waiting in the plain-HTTP side's outbox (its own storage) keep the phone there
    # until they are delivered: on the HTTPS side that page, and its outbox, never open.
    if (
        https_port
        and not request.is_secure
        and request.method in ("GET", "HEAD")
        and request.cookies.get(HTTPS_COOKIE) == "1"
        and request.path not in STAYS_ON_HTTP
        and request.cookies.get(OUTBOX_COOKIE) != "1"
    ):
        host = request.host.rpartition(":")[0] or request.host
        return redirect(f"https://{host}:{https_port}{request.full_path.rstrip('?')}")
    return None


@bp.after_app_request
def remember_https(response):
    if request.is_secure and request.cookies.get(HTTPS_COOKIE) != "1":
        # Not Secure: the HTTP side must see it, cookies do not separate ports.
        response.set_cookie(
            HTTPS_COOKIE, "1", max_age=365 * 24 * 3600, samesite="Lax", httponly=True
        )
    return response


@bp.route("/")
def index():
    forms = available_forms() if g.user else {}
    counts = status_counts(get_db()) if g.user else None
    return render_template("index.html", forms=forms, counts=counts)


@bp.route("/csrf-token")
def csrf_token():
    """A current token for a phone's outbox: the one kept with a record may be from an
    older session (signed out and in again while the hub was away)."""
    response = jsonify(csrf_token=generate_csrf())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/healthz")
def healthz():
    """200 only when the database accepts a write, which is what saving needs."""
    db = get_db()
    # A probe must answer quickly: a write lock held longer than this is a problem too.
    db.execute(f"PRAGMA busy_timeout = {HEALTH_TIMEOUT_MS}")
    try:
        with write_transaction(db):
            db.execute(
                "INSERT OR REPLACE INTO hub_state (key, value) VALUES ('health_check', ?)",
                [now_iso()],
            )
    except Exception as error:  # any failure to write means "not healthy"
        current_app.logger.warning("Health check failed: %s", error)
        return {"status": "error", "database": "not writable"}, 503
    return {"status": "ok", "database": "writable"}


def _urls() -> list[str]:
    given = request.host.rpartition(":")[2]
    port = int(given) if given.isdecimal() else (443 if request.scheme == "https" else 80)
    return hub_urls(port, request.scheme, current_app.config.get("PUBLIC_HOST"))


@bp.route("/connect")
def connect():
    urls = _urls()
    certificates = current_app.extensions.get("certificates")
    secure = None
    if certificates is not None:
        from .certificates import ca_fingerprint

        secure = {
            "urls": hub_urls(
                current_app.config["HTTPS_PORT"], "https", current_app.config.get("PUBLIC_HOST")
            ),
            "fingerprint": ca_fingerprint(certificates),
        }
    return render_template(
        "connect.html", urls=urls, feedback_urls=[u + "feedback" for u in urls], secure=secure
    )


@bp.route("/connect/hub-ca.crt")
def ca_certificate():
    """The hub's certificate authority, in the form Android and iOS install."""
    certificates = current_app.extensions.get("certificates")
    if certificates is None:
        abort(404)
    return Response(
        certificates.ca_der(),
        mimetype="application/x-x509-ca-cert",
        headers={"Content-Disposition": 'attachment; filename="hub-ca.crt"'},
    )


@bp.route("/sw.js")
def service_worker():
    """At the root so it may look after every page; only secure contexts register it."""
    response = current_app.response_class(
        _service_worker_source(current_app.static_folder), mimetype="text/javascript"
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


@functools.lru_cache(maxsize=2)
def _service_worker_source(static_folder: str) -> str:
    """sw.js with a digest of the static files: a new hub version is a new service worker,
    which replaces the phone's cached copies instead of serving old ones forever."""
    root = Path(static_folder)
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    source = (root / "js" / "sw.js").read_text(encoding="utf-8")
    return source.replace("'unversioned'", repr(digest.hexdigest()[:16]), 1)


@bp.route("/manifest.webmanifest")
def manifest():
    return current_app.response_class(
        json.dumps(
            {
                "name": hub_name(),
                "short_name": gettext("Feedback"),
                "start_url": "/",
                "display": "standalone",
                "background_color": "#ffffff",
                "theme_color": "#123d5a",
                "lang": current_locale(),
                "dir": text_direction(),
                "icons": [
                    {
                        "src": url_for("static", filename="favicon.svg"),
                        "sizes": "any",
                        "type": "image/svg+xml",
                    }
                ],
            },
            ensure_ascii=False,
        ),
        mimetype="application/manifest+json",
    )


QR_PATHS = {"hub": "", "feedback": "feedback", "ca": "connect/hub-ca.crt"}


@bp.route("/connect/qr/<any(hub, feedback, ca):kind>/<int:index>.svg")
def qr(kind: str, index: int):
    urls = _urls()
    if index >= len(urls):
        abort(404)
    url = urls[index] + QR_PATHS[kind]
    svg = qr_svg(url, gettext("QR code for %(url)s", url=url))
    return Response(svg, mimetype="image/svg+xml")
