"""Shuffled choices (XLSForm parameters randomize=true, seed=...): the order ODK gives for
the same seed, drawn by the hub between pages and by the page's script when the seed is
answered on the same page; read from and written back to XLSForms."""

from __future__ import annotations

import json
import re

import pytest

from browsing import sign_in  # noqa: F401
from collector.expressions import shuffled
from collector.forms import FormError, load_form
from collector.xlsform import convert, read_xlsform, to_xlsform
from support import import_forms
from workbooks import write_workbook

FRUITS = [
    {"name": n, "label": {"en": n.title()}}
    for n in ("apple", "banana", "cherry", "date", "elderberry", "fig", "grape")
]
ORDER = [choice["name"] for choice in FRUITS]


def fruit_form(seed: str | None, same_page: bool = False) -> dict:
    pick = {
        "name": "fruit",
        "type": "select_one",
        "choices": "fruits",
        "label": {"en": "Which fruit?"},
        "randomize": True,
    }
    if seed:
        pick["seed"] = seed
    first = [{"name": "seed_number", "type": "integer", "label": {"en": "A number"}}]
    sections = (
        [{"name": "one", "label": {"en": "One"}, "questions": first + [pick]}]
        if same_page
        else [
            {"name": "one", "label": {"en": "One"}, "questions": first},
            {
                "name": "two",
                "label": {"en": "Two"},
                "questions": [pick, dict(pick, name="fruits", type="select_multiple")],
            },
        ]
    )
    return {
        "form_id": "fruits" if not same_page else "fruits_here",
        "version": "1",
        "title": {"en": "Fruits"},
        "choices": {"fruits": FRUITS},
        "sections": sections,
    }


def listed(html: str, name: str) -> list[str]:
    return re.findall(rf'<input type="\w+" name="{name}" value="(\w+)"', html)


def test_with_a_seed_the_hub_lists_the_choices_as_odk_orders_them(hub, db_path):
    import_forms(db_path, fruit_form("${seed_number}"))
    phone = hub.browser("en")
    phone.signin()
    page = phone.get("/forms/fruits").text
    path = re.search(r'<form method="post" action="(/records/[^"]+)"', page).group(1)
    second = phone.post(
        path,
        [
            ("form_id", "fruits"),
            ("_action", "next"),
            ("_shown", "seed_number"),
            ("seed_number", "42"),
        ],
    )
    assert second.url.endswith("/1")
    expected = [c["name"] for c in shuffled(FRUITS, 42)]
    assert expected != ORDER
    assert listed(second.text, "fruit") == expected == listed(second.text, "fruits")
    # The same seed gives the same order every time the page is drawn.
    assert listed(phone.get(second.url.replace(phone.base, "")).text, "fruit") == expected
    # Each choice carries its place in the form, for the script.
    indexes = re.findall(
        r'<label class="opt" data-index="(\d+)"><input type="radio" '
        r'name="fruit" value="(\w+)"',
        second.text,
    )
    assert {value: int(index) for index, value in indexes} == {n: i for i, n in enumerate(ORDER)}


def test_without_a_seed_every_choice_is_listed_once(hub, db_path):
    import_forms(db_path, fruit_form(None))
    phone = hub.browser("en")
    phone.signin()
    page = phone.get("/forms/fruits").text
    path = re.search(r'<form method="post" action="(/records/[^"]+)"', page).group(1)
    second = phone.post(
        path,
        [
            ("form_id", "fruits"),
            ("_action", "next"),
            ("_shown", "seed_number"),
            ("seed_number", ""),
        ],
    )
    orders = {tuple(listed(second.text, "fruit"))}
    for _ in range(5):
        orders.add(tuple(listed(phone.get(second.url.replace(phone.base, "")).text, "fruit")))
    assert all(sorted(order) == sorted(ORDER) for order in orders)
    assert len(orders) > 1  # a new order each time, as ODK Collect draws it


def test_a_shuffle_needs_a_select_and_a_seed_needs_a_shuffle():
    text = fruit_form(None)
    text["sections"][0]["questions"][0]["randomize"] = True
    with pytest.raises(FormError, match="Only a select question's choices can be shuffled"):
        load_form(text)
    seeded = fruit_form("${seed_number}")
    seeded["sections"][1]["questions"][0].pop("randomize")
    with pytest.raises(FormError, match="A seed orders shuffled choices"):
        load_form(seeded)
    broken = fruit_form("${seed_number} +")
    with pytest.raises(FormError):
        load_form(broken)


