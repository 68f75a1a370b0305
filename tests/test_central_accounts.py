"""Central accounts on a real server: personal API tokens instead of passwords on the
records API, growing delays for bad tokens, the password rule, password changes, roles and
disabled accounts, from the web pages and the command line."""

from __future__ import annotations

import hashlib
import re
import time

import pytest
import requests
from click.testing import CliRunner

from collector.passwords import hash_secret
from support import Browser, query
from sync_server import api_tokens
from sync_server.accounts import password_problem
from sync_server.cli import cli as server_cli
from sync_server.store import Store
from test_workspace import feedback_record, push_records

PASSWORD = "a long enough passphrase"
NEW_PASSWORD = "tamarind lorry copper seven"
NAMES = {"admin": "amani", "analyst": "nadia", "viewer": "viktor"}
TOKEN_PATTERN = re.compile(r"cfc_[A-Za-z0-9_-]{43}")


@pytest.fixture
def team(central):
    store = Store(central.database)
    for role, name in NAMES.items():
        store.add_user(name, role, hash_secret(PASSWORD))
    store.close()
    return central


def sign_in(central, name, password=PASSWORD) -> Browser:
    person = Browser(central.url, "en")
    person.get("/signin")
    response = person.post("/signin", {"name": name, "password": password})
    assert response.status_code == 200 and "Sign out" in response.text, response.text[:300]
    return person


def can_sign_in(central, name, password=PASSWORD) -> bool:
    person = Browser(central.url, "en")
    person.get("/signin")
    return "Sign out" in person.post("/signin", {"name": name, "password": password}).text


def still_signed_in(person: Browser) -> bool:
    response = person.session.get(person.base + "/account", allow_redirects=False, timeout=30)
    return response.status_code == 200


def user_id(central, name) -> int:
    return query(central.database, "SELECT id FROM users WHERE name = ?", [name])[0]["id"]


def make_token(central, name, **kwargs) -> str:
    store = Store(central.database)
    try:
        return api_tokens.create(store.db, user_id(central, name), "test", **kwargs)[1]
    finally:
        store.close()


def records(central, token=None, auth=None, **headers):
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.get(
        f"{central.url}/api/v1/data/community_feedback", auth=auth, headers=headers, timeout=10
    )


def events(central, event=None) -> list[dict]:
    rows = query(central.database, "SELECT event, account, detail FROM security_events ORDER BY id")
    return [row for row in rows if event is None or row["event"] == event]


def server(*args, input=None):
    return CliRunner().invoke(server_cli, [str(a) for a in args], input=input)


# -- point 3: the records API takes personal tokens, never passwords ----------------------------


def test_the_records_api_refuses_account_passwords(team):
    for name in ("amani", "nadia"):  # the right password, and a wrong one, are refused alike
        for password in (PASSWORD, "not the password at all"):
            response = records(team, auth=(name, password))
            assert response.status_code == 401
            error = response.json()["error"]
            assert error["code"] == "password_not_accepted"
            assert "personal API token" in error["message"]
    anonymous = records(team)
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "unauthorized"
    assert "Bearer" in anonymous.headers["WWW-Authenticate"]


def test_a_token_made_on_the_account_page_reads_records_and_is_shown_once(team):
    # Five alike, so that the disclosure check releases them (one alone would be left out).
    push_records(team, [feedback_record(message="the pump is broken") for _ in range(5)])
    analyst = sign_in(team, "nadia")
    page = analyst.get("/account")
    created = analyst.post(
        "/account/tokens", {"label": "weekly R report", "days": "30"}, csrf_from=page.text
    )
    assert created.status_code == 201
    [token] = TOKEN_PATTERN.findall(created.text)
    assert token not in analyst.get("/account").text  # shown once
    assert "weekly R report" in analyst.get("/account").text

    by_bearer = records(team, token)
    assert by_bearer.status_code == 200
    assert [r["message"] for r in by_bearer.json()["records"]] == ["the pump is broken"] * 5
    # Tools that only speak Basic: the token as the password, whatever the user name.
    assert records(team, auth=("anything", token)).status_code == 200
    assert records(team, auth=("", token)).status_code == 200

    [row] = query(team.database, "SELECT * FROM api_tokens")
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(row) and row["scope"] == "records:read"
    assert row["user_id"] == user_id(team, "nadia") and row["last_used_at"]
    assert row["expires_at"] > row["created_at"]
    assert token not in str(query(team.database, "SELECT * FROM security_events"))


