"""Numbers typed on a phone are read the same by the page's script and by the hub, in each
language's own way of writing them: "2,75" is two and three quarters in French and Spanish,
and not a number at all in English (never 275). A stored number comes back in the same
writing, so sending a page again reads it back unchanged."""

from __future__ import annotations

import json
import re

import pytest

from browsing import sign_in  # noqa: F401
from support import import_forms, query

MEASURES = {
    "form_id": "measures",
    "version": "1",
    "title": {"en": "Measures", "fr": "Mesures", "es": "Medidas", "ar": "قياسات"},
    "sections": [
        {
            "name": "s",
            "label": {"en": "Measures", "fr": "Mesures", "es": "Medidas", "ar": "قياسات"},
            "questions": [
                {
                    "name": "weight",
                    "type": "decimal",
                    "required": True,
                    "label": {"en": "Weight", "fr": "Poids", "es": "Peso", "ar": "الوزن"},
                },
                {
                    "name": "people",
                    "type": "integer",
                    "label": {"en": "People", "fr": "Personnes", "es": "Personas", "ar": "الأشخاص"},
                },
            ],
        }
    ],
}


@pytest.fixture
def measures_hub(hub, db_path):
    import_forms(db_path, MEASURES)
    return hub


def send(hub, lang, weight, people=""):
    phone = hub.browser(lang)
    phone.signin()
    page = phone.get("/forms/measures").text
    path = re.search(r'<form method="post" action="(/records/[^"]+)"', page).group(1)
    fields = [
        ("form_id", "measures"),
        ("_action", "next"),
        ("_shown", "weight"),
        ("_shown", "people"),
        ("weight", weight),
        ("people", people),
    ]
    return phone, path, phone.post(path, fields)


def stored(db_path):
    return [json.loads(r["answers"]) for r in query(db_path, "SELECT answers FROM records")]


@pytest.mark.parametrize(
    "lang, typed, number",
    [
        ("en", "2.75", 2.75),
        ("en", "1,500.5", 1500.5),
        ("fr", "2,75", 2.75),
        ("fr", "2.75", 2.75),
        ("fr", "1 500,5", 1500.5),
        ("es", "2,75", 2.75),
        ("es", "1.500", 1500.0),
        ("ar", "٣٫٥", 3.5),
    ],
)
def test_a_number_is_read_in_the_language_it_is_typed_in(
    measures_hub, db_path, lang, typed, number
):
    _, _, response = send(measures_hub, lang, typed, "٤٢" if lang == "ar" else "4")
    assert response.url.endswith("/review"), response.text[:500]
    assert stored(db_path) == [{"weight": number, "people": 42 if lang == "ar" else 4}]


@pytest.mark.parametrize(
    "lang, typed", [("en", "2,75"), ("es", "2.75"), ("en", "12.5."), ("en", "1e5"), ("fr", "1 50")]
)
def test_an_ambiguous_number_is_asked_again_not_guessed(measures_hub, db_path, lang, typed):
    _, _, response = send(measures_hub, lang, typed)
    assert response.status_code == 422
    assert 'id="weight-error"' in response.text
    assert stored(db_path) == []


@pytest.mark.parametrize("lang, shown", [("en", "1500.25"), ("fr", "1500,25"), ("es", "1500,25")])
def test_a_stored_number_comes_back_as_it_is_typed_there(measures_hub, db_path, lang, shown):
    phone, path, _ = send(measures_hub, "en", "1500.25")
    page = measures_hub.browser(lang)
    page.session.cookies.update(phone.session.cookies)
    text = page.get(path).text
    assert re.search(rf'id="f-weight" name="weight"[^>]*value="{re.escape(shown)}"', text)
    assert f'data-decimal="{"." if lang == "en" else ","}"' in text


@pytest.mark.parametrize(
    "lang, typed, accepted", [("en", "2,75", False), ("fr", "2,75", True), ("en", "1,500.5", True)]
)
def test_the_phone_reads_a_number_as_the_hub_does(
    measures_hub, chromium, db_path, lang, typed, accepted
):
    sign_in(chromium, measures_hub)
    chromium.get(f"{measures_hub.url}/forms/measures/phone?lang={lang}")
    field = chromium.find_element("id", "f-weight")
    field.send_keys(typed)
    chromium.find_element("id", "f-people").click()  # leaving the field checks it
    block = chromium.find_element("id", "q-weight")
    assert ("has-error" in block.get_attribute("class")) != accepted
    if accepted:
        from selenium.webdriver.support.ui import WebDriverWait

        from browsing import review_and_finalize

        review_and_finalize(chromium)
        WebDriverWait(chromium, 20).until(lambda d: "/phone" not in d.current_url)
        assert stored(db_path)[0]["weight"] == (2.75 if typed == "2,75" else 1500.5)


def test_a_number_is_read_in_the_language_of_the_page_it_was_typed_on(measures_hub, db_path):
    """A phone may send a page kept in Spanish while its language cookie still says English."""
    phone = measures_hub.browser("en")
    phone.signin()
    page = phone.get("/forms/measures").text
    path = re.search(r'<form method="post" action="(/records/[^"]+)"', page).group(1)
    response = phone.post(
        path,
        [
            ("form_id", "measures"),
            ("_action", "next"),
            ("_locale", "es"),
            ("_shown", "weight"),
            ("_shown", "people"),
            ("weight", "1.500"),
            ("people", ""),
        ],
    )
    assert response.url.endswith("/review")
    assert stored(db_path) == [{"weight": 1500.0}]
    assert query(db_path, "SELECT locale FROM records")[0]["locale"] == "es"
