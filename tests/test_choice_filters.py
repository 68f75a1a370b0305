"""Cascading selects (choice_filter): only the choices that fit the answers so far are
offered, by the hub between pages and by the page's script as answers change."""

from __future__ import annotations

import json
import re

import pytest

from browsing import sign_in  # noqa: F401
from support import import_forms, query


def choice(name, **data):
    item = {"name": name, "label": {"en": name.replace("_", " ").title()}}
    return {**item, "data": data} if data else item


PLACES = {
    "form_id": "places",
    "version": "1",
    "title": {"en": "Places"},
    "choices": {
        "regions": [choice("north"), choice("south")],
        "districts": [
            choice("n_one", region="north"),
            choice("n_two", region="north"),
            choice("s_one", region="south"),
        ],
        "villages": [
            choice("v_a", district="n_one"),
            choice("v_b", district="n_two"),
            choice("v_c", district="s_one"),
        ],
    },
    "sections": [
        {
            "name": "where",
            "label": {"en": "Where"},
            "questions": [
                {
                    "name": "region",
                    "type": "select_one",
                    "choices": "regions",
                    "label": {"en": "Region"},
                    "required": True,
                },
                {
                    "name": "district",
                    "type": "select_one",
                    "choices": "districts",
                    "label": {"en": "District"},
                    "choice_filter": "region = ${region}",
                    "required": True,
                },
            ],
        },
        {
            "name": "village_page",
            "label": {"en": "Village"},
            "questions": [
                {
                    "name": "village",
                    "type": "select_multiple",
                    "choices": "villages",
                    "label": {"en": "Villages"},
                    "choice_filter": "district = ${district}",
                },
            ],
        },
    ],
}


@pytest.fixture
def places_hub(hub, db_path):
    import_forms(db_path, PLACES)
    return hub


def post_page(phone, path, index, **answers):
    data = [("form_id", "places"), ("_action", "next")]
    data += [("_shown", q["name"]) for q in PLACES["sections"][index]["questions"]]
    for name, value in answers.items():
        data += [(name, v) for v in (value if isinstance(value, list) else [value])]
    return phone.post(path, data)


def offered(html: str, name: str) -> list[str]:
    pattern = rf'<label class="opt"( hidden)?><input type="\w+" name="{name}" value="(\w+)"'
    return [value for hidden, value in re.findall(pattern, html) if not hidden]


def test_without_script_the_hub_offers_and_accepts_only_what_fits(places_hub, db_path):
    phone = places_hub.browser("en")
    phone.signin()
    page = phone.get("/forms/places").text
    path = re.search(r'<form method="post" action="(/records/[^"]+)"', page).group(1)
    assert offered(page, "district") == []  # no region yet: no district fits
    refused = post_page(phone, path, 0, region="north", district="s_one")
    assert refused.status_code == 422 and "Choose one of the options shown." in refused.text
    assert offered(refused.text, "district") == ["n_one", "n_two"]
    second = post_page(phone, path, 0, region="north", district="n_two")
    assert second.url.endswith("/1") and offered(second.text, "village") == ["v_b"]
    wrong = post_page(phone, second.url.replace(phone.base, ""), 1, village=["v_b", "v_c"])
    assert wrong.status_code == 422 and "Choose one of the options shown." in wrong.text
    done = post_page(phone, second.url.replace(phone.base, ""), 1, village=["v_b"])
    assert done.url.endswith("/review")
    [record] = query(db_path, "SELECT answers FROM records")
    assert json.loads(record["answers"]) == {
        "region": "north",
        "district": "n_two",
        "village": ["v_b"],
    }


def test_in_the_browser_the_choices_follow_the_answers(places_hub, chromium):
    sign_in(chromium, places_hub)
    chromium.get(f"{places_hub.url}/forms/places/phone?lang=en")

    def shown(name):
        return [
            box.get_attribute("value")
            for box in chromium.find_elements("css selector", f'input[name="{name}"]')
            if box.is_displayed()
        ]

    assert shown("district") == []
    chromium.find_element("css selector", 'input[name="region"][value="north"]').click()
    assert shown("district") == ["n_one", "n_two"]
    chromium.find_element("css selector", 'input[name="district"][value="n_two"]').click()
    chromium.find_element("css selector", 'input[name="region"][value="south"]').click()
    assert shown("district") == ["s_one"]
    assert not chromium.find_element(
        "css selector", 'input[name="district"][value="n_two"]'
    ).is_selected()


def test_a_read_only_filtered_choice_stays_read_only_in_the_browser(hub, db_path, chromium):
    fixed = json.loads(json.dumps(PLACES))
    fixed["form_id"] = "fixed_places"
    district = fixed["sections"][0]["questions"][1]
    district.update(read_only=True, default="n_one", required=False)
    import_forms(db_path, fixed)
    sign_in(chromium, hub)
    chromium.get(f"{hub.url}/forms/fixed_places/phone?lang=en")
    chromium.find_element("css selector", 'input[name="region"][value="north"]').click()
    boxes = chromium.find_elements("css selector", 'input[name="district"]')
    offered_now = [box for box in boxes if box.is_displayed()]
    assert [box.get_attribute("value") for box in offered_now] == ["n_one", "n_two"]
    assert not any(box.is_enabled() for box in boxes)  # offered, but never answerable


def test_a_select_default_must_be_one_of_its_choices():
    from collector.forms import FormError, load_form

    wrong = json.loads(json.dumps(PLACES))
    wrong["sections"][0]["questions"][0]["default"] = "east"
    with pytest.raises(FormError) as error:
        load_form(wrong)
    assert "where/region: the default 'east' is not one of its choices." in str(error.value)
    wrong["sections"][1]["questions"][0]["default"] = "v_a v_z"
    wrong["sections"][0]["questions"][0]["default"] = "north"
    with pytest.raises(FormError) as error:
        load_form(wrong)
    assert "'v_z' is not one of its choices" in str(error.value) and "'v_a'" not in str(error.value)