def test_viewers_have_no_tokens(team):
    viewer = sign_in(team, "viktor")
    page = viewer.get("/account")
    assert page.status_code == 200 and "Create a token" not in page.text
    refused = viewer.post("/account/tokens", {"label": "mine", "days": "30"}, csrf_from=page.text)
    assert refused.status_code == 403
    assert query(team.database, "SELECT count(*) AS n FROM api_tokens") == [{"n": 0}]


def test_revoked_and_expired_tokens_stop_working(team):
    analyst = sign_in(team, "nadia")
    token = make_token(team, "nadia")
    expired = make_token(team, "nadia", expires_at="2020-01-01T00:00:00Z")
    other = make_token(team, "amani")
    assert records(team, token).status_code == 200
    assert records(team, expired).json()["error"]["code"] == "invalid_token"
    [token_id] = [
        row["id"]
        for row in query(
            team.database,
            "SELECT id, expires_at FROM api_tokens WHERE user_id = ? AND expires_at IS NULL",
            [user_id(team, "nadia")],
        )
    ]
    other_id = query(
        team.database, "SELECT id FROM api_tokens WHERE user_id = ?", [user_id(team, "amani")]
    )[0]["id"]
    page = analyst.get("/account")
    # Someone else's token cannot be revoked from my page.
    assert (
        analyst.post(f"/account/tokens/{other_id}/revoke", {}, csrf_from=page.text).status_code
        == 404
    )
    assert records(team, other).status_code == 200
    analyst.post(f"/account/tokens/{token_id}/revoke", {}, csrf_from=page.text)
    assert records(team, token).status_code == 401
    reasons = [e["detail"] for e in events(team, "api_auth_failed")]
    assert reasons == ["expired_token", "revoked_token"]
    assert events(team, "api_token_revoked")[-1]["account"] == f"user:{user_id(team, 'nadia')}"


def test_disabling_or_demoting_a_user_stops_their_tokens(team):
    admin = sign_in(team, "amani")
    nadia, nadia_token = user_id(team, "nadia"), make_token(team, "nadia")
    store = Store(team.database)
    store.add_user("sami", "analyst", hash_secret(PASSWORD))
    store.close()
    sami, sami_token = user_id(team, "sami"), make_token(team, "sami")
    assert records(team, nadia_token).status_code == 200
    assert records(team, sami_token).status_code == 200

    page = admin.get("/users")
    admin.post(f"/users/{nadia}/disable", {}, csrf_from=page.text)
    assert records(team, nadia_token).status_code == 401
    admin.post(f"/users/{nadia}/enable", {}, csrf_from=admin.get("/users").text)
    assert records(team, nadia_token).status_code == 401  # revoked, not only disallowed

    admin.post(f"/users/{sami}/role", {"role": "viewer"}, csrf_from=admin.get("/users").text)
    assert records(team, sami_token).status_code == 401
    admin.post(f"/users/{sami}/role", {"role": "analyst"}, csrf_from=admin.get("/users").text)
    assert records(team, sami_token).status_code == 401
    assert {
        row["revoked_at"] is not None
        for row in query(team.database, "SELECT revoked_at FROM api_tokens")
    } == {True}


def test_bad_tokens_from_one_client_wait_longer_and_longer(team):
    good = make_token(team, "nadia")
    for attempt in range(5):  # a few free attempts
        response = records(team, f"cfc_guess{attempt}")
        assert response.status_code == 401, attempt
        assert response.json()["error"]["code"] == "invalid_token"
    waiting = records(team, "cfc_guess5")
    assert waiting.status_code == 429 and waiting.headers["Retry-After"] == "1"
    assert waiting.json()["error"]["code"] == "too_many_attempts"
    # While the client waits, even a good token from it is not tried.
    assert records(team, good).status_code == 429
    time.sleep(1.1)
    assert records(team, "cfc_guess6").status_code == 401
    second = records(team, good)
    assert second.status_code == 429 and second.headers["Retry-After"] == "2"
    failed = events(team, "api_auth_failed")
    assert [e["detail"] for e in failed] == ["unknown_token"] * 6
    assert all(e["account"] is None for e in failed)
    assert "guess" not in str(query(team.database, "SELECT * FROM security_events"))


