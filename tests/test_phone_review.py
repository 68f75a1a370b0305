"""The phone's whole-form page in a real Chromium ends as the section-by-section pages do:
a review of the answers with the person, then Finalize; and its "Section n of N" counts the
sections its buttons lead to."""

from __future__ import annotations

import json

from browsing import console_errors, pick, review_and_finalize, sign_in, wait_for  # noqa: F401
from support import import_forms, query, translated

TWO_SECTIONS = {
    "form_id": "market_visit",
    "version": "1",
    "title": {"en": "Market visit", "ar": "زيارة السوق"},
    "choices": {
        "activity": [
            {"name": "farming", "label": {"en": "Farming", "ar": "الزراعة"}},
            {"name": "trade", "label": {"en": "Trade", "ar": "التجارة"}},
            {"name": "school", "label": {"en": "School", "ar": "المدرسة"}},
        ]
    },
    "sections": [
        {
            "name": "about",
            "label": {"en": "About the place", "ar": "عن المكان"},
            "questions": [
                {
                    "name": "place",
                    "type": "text",
                    "privacy": "keep",
                    "label": {"en": "Name of the place", "ar": "اسم المكان"},
                },
                {
                    "name": "activities",
                    "type": "select_multiple",
                    "choices": "activity",
                    "privacy": "keep",
                    "required": True,
                    "label": {"en": "What do people do here?", "ar": "ماذا يفعل الناس هنا؟"},
                },
            ],
        },
        {
            "name": "people",
            "label": {"en": "People", "ar": "الناس"},
            "questions": [
                {
                    "name": "people",
                    "type": "integer",
                    "required": True,
                    "privacy": "keep",
                    "label": {"en": "How many people?", "ar": "كم عدد الناس؟"},
                }
            ],
        },
    ],
}


def css(driver, selector):
    return driver.find_element("css selector", selector)


def until(driver, condition, seconds=15):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds).until(condition)


def test_the_answers_are_reviewed_before_finalize_and_a_section_changed(hub, chromium, db_path):
    from axe_selenium_python import Axe

    from test_browser import AXE_RULES

    import_forms(db_path, TWO_SECTIONS)
    sign_in(chromium, hub)
    chromium.get(f"{hub.url}/forms/market_visit/phone?lang=ar")
    until(chromium, lambda d: css(d, "button.step-next").is_displayed())
    assert css(chromium, "#step-0 .progress").text == "القسم 1 من 2"
    pick(chromium, "activities", "farming")
    pick(chromium, "activities", "trade")
    css(chromium, "button.step-next").click()
    until(chromium, lambda d: css(d, "#step-1").is_displayed())
    # The last section's way on is the review, not Finalize.
    assert css(chromium, "button.step-review").is_displayed()
    assert not css(chromium, "button.step-finish").is_displayed()
    css(chromium, "#f-people").send_keys("4")
    css(chromium, "button.step-review").click()
    review = until(
        chromium, lambda d: css(d, ".review-step").is_displayed() and css(d, ".review-step")
    )
    text = review.text
    # Choices by their labels in the page's language, an empty answer said so.
    assert "الزراعة" in text and "التجارة" in text and "farming" not in text
    assert "عن المكان" in text and "الناس" in text and "4" in text
    assert text.count(translated("ar", "No answer")) == 1  # the place, left empty
    assert css(chromium, "button.step-finish").is_displayed()
    assert not css(chromium, "#step-1").is_displayed()
    assert query(db_path, "SELECT count(*) AS n FROM records")[0]["n"] == 0
    axe = Axe(chromium)
    axe.inject()
    results = axe.run(options={"runOnly": {"type": "rule", "values": list(AXE_RULES)}})
    assert [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in results["violations"]] == []
    # Something is wrong: back to its section, changed, reviewed again, finalized.
    chromium.find_elements("css selector", ".review-step .review-change")[0].click()
    until(chromium, lambda d: css(d, "#step-0").is_displayed())
    css(chromium, "#f-place").send_keys("Soko Kuu")
    css(chromium, "button.step-next").click()
    until(chromium, lambda d: css(d, "button.step-review").is_displayed())
    css(chromium, "button.step-review").click()
    until(chromium, lambda d: "Soko Kuu" in css(d, ".review-step").text)
    assert css(chromium, '.review-step dd[dir="auto"]')  # Latin text in an Arabic page
    css(chromium, "button.step-finish").click()
    until(chromium, lambda d: "/phone" not in d.current_url)
    [record] = query(db_path, "SELECT status, answers FROM records")
    assert record["status"] == "finalized"
    assert json.loads(record["answers"]) == {
        "place": "Soko Kuu",
        "activities": ["farming", "trade"],
        "people": 4,
    }
    assert console_errors(chromium) == []


def test_the_consent_section_counts_what_its_button_leads_to(hub, chromium, db_path):
    sign_in(chromium, hub)
    chromium.get(f"{hub.url}/forms/community_survey/phone?lang=en")
    until(chromium, lambda d: css(d, "button.step-next").is_displayed())
    # Before consent, every later section may come: eight, and Next.
    assert css(chromium, "#step-0 .progress").text == "Section 1 of 8"
    pick(chromium, "consent", "no")
    until(chromium, lambda d: css(d, "button.step-review").is_displayed())
    assert css(chromium, "#step-0 .progress").text == "Section 1 of 1"
    assert not css(chromium, "button.step-next").is_displayed()
    pick(chromium, "consent", "yes")
    until(chromium, lambda d: css(d, "button.step-next").is_displayed())
    assert css(chromium, "#step-0 .progress").text == "Section 1 of 8"
    pick(chromium, "consent", "no")
    review_and_finalize(chromium)
    until(chromium, lambda d: "/phone" not in d.current_url)
    [record] = query(db_path, "SELECT status, answers FROM records")
    assert record["status"] == "finalized" and json.loads(record["answers"]) == {"consent": "no"}
