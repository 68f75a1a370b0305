"""A real Chromium at a phone's size: live skip logic, the kiosk, right-to-left pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from browsing import answer_visible_questions, console_errors, pick, sign_in, visible, wait_for  # noqa: F401
from support import ENUMERATOR, PIN, query

SCREENSHOTS = Path(__file__).parent / "screenshots"


def test_skip_logic_shows_and_hides_questions_live(hub, chromium):
    chromium.get(hub.url + "/signin?lang=en")
    chromium.find_element("id", "name").send_keys(ENUMERATOR)
    chromium.find_element("id", "pin").send_keys(PIN)
    chromium.find_element("css selector", "button.primary").click()
    wait_for(chromium, "form.inline")  # signed in: the sign-out button is there
    chromium.get(hub.url + "/forms/community_survey")
    pick(chromium, "consent", "yes")
    chromium.find_element("css selector", 'button[value="next"]').click()
    wait_for(chromium, "#q-language_home")
    assert chromium.current_url.endswith("/1")
    assert not visible(chromium, "language_home_other")
    pick(chromium, "language_home", "other")
    assert visible(chromium, "language_home_other")
    pick(chromium, "language_home", "arabic")
    assert not visible(chromium, "language_home_other")
    assert console_errors(chromium) == []


def test_kiosk_in_a_browser_stores_the_feedback_once(hub, chromium, db_path):
    chromium.get(hub.url + "/feedback?lang=en")
    assert not visible(chromium, "contact")
    pick(chromium, "feedback_type", "question")
    pick(chromium, "topic", "health")
    chromium.find_element("id", "f-message").send_keys("When does the clinic open?")
    pick(chromium, "wants_reply", "yes")
    assert visible(chromium, "contact")
    chromium.find_element("id", "f-contact").send_keys("0712 000111")
    chromium.find_element("css selector", "button.primary").click()
    code = wait_for(chromium, ".receipt").text
    assert len(code) == 9 and code[4] == "-"
    [record] = query(db_path, "SELECT answers, receipt_code FROM records")
    assert record["receipt_code"] == code.replace("-", "")
    assert json.loads(record["answers"])["contact"] == "0712 000111"
    assert console_errors(chromium) == []


@pytest.mark.parametrize(
    "lang,chromium", [("en", 360), ("ar", 360), ("sw", 320)], indirect=["chromium"]
)
def test_kiosk_page_at_phone_size(hub, chromium, lang):
    chromium.get(hub.url + f"/feedback?lang={lang}")
    width = chromium.phone_width
    assert chromium.execute_script("return window.innerWidth") == width
    html = chromium.find_element("tag name", "html")
    assert html.get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
    # Nothing wider than the phone: no sideways scrolling.
    assert chromium.execute_script("return document.documentElement.scrollWidth") <= width
    SCREENSHOTS.mkdir(exist_ok=True)
    chromium.save_screenshot(str(SCREENSHOTS / f"feedback-{lang}-{width}.png"))


def fill_kiosk(driver, message):
    pick(driver, "feedback_type", "suggestion")
    pick(driver, "topic", "water")
    driver.find_element("id", "f-message").send_keys(message)
    pick(driver, "wants_reply", "no")
    driver.find_element("css selector", "button.primary").click()


def test_feedback_sent_while_the_hub_is_away_arrives_once(hub, chromium, db_path):
    """Take the hub away, send three, bring it back: each is stored exactly once."""
    from selenium.webdriver.support.ui import WebDriverWait

    from faultproxy import FaultProxy

    link = FaultProxy(upstream=("127.0.0.1", int(hub.url.rsplit(":", 1)[1]))).start()
    try:
        chromium.get(link.url + "/feedback?lang=en")
        wait_for(chromium, "#f-message")
        port = link.port
        link.stop()  # the phone walked out of the hotspot's range: every connection drops
        for n in range(3):
            fill_kiosk(chromium, f"Offline message {n}")
            waiting = f"waiting for the hub: {n + 1}"
            WebDriverWait(chromium, 15).until(
                lambda d, waiting=waiting: waiting in d.find_element("id", "outbox").text
            )
        assert "Do not clear this browser's data" in chromium.find_element("id", "outbox").text
        assert query(db_path, "SELECT count(*) AS n FROM records")[0]["n"] == 0
        link = FaultProxy(
            upstream=("127.0.0.1", int(hub.url.rsplit(":", 1)[1])), port=port
        ).start()  # back in range
        chromium.find_element("css selector", "#outbox button").click()
        sent = "Feedback kept on this phone was sent"
        WebDriverWait(chromium, 30).until(
            lambda d: d.find_element("id", "outbox").text.count(sent) == 3
        )
        assert "Receipt" not in chromium.find_element("id", "outbox").text
    finally:
        link.stop()
    rows = query(db_path, "SELECT answers FROM records")
    assert sorted(json.loads(r["answers"])["message"] for r in rows) == [
        f"Offline message {n}" for n in range(3)
    ]
    assert query(db_path, "SELECT count(*) AS n FROM outbox")[0]["n"] == 3


def test_the_kiosk_keeps_no_draft_not_even_one_an_older_page_left(hub, chromium):
    """Strangers use the kiosk in turn: what one leaves half written is not the next one's
    to read (an enumerator's form keeps its draft: test_browser_phone)."""
    chromium.get(hub.url + "/feedback?lang=en")
    pick(chromium, "topic", "health")
    chromium.find_element("id", "f-message").send_keys("Half written")
    chromium.execute_script(  # as the kiosk page kept drafts before
        "localStorage.setItem('draft::/feedback', JSON.stringify([['message', 'Left before']]))"
    )
    chromium.refresh()
    wait_for(chromium, "#f-message")
    assert chromium.find_element("id", "f-message").get_attribute("value") == ""
    assert not chromium.find_element(
        "css selector", 'input[name="topic"][value="health"]'
    ).is_selected()
    assert chromium.execute_script("return localStorage.getItem('draft::/feedback')") is None


LANGUAGES = ("en", "fr", "es", "ar", "sw", "ha")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_screenshots_of_each_form_in_each_language(hub, chromium, lang):
    """Screenshots at 360x640 for reviewers and translators (tests/screenshots, not in git)."""
    sign_in(chromium, hub)
    SCREENSHOTS.mkdir(exist_ok=True)
    for form_id in ("community_survey", "discrimination_report", "community_feedback"):
        chromium.get(f"{hub.url}/forms/{form_id}?lang={lang}")
        wait_for(chromium, "form.record")
        assert chromium.find_element("tag name", "html").get_attribute("lang") == lang
        width = chromium.execute_script("return document.documentElement.scrollWidth")
        assert width <= chromium.phone_width, f"{form_id} in {lang} scrolls sideways"
        chromium.save_screenshot(str(SCREENSHOTS / f"{form_id}-{lang}.png"))


AXE_RULES = (
    "label",
    "color-contrast",
    "html-has-lang",
    "html-lang-valid",
    "valid-lang",
    "tabindex",
    "document-title",
    "duplicate-id",
    "image-alt",
    "button-name",
    "link-name",
    "list",
    "listitem",
    "region",
    "bypass",
)


@pytest.mark.parametrize(
    "path",
    [
        "/feedback",
        "/feedback/status",
        "/signin",
        "/connect",
        "/forms/community_survey/phone",
        "/forms/community_survey",
        "/records",
        "/sync",
        "/",
    ],
)
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_pages_pass_automated_accessibility_checks(hub, chromium, path, lang):
    from axe_selenium_python import Axe

    sign_in(chromium, hub)
    chromium.get(f"{hub.url}{path}?lang={lang}")
    wait_for(chromium, "main")
    html = chromium.find_element("tag name", "html")
    assert html.get_attribute("lang") == lang
    assert html.get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
    axe = Axe(chromium)
    axe.inject()
    results = axe.run(options={"runOnly": {"type": "rule", "values": list(AXE_RULES)}})
    problems = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in results["violations"]]
    assert problems == []
    # Focus order follows the page: nothing jumps the queue with a positive tabindex.
    assert (
        chromium.execute_script(
            "return document.querySelectorAll("
            '\'[tabindex]:not([tabindex="-1"]):not([tabindex="0"])\').length'
        )
        == 0
    )


