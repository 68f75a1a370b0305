"""instance('list')/root/item[...]/column: a choice list read as ODK reads its secondary
instance, in XLSForm calculations and conditions; imported, computed by the hub without
JavaScript and by the page as the person answers, and a list that does not exist named on
its row.

Every workbook here is written by the test."""

from __future__ import annotations

import json
import re

from browsing import review_and_finalize, sign_in, visible, wait_for  # noqa: F401
from collector import create_app
from collector.xlsform import read_xlsform
from filling import post_page, record_of
from support import LiveHub, import_forms, query
from workbooks import write_workbook

LABEL = "instance('crops')/root/item[name = ${crop}]/label"
PRICE = "instance('crops')/root/item[name = ${crop}]/price"
SURVEY = [
    ["type", "name", "label", "calculation", "relevant"],
    ["begin group", "pick", "Crop", None, None],
    ["select_one crops", "crop", "Which crop do you grow most?", None, None],
    ["end group", None, None, None, None],
    ["begin group", "sold", "Sales", None, None],
    ["calculate", "crop_label", None, LABEL, None],
    ["calculate", "price", None, PRICE, None],
    ["calculate", "dear", None, "count(instance('crops')/root/item[price > ${price}])", None],
    ["integer", "bags", "How many bags of ${crop_label} did you sell?", None, None],
    ["calculate", "earned", None, "${bags} * ${price}", None],
    ["note", "top", "This is the dearest crop on the list.", None, "${dear} = 0"],
    ["end group", None, None, None, None],
]
CHOICES = [
    ["list_name", "name", "label", "price"],
    ["crops", "maize", "Maize", "30"],
    ["crops", "beans", "Beans", "55"],
    ["crops", "cassava", "Cassava", "20"],
]
SETTINGS = [["form_id", "version", "form_title"], ["harvest", "1", "Harvest"]]


def harvest(tmp_path, survey=SURVEY):
    result = read_xlsform(write_workbook(tmp_path / "harvest.xlsx", survey, CHOICES, SETTINGS))
    return result


def test_the_lookups_are_imported_and_a_missing_list_is_named_on_its_row(tmp_path):
    result = harvest(tmp_path)
    assert result.ok, [str(p) for p in result.errors]
    assert result.form.questions["price"].calculation == PRICE
    # The page carries only the lists the form reads with instance().
    assert list(result.form.instance_lists) == ["crops"]
    wrong = [list(row) for row in SURVEY]
    wrong[6][3] = "instance('crop')/root/item[name = ${crop}]/price"
    refused = harvest(tmp_path, wrong)
    problems = [p for p in refused.errors if p.key == "unknown_list"]
    assert [(p.row, p.column) for p in problems] == [(7, "calculation")]
    assert "'crop'" in str(problems[0])


def test_the_hub_computes_the_lookups_without_javascript(tmp_path, hub, db_path):
    import_forms(db_path, json.loads(harvest(tmp_path).form.to_json()))
    phone = hub.browser("en")
    phone.signin()
    first = phone.get("/forms/harvest")
    second = post_page(phone, first, "harvest", {"crop": "beans"})
    assert second.status_code == 200 and "This is the dearest crop on the list." in second.text
    review = post_page(phone, second, "harvest", {"bags": "4"})
    assert review.url.endswith("/review"), review.text[:500]
    record_uuid = record_of(first)
    assert phone.post(f"/records/{record_uuid}/finalize", {}).status_code == 200
    [record] = query(db_path, "SELECT answers FROM records WHERE uuid = ?", [record_uuid])
    assert json.loads(record["answers"]) == {
        "crop": "beans",
        "crop_label": "Beans",
        "price": "55",
        "dear": 0,
        "bags": 4,
        "earned": 220,
    }


def test_the_page_computes_the_lookups_as_the_person_answers(tmp_path, data_dir, chromium):
    from selenium.webdriver.support.ui import WebDriverWait

    hub = LiveHub(create_app(data_dir=data_dir))
    try:
        import_forms(hub.app.config["DATABASE"], json.loads(harvest(tmp_path).form.to_json()))
        hub.add_enumerator()
        sign_in(chromium, hub)
        chromium.get(f"{hub.url}/forms/harvest/phone?lang=en")
        page = chromium.page_source
        lists = json.loads(re.search(r'id="form-instances">(.*?)</script>', page, re.S).group(1))
        assert [item["name"] for item in lists["crops"]] == ["maize", "beans", "cassava"]
        wait_for(chromium, 'input[name="crop"][value="maize"]').click()
        chromium.find_element("css selector", "button.step-next").click()
        wait_for(chromium, "#step-1 input[name=bags]").send_keys("3")
        assert not visible(chromium, "top")  # beans cost more than maize
        chromium.find_element("css selector", "button.step-back").click()
        wait_for(chromium, 'input[name="crop"][value="beans"]').click()
        chromium.find_element("css selector", "button.step-next").click()
        WebDriverWait(chromium, 15).until(lambda d: visible(d, "top"))
        review_and_finalize(chromium)
        WebDriverWait(chromium, 20).until(
            lambda d: query(
                hub.app.config["DATABASE"], "SELECT answers FROM records WHERE status = 'finalized'"
            )
        )
        [record] = query(
            hub.app.config["DATABASE"], "SELECT answers FROM records WHERE status = 'finalized'"
        )
        answers = json.loads(record["answers"])
        assert (answers["crop_label"], answers["price"], answers["earned"]) == ("Beans", "55", 165)
    finally:
        hub.stop()