def test_passwords_sent_as_basic_count_as_failures_too(team):
    for _ in range(5):
        assert records(team, auth=("nadia", "a guessed password")).status_code == 401
    assert records(team, auth=("nadia", "another guess")).status_code == 429
    assert [e["detail"] for e in events(team, "api_auth_failed")] == ["password_refused"] * 5


# -- the password rule -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password,name,why",
    [
        ("short words", "nadia", "at least 12 characters"),
        ("x" * 257, "nadia", "at most 256 characters"),
        ("Nadia's own long passphrase", "nadia", "must not contain the user name"),
        ("passwordpassword", "nadia", "too easy to guess"),
        ("qwertyuiop1234", "nadia", "too easy to guess"),
        ("iloveyou123456", "nadia", "too easy to guess"),
        ("abcabcabcabcabc", "nadia", "too easy to guess"),
        ("P@ssw0rd2024!", "nadia", "too easy to guess"),
        ("111111111111111", "sami", "too easy to guess"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password, name, why):
    assert why in password_problem(password, name)


@pytest.mark.parametrize(
    "password,name",
    [
        ("demo passphrase", "admin"),  # the README's demo still works
        ("tamarind lorry copper seven", "nadia"),
        ("Rain on the baobab at noon", "sami"),
        ("k4#Vq9!zT2mW", "nadia"),  # exactly 12 characters
        ("correct horse battery staple " * 8 + "x" * 23, "nadia"),  # exactly 256
    ],
)
def test_strong_passwords_are_accepted(password, name):
    assert password_problem(password, name) is None


# -- changing one's own password ---------------------------------------------------------------


def test_changing_my_password_needs_the_current_one_and_ends_my_other_sessions(team):
    here, elsewhere = sign_in(team, "nadia"), sign_in(team, "nadia")
    page = here.get("/account").text
    wrong = here.post(
        "/account/password",
        {
            "current_password": "not it at all",
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
        csrf_from=page,
    )
    assert wrong.status_code == 400 and "current password is not right" in wrong.text
    weak = here.post(
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": "password1234",
            "confirm_password": "password1234",
        },
        csrf_from=page,
    )
    assert weak.status_code == 400 and "too easy to guess" in weak.text
    typo = here.post(
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD + "!",
        },
        csrf_from=page,
    )
    assert typo.status_code == 400 and "not the same" in typo.text
    assert can_sign_in(team, "nadia", PASSWORD)

    done = here.post(
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
        csrf_from=page,
    )
    assert done.status_code == 200 and "Your password is changed." in done.text
    assert still_signed_in(here) and not still_signed_in(elsewhere)
    assert not can_sign_in(team, "nadia", PASSWORD) and can_sign_in(team, "nadia", NEW_PASSWORD)
    [changed] = events(team, "password_changed")
    assert changed["account"] == f"user:{user_id(team, 'nadia')}"


def test_wrong_current_passwords_are_slowed(team):
    person = sign_in(team, "viktor")
    page = person.get("/account").text
    answers = [
        person.post(
            "/account/password",
            {
                "current_password": f"guess number {n}",
                "new_password": NEW_PASSWORD,
                "confirm_password": NEW_PASSWORD,
            },
            csrf_from=page,
        ).status_code
        for n in range(7)
    ]
    assert answers[:5] == [400] * 5 and answers[5:] == [429, 429]
    assert can_sign_in(team, "viktor", PASSWORD)


# -- the users page ----------------------------------------------------------------------------


def test_only_admins_reach_the_users_page(team):
    assert sign_in(team, "amani").get("/users").status_code == 200
    for name in ("nadia", "viktor"):
        person = sign_in(team, name)
        assert person.get("/users").status_code == 403
        page = person.get("/account").text
        assert (
            person.post(
                f"/users/{user_id(team, name)}/role", {"role": "admin"}, csrf_from=page
            ).status_code
            == 403
        )
    assert (
        query(team.database, "SELECT role FROM users WHERE name = 'viktor'")[0]["role"] == "viewer"
    )


