"""A real Chromium at a phone's size: live skip logic, the kiosk, right-to-left pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import ENUMERATOR, PIN, need_tool, query

SCREENSHOTS = Path(__file__).parent / "screenshots"


@pytest.fixture
def chromium(request, tmp_path):
    """Headless Chromium emulating a phone 360 px wide (or the width given as a param)."""
    width = getattr(request, "param", 360)
    binary, driver_path = need_tool("chromium"), need_tool("chromedriver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
                 f"--window-size={width},640"):
        options.add_argument(flag)
    options.add_experimental_option("mobileEmulation", {
        "deviceMetrics": {"width": width, "height": 640, "pixelRatio": 2}})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    driver.implicitly_wait(0)
    driver.phone_width = width
    yield driver
    driver.quit()


def wait_for(driver, css: str):
    """The element once the page that has it has loaded."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, 15).until(
        lambda d: d.find_elements("css selector", css) and d.find_element("css selector", css))


def visible(driver, name: str) -> bool:
    return driver.find_element("id", f"q-{name}").is_displayed()


def pick(driver, name: str, value: str):
    driver.find_element("css selector", f'input[name="{name}"][value="{value}"]').click()


def console_errors(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


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


@pytest.mark.parametrize("lang,chromium", [("en", 360), ("ar", 360), ("sw", 320)],
                         indirect=["chromium"])
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
            WebDriverWait(chromium, 15).until(
                lambda d: f"waiting for the hub: {n + 1}" in d.find_element("id", "outbox").text)
        assert "Do not clear this browser's data" in chromium.find_element("id", "outbox").text
        assert query(db_path, "SELECT count(*) AS n FROM records")[0]["n"] == 0
        link = FaultProxy(upstream=("127.0.0.1", int(hub.url.rsplit(":", 1)[1])),
                          port=port).start()  # back in range
        chromium.find_element("css selector", "#outbox button").click()
        WebDriverWait(chromium, 30).until(
            lambda d: d.find_element("id", "outbox").text.count("Receipt code") == 3)
    finally:
        link.stop()
    rows = query(db_path, "SELECT answers FROM records")
    assert sorted(json.loads(r["answers"])["message"] for r in rows) == \
        [f"Offline message {n}" for n in range(3)]
    assert query(db_path, "SELECT count(*) AS n FROM outbox")[0]["n"] == 3


def test_a_draft_survives_a_reload(hub, chromium):
    chromium.get(hub.url + "/feedback?lang=en")
    pick(chromium, "topic", "health")
    chromium.find_element("id", "f-message").send_keys("Half written")
    chromium.refresh()
    wait_for(chromium, "#f-message")
    assert chromium.find_element("id", "f-message").get_attribute("value") == "Half written"
    assert chromium.find_element("css selector", 'input[name="topic"][value="health"]').is_selected()


LANGUAGES = ("en", "fr", "es", "ar", "sw", "ha")


def sign_in(driver, hub):
    driver.get(hub.url + "/signin")
    driver.find_element("id", "name").send_keys(ENUMERATOR)
    driver.find_element("id", "pin").send_keys(PIN)
    driver.find_element("css selector", "button.primary").click()
    wait_for(driver, "form.inline")


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


AXE_RULES = ("label", "color-contrast", "html-has-lang", "html-lang-valid", "valid-lang",
             "tabindex", "document-title", "duplicate-id", "image-alt", "button-name",
             "link-name", "list", "listitem", "region", "bypass")


@pytest.mark.parametrize("path", ["/feedback", "/feedback/status", "/signin", "/connect",
                                  "/forms/community_survey", "/records", "/sync", "/"])
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
    assert chromium.execute_script(
        "return document.querySelectorAll('[tabindex]:not([tabindex=\"-1\"]):not([tabindex=\"0\"])').length") == 0


def answer_visible_questions(driver, answers):
    """Answer what the page shows, as a person would: tap choices, type text."""
    for block in driver.find_elements("css selector", ".q[data-name]"):
        name, kind = block.get_attribute("data-name"), block.get_attribute("data-type")
        if not block.is_displayed() or kind == "note" or name not in answers:
            continue
        value = answers[name]
        if kind in ("select_one", "range") and block.find_elements("css selector", "input"):
            block.find_element("css selector", f'input[value="{value}"]').click()
        elif kind == "select_multiple":
            for item in value:
                box = block.find_element("css selector", f'input[value="{item}"]')
                if not box.is_selected():
                    box.click()
        else:
            field = block.find_element("css selector", "input:not([type=hidden]), textarea")
            # Date and month pickers differ between phones: set the value as a picker would.
            driver.execute_script(
                "arguments[0].value = arguments[1];"
                "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));"
                "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
                field, str(value))


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("form_id", ["community_survey", "discrimination_report"])
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

        WebDriverWait(chromium, 15).until(lambda d: d.current_url != before)
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
