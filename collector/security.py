"""CSRF on every POST, strict response headers, and per-client rate limits."""

from __future__ import annotations

import hashlib

from flask import request
from flask.sessions import SecureCookieSessionInterface
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
# Slow links and cheap phones: every page, script and style goes compressed.
compress = Compress()
# In memory only: the kiosk promises not to store anyone's address.
limiter = Limiter(key_func=get_remote_address, storage_uri="memory://", default_limits=[])

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Same-origin, not no-referrer: over HTTPS Flask-WTF refuses a POST without a Referer
    # from this hub (its defence against a forged form); nothing goes to other hosts.
    "Referrer-Policy": "same-origin",
    # The hub's own pages may ask for the phone's location (a location question); no
    # other origin, and never the camera or microphone.
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(self)",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class SessionInterface(SecureCookieSessionInterface):
    """Session cookies are Secure whenever the hub is reached over HTTPS.

    Phones that reach the hub over plain HTTP on the LAN must still sign in,
    so the flag follows the request instead of being fixed in the config.
    Signed with HMAC-SHA-256 rather than Flask's default SHA-1.
    """

    digest_method = staticmethod(hashlib.sha256)

    def get_cookie_secure(self, app):
        return request.is_secure or super().get_cookie_secure(app)


# Text that Werkzeug sends without a charset: say it is UTF-8, so no browser guesses.
UTF8_TYPES = {
    "application/json",
    "application/x-ndjson",
    "application/manifest+json",
    "image/svg+xml",
}


def add_headers(response):
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if response.mimetype in UTF8_TYPES and "charset" not in response.mimetype_params:
        response.headers["Content-Type"] = f"{response.mimetype}; charset=utf-8"
    if response.mimetype == "text/html":
        # Pages hold personal answers: no shared or back-button caches.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app) -> None:
    app.session_interface = SessionInterface()
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault(
        "COMPRESS_MIMETYPES",
        [
            "text/html",
            "text/css",
            "text/javascript",
            "application/javascript",
            "application/json",
            "image/svg+xml",
            "application/manifest+json",
            "text/csv",
        ],
    )
    compress.init_app(app)
    csrf.init_app(app)
    app.config.setdefault("RATELIMIT_ENABLED", True)
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    limiter.init_app(app)
    app.after_request(add_headers)
