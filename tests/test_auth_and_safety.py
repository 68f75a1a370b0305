"""Sign-in, growing delays, CSRF, headers, escaping and access rules on a real hub."""

from __future__ import annotations

import re

import pytest

from filling import SURVEY_ANSWERS, fill_form, page_data
from support import ENUMERATOR, PIN, query


def test_pins_are_stored_hashed(hub, db_path):
    [user] = query(db_path, "SELECT name, pin_hash FROM users")
    assert user["name"] == ENUMERATOR
    assert PIN not in user["pin_hash"]
    assert user["pin_hash"].startswith(("scrypt:", "pbkdf2:"))


def test_wrong_pins_slow_down_instead_of_locking(hub, db_path):
    phone = hub.browser("en")
    phone.get("/signin")
    for _ in range(5):
        response = phone.post("/signin", {"name": ENUMERATOR, "pin": "0000"})
        assert response.status_code == 401
    assert "Too many attempts. Try again in 1 second." in response.text
    # During the wait even the right PIN is not checked; nothing is locked on disk.
    response = phone.post("/signin", {"name": ENUMERATOR, "pin": PIN})
    assert response.status_code == 429 and "Too many attempts" in response.text
    assert "locked" not in response.text
    assert phone.get("/records").url.endswith("/signin?next=/records?")
    [user] = query(db_path, "SELECT locked_until, failed_attempts FROM users")
    assert user == {"locked_until": None, "failed_attempts": 0}


def test_right_pin_resets_the_count(hub):
    phone = hub.browser("en")
    phone.get("/signin")
    for _ in range(4):
        phone.post("/signin", {"name": ENUMERATOR, "pin": "0000"})
    phone.post("/signin", {"name": ENUMERATOR, "pin": PIN})
    assert phone.get("/records").url.endswith("/records")
    stranger = hub.browser("en")
    stranger.get("/signin")
    for _ in range(4):  # four more wrong PINs start no wait: the count started again
        response = stranger.post("/signin", {"name": ENUMERATOR, "pin": "0000"})
    assert response.status_code == 401 and "That name and PIN do not match." in response.text


def test_unknown_name_gets_the_same_message(hub):
    phone = hub.browser("en")
    phone.get("/signin")
    response = phone.post("/signin", {"name": "nobody", "pin": "1234"})
    assert response.status_code == 401
    assert "That name and PIN do not match." in response.text
    for _ in range(4):
        response = phone.post("/signin", {"name": "nobody", "pin": "1234"})
    assert "Too many attempts. Try again in 1 second." in response.text


@pytest.mark.parametrize(
    "path",
    ["/records", "/forms/community_survey", "/records/6f1f8e9e-8d0c-4c55-9a1b-0c3e5f2b7a10/review"],
)
def test_enumerator_pages_need_sign_in(hub, path):
    response = hub.browser("en").get(path)
    assert response.url.split("?")[0].endswith("/signin")


def test_sign_in_never_redirects_to_another_site(hub):
    phone = hub.browser("en")
    phone.get("/signin?next=//evil.example/")
    response = phone.post(
        "/signin?next=//evil.example/", {"name": ENUMERATOR, "pin": PIN}, allow_redirects=False
    )
    assert response.headers["Location"] == "/"


def test_a_post_without_csrf_token_is_refused_and_changes_nothing(browser, db_path):
    page = browser.get("/forms/community_survey").text
    path = re.search(r'action="(/records/[^"]+)"', page).group(1)
    response = browser.session.post(
        browser.base + path, data=page_data("community_survey", 0, {"consent": "yes"})
    )
    assert response.status_code == 400
    assert "reload the page" in response.text
    assert query(db_path, "SELECT count(*) AS n FROM records")[0]["n"] == 0


def test_typed_text_is_escaped(browser):
    nasty = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    record_uuid = fill_form(
        browser, "community_survey", dict(SURVEY_ANSWERS, comments=nasty), finalize=False
    )
    page = browser.get(f"/records/{record_uuid}/review").text
    assert nasty not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


PAGES = [
    "/",
    "/signin",
    "/feedback",
    "/feedback/status",
    "/connect",
    "/records",
    "/forms/community_survey",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_strict_headers_and_no_outside_resources(browser, path):
    response = browser.get(path)
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    html = response.text
    # No inline script or style, nothing fetched from another host.
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html)
    assert " style=" not in html and "<style" not in html
    assert not re.search(r'(src|href|action)="(https?:)?//', html)


def test_session_cookie_is_http_only(hub):
    phone = hub.browser("en")
    phone.get("/signin")
    response = phone.post("/signin", {"name": ENUMERATOR, "pin": PIN}, allow_redirects=False)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP on the LAN: a Secure cookie would never return
    # Behind HTTPS the same cookie is Secure.
    with hub.app.test_request_context("/", base_url="https://hub.local"):
        assert hub.app.session_interface.get_cookie_secure(hub.app) is True


def test_oversized_post_is_refused(browser, db_path):
    page = browser.get("/forms/community_survey").text
    path = re.search(r'action="(/records/[^"]+)"', page).group(1)
    response = browser.post(
        path, {"form_id": "community_survey", "consent": "yes", "comments": "x" * 400_000}
    )
    assert response.status_code == 413
    assert query(db_path, "SELECT count(*) AS n FROM records")[0]["n"] == 0
