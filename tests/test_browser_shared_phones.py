"""A phone passed from hand to hand, in a real Chromium: the kiosk used by strangers in turn,
enumerators signing in one after another. Nothing one person typed or was given reaches
the next: no receipt code, no draft, no answers brought back by Back, nothing kept by the
browser's autofill."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from browsing import (
    answer_visible_questions,
    pick,
    quit_chromium,
    review_and_finalize,
    sign_in,
    start_chromium,
    wait_for,
)
from faultproxy import FaultProxy
from filling import REPORT_ANSWERS
from support import query
from test_browser import fill_kiosk
from test_browser_phone import element, outbox_text, until

REPORT = "discrimination_report"  # the shortest form with a name and contact typed
# Chromium as it keeps even pages the hub marks no-store whole in memory for Back and Forward
# (a setting some versions turn on by themselves).
KEEPS_PAGES_FOR_BACK = (
    "--enable-features=BackForwardCache,CacheControlNoStoreEnterBackForwardCache"
    ":level/store-and-restore-unless-cookie-change"
)
# Typed key by key, as autofill learns from what a person types.
TYPED = {"reporter_name": "Halima Yusuf", "reporter_contact": "+254 712 345678"}


def drafts(driver) -> list[str]:
    return driver.execute_script(
        "return Object.keys(localStorage)"
        ".filter(function (key) { return key.indexOf('draft:') === 0; })"
    )


def values(driver, name: str) -> list[str]:
    found = driver.find_elements("css selector", f'[name="{name}"]')
    return [field.get_attribute("value") for field in found]


def go_back(driver) -> None:
    """Back, as a person presses it, once the page it brings is there."""
    before = driver.execute_script("return performance.timeOrigin")
    driver.back()
    until(driver, lambda d: d.execute_script("return performance.timeOrigin") != before)
    until(driver, lambda d: d.execute_script("return document.readyState") == "complete")


def fill_typing_who(driver) -> None:
    """The report, step by step to Finalize, the reporter's name and phone typed."""
    others = {k: v for k, v in REPORT_ANSWERS.items() if k not in TYPED}
    until(driver, lambda d: d.find_elements("css selector", "form[data-steps]"))
    for _ in range(15):
        answer_visible_questions(driver, others)
        for name, value in TYPED.items():
            field = element(driver, f"#f-{name}")
            if field.is_displayed() and not field.get_attribute("value"):
                field.send_keys(value)
        if element(driver, "button.step-review").is_displayed():
            review_and_finalize(driver)
            return
        element(driver, "button.step-next").click()
    raise AssertionError("the form never reached its last section")


def kept_any(kept: set[str], typed) -> list[str]:
    return [entry for entry in kept for value in typed if value in entry]


def autofill_entries(driver, tmp_path: Path) -> set[str]:
    """What Chromium's autofill keeps (table `autofill` of the profile's Web Data), once it
    has written down a control value typed into a plain form: so that an empty answer means
    nothing was kept, not that nothing was written yet."""
    control = f"control-{tmp_path.name}"
    driver.execute_script(
        "var f = document.createElement('form'); f.method = 'get'; f.action = '/feedback/status';"
        "f.innerHTML = '<input name=\"control\"><button>Go</button>';"
        "f.querySelector('input').value = arguments[0];"
        "document.body.appendChild(f); f.querySelector('button').click();",
        control,
    )
    profile = Path(driver.capabilities["chrome"]["userDataDir"])
    found: set[str] = set()

    def written(_driver) -> bool:
        found.clear()
        for database in profile.glob("*/Web Data"):
            copy = tmp_path / "web-data.db"
            shutil.copy(database, copy)
            with sqlite3.connect(copy) as conn:
                found.update(value for (value,) in conn.execute("SELECT value FROM autofill"))
        return control in found

    until(driver, written, 40)
    return found


