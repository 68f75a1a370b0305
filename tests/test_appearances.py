"""The XLSForm appearances real forms use, honoured on the phone's page with and without
JavaScript: `numbers` (the numeric keypad, kept as text), `thousands-sep` (numbers grouped
when read back), `year` and `no-calendar` dates, `horizontal-compact` choices, `quick`
(kept, nothing to do on a page of several questions) and `hidden-answer`, alone or several
on one question (`quick minimal`). Each is imported without a warning, drawn with the right
input, stored as ODK stores it and written back by export-xlsform."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from babel.numbers import format_decimal
from click.testing import CliRunner
from openpyxl import load_workbook

from browsing import console_errors, review_and_finalize, sign_in
from collector.cli import cli
from collector.forms import FormError, load_form
from collector.xlsform import read_xlsform
from support import query, translated
from test_xlsform_nested import css, import_form, stored, type_into, until
from test_xlsform_spec_suite import ACTION, SHOWN, post_sections
from workbooks import write_workbook

HEADER = ["type", "name", "label::English (en)", "label::Français (fr)", "label::Arabic (ar)"]
HEADER += ["appearance"]
SURVEY = [
    HEADER,
    ["begin group", "visit", "Visit", "Visite", "الزيارة", "field-list"],
    ["select_one yn", "water", "Water?", "De l'eau ?", "ماء؟", "horizontal-compact"],
    ["select_one yn", "agree", "Agree?", "D'accord ?", "موافق؟", "quick"],
    ["select_one yn", "fast", "Fast?", "Rapide ?", "سريع؟", "quick  minimal"],
    ["text", "phone", "Phone", "Téléphone", "الهاتف", "numbers"],
    ["barcode", "code", "Code", "Code", "الرمز", "hidden-answer"],
    ["integer", "income", "Income", "Revenu", "الدخل", "thousands-sep"],
    ["decimal", "area", "Area", "Surface", "المساحة", "thousands-sep"],
    ["integer", "people", "People", "Personnes", "الأشخاص"],
    ["date", "built", "Built in", "Construit en", "سنة البناء", "year"],
    ["date", "born", "Born on", "Né le", "تاريخ الميلاد", "no-calendar"],
    ["end group", "visit"],
]
CHOICES = [
    ["list_name", "name", "label::English (en)", "label::Français (fr)", "label::Arabic (ar)"],
    ["yn", "yes", "Yes", "Oui", "نعم"],
    ["yn", "no", "No", "Non", "لا"],
]
SETTINGS = [["form_id", "version", "form_title"], ["appearances", "1", "Appearances"]]
KEPT = {
    "water": "horizontal-compact",
    "agree": "quick",
    "fast": "quick minimal",
    "phone": "numbers",
    "code": "hidden-answer",
    "income": "thousands-sep",
    "area": "thousands-sep",
    "built": "year",
    "born": "no-calendar",
}
ANSWERS = {
    "water": "yes",
    "agree": "no",
    "fast": "yes",
    "phone": "0712 345 678",
    "code": "X-42-secret",
    "income": "12500",
    "area": "2500.5",
    "people": "1500",
    "built": "1998",
    "born": ["15", "3", "1990"],
}
STORED = {
    "water": "yes",
    "agree": "no",
    "fast": "yes",
    "phone": "0712 345 678",
    "code": "X-42-secret",
    "income": 12500,
    "area": 2500.5,
    "people": 1500,
    "built": "1998-01-01",
    "born": "1990-03-15",
}


@pytest.fixture
def workbook(tmp_path) -> Path:
    return write_workbook(tmp_path / "appearances.xlsx", SURVEY, CHOICES, SETTINGS)


@pytest.fixture
def on_hub(workbook, hub, data_dir):
    import_form(workbook, data_dir)
    return hub


# What post_sections needs of the form: the id the phone opens it by.
FORM = SimpleNamespace(form_id="appearances")


def phone_in(hub, lang):
    phone = hub.browser(lang)
    phone.signin()
    return phone


def tag(page: str, name: str, kind: str = "input") -> str:
    """The first tag of `kind` posting `name`."""
    found = re.search(rf'<{kind}\b[^>]*\bname="{re.escape(name)}"[^>]*>', page)
    assert found, name
    return found.group(0)


def review_value(page: str, label: str) -> str:
    found = re.search(rf"<dt>{re.escape(label)}</dt>\s*<dd>(.*?)</dd>", page, re.S)
    assert found, label
    return html.unescape(found.group(1)).strip()


# -- Imported -------------------------------------------------------------------------------


def test_each_appearance_is_kept_without_a_warning(workbook):
    result = read_xlsform(workbook)
    assert result.ok, [str(p) for p in result.errors]
    # The barcode is typed: said once, and its appearance is no longer ignored.
    assert [p.key for p in result.warnings] == ["converted_type/barcode"]
    form = result.form
    assert {name: form.questions[name].get("appearance") for name in KEPT} == KEPT
    assert form.questions["code"].type == "text"


def test_an_appearance_on_a_question_it_does_not_fit_is_still_said(tmp_path):
    survey = [
        HEADER,
        ["integer", "n", "N", "N", "N", "year"],
        ["text", "t", "T", "T", "T", "quick"],
    ]
    result = read_xlsform(write_workbook(tmp_path / "misfit.xlsx", survey, None, SETTINGS))
    assert [(p.key, p.row) for p in result.warnings] == [
        ("ignored_appearance/type", 2),
        ("ignored_appearance/type", 3),
    ]


def test_only_unknown_unfitting_or_rival_appearances_are_said(tmp_path):
    survey = [
        HEADER,
        ["select_one yn", "a", "A", "A", "A", "minimal search"],
        ["select_one yn", "b", "B", "B", "B", "horizontal-compact no-label quick"],
        ["select_one yn", "c", "C", "C", "C", "minimal likert quick"],
        ["date", "d", "D", "D", "D", "year month-year"],
        ["text", "e", "E", "E", "E", "numbers quick"],
    ]
    result = read_xlsform(write_workbook(tmp_path / "several.xlsx", survey, CHOICES, SETTINGS))
    said = [(p.key, p.row) for p in result.warnings]
    assert said == [
        ("ignored_appearance", 2),
        ("ignored_appearance", 3),
        ("ignored_appearance/one", 4),
        ("ignored_appearance/one", 5),
        ("ignored_appearance/type", 6),
    ]
    words = ["search", "no-label", "likert", "month-year", "quick"]
    assert all(f"'{w}'" in p.message for w, p in zip(words, result.warnings, strict=True))
    assert "'minimal'" in result.warnings[2].message  # the one it rivals, which is kept
    kept = {name: q.get("appearance") for name, q in result.form.questions.items()}
    assert kept == {
        "a": "minimal",
        "b": "horizontal-compact quick",
        "c": "minimal quick",
        "d": "year",
        "e": "numbers",
    }


def test_a_definition_gives_each_media_appearance_a_word_of_its_own():
    definition = {
        "form_id": "f",
        "version": "1",
        "title": {"en": "F"},
        "sections": [{"name": "s", "label": {"en": "S"}, "questions": []}],
    }
    photo = {"name": "p", "type": "image", "label": {"en": "P"}, "appearance": "new annotate"}
    definition["sections"][0]["questions"] = [photo]
    assert load_form(definition).questions["p"].appearances == ["new", "annotate"]
    photo["appearance"] = "new quick"
    with pytest.raises(FormError) as raised:
        load_form(definition)
    assert "'quick' is not an appearance of a image question" in str(raised.value)


def test_export_xlsform_writes_each_appearance_back(on_hub, data_dir, tmp_path):
    target = tmp_path / "exported.xlsx"
    done = CliRunner().invoke(
        cli, ["forms", "export-xlsform", "appearances", str(target), "--data-dir", str(data_dir)]
    )
    assert done.exit_code == 0, done.output
    rows = list(load_workbook(target)["survey"].values)
    header = list(rows[0])
    written = {row[header.index("name")]: row[header.index("appearance")] for row in rows[1:]}
    assert {name: written[name] for name in KEPT} == KEPT
    again = read_xlsform(target)
    assert again.ok and [p.key for p in again.warnings] == []
    assert {name: again.form.questions[name].get("appearance") for name in KEPT} == KEPT


# -- Drawn, without JavaScript ------------------------------------------------------------------


@pytest.mark.parametrize("lang, march", [("en", "March"), ("fr", "mars"), ("ar", "مارس")])
def test_the_page_draws_each_appearance_in_the_interview_language(on_hub, lang, march):
    page = phone_in(on_hub, lang).get("/forms/appearances").text
    assert f'<html lang="{lang}" dir="{"rtl" if lang == "ar" else "ltr"}">' in page
    phone = tag(page, "phone")
    assert 'type="text"' in phone and 'inputmode="numeric"' in phone and 'dir="ltr"' in phone
    assert re.search(r'pattern="\[0-9[^"]* \+\.\\-\]\*"', phone)
    code = tag(page, "code")
    assert 'type="password"' in code and 'autocomplete="off"' in code
    # The box that shows it is for the page's script to offer.
    assert re.search(r'<label class="opt reveal" hidden><input type="checkbox"', page)
    income = tag(page, "income")
    assert 'inputmode="numeric"' in income and "pattern" not in income
    built = tag(page, "built")
    assert 'inputmode="numeric"' in built and 'pattern="[0-9]{4}"' in built
    assert 'maxlength="4"' in built
    # no-calendar: day, month (by name, in the page's language) and year, one name.
    parts = re.findall(r'<(input|select)\b[^>]*\bname="born"[^>]*>', page)
    assert parts == ["input", "select", "input"]
    month = re.search(r'<select id="f-born-month".*?</select>', page, re.S).group(0)
    assert f'<option value="3">{march}</option>' in month
    assert translated(lang, "Year") in page and translated(lang, "Day") in page
    assert '<input type="date"' not in page
    assert 'class="options options-horizontal-compact"' in page
    assert re.search(r'data-name="agree"[^>]*data-appearance="quick"', page)
    # Two appearances on one question: both kept, minimal drawn as a drop-down.
    assert re.search(r'data-name="fast"[^>]*data-appearance="quick minimal"', page)
    assert '<select id="f-fast" name="fast"' in page


# -- Filled and reviewed, without JavaScript ------------------------------------------------------


def test_filled_without_javascript_each_answer_is_stored_as_odk_stores_it(on_hub, db_path):
    phone = phone_in(on_hub, "en")
    record_uuid = post_sections(phone, FORM, ANSWERS)
    review = phone.get(f"/records/{record_uuid}/review").text
    assert review_value(review, "Income") == "12,500"
    assert review_value(review, "Area") == "2,500.5"
    assert review_value(review, "People") == "1500"  # no thousands-sep: as typed
    assert review_value(review, "Built in") == "1998"
    assert review_value(review, "Born on") == "March 15, 1990"
    assert review_value(review, "Code") == "Answered (hidden)"
    assert "X-42-secret" not in review
    finalized = phone.post(f"/records/{record_uuid}/finalize", {})
    assert finalized.status_code == 200
    assert stored(db_path) == ("finalized", STORED)


def test_the_review_groups_thousands_in_french(on_hub):
    phone = phone_in(on_hub, "fr")
    record_uuid = post_sections(phone, FORM, {**ANSWERS, "income": "12 500", "area": "2500,5"})
    review = phone.get(f"/records/{record_uuid}/review").text
    assert review_value(review, "Revenu") == "12\u202f500"
    assert review_value(review, "Surface") == "2\u202f500,5"
    assert review_value(review, "Personnes") == "1500"
    assert review_value(review, "Construit en") == "1998"


@pytest.mark.parametrize("lang", ["en", "fr", "es", "ar", "sw", "ha"])
def test_a_number_typed_grouped_is_read_back_in_each_language(on_hub, db_path, lang):
    phone = phone_in(on_hub, lang)
    grouped = format_decimal(1234567, locale=lang)
    area = format_decimal(2.5, locale=lang)  # "2,5" in French and Spanish
    record_uuid = post_sections(phone, FORM, {**ANSWERS, "income": grouped, "area": area})
    phone.post(f"/records/{record_uuid}/finalize", {})
    assert stored(db_path)[1]["income"] == 1234567


def test_arabic_digits_are_read_in_a_number_a_year_and_a_date(on_hub, db_path):
    phone = phone_in(on_hub, "ar")
    answers = {**ANSWERS, "income": "١٢٥٠٠", "built": "١٩٩٨", "born": ["١٥", "3", "١٩٩٠"]}
    answers["phone"] = "٠٧١٢"
    record_uuid = post_sections(phone, FORM, answers)
    phone.post(f"/records/{record_uuid}/finalize", {})
    answers = stored(db_path)[1]
    assert (answers["income"], answers["built"], answers["born"]) == (
        12500,
        "1998-01-01",
        "1990-03-15",
    )
    assert answers["phone"] == "0712"


PARTS = "Enter the day, the month and the year (the year in four digits)."


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("born", ["31", "2", "1990"], "There is no such date: check the day and the month."),
        ("born", ["", "2", "1990"], PARTS),
        ("born", ["3", "2", "90"], PARTS),
        ("built", "98", "Enter a year, such as 2024."),
        ("phone", "0712 abc", "Use digits only (and spaces, +, - or . where needed)."),
        ("people", "1,500", "Enter a whole number, using digits only."),
    ],
)
def test_an_answer_that_cannot_be_read_is_refused_and_nothing_is_stored(
    on_hub, db_path, name, value, message
):
    phone = phone_in(on_hub, "en")
    page = phone.get("/forms/appearances").text
    response = send_page(phone, page, {**ANSWERS, name: value})
    assert message in html.unescape(response.text)
    assert "/review" not in response.url
    # What was typed is shown again to be corrected; the answer is not kept.
    if name == "born":
        assert f'value="{value[0]}"' in tag(response.text, "born")
    rows = query(db_path, "SELECT answers FROM records")
    assert all(name not in json.loads(row["answers"]) for row in rows)


def test_a_stored_no_calendar_date_comes_back_in_its_parts(on_hub):
    phone = phone_in(on_hub, "fr")
    record_uuid = post_sections(phone, FORM, ANSWERS)
    page = phone.get(f"/records/{record_uuid}/0").text
    day, year = re.findall(r'<input\b[^>]*\bname="born"[^>]*>', page)
    assert 'value="15"' in day and 'value="1990"' in year
    assert '<option value="3" selected>mars</option>' in page
    assert 'value="1998"' in tag(page, "built")
    assert 'value="0712 345 678"' in tag(page, "phone")


def send_page(phone, page, answers):
    path = ACTION.search(page).group(1)
    data = [("form_id", "appearances"), ("_action", "next")]
    for name, disabled in SHOWN.findall(page):
        if disabled:
            continue
        data.append(("_shown", name))
        value = answers.get(name)
        data += [(name, item) for item in value] if isinstance(value, list) else [(name, value)]
    return phone.post(path, data)


# -- With JavaScript --------------------------------------------------------------------------


def test_a_phone_with_javascript_checks_and_stores_a_date_in_parts_and_a_numbers_text(
    on_hub, db_path, chromium
):
    from test_form_publishing_browser import accessibility_problems

    sign_in(chromium, on_hub)
    chromium.get(f"{on_hub.url}/forms/appearances/phone?lang=fr")
    until(chromium, lambda d: css(d, "#f-born").is_displayed())
    assert accessibility_problems(chromium) == []  # the day, month and year fields labelled
    css(chromium, 'input[name="water"][value="yes"]').click()
    css(chromium, 'input[name="agree"][value="no"]').click()
    type_into(chromium, "f-phone", "0712 345 678")
    type_into(chromium, "f-code", "X-42")
    # The hidden answer can be shown, with the script's box.
    assert css(chromium, "#f-code").get_attribute("type") == "password"
    css(chromium, ".reveal-toggle").click()
    assert css(chromium, "#f-code").get_attribute("type") == "text"
    type_into(chromium, "f-income", "12 500")
    type_into(chromium, "f-built", "1998")
    # 31 February: refused on the phone, with the hub's message, before anything is sent.
    type_into(chromium, "f-born", "31")
    pick_month(chromium, "2")
    type_into(chromium, "f-born-year", "1990")
    css(chromium, "button.step-review").click()
    error = until(chromium, lambda d: d.find_element("id", "born-error"))
    assert error.text == translated("fr", "There is no such date: check the day and the month.")
    type_into(chromium, "f-born", "28")
    # The script's review says the answers as the hub's review does.
    css(chromium, "button.step-review").click()
    until(chromium, lambda d: css(d, ".review-step").is_displayed())
    said = dict(
        zip(
            [n.text for n in chromium.find_elements("css selector", ".review-list dt")],
            [n.text for n in chromium.find_elements("css selector", ".review-list dd")],
            strict=True,
        )
    )
    assert said["Né le"] == "28 février 1990" and said["Construit en"] == "1998"
    assert said["Revenu"] == "12\u202f500" and said["Téléphone"] == "0712 345 678"
    assert said["Code"] == translated("fr", "Answered (hidden)")
    assert accessibility_problems(chromium) == []
    css(chromium, "button.step-back").click()
    review_and_finalize(chromium)
    until(chromium, lambda d: "/phone" not in d.current_url)
    status, answers = stored(db_path)
    assert status == "finalized"
    assert (answers["born"], answers["phone"], answers["income"]) == (
        "1990-02-28",
        "0712 345 678",
        12500,
    )
    assert (answers["built"], answers["code"]) == ("1998-01-01", "X-42")
    assert console_errors(chromium) == []


def pick_month(driver, number: str) -> None:
    from selenium.webdriver.support.ui import Select

    Select(css(driver, "#f-born-month")).select_by_value(number)
