"""The pseudonym key stays with the data custodian and the laptops, never on the server;
values are normalized before they are hashed, so one person gets one pseudonym."""

from __future__ import annotations

import pytest

from collector.anonymizer import anonymize, normalize_phone, pseudonym
from collector.forms import FormDefinition
from collector.settings import SettingsError, load_settings

KEY = bytes(range(32))


def phone_form(rule="pseudonymize:phone") -> FormDefinition:
    """A form whose phone question carries the phone rule, as a form author writes it."""
    return FormDefinition(
        {
            "form_id": "contacts",
            "version": "1",
            "default_language": "en",
            "title": {"en": "Contacts"},
            "choices": {},
            "sections": [
                {
                    "name": "main",
                    "label": {"en": "Main"},
                    "questions": [
                        {
                            "name": "phone",
                            "type": "text",
                            "label": {"en": "Phone"},
                            "identifying": True,
                            "privacy": rule,
                        },
                        {
                            "name": "name",
                            "type": "text",
                            "label": {"en": "Name"},
                            "identifying": True,
                            "privacy": "pseudonymize",
                        },
                    ],
                }
            ],
        }
    )


def synced(form, answers, region="") -> dict:
    record = {
        "uuid": "5b3e1f0a-8c2d-4e6f-9a7b-1c2d3e4f5a6b",
        "revision": 1,
        "form_id": form.form_id,
        "form_version": form.version,
        "locale": "en",
        "enumerator": "amina",
        "finalized_at": "2024-05-03T17:42:09Z",
        "answers": answers,
    }
    return anonymize(record, form, KEY, phone_region=region)["answers"]


# -- Normalization -------------------------------------------------------------------------

KENYAN_WAYS = [
    "0712 345 678",
    "+254 712 345 678",
    "00254712345678",
    "(0712) 345-678",
    "0712.345.678",
    "+254-712-345-678",
    "٠٧١٢٣٤٥٦٧٨",
    " +254712345678 ",
]


@pytest.mark.parametrize("region", ["KE", "ke"])
def test_one_phone_written_many_ways_gives_one_pseudonym(region):
    codes = {synced(phone_form(), {"phone": way}, region)["phone"] for way in KENYAN_WAYS}
    assert len(codes) == 1
    assert normalize_phone("0712/345/678", region) == "+254712345678"


def test_two_numbers_give_two_pseudonyms():
    form = phone_form()
    one = synced(form, {"phone": "0712 345 678"}, "KE")["phone"]
    other = synced(form, {"phone": "0712 345 679"}, "KE")["phone"]
    assert one != other
    # The same national digits in another country are another person's number.
    assert synced(form, {"phone": "0712 345 678"}, "NG")["phone"] != one


def test_without_a_region_only_international_numbers_are_read_as_such():
    assert normalize_phone("+44 20 7946 0018") == "+442079460018"
    assert normalize_phone("0044 (20) 7946-0018") == "+442079460018"
    # A national number stays its digits: spaces and dashes still do not matter...
    assert normalize_phone("0712-345 678") == normalize_phone("0712.345.678") == "0712345678"
    # ...but it is not guessed to be Kenyan.
    assert normalize_phone("0712345678") != normalize_phone("+254712345678")


def test_the_phone_rule_only_changes_phone_questions():
    form = phone_form()
    answers = synced(form, {"phone": "+254712345678", "name": "Wanjiru  Odhiambo"}, "KE")
    assert answers["phone"] == pseudonym("phone", "+254712345678", KEY, phone=True)
    assert answers["name"] == pseudonym("name", "wanjiru odhiambo", KEY)
    # A plain pseudonymize rule does not read digits as a phone number.
    plain = phone_form("pseudonymize")
    assert synced(plain, {"phone": "0712 345 678"}, "KE")["phone"] != answers["phone"]


@pytest.mark.parametrize(
    "variant",
    [
        "wanjiru odhiambo",
        "WANJIRU ODHIAMBO",
        " Wanjiru\tOdhiambo ",
        "Wanjiru-Odhiambo",
        "Wanjiru, Odhiambo.",
        "Ｗａｎｊｉｒｕ Odhiambo",
    ],
)
def test_names_fold_case_space_and_punctuation(variant):
    assert pseudonym("name", variant, KEY) == pseudonym("name", "Wanjiru Odhiambo", KEY)


def test_names_keep_their_accents_and_letters():
    assert pseudonym("name", "José", KEY) != pseudonym("name", "Jose", KEY)
    assert pseudonym("name", "Wanjiru Odhiambo", KEY) != pseudonym("name", "Wanjiru Odhiambu", KEY)
    assert pseudonym("name", "علي", KEY) == pseudonym("name", " علي. ", KEY)


