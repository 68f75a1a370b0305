"""What the hub's pages say, said truly, on real servers without JavaScript: section counts
that agree with the button, text typed in any script laid out by its own direction, a
reply that moves a feedback case to "answered" however it was written and shows on the
hub, and a saved page that knows whether its record is synced."""

from __future__ import annotations

import re

from filling import REPORT_ANSWERS, SURVEY_ANSWERS, fill_form, page_data
from support import query
from sync_server.store import Store
from test_feedback import release_reviewed, send_feedback
from test_kiosk_receipts import RECEIPT
from test_sync import collector, enrolled, server_command  # noqa: F401  (a fixture)
from test_workspace import feedback_record, push_records

# About the hub's pages and the link, not the server's storage: SQLite only.
SERVER_ENGINES = ("sqlite",)


def progress(html: str) -> str:
    return re.search(r'<p class="progress">([^<]*)</p>', html).group(1)


def main_button(html: str) -> str:
    return re.search(r'value="next" class="primary">([^<]*)</button>', html).group(1)


def test_the_consent_page_counts_the_sections_its_button_leads_to(browser):
    first = browser.get("/forms/community_survey?lang=en")
    # Before consent every later section may come: eight, and the way on is Next.
    assert progress(first.text) == "Section 1 of 8" and main_button(first.text) == "Next"
    path = re.search(r'<form method="post" action="(/records/[^"]+)"', first.text).group(1)
    declined = browser.post(path, page_data("community_survey", 0, {"consent": "no"}))
    assert declined.url.endswith("/review")
    again = browser.get(path)
    # Declined: this is the only section, and its button says so.
    assert progress(again.text) == "Section 1 of 1" and main_button(again.text) == "Review answers"
    agreed = browser.post(path, page_data("community_survey", 0, {"consent": "yes"}))
    assert progress(agreed.text) == "Section 2 of 8" and main_button(agreed.text) == "Next"


def test_text_fields_take_the_direction_of_what_is_typed(browser):
    page = browser.get("/forms/community_survey?lang=ar").text
    assert 'dir="rtl"' in page
    record = fill_form(browser, "community_survey", SURVEY_ANSWERS, finalize=False)
    last = browser.get(f"/records/{record}/7?lang=ar").text
    assert re.search(r'<textarea id="f-comments"[^>]* dir="auto"', last)
    # Every field typed into on the whole-form page (names, descriptions, instances).
    whole = browser.get("/forms/discrimination_report/phone?lang=ar").text
    fields = re.findall(r'<(?:input type="text"|textarea)[^>]*>', whole)
    assert len(fields) >= 3 and all('dir="auto"' in tag for tag in fields)


def test_a_reply_answers_the_case_on_the_server_however_it_is_written(central):
    waiting, closed = feedback_record(), feedback_record()
    push_records(central, [waiting, closed])
    store = Store(central.database)
    try:
        store.set_feedback_status(closed["uuid"], "closed", False, "admin1")
        # The command line writes replies too (`sync-server reply`).
        for record in (waiting, closed):
            assert (
                server_command(
                    "reply", record["uuid"], "Asante.", "--locale", "sw", central=central
                ).exit_code
                == 0
            )
    finally:
        store.close()
    statuses = {
        row["uuid"]: row["status"]
        for row in query(central.database, "SELECT uuid, status FROM feedback_cases")
    }
    assert statuses == {waiting["uuid"]: "answered", closed["uuid"]: "closed"}
    assert query(
        central.database, "SELECT actor FROM audit WHERE action = 'feedback_answered'"
    ) == [{"actor": "central team"}]


def test_the_hub_shows_a_reply_as_answered(enrolled, central, data_dir, db_path):
    kiosk = enrolled.browser("en")
    response = send_feedback(kiosk)
    code = RECEIPT.search(response.text).group(1)
    release_reviewed(enrolled)

    def status_page() -> str:
        page = kiosk.get("/feedback/status").text
        return kiosk.post("/feedback/status", {"code": code}, csrf_from=page).text

    assert re.search(r'class="case-status">New<', status_page())
    assert collector("sync", data_dir=data_dir).exit_code == 0
    [record] = query(central.database, "SELECT uuid FROM records")
    assert (
        server_command("reply", record["uuid"], "We are fixing the tap.", central=central).exit_code
        == 0
    )
    assert query(central.database, "SELECT status FROM feedback_cases") == [{"status": "answered"}]
    assert collector("sync", data_dir=data_dir).exit_code == 0
    page = status_page()
    assert re.search(r'class="case-status">Answered<', page) and "We are fixing the tap." in page


def test_the_saved_page_says_whether_the_record_is_synced(enrolled, central, data_dir):
    phone = enrolled.browser("en")
    phone.signin()
    record = fill_form(phone, "discrimination_report", REPORT_ANSWERS)
    saved = phone.get(f"/records/{record}/saved").text
    assert "It waits on this hub until the hub next syncs" in saved
    assert "already synced" not in saved
    assert collector("sync", data_dir=data_dir).exit_code == 0
    saved = phone.get(f"/records/{record}/saved").text
    assert "It is already synced: the central team has it." in saved
    assert "It waits on this hub" not in saved
