"""Help and referral contacts kept by the central team per area, synced to the hubs with the
form list, and shown after a report: those of the report's area, of its larger area, for
every area, then the hub's own. A real central server (SQLite and PostgreSQL) and a real
hub on loopback."""

from __future__ import annotations

import re

import pytest
import requests

from browsing import sign_in, wait_for  # noqa: F401
from collector.db import connect, migrations
from collector.sync_client import SyncClient, enroll
from filling import REPORT_ANSWERS, fill_form
from support import Central, query
from test_workspace import PASSWORD, signed_in, team  # noqa: F401 - the fixture

# The report (REPORT_ANSWERS) happened in CE01, a ward of the Central district CE.
WARD = {
    "area": "CE01",
    "name": "Old town legal aid",
    "phone": "+254 700 000111",
    "hours": "Mon-Fri 9-17",
    "description": "Free advice on discrimination.",
}
DISTRICT = {"area": "CE", "name": "Central protection desk", "phone": "0800 123 456"}
ELSEWHERE = {"area": "NR01", "name": "Riverside clinic", "phone": "+254 700 000222"}
EVERYWHERE = {"area": "", "name": "National helpline", "phone": "116", "languages": "sw, en"}
LOCAL = {"name": "Hub's own counsellor", "phone": "+254 711 000333", "hours": "Daily"}


def add(admin, contact: dict) -> requests.Response:
    admin.get("/help-contacts")
    return admin.post("/help-contacts", contact)


def contact_ids(central) -> dict[str, int]:
    rows = query(central.database, "SELECT id, name FROM help_contacts")
    return {row["name"]: row["id"] for row in rows}


class CountingClient:
    """A hub's sync client on a real hub database; every answer body it reads is kept, so a
    test sees what crossed the link."""

    def __init__(self, hub, data_dir, central):
        self.db = connect(hub.app.config["DATABASE"])
        self.client = SyncClient(
            self.db,
            enroll(self.db, data_dir, central.url, central.enrollment_code()),
            timeout=(2, 5),
        )
        self.bodies: list[bytes] = []
        self.client.session.hooks["response"].append(self._keep)

    def _keep(self, response, *args, **kwargs):
        self.bodies.append(response.content)

    def sync(self) -> list[bytes]:
        """One sync; the bodies of its answers."""
        start = len(self.bodies)
        self.client.sync()
        return self.bodies[start:]


@pytest.fixture
def link(hub, data_dir, team):  # noqa: F811 - the fixture
    counting = CountingClient(hub, data_dir, team)
    yield counting
    counting.db.close()


def saved_page(phone, record_uuid: str) -> str:
    response = phone.get(f"/records/{record_uuid}/saved")
    assert response.status_code == 200
    section = re.search(r'<section class="referrals">(.*?)</section>', response.text, re.S)
    assert section, response.text[:500]
    return section.group(1)


