"""XLSForms with a repeat inside a repeat, from the workbook to the central server's tables:
imported, written back with the same data paths, filled with and without JavaScript,
synced and exported (tests/fixtures/xlsforms: household_illnesses is two levels deep,
clinic_visits three)."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from pyxform.xls2xform import convert as pyxform_convert

from browsing import sign_in  # noqa: F401
from collector.cli import cli
from collector.xlsform import read_xlsform, to_xlsform
from support import query

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "xlsforms"
ILLNESSES = FIXTURES / "household_illnesses.xlsx"
VISITS = FIXTURES / "clinic_visits.xlsx"


def xform_of(path: Path) -> str:
    warnings: list = []
    result = pyxform_convert(str(path), warnings=warnings)
    assert warnings == [], warnings
    return result.xform


def data_paths(xform: str) -> set[str]:
    """Every node the XForm binds or repeats: what a submission's XML is made of."""
    return set(re.findall(r'(?:bind|repeat) nodeset="([^"]+)"', xform))


def import_form(path: Path, data_dir) -> None:
    result = CliRunner().invoke(cli, ["forms", "import", str(path), "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("path", [ILLNESSES, VISITS], ids=lambda p: p.stem)
def test_the_fixtures_import_and_come_back_with_the_same_data_paths(path, tmp_path):
    result = read_xlsform(path)
    assert result.ok and result.errors == [] and result.warnings == []
    exported = tmp_path / path.name
    to_xlsform(result.form, exported)
    original, again = xform_of(path), xform_of(exported)
    assert data_paths(again) == data_paths(original)
    assert "/data/members/illnesses/illness_kind" in data_paths(again) or (
        "/data/households/members/visits/visit_date" in data_paths(again)
    )
    back = read_xlsform(exported)
    assert back.ok and back.form.data["sections"] == result.form.data["sections"]


def test_the_inner_repeat_count_and_references_reach_pyxform_as_relative_paths(tmp_path):
    exported = tmp_path / "illnesses.xlsx"
    to_xlsform(read_xlsform(ILLNESSES).form, exported)
    xform = xform_of(exported)
    count = ' jr:count=" ../n_illnesses "'
    assert f'<repeat nodeset="/data/members/illnesses" appearance="field-list"{count}>' in xform
    assert "concat( ../../member_age" in xform  # the enclosing member's age


# -- On the hub, without JavaScript ----------------------------------------------------------


def post_page(phone, path, fields, action="next"):
    posted = [("form_id", "household_illnesses"), ("_action", action)]
    posted += [("_shown", name) for name, _ in fields if not name.startswith("_")]
    return phone.post(path, posted + list(fields))


def stored(db_path):
    [row] = query(db_path, "SELECT status, answers FROM records")
    return row["status"], json.loads(row["answers"])


def test_household_illnesses_is_filled_page_by_page_without_javascript(hub, db_path, data_dir):
    import_form(ILLNESSES, data_dir)
    phone = hub.browser("en")
    phone.signin()
    page = phone.get("/forms/household_illnesses").text
    path = re.search(r'<form method="post" action="(/records/[^"]+)/0"', page).group(1)
    first = [("village", "Kibera"), ("head_name", "Zawadi Otieno"), ("hh_size", "2")]
    response = post_page(phone, f"{path}/0", first)
    assert response.url.endswith("/1"), response.text
    members = [("member_name.1", "Amina"), ("member_age.1", "41"), ("was_ill.1", "yes")]
    members += [("n_illnesses.1", "2"), ("member_name.2", "Musa"), ("member_age.2", "7")]
    members += [("was_ill.2", "no")]
    # Member 1 says two illnesses: the page comes back with them to answer.
    response = post_page(phone, f"{path}/1", members)
    assert response.status_code == 200 and "Please answer them" in response.text
    assert (
        'name="illness_kind.1.2"' in response.text
        and 'name="illness_kind.2.1"' not in response.text
    )
    members += [("illness_kind.1.1", "malaria"), ("days_ill.1.1", "90000")]
    members += [("illness_kind.1.2", "cough"), ("days_ill.1.2", "4"), ("treated.1.2", "yes")]
    members += [("treated_where.1.2", "Kibera clinic, ask for Amina")]
    members += [("treated.1.1", ""), ("treated_where.1.1", "")]
    response = post_page(phone, f"{path}/1", members)
    assert response.status_code == 422
    assert 'id="days_ill.1.1-error">Longer than the person has lived.' in response.text
    # The list of problems names the question and the instance (member 1, illness 1).
    assert re.search(r'<a href="#q-days_ill\.1\.1">Days ill \(1\.1\)</a>', response.text)
    members[members.index(("days_ill.1.1", "90000"))] = ("days_ill.1.1", "10")
    response = post_page(phone, f"{path}/1", members)
    assert response.url.endswith("/review"), response.text  # the rest is calculations
    status, answers = stored(db_path)
    amina, musa = answers["members"]
    assert [i["illness_label"] for i in amina["illnesses"]] == ["41:malaria:1", "41:cough:2"]
    assert amina["member_illnesses"] == 2 and musa["member_illnesses"] == 0
    assert "illnesses" not in musa
    assert answers["total_illnesses"] == 2 and answers["total_days"] == 14
    assert answers["first_kind"] == "malaria"
    # Fewer illnesses: the last one goes, as a repeat_count does one level up.
    members[members.index(("n_illnesses.1", "2"))] = ("n_illnesses.1", "1")
    post_page(phone, f"{path}/1", members, action="draft")
    assert [i["illness_kind"] for i in stored(db_path)[1]["members"][0]["illnesses"]] == ["malaria"]


# -- In a real browser, three levels ----------------------------------------------------------


def until(driver, condition, seconds=20):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds).until(condition)


def css(driver, selector: str):
    return driver.find_element("css selector", selector)


def type_into(driver, field_id: str, value: str) -> None:
    field = driver.find_element("id", field_id)
    if field.get_attribute("type") == "date":
        driver.execute_script("arguments[0].value = arguments[1];", field, value)
    else:
        field.clear()
        field.send_keys(value)
    driver.execute_script("arguments[0].dispatchEvent(new Event('change', {bubbles: true}))", field)


def test_clinic_visits_three_deep_are_filled_in_a_browser(hub, db_path, data_dir, chromium):
    from browsing import console_errors, review_and_finalize

    import_form(VISITS, data_dir)
    sign_in(chromium, hub)
    chromium.get(f"{hub.url}/forms/clinic_visits/phone?lang=en")
    until(chromium, lambda d: css(d, "button.step-next").is_displayed())
    type_into(chromium, "f-area", "North")
    css(chromium, "button.step-next").click()
    type_into(chromium, "f-household_code.1", "H-17")
    css(chromium, 'button[value="add:members:1"]').click()
    type_into(chromium, "f-age.1.1", "34")
    css(chromium, 'button[value="add:visits:1.1"]').click()
    type_into(chromium, "f-visit_date.1.1.1", "2024-03-01")
    type_into(chromium, "f-clinic.1.1.1", "Kibera clinic")
    css(chromium, 'button[value="add:visits:1.1"]').click()
    type_into(chromium, "f-visit_date.1.1.2", "2024-03-09")
    # A second household, with a member and a visit of its own: keys carry three positions.
    css(chromium, '.repeat[data-repeat="households"] > .repeat-add').click()
    type_into(chromium, "f-household_code.2", "H-18")
    css(chromium, 'button[value="add:members:2"]').click()
    type_into(chromium, "f-age.2.1", "61")
    css(chromium, 'button[value="add:visits:2.1"]').click()
    type_into(chromium, "f-visit_date.2.1.1", "2999-01-01")
    css(chromium, "button.step-review").click()  # the last section with a question
    assert "This answer is not allowed here." in css(chromium, "#q-visit_date\\.2\\.1\\.1").text
    type_into(chromium, "f-visit_date.2.1.1", "2024-02-02")
    # The first household removed: the second one's keys move up one place at every depth.
    css(chromium, 'button[value="remove:households:1"]').click()
    assert chromium.find_element("id", "f-visit_date.1.1.1").get_attribute("value") == "2024-02-02"
    assert css(chromium, 'input[name="_repeat.visits.1.1"]').get_attribute("value") == "1"
    review_and_finalize(chromium)
    until(chromium, lambda d: "/phone" not in d.current_url)
    status, answers = stored(db_path)
    assert status == "finalized"
    assert answers["households"] == [
        {
            "household_code": "H-18",
            "members": [
                {
                    "age": 61,
                    "member_visits": 1,
                    "visits": [{"visit_date": "2024-02-02", "visit_no": 1, "visit_of": "H-18/61"}],
                }
            ],
        }
    ]
    assert answers["all_visits"] == 1
    assert console_errors(chromium) == []


# -- Published centrally from the workbook, synced and exported ----------------------------


def test_household_illnesses_published_from_the_workbook_exports_joined_tables(
    hub, central, data_dir, db_path, tmp_path
):
    from test_sync import collector, server_command

    result = server_command("forms", "publish", ILLNESSES, central=central)
    assert result.exit_code == 0, result.output
    code = central.enrollment_code()
    assert (
        collector(
            "enroll", "--yes", "--server", central.url, "--code", code, data_dir=data_dir
        ).exit_code
        == 0
    )
    assert "1 new form versions" in collector("sync", data_dir=data_dir).output
    phone = hub.browser("en")
    phone.signin()
    page = phone.get("/forms/household_illnesses/phone").text
    record = "3b2a1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
    fields = [
        ("_uuid", record),
        ("_action", "finalize"),
        ("form_version", "2024031501"),
        ("village", "Kibera"),
        ("head_name", "Zawadi Otieno"),
        ("hh_size", "1"),
        ("member_name.1", "Amina"),
        ("member_age.1", "41"),
        ("was_ill.1", "yes"),
        ("n_illnesses.1", "2"),
        ("illness_kind.1.1", "malaria"),
        ("days_ill.1.1", "3"),
        ("treated.1.1", "no"),
        ("illness_kind.1.2", "cough"),
        ("days_ill.1.2", "4"),
        ("treated.1.2", "yes"),
        ("treated_where.1.2", "Kibera clinic, ask for Amina on 0722 123 456"),
    ]
    fields += [("_shown", name) for name, _ in fields if not name.startswith(("_", "form_"))]
    response = phone.post(
        "/forms/household_illnesses/submit",
        fields,
        csrf_from=page,
        headers={"X-Hub-Outbox": "1"},
    )
    assert response.json()["status"] == "finalized", response.text
    assert "Stored 1, already there 0, rejected 0" in collector("sync", data_dir=data_dir).output

    tables = {}
    for repeat in ("members", "illnesses"):
        out = tmp_path / f"{repeat}.csv"
        args = ["export", "--form", "household_illnesses", "--format", "csv", "--output", out]
        args += ["--repeat", repeat, "--raw-records", "--reason", "check"]
        assert server_command(*args, central=central).exit_code == 0
        with out.open(encoding="utf-8-sig", newline="") as handle:
            tables[repeat] = list(csv.DictReader(handle))
    [member] = tables["members"]
    assert member["_key"] == f"{record}/members[1]" and member["illnesses"] == "2"
    assert [
        (i["_parent_key"], i["illness_kind"], i["illness_label"]) for i in tables["illnesses"]
    ] == [
        (member["_key"], "malaria", "41:malaria:1"),
        (member["_key"], "cough", "41:cough:2"),
    ]
    sent = tables["illnesses"][1]["treated_where"]
    assert "0722" not in sent and "Amina" not in sent and "Kibera clinic" in sent


def test_an_inner_repeat_count_adds_instances_live_in_a_browser(hub, db_path, data_dir, chromium):
    import_form(ILLNESSES, data_dir)
    sign_in(chromium, hub)
    chromium.get(f"{hub.url}/forms/household_illnesses/phone?lang=en")
    until(chromium, lambda d: css(d, "#f-hh_size").is_displayed())
    type_into(chromium, "f-hh_size", "2")  # the members' page opens with the count
    until(chromium, lambda d: css(d, "button.step-next").is_displayed())
    css(chromium, "button.step-next").click()
    type_into(chromium, "f-member_age.2", "30")
    css(chromium, 'input[name="was_ill.2"][value="yes"]').click()
    type_into(chromium, "f-n_illnesses.2", "3")
    count = 'input[name="_repeat.illnesses.2"]'
    assert css(chromium, count).get_attribute("value") == "3"
    assert css(chromium, 'input[name="_repeat.illnesses.1"]').get_attribute("value") == "0"
    css(chromium, 'input[name="illness_kind.2.3"][value="cough"]').click()
    type_into(chromium, "f-n_illnesses.2", "2")  # one fewer: the last illness goes
    assert css(chromium, count).get_attribute("value") == "2"
    assert not chromium.find_elements("css selector", 'input[name="illness_kind.2.3"]')
    type_into(chromium, "f-n_illnesses.2", "3")  # typed again: it comes back as it was
    assert css(chromium, 'input[name="illness_kind.2.3"][value="cough"]').is_selected()
    css(chromium, 'input[name="was_ill.2"][value="no"]').click()  # not ill after all: none
    assert css(chromium, count).get_attribute("value") == "0"
    assert not chromium.find_elements("css selector", ".repeat-instance .repeat-instance")