def test_phone_region_setting_is_checked(tmp_path):
    (tmp_path / "settings.toml").write_text('phone_region = "KE"\n')
    assert load_settings(tmp_path)["phone_region"] == "KE"
    assert load_settings(tmp_path / "none")["phone_region"] == ""
    (tmp_path / "settings.toml").write_text('phone_region = "Kenya"\n')
    with pytest.raises(SettingsError, match="phone_region"):
        load_settings(tmp_path)


# -- Key files -------------------------------------------------------------------------------

PASSPHRASE = "correct horse battery"


def keys(*args, passphrase=PASSPHRASE, data_dir=None):
    """Run `collector keys ...` as a custodian's script does, the passphrase on stdin."""
    from click.testing import CliRunner

    from collector.cli import cli

    where = ["--data-dir", str(data_dir)] if data_dir else []
    stdin = ["--passphrase-stdin"] if args[0] in ("create", "import") else []
    return CliRunner().invoke(cli, ["keys", *args, *where, *stdin], input=passphrase + "\n")


def installed(data_dir):
    from collector import keyfile

    return keyfile.installed_key(data_dir)


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "project-key.json"
    result = keys("create", str(path), data_dir=tmp_path / "custodian")
    assert result.exit_code == 0, result.output
    return path


def test_create_import_show(key_file, tmp_path):
    import json
    import stat

    content = json.loads(key_file.read_text())
    assert content["format"] == "pseudonym-key" and content["version"] == 1
    assert content["kdf"]["name"] == "scrypt" and content["kdf"]["n"] >= 2**14
    assert content["cipher"]["name"] == "AES-256-GCM"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    hub = tmp_path / "hub"
    result = keys("import", str(key_file), data_dir=hub)
    assert result.exit_code == 0, result.output
    assert content["key_id"] in result.output
    secret = hub / "secrets" / "pseudonym_key"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    shown = keys("show", data_dir=hub)
    assert shown.exit_code == 0 and shown.output.strip() == content["key_id"]
    # The key file never holds the key in clear, in hex or base64.
    import base64

    key = installed(hub)
    text = key_file.read_text()
    for form in (key.hex(), key.hex().upper(), base64.b64encode(key).decode()):
        assert form not in text
    assert key not in key_file.read_bytes() and key.hex() not in shown.output
    # Importing the same file again changes nothing and says so.
    again = keys("import", str(key_file), data_dir=hub)
    assert again.exit_code == 0 and "already installed" in again.output
    # The hub's security log says a key was installed, by its id only, once.
    from support import query

    assert query(
        hub / "collector.db",
        "SELECT account, detail FROM security_events WHERE event = 'pseudonym_key_installed'",
    ) == [{"account": None, "detail": content["key_id"]}]


def test_show_without_a_key_says_how_to_get_one(tmp_path):
    result = keys("show", data_dir=tmp_path / "hub")
    assert result.exit_code == 1 and "collector keys import" in result.output


@pytest.mark.parametrize("short", ["", "eleven char"])
def test_a_short_passphrase_is_refused(tmp_path, short):
    path = tmp_path / "key.json"
    result = keys("create", str(path), passphrase=short, data_dir=tmp_path / "c")
    assert result.exit_code == 1 and "12 characters" in result.output
    assert not path.exists()


def test_create_never_overwrites_a_key_file(key_file, tmp_path):
    before = key_file.read_bytes()
    result = keys("create", str(key_file), data_dir=tmp_path / "c")
    assert result.exit_code == 1 and "exists already" in result.output
    assert key_file.read_bytes() == before


def test_a_wrong_passphrase_changes_nothing(key_file, tmp_path):
    hub = tmp_path / "hub"
    result = keys("import", str(key_file), passphrase="not the passphrase", data_dir=hub)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines == ["Error: Wrong passphrase, or the key file was changed. Nothing was changed."]
    assert installed(hub) is None