def test_contacts_reach_the_hub_by_area_and_follow_edits_and_removals(team, hub, link):  # noqa: F811
    admin = signed_in(team, "admin")
    for contact in (EVERYWHERE, ELSEWHERE, WARD, DISTRICT):
        added = add(admin, contact)
        assert added.status_code == 200 and "Hubs get it at their next sync" in added.text
    hub.app.config["HUB"]["referral_contacts"] = [LOCAL]
    link.sync()
    phone = hub.browser("en")
    phone.signin()
    record_uuid = fill_form(phone, "discrimination_report", REPORT_ANSWERS)
    assert f"/records/{record_uuid}/saved" in phone.last.url

    # The ward's, the district's, every area's, then the hub's own; not another area's.
    shown = saved_page(phone, record_uuid)
    names = [WARD["name"], DISTRICT["name"], EVERYWHERE["name"], "Hub&#39;s own counsellor"]
    positions = [shown.index(name) for name in names]
    assert positions == sorted(positions)
    assert ELSEWHERE["name"] not in shown
    assert 'href="tel:+254700000111"' in shown and "+254 700 000111" in shown
    assert 'href="tel:116"' in shown and "Swahili, English" in shown
    assert "Free advice on discrimination." in shown and "Mon-Fri 9-17" in shown

    # An edit reaches the hub with its next sync.
    ward_id = contact_ids(team)[WARD["name"]]
    admin.get(f"/help-contacts/{ward_id}")
    edited = admin.post(f"/help-contacts/{ward_id}", dict(WARD, phone="+254 799 000999"))
    assert edited.status_code == 200 and "is changed" in edited.text
    link.sync()
    shown = saved_page(phone, record_uuid)
    assert 'href="tel:+254799000999"' in shown and "000111" not in shown

    # A removal too; then a sync with nothing changed carries no contact at all.
    admin.get("/help-contacts")
    removed = admin.post(f"/help-contacts/{ward_id}/remove", {})
    assert removed.status_code == 200 and "is removed" in removed.text
    assert link.sync()
    shown = saved_page(phone, record_uuid)
    assert WARD["name"] not in shown and DISTRICT["name"] in shown
    quiet = link.sync()
    assert quiet and not any(b"help_contacts" in body or b"helpline" in body for body in quiet)

    # Every change is in the audit, by the admin who made it.
    actions = query(
        team.database, "SELECT actor, action FROM audit WHERE action LIKE 'help_contact%'"
    )
    assert [(a["actor"], a["action"]) for a in actions] == [
        ("admin1", "help_contact_added")
    ] * 4 + [
        ("admin1", "help_contact_changed"),
        ("admin1", "help_contact_removed"),
    ]


def test_a_hub_without_central_contacts_shows_its_own(team, hub, link):  # noqa: F811
    hub.app.config["HUB"]["referral_contacts"] = [LOCAL]
    link.sync()
    phone = hub.browser("en")
    phone.signin()
    record_uuid = fill_form(phone, "discrimination_report", REPORT_ANSWERS)
    shown = saved_page(phone, record_uuid)
    assert "Hub&#39;s own counsellor" in shown and 'href="tel:+254711000333"' in shown
    assert query(hub.app.config["DATABASE"], "SELECT * FROM help_contacts") == []


BAD = [
    (dict(WARD, name=""), "Give the contact's name"),
    (dict(WARD, phone="call 0700 now"), "A phone number holds digits"),
    (dict(WARD, description="x" * 5000), "at most 500 characters"),
    (dict(WARD, area="N" * 65), "An area code is the code of an area choice"),
    (dict(WARD, languages="Kiswahili"), "language codes"),
]


def test_bad_input_is_refused_with_a_message_and_changes_nothing(team):  # noqa: F811
    admin = signed_in(team, "admin")
    assert add(admin, EVERYWHERE).status_code == 200
    before = query(team.database, "SELECT * FROM help_contacts")
    audit = query(team.database, "SELECT count(*) AS n FROM audit")
    contact_id = before[0]["id"]
    for contact, message in BAD:
        refused = add(admin, contact)
        assert refused.status_code == 400, contact
        assert message in refused.text.replace("&#39;", "'"), message
        assert 'role="alert"' in refused.text
        edit = admin.post(f"/help-contacts/{contact_id}", contact, csrf_from=refused.text)
        assert edit.status_code == 400 and message in edit.text.replace("&#39;", "'")
    assert query(team.database, "SELECT * FROM help_contacts") == before
    assert query(team.database, "SELECT count(*) AS n FROM audit") == audit


def test_only_admins_reach_the_page_and_every_change_needs_the_form_token(team):  # noqa: F811
    admin = signed_in(team, "admin")
    add(admin, EVERYWHERE)
    contact_id = contact_ids(team)[EVERYWHERE["name"]]
    for role in ("analyst", "viewer"):
        person = signed_in(team, role)
        assert person.get("/help-contacts").status_code == 403
        assert person.get(f"/help-contacts/{contact_id}").status_code == 403
        token = person.csrf(person.get("/account").text)
        for path in ("/help-contacts", f"/help-contacts/{contact_id}/remove"):
            answer = person.session.post(
                team.url + path, data=dict(WARD, csrf_token=token), timeout=10
            )
            assert answer.status_code == 403
    assert "Help contacts" not in signed_in(team, "analyst").get("/").text

    # Without the CSRF token the admin's own posts are refused too.
    for path in (
        "/help-contacts",
        f"/help-contacts/{contact_id}",
        f"/help-contacts/{contact_id}/remove",
    ):
        answer = admin.session.post(team.url + path, data=WARD, timeout=10)
        assert answer.status_code == 400
    rows = query(team.database, "SELECT name FROM help_contacts")
    assert rows == [{"name": EVERYWHERE["name"]}]
    assert admin.get("/help-contacts/999999").status_code == 404


