"""Enumerators' forms on a phone with JavaScript, in a real Chromium: the whole form in one
page stepped through section by section, checked as it is filled, kept on the phone when
the hub is out of reach, and delivered exactly once when it is back."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from browsing import (  # noqa: F401
    answer_visible_questions,
    console_errors,
    quit_chromium,
    review_and_finalize,
    sign_in,
    start_chromium,
)
from faultproxy import FaultProxy
from filling import REPORT_ANSWERS, SURVEY_ANSWERS
from support import import_forms, query


def until(driver, condition, seconds=20):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds).until(condition)


def element(driver, css):
    return driver.find_element("css selector", css)


def fill_step_by_step(driver, answers):
    """Answer the open section, then Next, until the last section: Review answers, then
    Finalize."""
    until(driver, lambda d: d.find_elements("css selector", "form[data-steps]"))
    for _ in range(15):
        answer_visible_questions(driver, answers)
        if element(driver, "button.step-review").is_displayed():
            review_and_finalize(driver)
            return
        element(driver, "button.step-next").click()
    raise AssertionError("the form never reached its last section")


def outbox_text(driver) -> str:
    return element(driver, "#outbox").text


# The whole survey in Arabic only (right to left, its own digits; 15 s a language); the
# short report in both.
@pytest.mark.parametrize(
    "form_id, answers, lang",
    [
        ("community_survey", SURVEY_ANSWERS, "ar"),
        ("discrimination_report", REPORT_ANSWERS, "en"),
        ("discrimination_report", REPORT_ANSWERS, "ar"),
    ],
)
def test_a_form_opened_from_home_is_filled_whole_and_finalized(
    hub, chromium, db_path, form_id, answers, lang
):
    sign_in(chromium, hub)
    chromium.get(f"{hub.url}/?lang={lang}")
    link = until(
        chromium, lambda d: d.find_element("css selector", f'a[data-phone$="/{form_id}/phone"]')
    )
    until(chromium, lambda d: link.get_attribute("href").endswith(f"/forms/{form_id}/phone"))
    link.click()
    fill_step_by_step(chromium, answers)
    until(chromium, lambda d: "/phone" not in d.current_url)
    [record] = query(db_path, "SELECT status, locale, revision, answers FROM records")
    assert (record["status"], record["locale"], record["revision"]) == ("finalized", lang, 1)
    stored = json.loads(record["answers"])
    key = "discrimination_grounds" if form_id == "community_survey" else "incident_grounds"
    assert stored["consent"] == "yes" and stored[key] == answers[key]
    # Sending in reach asked for a token, not the health check, which writes and commits.
    assert query(db_path, "SELECT * FROM hub_state WHERE key = 'health_check'") == []
    assert console_errors(chromium) == []


def test_each_section_is_checked_before_the_next_with_the_hubs_messages(hub, chromium, db_path):
    sign_in(chromium, hub)
    chromium.get(f"{hub.url}/forms/community_survey/phone?lang=en")
    until(chromium, lambda d: element(d, "button.step-next").is_displayed())
    assert "Section 1 of" in element(chromium, "#step-0 .progress").text
    element(chromium, "button.step-next").click()
    assert (
        "Please say whether the person agrees before continuing."
        in element(chromium, "#q-consent").text
    )
    assert element(chromium, "#step-0").is_displayed()
    element(chromium, 'input[name="consent"][value="yes"]').click()
    element(chromium, "button.step-next").click()
    assert element(chromium, "#step-1").is_displayed()
    assert not element(chromium, "#step-0").is_displayed()
    element(chromium, "#f-age").send_keys("12")
    element(chromium, "button.step-next").click()
    assert "Enter a number from 15 to 120." in element(chromium, "#q-age").text
    assert element(chromium, "#f-age").get_attribute("aria-invalid") == "true"
    element(chromium, "#f-age").clear()
    element(chromium, "#f-age").send_keys("4x")
    element(chromium, "button.step-next").click()
    assert "Enter a whole number, using digits only." in element(chromium, "#q-age").text
    assert query(db_path, "SELECT count(*) AS n FROM records")[0]["n"] == 0


def test_declining_consent_goes_straight_to_finalize(hub, chromium, db_path):
    sign_in(chromium, hub)
    chromium.get(f"{hub.url}/forms/community_survey/phone?lang=en")
    until(chromium, lambda d: element(d, "button.step-next").is_displayed())
    element(chromium, 'input[name="consent"][value="no"]').click()
    assert element(chromium, "button.step-review").is_displayed()
    assert not element(chromium, "button.step-next").is_displayed()
    review_and_finalize(chromium)
    until(chromium, lambda d: "/phone" not in d.current_url)
    [record] = query(db_path, "SELECT status, answers FROM records")
    assert record["status"] == "finalized" and json.loads(record["answers"]) == {"consent": "no"}


def test_records_finalized_while_the_hub_is_away_arrive_once(hub, chromium, db_path):
    """Walk out of range, interview three people, come back: each record stored once."""
    upstream = ("127.0.0.1", int(hub.url.rsplit(":", 1)[1]))
    link = FaultProxy(upstream=upstream).start()
    try:
        sign_in(chromium, SimpleNamespace(url=link.url))
        chromium.get(link.url + "/forms/discrimination_report/phone?lang=en")
        until(chromium, lambda d: element(d, "button.step-next").is_displayed())
        port = link.port
        link.stop()
        for n in range(3):
            fill_step_by_step(chromium, dict(REPORT_ANSWERS, reporter_name=f"Reporter {n}"))
            until(chromium, lambda d, n=n: f"waiting for the hub: {n + 1}" in outbox_text(d))
            # Cleared for the next interview, back at the first section.
            until(chromium, lambda d: element(d, "#step-0").is_displayed())
        assert "Do not clear this browser's data" in outbox_text(chromium)
        assert query(db_path, "SELECT count(*) AS n FROM records")[0]["n"] == 0
        link = FaultProxy(upstream=upstream, port=port).start()
        element(chromium, "#outbox button").click()
        until(chromium, lambda d: outbox_text(d).count("Record finalized") == 3, 40)
    finally:
        link.stop()
    rows = query(db_path, "SELECT uuid, status, revision, answers FROM records")
    assert sorted(json.loads(r["answers"])["reporter_name"] for r in rows) == [
        f"Reporter {n}" for n in range(3)
    ]
    assert {(r["status"], r["revision"]) for r in rows} == {("finalized", 1)}
    assert query(db_path, "SELECT count(*) AS n FROM revisions")[0]["n"] == 3
    assert query(db_path, "SELECT count(*) AS n FROM outbox")[0]["n"] == 3


def test_what_is_typed_survives_a_reload_with_its_uuid(hub, chromium):
    sign_in(chromium, hub)
    chromium.get(f"{hub.url}/forms/community_survey/phone?lang=en")
    until(chromium, lambda d: element(d, "button.step-next").is_displayed())
    element(chromium, 'input[name="consent"][value="yes"]').click()
    element(chromium, "button.step-next").click()
    element(chromium, "#f-age").send_keys("41")
    record_uuid = element(chromium, 'input[name="_uuid"]').get_attribute("value")
    chromium.refresh()
    until(chromium, lambda d: element(d, "button.step-next").is_displayed())
    assert element(chromium, 'input[name="consent"][value="yes"]').is_selected()
    assert element(chromium, "#f-age").get_attribute("value") == "41"
    assert element(chromium, 'input[name="_uuid"]').get_attribute("value") == record_uuid


@pytest.fixture
def secure_phone(hub, tmp_path):
    """A phone that trusts the hub's CA (installed as the connect page explains), signed in
    over HTTPS through a link the test can cut."""
    from collector.serving import start_https

    server = start_https(hub.app, "127.0.0.1", 0, 4)
    ca = hub.app.extensions["certificates"].ca_cert_path
    link = FaultProxy(upstream=("127.0.0.1", server.bind_addr[1])).start()
    driver = start_chromium(tmp_path, trusted_ca=ca)
    base = f"https://127.0.0.1:{link.port}"
    try:
        sign_in(driver, SimpleNamespace(url=base))
        yield SimpleNamespace(driver=driver, link=link, base=base)
    finally:
        quit_chromium(driver)
        link.stop()
        server.stop()


def controlled(driver) -> bool:
    return driver.execute_script(
        "return !!(navigator.serviceWorker && navigator.serviceWorker.controller)"
    )


def test_over_https_a_reload_with_the_hub_away_opens_the_form_and_its_draft(secure_phone):
    """The service worker keeps the shell and the form; the draft is on the phone."""
    driver, link, base = secure_phone.driver, secure_phone.link, secure_phone.base
    page = f"{base}/forms/discrimination_report/phone?lang=fr"
    driver.get(page)
    assert driver.execute_script("return window.isSecureContext") is True
    until(driver, controlled, 30)
    driver.get(page)  # now through the service worker, which keeps a copy
    until(driver, lambda d: element(d, "button.step-next").is_displayed())
    element(driver, 'input[name="consent"][value="yes"]').click()
    element(driver, "button.step-next").click()
    element(driver, 'input[name="reporter_role"][value="witness"]').click()
    link.stop()  # the hub is out of reach
    driver.refresh()
    until(driver, lambda d: element(d, "button.step-next").is_displayed())
    assert driver.execute_script("return typeof window.FormExpressions") == "object"
    assert (
        driver.execute_script(
            "return getComputedStyle(document.querySelector('.actions button.primary'))"
            ".backgroundColor"
        )
        != "rgba(0, 0, 0, 0)"
    )  # the style sheet came from the kept shell
    assert element(driver, 'input[name="consent"][value="yes"]').is_selected()
    assert element(driver, 'input[name="reporter_role"][value="witness"]').is_selected()
    assert driver.find_element("tag name", "html").get_attribute("lang") == "fr"


def test_over_https_the_language_can_be_changed_with_the_hub_away(secure_phone):
    """A kept page is kept in each language of its bar; fetching them changes no one's
    language."""
    driver, link, base = secure_phone.driver, secure_phone.link, secure_phone.base
    page = f"{base}/forms/community_survey/phone"
    driver.get(f"{page}?lang=fr")
    until(driver, controlled, 30)
    driver.execute_script("sessionStorage.clear()")
    driver.get(f"{page}?lang=fr")  # controlled now: it asks for the other languages
    kept = (
        "return caches.keys().then(n => Promise.all(n.filter(k => k.startsWith('hub-pages-'))"
        ".map(k => caches.open(k).then(c => c.keys())))).then(l => l.flat().map(r => r.url))"
    )
    until(
        driver,
        lambda d: (
            f"{page}?lang=sw" in d.execute_script(kept)
            and f"{page}?lang=ar" in d.execute_script(kept)
        ),
        30,
    )
    assert {c["name"]: c["value"] for c in driver.get_cookies()}["lang"] == "fr"
    link.stop()  # the hub is out of reach
    for lang, direction in (("sw", "ltr"), ("ar", "rtl")):
        driver.get(f"{page}?lang={lang}")
        until(driver, lambda d: element(d, "button.step-next").is_displayed())
        html = driver.find_element("tag name", "html")
        assert (html.get_attribute("lang"), html.get_attribute("dir")) == (lang, direction)
    driver.get(page)  # no language asked: the one last used while in reach
    until(driver, lambda d: element(d, "button.step-next").is_displayed())
    assert driver.find_element("tag name", "html").get_attribute("lang") == "fr"


def test_a_prefetch_in_another_language_is_not_a_change_of_language(hub):
    import requests

    plain = requests.get(f"{hub.url}/feedback?lang=sw", timeout=10)
    assert plain.cookies.get("lang") == "sw"
    fetched = requests.get(
        f"{hub.url}/feedback?lang=sw", headers={"X-Hub-Prefetch": "1"}, timeout=10
    )
    assert fetched.status_code == 200 and 'lang="sw"' in fetched.text
    assert "lang" not in fetched.cookies


AGREEMENT = {
    "form_id": "agreement",
    "version": "1",
    "title": {"en": "Agreement"},
    "choices": {
        "agree": [
            {"name": str(n), "label": {"en": text}}
            for n, text in enumerate(
                ["Strongly disagree", "Disagree", "Neither", "Agree", "Strongly agree"], 1
            )
        ],
        "yn": [{"name": "yes", "label": {"en": "Yes"}}, {"name": "no", "label": {"en": "No"}}],
    },
    "sections": [
        {
            "name": "views",
            "label": {"en": "Views"},
            "questions": [
                {
                    "name": "fair",
                    "type": "select_one",
                    "choices": "agree",
                    "appearance": "likert",
                    "label": {"en": "Services treat everyone fairly."},
                },
                {
                    "name": "again",
                    "type": "select_one",
                    "choices": "yn",
                    "appearance": "horizontal",
                    "label": {"en": "Would you use them again?"},
                },
            ],
        }
    ],
}


def test_likert_and_horizontal_choices_sit_in_a_row_on_a_phone(hub, chromium, db_path):
    import_forms(db_path, AGREEMENT)
    sign_in(chromium, hub)
    chromium.get(f"{hub.url}/forms/agreement?lang=en")
    until(chromium, lambda d: d.find_elements("css selector", ".options-likert"))
    rows = {
        round(box.location["y"])
        for box in chromium.find_elements("css selector", ".options-likert input")
    }
    assert len(rows) == 1, rows  # five points side by side, as on paper
    rows = {
        round(box.location["y"])
        for box in chromium.find_elements("css selector", ".options-horizontal input")
    }
    assert len(rows) == 1, rows
    assert chromium.execute_script("return document.documentElement.scrollWidth") <= 360


def test_a_finalize_refused_in_reach_keeps_the_record_on_the_phone(hub, chromium, db_path):
    """The session ended while the interview went on: nothing typed is lost."""
    sign_in(chromium, hub)
    chromium.get(f"{hub.url}/forms/discrimination_report/phone?lang=en")
    until(chromium, lambda d: element(d, "button.step-next").is_displayed())
    chromium.delete_cookie("collector_session")  # the session ended
    fill_step_by_step(chromium, dict(REPORT_ANSWERS, reporter_name="Kept Safe"))
    until(chromium, lambda d: "waiting for the hub: 1" in outbox_text(d))
    assert "Sign in again" in outbox_text(chromium)
    assert query(db_path, "SELECT count(*) AS n FROM records")[0]["n"] == 0
    sign_in(chromium, hub)  # back on the start page, whose outbox delivers it
    until(chromium, lambda d: "Record finalized" in outbox_text(d), 40)
    [record] = query(db_path, "SELECT answers FROM records")
    assert json.loads(record["answers"])["reporter_name"] == "Kept Safe"


def test_a_page_from_an_older_session_still_sends_in_reach(hub, chromium, db_path):
    """Signed out and in again in another tab while the form was open: the page's token is
    the old session's, so the phone asks for a current one and the record goes at once."""
    sign_in(chromium, hub)
    chromium.get(f"{hub.url}/forms/community_survey/phone?lang=en")
    until(chromium, lambda d: element(d, "button.step-next").is_displayed())
    form_tab = chromium.current_window_handle
    chromium.switch_to.new_window("tab")
    chromium.delete_cookie("collector_session")
    sign_in(chromium, hub)  # a new session: the form page's token no longer matches it
    chromium.switch_to.window(form_tab)
    fill_step_by_step(chromium, SURVEY_ANSWERS)
    until(chromium, lambda d: "/phone" not in d.current_url)
    [record] = query(db_path, "SELECT status FROM records")
    assert record["status"] == "finalized"


