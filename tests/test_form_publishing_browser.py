"""Publishing an XLSForm from the central workspace in a real Chromium, in English and in
Arabic (right to left): upload with its choice file, the preview, then Publish."""

from __future__ import annotations

import pytest

from browsing import sign_in_to_server, wait_for
from collector.passwords import hash_secret
from support import query
from sync_server.store import Store
from test_browser import AXE_RULES
from test_form_publishing import water_form

# The subject is the page, not the storage (tests/test_form_publishing.py runs both engines).
SERVER_ENGINES = ("sqlite",)
PASSWORD = "a long enough passphrase"


def accessibility_problems(driver) -> list:
    from axe_selenium_python import Axe

    axe = Axe(driver)
    axe.inject()
    results = axe.run(options={"runOnly": {"type": "rule", "values": list(AXE_RULES)}})
    return [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in results["violations"]]


def sign_in_central(driver, central, lang: str) -> None:
    store = Store(central.database)
    try:
        store.add_user("amina", "admin", hash_secret(PASSWORD))
    finally:
        store.close()
    sign_in_to_server(driver, central.url, "amina", PASSWORD, lang)


@pytest.mark.parametrize("chromium", [1280], indirect=True)
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_upload_preview_and_publish_in_a_browser(central, chromium, tmp_path, lang):
    folder = tmp_path / "form"
    workbook = water_form(folder)
    sign_in_central(chromium, central, lang)
    chromium.get(f"{central.url}/forms")
    wait_for(chromium, "#definition")
    assert accessibility_problems(chromium) == []
    chromium.find_element("id", "definition").send_keys(str(workbook))
    chromium.find_element("id", "media").send_keys(str(folder / "villages.csv"))
    chromium.find_element("css selector", "form[enctype] button.primary").click()

    wait_for(chromium, "#publish button")
    page = chromium.find_element("tag name", "html")
    assert page.get_attribute("lang") == lang
    assert page.get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
    # Each language of the form in its own column, written in its own direction.
    arabic = chromium.find_element("css selector", '#q-household_size td[lang="ar"]')
    assert arabic.get_attribute("dir") == "rtl" and "حجم الأسرة" in arabic.text
    english = chromium.find_element("css selector", '#q-household_size td[lang="en"]')
    assert english.get_attribute("dir") == "ltr" and "Household size" in english.text
    assert "كيبيرا" in chromium.find_element("css selector", '#q-village td[lang="ar"]').text
    assert (
        chromium.find_element("css selector", "tr.held-back").get_attribute("id") == "q-head_phone"
    )
    assert chromium.find_element("css selector", "#q-household_size .badge").is_displayed()
    assert accessibility_problems(chromium) == []
    # Nothing is published before the button is pressed.
    assert query(central.database, "SELECT count(*) AS n FROM forms")[0]["n"] == 0

    chromium.find_element("css selector", "#publish button").click()
    wait_for(chromium, "#definition")
    published = chromium.find_element("css selector", "main table tbody").text
    assert "water_visit" in published
    assert query(central.database, "SELECT form_id, version FROM forms") == [
        {"form_id": "water_visit", "version": "1"}
    ]
