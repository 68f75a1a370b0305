"""pulldata(): a value looked up in a CSV file handed over with the form.

`collector forms import` reads the files the form's pulldata() calls name (beside the form,
or given with --media), checks them and stores their rows with the form definition; the
hub computes with them when a page is sent, the page's script as the person types, the
central server accepts such a form, and export-xlsform writes the files back.

Every workbook and CSV file here is written by the test."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from pyxform.xls2xform import convert as pyxform_convert

from browsing import console_errors, review_and_finalize, sign_in, visible, wait_for  # noqa: F401
from collector import create_app
from collector.cli import cli
from collector.db import open_database
from collector.form_library import import_server_form
from collector.forms import MAX_DATA_BYTES, FormError, builtin_forms, load_form, load_form_json
from collector.xlsform import read_xlsform
from filling import post_page, record_of
from support import LiveHub, query
from sync_server import DATABASE_FILE
from sync_server.cli import cli as server_cli
from sync_server.ingest import known_form
from sync_server.store import Store
from workbooks import write_workbook

SETTINGS = [["form_id", "version", "form_title"], ["shop", "1", "Shop visit"]]
LOOKUP = "pulldata('products', '{column}', 'code', ${{code}})"
SURVEY = [
    ["type", "name", "label", "calculation", "constraint", "constraint_message", "relevant"],
    ["begin group", "item", "Item", None, None, None, None],
    [
        "text",
        "code",
        "Product code",
        None,
        "pulldata('products', 'name', 'code', .) != ''",
        "No product has this code.",
        None,
    ],
    ["calculate", "product", None, LOOKUP.format(column="name"), None, None, None],
    ["calculate", "price", None, LOOKUP.format(column="price"), None, None, None],
    ["end group", None, None, None, None, None, None],
    ["begin group", "amount", "Amount", None, None, None, None],
    ["integer", "quantity", "How many?", None, None, None, None],
    ["calculate", "total", None, "${price} * ${quantity}", None, None, None],
    ["note", "large", "A large purchase: ask for a receipt.", None, None, None, "${total} > 10"],
    ["end group", None, None, None, None, None, None],
]
PRODUCTS = 'code,name,price\nA1,Soap,0.5\nB2,Rice (1 kg),1.25\nC3,"Cooking oil, 5 l",12\n'
ROWS = [
    ["code", "name", "price"],
    ["A1", "Soap", "0.5"],
    ["B2", "Rice (1 kg)", "1.25"],
    ["C3", "Cooking oil, 5 l", "12"],
]


@pytest.fixture
def folder(tmp_path) -> Path:
    """The form with its data file beside it, as a team hands them over."""
    folder = tmp_path / "form"
    folder.mkdir()
    write_workbook(folder / "shop.xlsx", SURVEY, settings=SETTINGS)
    (folder / "products.csv").write_text(PRODUCTS, "utf-8")
    return folder


def run(program, *args):
    return CliRunner().invoke(program, [str(a) for a in args])


def stored_definitions(data_dir) -> list[dict]:
    rows = query(data_dir / "collector.db", "SELECT definition FROM forms")
    return [json.loads(row["definition"]) for row in rows]


# --- imported -------------------------------------------------------------------------------


def test_the_data_file_is_stored_with_the_form(folder, data_dir):
    done = run(cli, "forms", "import", folder / "shop.xlsx", "--data-dir", data_dir)
    assert done.exit_code == 0, done.output
    [definition] = stored_definitions(data_dir)
    assert definition["data"] == {"products.csv": ROWS}
    assert load_form(definition).pulldata["products"][2] == {
        "code": "C3",
        "name": "Cooking oil, 5 l",
        "price": "12",
    }


def test_media_gives_a_data_file_kept_elsewhere(folder, tmp_path, data_dir):
    elsewhere = tmp_path / "files"
    elsewhere.mkdir()
    (folder / "products.csv").rename(elsewhere / "products.csv")
    done = run(
        cli,
        "forms",
        "import",
        folder / "shop.xlsx",
        "--media",
        elsewhere / "products.csv",
        "--data-dir",
        data_dir,
    )
    assert done.exit_code == 0, done.output
    assert stored_definitions(data_dir)[0]["data"]["products.csv"] == ROWS


def oversized(folder: Path) -> None:
    """A register far larger than a page can carry."""
    lines = ["code,name,price"] + [f"X{n},Product number {n},{n}" for n in range(30_000)]
    (folder / "products.csv").write_text("\n".join(lines), "utf-8")
    assert (folder / "products.csv").stat().st_size > MAX_DATA_BYTES


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda folder: (folder / "products.csv").unlink(),
            "survey row 3, column constraint: The data file products.csv that pulldata() reads "
            "was not found: put it in the same folder as the form, or give it with --media "
            "products.csv.",
        ),
        (
            lambda folder: write_workbook(
                folder / "shop.xlsx",
                [
                    *SURVEY[:4],
                    [*SURVEY[4][:3], LOOKUP.format(column="cost"), *SURVEY[4][4:]],
                    *SURVEY[5:],
                ],
                settings=SETTINGS,
            ),
            "survey row 5, column calculation: The data file products.csv has no column 'cost' "
            "(its columns: code, name, price).",
        ),
        (
            oversized,
            "survey row 3, column constraint: The data file products.csv is too large: a form's "
            "data files may hold 500 kB in all, as every page of the form carries them.",
        ),
        (
            lambda folder: (folder / "products.csv").write_text("code,name,code\nA1,Soap,A2\n"),
            "survey row 3, column constraint: The data file products.csv needs a first row that "
            "names each of its columns once.",
        ),
    ],
    ids=["missing file", "bad column", "oversized file", "repeated column"],
)
def test_a_data_file_problem_is_named_on_the_calling_row_and_nothing_is_imported(
    folder, data_dir, change, message
):
    change(folder)
    run(cli, "status", "--data-dir", data_dir)  # the hub's database, to look into afterwards
    done = run(cli, "forms", "import", folder / "shop.xlsx", "--data-dir", data_dir)
    assert done.exit_code == 1
    assert message in done.output
    assert stored_definitions(data_dir) == []


def test_the_file_and_columns_must_be_written_as_text(tmp_path):
    survey = [
        ["type", "name", "label", "calculation"],
        ["text", "file", "File", None],
        ["calculate", "price", None, "pulldata(${file}, 'price', 'code', 'A1')"],
    ]
    [problem] = read_xlsform(write_workbook(tmp_path / "f.xlsx", survey, settings=SETTINGS)).errors
    assert (problem.key, problem.row, problem.column) == (
        "external_data/pulldata_literal",
        3,
        "calculation",
    )


SCHEMA_FORM = {
    "form_id": "shop",
    "version": "1",
    "title": {"en": "Shop"},
    "sections": [
        {
            "name": "s",
            "label": {"en": "S"},
            "questions": [
                {"name": "code", "type": "text", "label": {"en": "Code"}},
                {
                    "name": "price",
                    "type": "calculate",
                    "calculation": LOOKUP.format(column="price"),
                },
            ],
        }
    ],
}


@pytest.mark.parametrize(
    "data, message",
    [
        (None, "s/price: pulldata() reads products.csv, which is not among the form's data files."),
        (
            {"products.csv": [["code", "name"], ["A1", "Soap"]]},
            "s/price: products.csv has no column 'price'.",
        ),
        (
            {"products.csv": [["code", "price"], ["A1"]]},
            "data: row 2 of products.csv has 1 values for 2 columns.",
        ),
        (
            {"products.csv": [["code", "price"], ["A1", "x" * MAX_DATA_BYTES]]},
            "data: the form's data files hold more than 500 kB of text",
        ),
        ({"../products.csv": [["code", "price"]]}, "data"),
    ],
)
def test_the_schema_checks_the_data_files(data, message):
    assert load_form({**SCHEMA_FORM, "data": {"products.csv": ROWS}}).pulldata["products"]
    with pytest.raises(FormError, match=re.escape(message)):
        load_form({**SCHEMA_FORM, **({"data": data} if data is not None else {})})


# --- written back ---------------------------------------------------------------------------


def test_export_xlsform_writes_the_data_file_back_and_pyxform_keeps_pulldata(
    folder, tmp_path, data_dir
):
    assert run(cli, "forms", "import", folder / "shop.xlsx", "--data-dir", data_dir).exit_code == 0
    out = tmp_path / "out"
    out.mkdir()
    done = run(cli, "forms", "export-xlsform", "shop", out / "shop.xlsx", "--data-dir", data_dir)
    assert done.exit_code == 0, done.output
    assert f"Wrote the data file {out / 'products.csv'}." in done.output
    assert (out / "products.csv").read_text("utf-8").splitlines() == PRODUCTS.splitlines()
    xml = pyxform_convert(xlsform=str(out / "shop.xlsx")).xform
    assert 'src="jr://file-csv/products.csv"' in xml
    assert "pulldata('products', 'price', 'code',  /data/item/code )" in html.unescape(xml)
    assert (
        read_xlsform(out / "shop.xlsx").definition == read_xlsform(folder / "shop.xlsx").definition
    )


# --- on a real hub, without JavaScript ------------------------------------------------------

FORM_DATA = re.compile(r'<script type="application/json" id="form-data">(.*?)</script>')


def post(phone, page, answers: dict):
    return post_page(phone, page, "shop", answers)


def test_the_hub_computes_with_the_data_file_and_keeps_the_values(folder, data_dir):
    assert run(cli, "forms", "import", folder / "shop.xlsx", "--data-dir", data_dir).exit_code == 0
    hub = LiveHub(create_app(data_dir=data_dir))
    try:
        hub.add_enumerator()
        phone = hub.browser("en")
        phone.signin()
        first = phone.get("/forms/shop")
        # The page carries the file for its script, escaped as JSON inside HTML.
        assert json.loads(FORM_DATA.search(first.text).group(1)) == {"products.csv": ROWS}
        refused = post(phone, first, {"code": "Z9"})
        assert refused.status_code == 422
        assert "No product has this code." in html.unescape(refused.text)
        second = post(phone, first, {"code": "C3"})
        assert second.status_code == 200 and "How many?" in second.text
        review = post(phone, second, {"quantity": "2"})
        assert review.url.endswith("/review"), html.unescape(review.text)[:2000]
        record_uuid = record_of(first)
        assert phone.post(f"/records/{record_uuid}/finalize", {}).status_code == 200
        [record] = query(
            hub.app.config["DATABASE"],
            "SELECT status, answers FROM records WHERE uuid = ?",
            [record_uuid],
        )
        assert record["status"] == "finalized"
        assert json.loads(record["answers"]) == {
            "code": "C3",
            "product": "Cooking oil, 5 l",
            "price": "12",
            "quantity": 2,
            "total": 24,
        }
    finally:
        hub.stop()


# --- on the central server ------------------------------------------------------------------


def test_the_central_server_publishes_the_form_and_a_hub_installs_it(folder, tmp_path):
    server_dir = tmp_path / "server"
    done = run(server_cli, "forms", "publish", folder / "shop.xlsx", "--data-dir", server_dir)
    assert done.exit_code == 0, done.output
    store = Store.create(str(server_dir / DATABASE_FILE))
    try:
        published = store.form_definition("shop", "1")
        assert json.loads(published)["data"] == {"products.csv": ROWS}
        assert known_form(store, "shop", "1").pulldata["products"][0]["price"] == "0.5"
    finally:
        store.close()
    hub = open_database(tmp_path / "hub.db")
    try:  # as a hub installs a version it pulled from the server
        assert import_server_form(hub, builtin_forms(), load_form_json(published))
    finally:
        hub.close()


# --- in a browser, with JavaScript ----------------------------------------------------------


def test_the_phone_computes_with_the_data_file_as_the_person_types(folder, data_dir, chromium):
    from selenium.webdriver.support.ui import WebDriverWait

    assert run(cli, "forms", "import", folder / "shop.xlsx", "--data-dir", data_dir).exit_code == 0
    hub = LiveHub(create_app(data_dir=data_dir))
    try:
        hub.add_enumerator()
        sign_in(chromium, hub)
        chromium.get(f"{hub.url}/forms/shop/phone?lang=en")
        code = wait_for(chromium, "#step-0 input[name=code]")
        code.send_keys("Z9")
        chromium.find_element("css selector", "button.step-next").click()
        assert "No product has this code." in chromium.find_element("id", "q-code").text
        code.clear()
        code.send_keys("C3\t")  # the answer is checked as the field is left: its error goes
        chromium.find_element("css selector", "button.step-next").click()
        quantity = wait_for(chromium, "#step-1 input[name=quantity]")
        quantity.send_keys("1")  # 12 a bottle: the note on large purchases shows
        WebDriverWait(chromium, 15).until(lambda d: visible(d, "large"))
        quantity.clear()
        quantity.send_keys("0")
        WebDriverWait(chromium, 15).until(lambda d: not visible(d, "large"))
        quantity.send_keys("\b2")
        review_and_finalize(chromium)
        WebDriverWait(chromium, 20).until(lambda d: "/phone" not in d.current_url)
        [record] = query(hub.app.config["DATABASE"], "SELECT status, answers FROM records")
        assert record["status"] == "finalized"
        assert json.loads(record["answers"]) == {
            "code": "C3",
            "product": "Cooking oil, 5 l",
            "price": "12",
            "quantity": 2,
            "total": 24,
        }
        assert console_errors(chromium) == []
    finally:
        hub.stop()