def test_one_enumerators_draft_is_not_shown_to_the_next(hub, chromium):
    sign_in(chromium, hub)
    chromium.get(f"{hub.url}/forms/community_survey/phone?lang=en")
    until(chromium, lambda d: element(d, "button.step-next").is_displayed())
    element(chromium, 'input[name="consent"][value="yes"]').click()
    element(chromium, "form.inline button").click()  # sign out
    until(chromium, lambda d: "/forms/" not in d.current_url)  # signed out, page left
    hub.add_enumerator("Second", "5678")
    chromium.get(hub.url + "/signin")
    element(chromium, "#name").send_keys("Second")
    element(chromium, "#pin").send_keys("5678")
    element(chromium, "button.primary").click()
    until(chromium, lambda d: d.find_elements("css selector", "form.inline"))
    chromium.get(f"{hub.url}/forms/community_survey/phone?lang=en")
    until(chromium, lambda d: element(d, "button.step-next").is_displayed())
    assert not element(chromium, 'input[name="consent"][value="yes"]').is_selected()


def test_the_http_outbox_marks_itself_while_records_wait(hub, chromium, db_path):
    upstream = ("127.0.0.1", int(hub.url.rsplit(":", 1)[1]))
    link = FaultProxy(upstream=upstream).start()
    try:
        chromium.get(link.url + "/feedback?lang=en")
        until(chromium, lambda d: d.find_elements("css selector", "#f-message"))
        port = link.port
        link.stop()
        from test_browser import fill_kiosk

        fill_kiosk(chromium, "Waiting on HTTP")
        until(chromium, lambda d: "waiting for the hub: 1" in outbox_text(d))
        assert chromium.get_cookie("hub_outbox")["value"] == "1"
        link = FaultProxy(upstream=upstream, port=port).start()
        element(chromium, "#outbox button").click()
        until(chromium, lambda d: "Feedback kept on this phone was sent" in outbox_text(d), 30)
        until(chromium, lambda d: (d.get_cookie("hub_outbox") or {}).get("value", "") == "")
    finally:
        link.stop()
