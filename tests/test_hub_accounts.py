"""The operator gives an account a new PIN or role on the laptop; its phones are signed out."""

from __future__ import annotations

from click.testing import CliRunner

from collector.cli import cli
from support import ENUMERATOR, PIN, query


def run(hub, *args):
    return CliRunner().invoke(cli, [*args, "--data-dir", hub.app.config["DATA_DIR"]])


def signed_in(browser) -> bool:
    response = browser.get("/records")
    return response.status_code == 200 and "/signin" not in response.url


def test_a_new_pin_signs_the_account_out_everywhere(hub, browser, db_path):
    other_phone = hub.browser("en")
    other_phone.signin()
    result = run(hub, "user", "pin", ENUMERATOR, "--pin", "730512")
    assert result.exit_code == 0, result.output
    assert not signed_in(browser) and not signed_in(other_phone)
    phone = hub.browser("en")
    phone.get("/signin")
    assert phone.post("/signin", {"name": ENUMERATOR, "pin": PIN}).status_code == 401
    phone.signin(ENUMERATOR, "730512")
    assert signed_in(phone)
    [user] = query(db_path, "SELECT id FROM users WHERE name = ?", [ENUMERATOR])
    logged = query(
        db_path,
        "SELECT event, account, detail FROM security_events"
        " WHERE event IN ('password_changed', 'sessions_ended')",
    )
    assert logged == [
        {"event": "password_changed", "account": f"user:{user['id']}", "detail": None},
        {
            "event": "sessions_ended",
            "account": f"user:{user['id']}",
            "detail": "2 by password_changed",
        },
    ]


def test_a_new_role_signs_the_account_out(hub, browser, db_path):
    result = run(hub, "user", "role", ENUMERATOR, "operator")
    assert result.exit_code == 0, result.output
    assert not signed_in(browser)
    assert "(operator)" in run(hub, "user", "list").output
    browser.signin()
    assert "Check the server" in browser.get("/sync").text  # the operator's enroll form


def test_bad_pins_and_unknown_names_change_nothing(hub, browser, db_path):
    before = query(db_path, "SELECT pin_hash, role FROM users")
    for args in (
        ["user", "pin", ENUMERATOR, "--pin", "12"],
        ["user", "pin", ENUMERATOR, "--pin", "abcd"],
        ["user", "pin", "nobody", "--pin", "123456"],
        ["user", "role", "nobody", "operator"],
        ["user", "role", ENUMERATOR, "admin"],
    ):
        result = run(hub, *args)
        assert result.exit_code != 0 and "Traceback" not in result.output, args
    assert (
        "There is no enumerator called nobody."
        in run(hub, "user", "pin", "nobody", "--pin", "123456").output
    )
    assert query(db_path, "SELECT pin_hash, role FROM users") == before
    assert signed_in(browser)