def test_a_form_list_without_contacts_is_what_it_was(team, link):  # noqa: F811
    """No contacts: the list an older hub reads is unchanged (no new key, same ETag); with
    them, its `forms` are still where they were."""
    token = link.client.creds.token
    headers = {"Authorization": f"Bearer {token}", "X-Feedback-Protocol": "1.1"}
    plain = requests.get(team.url + "/api/v1/forms", headers=headers, timeout=10)
    assert "help_contacts" not in plain.json()
    add(signed_in(team, "admin"), EVERYWHERE)
    listed = requests.get(team.url + "/api/v1/forms", headers=headers, timeout=10)
    assert listed.headers["ETag"] != plain.headers["ETag"]
    assert listed.json()["forms"] == plain.json()["forms"]
    assert listed.json()["help_contacts"] == [
        {"area": "", "name": "National helpline", "phone": "116", "languages": ["sw", "en"]}
    ]
    unchanged = requests.get(
        team.url + "/api/v1/forms",
        headers={**headers, "If-None-Match": listed.headers["ETag"]},
        timeout=10,
    )
    assert unchanged.status_code == 304 and unchanged.content == b""


def test_an_upgraded_hub_reads_the_next_form_list_whole(tmp_path):
    """A hub that kept a form list's ETag before it knew of contacts forgets it, so the
    contacts the server already lists reach it."""
    path = tmp_path / "hub.db"
    db = connect(path)
    migrations.apply(db, stop_before="m009_help_contacts")
    db.execute("INSERT INTO hub_state (key, value) VALUES ('forms_etag', '\"abc\"')")
    db.conn.commit()
    migrations.apply(db)
    assert query(path, "SELECT * FROM hub_state WHERE key = 'forms_etag'") == []
    db.close()


def test_the_pages_pass_accessibility_checks_in_arabic(hub, data_dir, chromium, tmp_path):  # noqa: F811
    """The Help contacts page and the page after a report, right to left on a phone-wide
    screen, with axe-core's rules (tests/test_browser.py)."""
    from test_form_publishing_browser import accessibility_problems, sign_in_central

    central = Central(tmp_path / "central")  # the page, not the storage: SQLite is enough
    try:
        sign_in_central(chromium, central, "ar")
        chromium.get(f"{central.url}/help-contacts")
        wait_for(chromium, "#name")
        chromium.find_element("id", "name").send_keys("مكتب المساعدة القانونية")
        chromium.find_element("id", "area").send_keys("CE01")
        chromium.find_element("id", "phone").send_keys("+254 700 000111")
        chromium.find_element("id", "languages").send_keys("ar, sw")
        chromium.find_element("css selector", "form.stack button.primary").click()
        wait_for(chromium, "p.flash")
        assert "CE01" in chromium.find_element("css selector", "main table").text
        assert accessibility_problems(chromium) == []
        chromium.find_element("css selector", "main table a[href^='/help-contacts/']").click()
        wait_for(chromium, "#name")
        assert chromium.find_element("id", "area").get_attribute("value") == "CE01"
        assert accessibility_problems(chromium) == []

        link = CountingClient(hub, data_dir, central)
        link.sync()
        link.db.close()
    finally:
        central.stop()
    phone = hub.browser("ar")
    phone.signin()
    record_uuid = fill_form(phone, "discrimination_report", REPORT_ANSWERS)
    sign_in(chromium, hub)
    chromium.get(f"{hub.url}/records/{record_uuid}/saved?lang=ar")
    wait_for(chromium, "section.referrals")
    call = chromium.find_element("css selector", "section.referrals a[href^='tel:']")
    assert call.get_attribute("href") == "tel:+254700000111"
    assert chromium.find_element("tag name", "html").get_attribute("dir") == "rtl"
    assert accessibility_problems(chromium) == []