@pytest.mark.parametrize(
    "damage", ["truncated", "key_id", "kdf_n", "sealed_bit", "not_json", "huge_n", "missing_salt"]
)
def test_a_damaged_file_is_refused_in_one_line(key_file, tmp_path, damage):
    import base64
    import json

    content = json.loads(key_file.read_text())
    if damage == "truncated":
        text = key_file.read_text()[:80]
    elif damage == "not_json":
        text = "\x00\x01 garbage"
    else:
        if damage == "key_id":
            content["key_id"] = "0000 0000 0000 0000"
        elif damage == "kdf_n":
            content["kdf"]["n"] *= 2  # another cost than it was sealed with
        elif damage == "huge_n":
            content["kdf"]["n"] = 2**30
        elif damage == "missing_salt":
            del content["kdf"]["salt"]
        else:
            sealed = bytearray(base64.b64decode(content["encrypted_key"]))
            sealed[3] ^= 1
            content["encrypted_key"] = base64.b64encode(bytes(sealed)).decode()
        text = json.dumps(content)
    key_file.write_text(text)
    hub = tmp_path / "hub"
    result = keys("import", str(key_file), data_dir=hub)
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert "Traceback" not in result.output and "Nothing was changed" in result.output
    assert installed(hub) is None


def test_another_key_is_replaced_only_on_request(key_file, tmp_path):
    hub = tmp_path / "hub"
    assert keys("import", str(key_file), data_dir=hub).exit_code == 0
    first = installed(hub)
    other = tmp_path / "other-key.json"
    assert keys("create", str(other), data_dir=tmp_path / "c").exit_code == 0
    refused = keys("import", str(other), data_dir=hub)
    assert refused.exit_code == 1
    assert "--replace" in refused.output and "not link" in refused.output
    assert installed(hub) == first
    replaced = keys("import", str(other), "--replace", data_dir=hub)
    assert replaced.exit_code == 0 and "will not link" in replaced.output
    assert installed(hub) not in (None, first)


def test_an_old_servers_key_keeps_its_pseudonyms(tmp_path):
    """--from-hex-file wraps the key an older server made, so pseudonyms still link."""
    from collector import keyfile

    old_secret = tmp_path / "pseudonym_key"
    old_secret.write_text("ab" * 32)
    before = pseudonym("respondent", "Wanjiru", ("ab" * 32).encode("ascii"))
    path = tmp_path / "wrapped.json"
    result = keys("create", str(path), "--from-hex-file", str(old_secret), data_dir=tmp_path / "c")
    assert result.exit_code == 0, result.output
    hub = tmp_path / "hub"
    assert keys("import", str(path), data_dir=hub).exit_code == 0
    assert pseudonym("respondent", "Wanjiru", keyfile.hmac_key(installed(hub))) == before
    old_secret.write_text("not hex")
    bad = keys(
        "create",
        str(tmp_path / "bad.json"),
        "--from-hex-file",
        str(old_secret),
        data_dir=tmp_path / "c",
    )
    assert bad.exit_code == 1 and "hex" in bad.output


# -- The server never holds the key ----------------------------------------------------------

NO_KEY = (
    "The project's pseudonym key is not installed on this laptop: ask the data "
    "custodian for the key file and run collector keys import."
)


def collector(*args, data_dir, stdin=None):
    from click.testing import CliRunner

    from collector.cli import cli

    return CliRunner().invoke(cli, [*map(str, args), "--data-dir", str(data_dir)], input=stdin)


def folder_bytes(folder) -> bytes:
    """Every byte under `folder`, the databases' WAL folded in first."""
    import sqlite3

    for database in folder.rglob("*.db"):
        conn = sqlite3.connect(database)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def key_forms(key: bytes) -> list[bytes]:
    import base64

    return [key, key.hex().encode(), key.hex().upper().encode(), base64.b64encode(key)]


def test_the_server_and_its_enroll_answer_hold_no_key(hub, central, data_dir):
    import requests

    from collector import __version__, protocol
    from support import TEST_PSEUDONYM_KEY
    from test_feedback import release_reviewed, send_feedback

    answer = requests.post(
        central.url + "/api/v1/enroll",
        json={
            "protocol": protocol.PROTOCOL_VERSION,
            "code": central.enrollment_code(),
            "enrollment_id": "0b7f3c1e-9d2a-4c5b-8e6f-7a1b2c3d4e5f",
            "app_version": __version__,
        },
        headers={protocol.VERSION_HEADER: protocol.PROTOCOL_VERSION},
        timeout=10,
    )
    assert answer.status_code == 200 and "pseudonym_key" not in answer.json()
    assert (
        collector(
            "enroll",
            "--yes",
            "--server",
            central.url,
            "--code",
            central.enrollment_code(),
            data_dir=data_dir,
        ).exit_code
        == 0
    )
    assert send_feedback(hub.browser("en")).status_code == 200
    assert release_reviewed(hub) == 1
    result = collector("sync", data_dir=data_dir)
    assert result.exit_code == 0, result.output
    server_dir = central.app.config["DATA_DIR"]
    from pathlib import Path

    assert not (Path(server_dir) / "secrets" / "pseudonym_key").exists()
    assert "PSEUDONYM_KEY" not in central.app.config
    from support import database_bytes

    held = folder_bytes(Path(server_dir)) + database_bytes(central.database)
    assert b"p_" in held  # pseudonyms arrived...
    for form in key_forms(TEST_PSEUDONYM_KEY):
        assert form not in held  # ...the key they were made with did not