def test_feedback_sent_later_shows_its_code_to_no_one(hub, chromium, db_path):
    """Sent when the hub came back, in front of whoever holds the phone then: its sender was
    told there is no code, and neither the banner, the thanks page nor the answer has it."""
    upstream = ("127.0.0.1", int(hub.url.rsplit(":", 1)[1]))
    link = FaultProxy(upstream=upstream).start()
    try:
        chromium.get(link.url + "/feedback?lang=en")
        wait_for(chromium, "#f-message")
        port = link.port
        link.stop()
        fill_kiosk(chromium, "Sent from the edge of the camp")
        until(chromium, lambda d: "waiting for the hub: 1" in outbox_text(d))
        assert "No receipt code can be given for it" in outbox_text(chromium)
        link = FaultProxy(upstream=upstream, port=port).start()
        chromium.get(link.url + "/feedback?lang=en")  # the next person opens the kiosk
        until(chromium, lambda d: "Feedback kept on this phone was sent" in outbox_text(d), 30)
        [record] = query(db_path, "SELECT receipt_code FROM records")
        code = record["receipt_code"]
        assert "Receipt" not in outbox_text(chromium)
        assert code[:4] not in chromium.page_source
        chromium.get(link.url + "/feedback/thanks")
        assert code[:4] not in chromium.page_source
        assert not chromium.find_elements("css selector", ".receipt")
    finally:
        link.stop()


def test_the_kiosk_keeps_no_draft_and_back_or_autofill_bring_nothing_back(hub, chromium, tmp_path):
    chromium.get(hub.url + "/feedback?lang=en")
    pick(chromium, "wants_reply", "yes")
    element(chromium, "#f-message").send_keys("Left half written by Amina")
    element(chromium, "#f-contact").send_keys("+254 700 111222")
    assert drafts(chromium) == []
    chromium.get(hub.url + "/feedback?lang=en")  # walked away; the next person comes
    wait_for(chromium, "#f-message")
    assert values(chromium, "message") == [""] and values(chromium, "contact") == [""]
    pick(chromium, "feedback_type", "complaint")
    pick(chromium, "topic", "water")
    element(chromium, "#f-message").send_keys("Sent by Halima Bako")
    pick(chromium, "wants_reply", "yes")
    element(chromium, "#f-contact").send_keys("+254 700 333444")
    element(chromium, "button.primary").click()
    wait_for(chromium, ".receipt")
    go_back(chromium)  # the next person presses Back
    wait_for(chromium, "#f-message")
    assert values(chromium, "message") == [""] and values(chromium, "contact") == [""]
    kept = autofill_entries(chromium, tmp_path)
    typed = ("Left half written", "Halima Bako", "+254 700 111222", "+254 700 333444")
    assert kept_any(kept, typed) == []


def test_after_a_sign_out_back_brings_no_answers_and_autofill_keeps_none(hub, chromium, tmp_path):
    sign_in(chromium, hub)
    chromium.get(f"{hub.url}/forms/{REPORT}/phone?lang=en")
    fill_typing_who(chromium)
    until(chromium, lambda d: "/phone" not in d.current_url)
    element(chromium, "form.inline button").click()  # sign out
    until(chromium, lambda d: not d.find_elements("css selector", "form.inline"))
    hub.add_enumerator("Second", "5678")
    chromium.get(hub.url + "/signin")
    element(chromium, "#name").send_keys("Second")
    element(chromium, "#pin").send_keys("5678")
    element(chromium, "button.primary").click()
    wait_for(chromium, "form.inline")
    seen = []
    for _ in range(6):  # back to the form the last enumerator finalized
        go_back(chromium)
        seen.append((chromium.current_url, values(chromium, "reporter_name")))
        if "/phone" in chromium.current_url:
            break
    assert "/phone" in seen[-1][0], seen
    assert all(not any(found) for _url, found in seen), seen
    kept = autofill_entries(chromium, tmp_path)
    assert kept_any(kept, TYPED.values()) == []


@pytest.mark.slow  # a Chromium of its own
def test_a_kiosk_page_brought_back_whole_by_back_is_asked_for_again(hub, tmp_path):
    driver = start_chromium(tmp_path, flags=[KEEPS_PAGES_FOR_BACK])
    try:
        driver.get(hub.url + "/feedback?lang=en")
        element(driver, "#f-message").send_keys("Typed by Amina, not sent")
        driver.execute_script("window.typedHere = true")
        element(driver, 'a[href="/feedback/status"]').click()  # then walked away
        wait_for(driver, "#code")
        driver.back()  # the next person
        asked_again = "return !window.typedHere && document.readyState === 'complete'"
        try:
            until(driver, lambda d: d.find_elements("css selector", "#f-message"))
            until(driver, lambda d: d.execute_script(asked_again), 10)
        finally:
            assert values(driver, "message") == [""]
        assert (
            driver.execute_script("return performance.getEntriesByType('navigation')[0].type")
            == "reload"
        )  # brought back from memory, then asked for again
    finally:
        quit_chromium(driver)