# The whole survey in Arabic only (right to left, its own digits; 18 s a language); the
# short report in both.
@pytest.mark.parametrize(
    "form_id, lang",
    [("community_survey", "ar"), ("discrimination_report", "en"), ("discrimination_report", "ar")],
)
def test_fill_and_finalize_each_form_in_a_browser(hub, chromium, db_path, form_id, lang):
    from filling import REPORT_ANSWERS, SURVEY_ANSWERS

    answers = SURVEY_ANSWERS if form_id == "community_survey" else REPORT_ANSWERS
    sign_in(chromium, hub)
    chromium.get(f"{hub.url}/forms/{form_id}?lang={lang}")
    for _ in range(12):  # at most one visit per section, and the review page
        wait_for(chromium, "main")
        if "/review" in chromium.current_url:
            break
        answer_visible_questions(chromium, answers)
        before = chromium.current_url
        chromium.find_element("css selector", 'button[value="next"]').click()
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(chromium, 15).until(lambda d, before=before: d.current_url != before)
    assert "/review" in chromium.current_url, chromium.find_element("tag name", "main").text[:500]
    chromium.find_element("css selector", "form.actions button.primary").click()
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(chromium, 15).until(lambda d: "/review" not in d.current_url)
    [record] = query(db_path, "SELECT status, locale, answers FROM records")
    assert record["status"] == "finalized" and record["locale"] == lang
    stored = json.loads(record["answers"])
    assert stored["consent"] == "yes"
    key = "discrimination_grounds" if form_id == "community_survey" else "incident_grounds"
    assert stored[key] == answers[key]
    assert console_errors(chromium) == []
