"""Help contacts from the command line (`sync-server help-contacts list|add|remove|import|
export`), and the signed file that carries them to laptops that only exchange USB sticks
(`sync-server help-contacts export-for-hubs`, `collector help-contacts import`): kept only
when signed by the server the laptop is enrolled with and not older than the last one; a
file with any problem changes nothing. A real central server (SQLite and PostgreSQL),
real hub data folders."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from collector.cli import cli as hub_cli
from collector.db import connect
from collector.help_contacts import synced_contacts, wire
from collector.sync_client import SyncClient, enroll, get_state
from filling import REPORT_ANSWERS, fill_form
from support import query
from sync_server.cli import cli as server_cli
from test_help_contacts import DISTRICT, EVERYWHERE, WARD, saved_page
from test_workspace import team  # noqa: F401 - the fixture

CONTACTS = [WARD, DISTRICT, EVERYWHERE]


def server(central, *args, input=None):
    """`sync-server ARGS` on the central server's data folder (its database setting)."""
    options = ["--data-dir", str(central.app.config["DATA_DIR"])]
    if args[1:2] and args[1] in ("list", "add", "remove", "import", "export", "export-for-hubs"):
        args = (*args[:2], *options, *args[2:])
    return CliRunner().invoke(server_cli, [str(a) for a in args], input=input)


def hub_command(data_dir, *args):
    return CliRunner().invoke(
        hub_cli, [*map(str, args[:2]), "--data-dir", str(data_dir), *map(str, args[2:])]
    )


def add_all(central, contacts=CONTACTS) -> None:
    for contact in contacts:
        options = [f"--{key}={value}" for key, value in contact.items()]
        result = server(central, "help-contacts", "add", *options)
        assert result.exit_code == 0, result.output


def listed(central) -> list[dict]:
    rows = query(
        central.database,
        "SELECT area, name, description, phone, hours, languages FROM help_contacts"
        " ORDER BY area, id",
    )
    return [dict(row, languages=json.loads(row["languages"])) for row in rows]


def audit(central) -> list[tuple[str, str, str]]:
    rows = query(central.database, "SELECT actor, action, detail FROM audit ORDER BY id")
    return [(r["actor"], r["action"], r["detail"]) for r in rows if "help_contact" in r["action"]]


# -- the command line ---------------------------------------------------------------------------


def test_the_command_line_adds_lists_exports_imports_and_removes(team, tmp_path):  # noqa: F811
    add_all(team)
    result = server(team, "help-contacts", "list")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].endswith("every area: National helpline | 116 | sw, en")
    assert "CE01: Old town legal aid | +254 700 000111 | Mon-Fri 9-17" in lines[2]
    as_json = json.loads(server(team, "help-contacts", "list", "--json").output)
    assert [c["name"] for c in as_json] == [c["name"] for c in listed(team)]
    # Every change is audited as the page's are, by the command line.
    assert [a[:2] for a in audit(team)] == [("command line", "help_contact_added")] * 3

    # Exported, then imported again: nothing changes; the phone numbers are quoted so that
    # a spreadsheet does not read "+254 ..." as a formula, and read back without the quote.
    exported = tmp_path / "contacts.csv"
    assert server(team, "help-contacts", "export", exported).exit_code == 0
    text = exported.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "area,name,description,phone,hours,languages"
    assert "'+254 700 000111" in text
    before = listed(team)
    result = server(team, "help-contacts", "import", exported, "--replace")
    assert result.exit_code == 0 and "Added 0 help contacts and removed 0." in result.output
    assert listed(team) == before and len(audit(team)) == 3

    # Edited in a spreadsheet: one changed, one left out, one new; --replace makes the list
    # the file's (a dry run first says so and changes nothing).
    rows = text.splitlines()
    edited = [rows[0], rows[1].replace("116", "117"), rows[2], "NR01,Riverside clinic,,0800 1,,"]
    exported.write_text("\n".join(edited) + "\n", encoding="utf-8")
    result = server(team, "help-contacts", "import", exported, "--replace", "--dry-run")
    assert "Would add 2 help contacts and remove 2" in result.output
    assert listed(team) == before
    result = server(team, "help-contacts", "import", exported, "--replace")
    assert result.exit_code == 0 and "Added 2 help contacts and removed 2." in result.output
    names = {c["name"]: c for c in listed(team)}
    assert set(names) == {"National helpline", "Central protection desk", "Riverside clinic"}
    assert names["National helpline"]["phone"] == "117"
    # Without --replace, a file adds what the list lacks, each once.
    result = server(team, "help-contacts", "import", exported)
    assert "Added 0 help contacts and removed 0." in result.output

    ids = {
        c["name"]: c["id"]
        for c in json.loads(server(team, "help-contacts", "list", "--json").output)
    }
    result = server(team, "help-contacts", "remove", ids["Riverside clinic"])
    assert result.exit_code == 0 and "Removed Riverside clinic." in result.output
    assert "Riverside clinic" not in {c["name"] for c in listed(team)}
    result = server(team, "help-contacts", "remove", ids["Riverside clinic"])
    assert result.exit_code == 1 and "There is no help contact" in result.output
    assert audit(team)[-1][:2] == ("command line", "help_contact_removed")