def test_a_hub_without_the_key_syncs_nothing_and_says_why(hub, central, data_dir, key_file):
    from pathlib import Path

    from collector import keyfile
    from support import query
    from test_feedback import release_reviewed, send_feedback

    (data_dir / "secrets" / "pseudonym_key").unlink()
    assert (
        collector(
            "enroll",
            "--yes",
            "--server",
            central.url,
            "--code",
            central.enrollment_code(),
            data_dir=data_dir,
        ).exit_code
        == 0
    )
    assert not (data_dir / "secrets" / "pseudonym_key").exists()  # enrolling gave none
    for _ in range(2):
        assert send_feedback(hub.browser("en")).status_code == 200
    refused = collector("sync", data_dir=data_dir)
    assert refused.exit_code == 1 and f"Sync failed: {NO_KEY}" in refused.output
    bundle = collector("export-bundle", data_dir / "out.bundle", data_dir=data_dir)
    assert bundle.exit_code == 1 and NO_KEY in bundle.output
    assert not (data_dir / "out.bundle").exists()
    assert query(central.database, "SELECT count(*) AS n FROM records")[0]["n"] == 0
    phone = hub.browser("en")
    phone.signin()
    page = phone.get("/sync").text
    import html

    assert NO_KEY in html.unescape(page)

    # The custodian's key installed, the same records go, pseudonymized with it.
    assert (
        collector(
            "keys",
            "import",
            key_file,
            "--passphrase-stdin",
            data_dir=data_dir,
            stdin=PASSPHRASE + "\n",
        ).exit_code
        == 0
    )
    assert release_reviewed(hub) == 2  # kiosk messages wait for the operator's review
    done = collector("sync", data_dir=data_dir)
    assert done.exit_code == 0, done.output
    assert query(central.database, "SELECT count(*) AS n FROM records")[0]["n"] == 2
    assert NO_KEY not in html.unescape(phone.get("/sync").text)
    key = keyfile.installed_key(data_dir)
    assert keyfile.read_key_file(key_file, PASSPHRASE) == key
    held = folder_bytes(Path(central.app.config["DATA_DIR"]))
    for form in key_forms(key):
        assert form not in held


def test_an_old_servers_key_file_is_not_read_and_is_pointed_out(tmp_path, caplog):
    import logging

    from sync_server import create_app

    server_dir = tmp_path / "old-server"
    (server_dir / "secrets").mkdir(parents=True)
    (server_dir / "secrets" / "pseudonym_key").write_text("cd" * 32)
    with caplog.at_level(logging.WARNING):
        app = create_app(data_dir=server_dir)
    warnings = [r.getMessage() for r in caplog.records if "pseudonym key" in r.getMessage()]
    assert len(warnings) == 1 and "--from-hex-file" in warnings[0]
    assert "cd" * 32 not in repr(dict(app.config)) and "PSEUDONYM_KEY" not in app.config
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        create_app(data_dir=tmp_path / "new-server")
    assert not [r for r in caplog.records if "pseudonym key" in r.getMessage()]


def test_the_demo_is_its_own_custodian(tmp_path):
    from collector import keyfile
    from collector.cli import DEMO_KEY_FILE, DEMO_KEY_PASSPHRASE, install_demo_key

    install_demo_key(tmp_path)
    key = keyfile.installed_key(tmp_path)
    assert key is not None
    assert keyfile.read_key_file(tmp_path / DEMO_KEY_FILE, DEMO_KEY_PASSPHRASE) == key
    install_demo_key(tmp_path)  # a second start keeps the key and its pseudonyms
    assert keyfile.installed_key(tmp_path) == key


def test_forms_and_xlsforms_may_declare_the_phone_rule():
    from collector.forms import load_form
    from test_forms import minimal_form

    form = minimal_form()
    form["sections"][0]["questions"].append(
        {
            "name": "phone",
            "type": "text",
            "label": {"en": "Phone"},
            "identifying": True,
            "privacy": "pseudonymize:phone",
        }
    )
    assert load_form(form).questions["phone"].get("privacy") == "pseudonymize:phone"