def test_admins_add_users_with_the_password_rule(team):
    admin = sign_in(team, "amani")
    page = admin.get("/users").text
    weak = admin.post(
        "/users", {"name": "lucia", "role": "analyst", "password": "lucia2024!!!"}, csrf_from=page
    )
    assert weak.status_code == 400 and "must not contain the user name" in weak.text
    twice = admin.post(
        "/users", {"name": "NADIA", "role": "analyst", "password": NEW_PASSWORD}, csrf_from=page
    )
    assert twice.status_code == 400 and "already a user" in twice.text
    added = admin.post(
        "/users", {"name": "lucia", "role": "analyst", "password": NEW_PASSWORD}, csrf_from=page
    )
    assert added.status_code == 200 and "lucia can now sign in" in added.text
    assert can_sign_in(team, "lucia", NEW_PASSWORD)
    [event] = events(team, "user_added")[-1:]
    assert event["account"] == f"user:{user_id(team, 'lucia')}"
    assert event["detail"] == f"analyst, by user:{user_id(team, 'amani')}"


def test_a_disabled_account_is_signed_out_and_cannot_sign_in(team):
    admin, nadia = sign_in(team, "amani"), sign_in(team, "nadia")
    target = user_id(team, "nadia")
    admin.post(f"/users/{target}/disable", {}, csrf_from=admin.get("/users").text)
    assert not still_signed_in(nadia)
    assert not can_sign_in(team, "nadia")
    assert "Disabled" in admin.get("/users").text
    admin.post(f"/users/{target}/enable", {}, csrf_from=admin.get("/users").text)
    assert can_sign_in(team, "nadia")
    assert [
        e["event"]
        for e in events(team)
        if e["account"] == f"user:{target}" and e["event"].startswith("account_")
    ] == ["account_disabled", "account_enabled"]


def test_a_role_change_ends_the_users_sessions(team):
    admin, nadia = sign_in(team, "amani"), sign_in(team, "nadia")
    assert nadia.get("/data/community_feedback").status_code == 200
    admin.post(
        f"/users/{user_id(team, 'nadia')}/role",
        {"role": "viewer"},
        csrf_from=admin.get("/users").text,
    )
    assert not still_signed_in(nadia)
    viewer = sign_in(team, "nadia")
    assert viewer.get("/data/community_feedback").status_code == 403
    [event] = events(team, "role_changed")
    assert event["detail"] == f"analyst -> viewer, by user:{user_id(team, 'amani')}"