BAD_FILES = [
    (
        b"name,phone,area\nGood one,116,\n,+4 1,CE\nB,+44 (0) 1 222,CE01\nC,call me,\n",
        [
            "Row 3, column name: Give the contact's name",
            "Row 3, column phone: A phone number holds digits",
            "Row 5, column phone: A phone number holds digits",
        ],
    ),
    (b"name,telephone\nA,116\n", ["Row 1, column telephone: not a column of help contacts"]),
    (b"area,phone\nCE,116\n", ["Row 1: the file has no name column."]),
    (b'name,languages\nA,"sw, english!"\n', ["Row 2, column languages: Give at most 10"]),
    ("name\nMa\u00eetre\n".encode("latin-1"), ["The file is not UTF-8 text"]),
    (b"name,phone\nA,116,extra\n", ["Row 2 has more cells than the first row has columns."]),
    (b"", ["The file is empty"]),
    (b"name\n" + b"".join(b"Contact %d\n" % n for n in range(201)), ["at most 200 help contacts"]),
]


@pytest.mark.parametrize("content, problems", BAD_FILES)
def test_a_bad_file_or_contact_is_refused_by_row_and_column_and_changes_nothing(
    team,
    tmp_path,
    content,
    problems,  # noqa: F811
):
    add_all(team, CONTACTS[:1])
    before, audited = listed(team), audit(team)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    for replace in ([], ["--replace"]):
        result = server(team, "help-contacts", "import", bad, *replace)
        assert result.exit_code == 1, result.output
        for problem in problems:
            assert problem in result.output, result.output
        assert listed(team) == before and audit(team) == audited
    result = server(team, "help-contacts", "add", "--name", "X", "--phone", "abc", "--area", "a\tb")
    assert result.exit_code == 2
    assert "--area: An area code" in result.output and "--phone: A phone number" in result.output
    assert listed(team) == before and audit(team) == audited


# -- the signed file, for laptops that never sync ---------------------------------------------


@pytest.fixture
def enrolled(app, data_dir, team):  # noqa: F811
    """A hub enrolled with the central server once, then exchanging USB sticks only."""
    db = connect(app.config["DATABASE"])
    enroll(db, data_dir, team.url, team.enrollment_code())
    yield db
    db.close()


def export_for_hubs(central, path):
    result = server(central, "help-contacts", "export-for-hubs", path)
    assert result.exit_code == 0, result.output
    assert "signed by this server (fingerprint" in result.output
    return path


def hub_state(db) -> tuple:
    """What a refused file must leave as it was: the contacts, the last file, the ETag."""
    return synced_contacts(db), get_state(db, "help_contacts_file"), get_state(db, "forms_etag")


def security_events(db, event: str) -> list[str]:
    rows = db.execute("SELECT detail FROM security_events WHERE event = ?", [event]).fetchall()
    return [row[0] for row in rows]


def test_a_usb_laptop_keeps_a_file_signed_by_its_server_and_shows_it_after_a_report(
    team,
    hub,
    data_dir,
    enrolled,
    tmp_path,  # noqa: F811
):
    add_all(team)
    signed = export_for_hubs(team, tmp_path / "help-contacts.signed")
    result = hub_command(data_dir, "help-contacts", "import", signed)
    assert result.exit_code == 0, result.output
    assert "Kept 3 help contacts" in result.output
    assert synced_contacts(enrolled) == [
        dict(wire(c), description=c.get("description", ""), hours=c.get("hours", ""))
        | {"languages": c.get("languages", [])}
        for c in listed(team)
    ]
    assert "National helpline" in hub_command(data_dir, "help-contacts", "list").output
    assert security_events(enrolled, "help_contacts_imported")
    again = hub_command(data_dir, "help-contacts", "import", signed)
    assert again.exit_code == 0 and "already has the help contacts of this file" in again.output

    phone = hub.browser("en")
    phone.signin()
    record_uuid = fill_form(phone, "discrimination_report", REPORT_ANSWERS)
    shown = saved_page(phone, record_uuid)
    for name in ("Old town legal aid", "Central protection desk", "National helpline"):
        assert name in shown