def test_an_xlsform_shuffle_is_read_and_written_back(tmp_path):
    path = write_workbook(
        tmp_path / "fruits.xlsx",
        [
            ["type", "name", "label", "parameters"],
            ["integer", "seed_number", "A number", ""],
            ["select_one fruits", "fruit", "Which fruit?", "randomize=true seed=${seed_number}"],
            ["select_multiple fruits", "more", "Which others?", "randomize=true"],
            ["select_one fruits", "plain", "Any?", "randomize=false"],
        ],
        [["list_name", "name", "label"]] + [["fruits", n, n.title()] for n in ORDER],
        [["form_id", "version"], ["fruit_pick", "1"]],
    )
    result = read_xlsform(path)
    assert result.ok, result.errors
    questions = result.form.questions
    assert (
        questions["fruit"].get("randomize") and questions["fruit"].get("seed") == "${seed_number}"
    )
    assert questions["more"].get("randomize") and not questions["more"].get("seed")
    assert not questions["plain"].get("randomize")
    written = tmp_path / "back.xlsx"
    to_xlsform(result.form, written)
    again = read_xlsform(written)
    assert again.ok and again.form.to_json() == result.form.to_json()


@pytest.mark.parametrize(
    "parameters",
    [
        "randomize=true, seed=${seed_number}",
        "randomize=true;seed=${seed_number}",
        "randomize=true,",
    ],
)
def test_parameters_separated_by_commas_or_semicolons_are_read_as_pyxform_reads_them(parameters):
    result = convert(
        {
            "survey": [
                {"type": "integer", "name": "seed_number", "label": "A number"},
                {
                    "type": "select_one fruits",
                    "name": "f",
                    "label": "Which?",
                    "parameters": parameters,
                },
            ],
            "choices": [{"list_name": "fruits", "name": n, "label": n} for n in ORDER],
            "settings": [{"form_id": "fruit_pick", "version": "1"}],
        }
    )
    assert result.ok and not result.warnings, [str(p) for p in result.errors + result.warnings]
    question = result.form.questions["f"]
    assert question.get("randomize") and question.get("seed") == (
        "${seed_number}" if "seed" in parameters else None
    )


@pytest.mark.parametrize(
    "parameters,message",
    [
        ("randomize=maybe", "randomize takes true or false, not 'maybe'"),
        ("randomize=true seed=${seed_number", "is not an expression this form can compute"),
        ("randomize=true shuffle=1", "The parameter 'shuffle=1' is ignored for a select question"),
        ("seed=${seed_number}", "The parameter 'seed=${seed_number}' is ignored"),
    ],
)
def test_bad_shuffle_parameters_are_named(parameters, message):
    result = convert(
        {
            "survey": [
                {"type": "integer", "name": "seed_number", "label": "A number"},
                {
                    "type": "select_one fruits",
                    "name": "fruit",
                    "label": "Which?",
                    "parameters": parameters,
                },
            ],
            "choices": [{"list_name": "fruits", "name": n, "label": n} for n in ORDER],
            "settings": [{"form_id": "fruit_pick", "version": "1"}],
        }
    )
    texts = [str(problem) for problem in result.errors + result.warnings]
    assert any(message in text for text in texts), texts
    assert all("survey" in text and "parameters" in text for text in texts if message in text)


def test_in_the_browser_the_seed_typed_on_the_page_orders_the_choices(hub, db_path, chromium):
    import_forms(db_path, fruit_form("${seed_number}", same_page=True))
    sign_in(chromium, hub)
    chromium.get(f"{hub.url}/forms/fruits_here/phone?lang=en")
    number = chromium.find_element("css selector", 'input[name="seed_number"]')
    number.send_keys("11111111")
    chromium.find_element("css selector", "h1").click()  # leave the field: the page updates
    shown = [
        box.get_attribute("value")
        for box in chromium.find_elements("css selector", 'input[name="fruit"]')
    ]
    assert shown == [c["name"] for c in shuffled(FRUITS, 11111111)]
    assert json.dumps(shown) != json.dumps(ORDER)