def test_an_admin_sets_a_lost_password_and_the_user_is_signed_out(team):
    admin, viktor = sign_in(team, "amani"), sign_in(team, "viktor")
    target = user_id(team, "viktor")
    page = admin.get("/users").text
    weak = admin.post(
        f"/users/{target}/password",
        {"new_password": "viktor viktor viktor", "confirm_password": "viktor viktor viktor"},
        csrf_from=page,
    )
    assert weak.status_code == 400
    admin.post(
        f"/users/{target}/password",
        {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
        csrf_from=page,
    )
    assert not still_signed_in(viktor) and still_signed_in(admin)
    assert can_sign_in(team, "viktor", NEW_PASSWORD)
    # Their own password: on the Account page, where the current one is asked again.
    mine = admin.post(
        f"/users/{user_id(team, 'amani')}/password",
        {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
        csrf_from=page,
    )
    assert mine.status_code == 400 and "on your Account page" in mine.text
    assert can_sign_in(team, "amani", PASSWORD)


def test_an_admin_cannot_disable_or_demote_themselves(team):
    admin = sign_in(team, "amani")
    me = user_id(team, "amani")
    page = admin.get("/users").text
    disabled = admin.post(f"/users/{me}/disable", {}, csrf_from=page)
    assert disabled.status_code == 400 and "cannot disable your own account" in disabled.text
    demoted = admin.post(f"/users/{me}/role", {"role": "analyst"}, csrf_from=page)
    assert demoted.status_code == 400 and "own role" in demoted.text
    assert query(team.database, "SELECT role, disabled_at FROM users WHERE id = ?", [me]) == [
        {"role": "admin", "disabled_at": None}
    ]
    assert still_signed_in(admin)


# -- the command line --------------------------------------------------------------------------


def test_user_add_applies_the_password_rule(tmp_path):
    data = ["--data-dir", tmp_path / "central"]
    weak = server(
        "user",
        "add",
        "nadia",
        "--role",
        "analyst",
        "--password-stdin",
        *data,
        input="password1234\n",
    )
    assert weak.exit_code != 0 and "too easy to guess" in weak.output
    short = server(
        "user", "add", "nadia", "--role", "analyst", "--password-stdin", *data, input="four words\n"
    )
    assert short.exit_code != 0 and "at least 12 characters" in short.output
    ok = server(
        "user",
        "add",
        "nadia",
        "--role",
        "analyst",
        "--password-stdin",
        *data,
        input=NEW_PASSWORD + "\n",
    )
    assert ok.exit_code == 0 and "Added analyst nadia." in ok.output
    database = tmp_path / "central" / "sync-server.db"
    assert [r["name"] for r in query(database, "SELECT name FROM users")] == ["nadia"]
    assert [e["event"] for e in query(database, "SELECT event FROM security_events")] == [
        "user_added"
    ]


def test_user_commands_change_accounts_and_log_each_change(team):
    data = ["--data-dir", team.app.config["DATA_DIR"]]
    nadia = f"user:{user_id(team, 'nadia')}"
    session = sign_in(team, "nadia")

    created = server("user", "token", "create", "nadia", "--label", "R report", *data)
    assert created.exit_code == 0, created.output
    token = created.output.strip().splitlines()[-1]
    assert TOKEN_PATTERN.fullmatch(token) and records(team, token).status_code == 200
    listed = server("user", "token", "list", "nadia", *data)
    assert "R report" in listed.output and "active" in listed.output and token not in listed.output
    token_id = listed.output.split()[0]
    revoked = server("user", "token", "revoke", token_id, *data)
    assert revoked.exit_code == 0 and records(team, token).status_code == 401
    assert server("user", "token", "revoke", "999", *data).exit_code != 0
    refused = server("user", "token", "create", "viktor", *data)
    assert refused.exit_code != 0 and "cannot read records" in refused.output

    assert (
        server(
            "user", "password", "nadia", "--password-stdin", *data, input="nadia is fine 2024\n"
        ).exit_code
        != 0
    )
    changed = server(
        "user", "password", "nadia", "--password-stdin", *data, input=NEW_PASSWORD + "\n"
    )
    assert changed.exit_code == 0 and "1 session(s) ended" in changed.output
    assert not still_signed_in(session) and can_sign_in(team, "nadia", NEW_PASSWORD)

    assert server("user", "role", "nadia", "viewer", *data).exit_code == 0
    assert server("user", "disable", "nadia", *data).exit_code == 0
    assert not can_sign_in(team, "nadia", NEW_PASSWORD)
    assert "nadia  viewer  disabled" in server("user", "list", *data).output
    assert server("user", "enable", "nadia", *data).exit_code == 0
    assert can_sign_in(team, "nadia", NEW_PASSWORD)
    assert server("user", "disable", "nobody", *data).exit_code != 0

    account_events = {
        "user_added",
        "api_token_created",
        "api_token_revoked",
        "api_auth_failed",
        "password_changed",
        "sessions_ended",
        "role_changed",
        "account_disabled",
        "account_enabled",
    }
    mine = [
        (e["event"], e["detail"])
        for e in events(team)
        if e["account"] == nadia and e["event"] in account_events
    ]
    assert [event for event, _ in mine] == [
        "user_added",
        "api_token_created",
        "api_token_revoked",
        "api_auth_failed",
        "password_changed",
        "sessions_ended",
        "role_changed",
        "sessions_ended",
        "account_disabled",
        "account_enabled",
    ]
    assert ("api_auth_failed", "revoked_token") in mine
    assert ("role_changed", "analyst -> viewer, by command line") in mine


def test_the_last_enabled_admin_stays(team):
    data = ["--data-dir", team.app.config["DATA_DIR"]]
    for command in (["user", "disable", "amani"], ["user", "role", "amani", "analyst"]):
        refused = server(*command, *data)
        assert refused.exit_code != 0 and "one enabled admin must remain" in refused.output
    assert server("user", "role", "nadia", "admin", *data).exit_code == 0
    assert server("user", "disable", "amani", *data).exit_code == 0
    assert server("user", "role", "nadia", "viewer", *data).exit_code != 0


def test_the_security_log_names_no_one(team):
    admin = sign_in(team, "amani")
    admin.post(
        "/users",
        {"name": "lucia", "role": "viewer", "password": NEW_PASSWORD},
        csrf_from=admin.get("/users").text,
    )
    admin.post(f"/users/{user_id(team, 'nadia')}/disable", {}, csrf_from=admin.get("/users").text)
    records(team, auth=("nadia", PASSWORD))
    logged = str(query(team.database, "SELECT account, detail FROM security_events"))
    for name in (*NAMES.values(), "lucia"):
        assert name not in logged
    assert PASSWORD not in logged and "127.0.0.1" not in logged