def test_a_laptop_refuses_a_forged_altered_old_or_foreign_file_and_changes_nothing(
    team,
    data_dir,
    enrolled,
    tmp_path,  # noqa: F811
):
    add_all(team, CONTACTS[:2])
    older = export_for_hubs(team, tmp_path / "older.signed")
    add_all(team, CONTACTS[2:])
    newer = export_for_hubs(team, tmp_path / "newer.signed")
    assert hub_command(data_dir, "help-contacts", "import", newer).exit_code == 0
    kept = hub_state(enrolled)
    assert len(kept[0]) == 3

    envelope = json.loads(newer.read_bytes())
    # Another server's file (its own key, its own data folder) that claims to be ours.
    other = tmp_path / "other-server"
    other.mkdir()
    foreign = tmp_path / "foreign.signed"
    result = CliRunner().invoke(
        server_cli, ["help-contacts", "export-for-hubs", "--data-dir", str(other), str(foreign)]
    )
    assert result.exit_code == 0, result.output
    claiming = json.loads(foreign.read_bytes())
    claiming["server_fingerprint"] = envelope["server_fingerprint"]

    def altered(**changes):
        return json.dumps(dict(envelope, **changes)).encode()

    phone_changed = [dict(c, phone="+254 799 999999") for c in envelope["help_contacts"]]
    unsigned = {k: v for k, v in envelope.items() if not k.startswith("signature")}
    cases = [
        (older.read_bytes(), "before the one this laptop already has"),
        (foreign.read_bytes(), "was written by another server"),
        (json.dumps(claiming).encode(), "was written by another server"),
        (json.dumps(unsigned).encode(), "is not signed"),
        (altered(help_contacts=phone_changed), "was changed after the server signed it"),
        (altered(issued_at="2099-01-01T00:00:00.000000Z"), "was changed after the server signed"),
        (newer.read_bytes()[:-40], "not a help contacts file"),
    ]
    for n, (content, message) in enumerate(cases):
        path = tmp_path / f"case-{n}.signed"
        path.write_bytes(content)
        result = hub_command(data_dir, "help-contacts", "import", path)
        assert result.exit_code == 1, (n, result.output)
        assert message in result.output and "nothing was changed" in result.output, (
            n,
            result.output,
        )
        assert hub_state(enrolled) == kept, n
    # The forged, altered and old files are in the security log; the unreadable one is not.
    assert len(security_events(enrolled, "help_contacts_refused")) == len(cases) - 1


def test_a_laptop_not_enrolled_refuses_the_file_and_says_how_to_enroll(team, tmp_path):  # noqa: F811
    add_all(team)
    signed = export_for_hubs(team, tmp_path / "help-contacts.signed")
    result = hub_command(tmp_path / "new-hub", "help-contacts", "import", signed)
    assert result.exit_code == 1
    assert "This laptop is not enrolled with a sync server" in result.output
    assert "collector enroll --server URL --code CODE" in result.output
    db = connect(tmp_path / "new-hub" / "collector.db")
    try:
        assert synced_contacts(db) == [] and get_state(db, "help_contacts_file") is None
    finally:
        db.close()


def test_a_laptop_that_syncs_again_gets_the_servers_newest_list(
    team,
    data_dir,
    enrolled,
    tmp_path,  # noqa: F811
):
    """A file's list is kept until the next sync, which reads the server's list whole."""
    add_all(team, CONTACTS[:1])
    signed = export_for_hubs(team, tmp_path / "one.signed")
    add_all(team, CONTACTS[1:])
    client = SyncClient(enrolled, enroll(enrolled, data_dir, team.url, team.enrollment_code()))
    client.sync()
    assert len(synced_contacts(enrolled)) == 3
    assert hub_command(data_dir, "help-contacts", "import", signed).exit_code == 0
    assert len(synced_contacts(enrolled)) == 1
    client.sync()
    assert [c["name"] for c in synced_contacts(enrolled)] == [c["name"] for c in listed(team)]
