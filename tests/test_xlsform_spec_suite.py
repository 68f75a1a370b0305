"""The XLSForm specification suite: one small workbook per construct of the XLSForm
specification and per function of the ODK/XLSForm function reference, written for the
project (tests/fixtures/xlsforms/spec/make_spec_forms.py) and listed in its manifest.json.

On one real hub served on loopback, each form is imported (or refused, the refusal naming
its sheet, row and column), every page rendered, filled without JavaScript by posting the
manifest's answers and finalized, its stored answers checked against the manifest, and
written back by `collector forms export-xlsform` with the data paths pyxform gives the
original. A sample is filled in Chromium, checking the live calculation on the phone.
"""

from __future__ import annotations

import html
import importlib.util
import json
import re
import subprocess
import warnings
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from pyxform.xls2xform import convert as pyxform_convert

from browsing import answer_visible_questions, wait_for
from collector import create_app
from collector.cli import cli
from collector.db import open_database
from collector.expressions import FUNCTIONS
from collector.form_library import import_form
from collector.users import add_user
from collector.xlsform import read_xlsform
from support import PIN, LiveHub, need_tool, query

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "tests" / "fixtures" / "xlsforms" / "spec"
# 460 quick tests that add half a minute of processor time: the full suite and CI run
# them; the quick loop (-m "not slow") leaves them out. Run this file after changing the
# XLSForm reader, the expressions or the pages.
pytestmark = pytest.mark.slow
MANIFEST = json.loads((SPEC / "manifest.json").read_text("utf-8"))["forms"]
TAKEN = [entry for entry in MANIFEST if "refused" not in entry]
REFUSED = [entry for entry in MANIFEST if "refused" in entry]
OWNER = "spec enumerator"

ACTION = re.compile(r'<form method="post" action="(/records/([0-9a-f-]{36})/(\d+))"')
SHOWN = re.compile(r'<input type="hidden" name="_shown" value="([^"]+)"( disabled)?>')
COUNTS = re.compile(r'<input type="hidden" name="(_repeat\.[^"]+)" value="(\d+)">')
# Text a page must never show: a template's raw placeholder, a Python value, a msgid.
UNKNOWN = re.compile(
    r"\{\{|\}\}|\{%|\$\{|^\s*(?:None|undefined|null|NaN)\s*$|Traceback|%\(\w+\)s", re.M
)


def test_the_suite_covers_at_least_150_forms_each_once():
    assert len(MANIFEST) >= 150
    files = sorted(path.name for path in SPEC.glob("*.xlsx"))
    assert files == sorted(entry["file"] for entry in MANIFEST)
    assert len({entry["form_id"] for entry in MANIFEST}) == len(MANIFEST)
    # Every function the evaluator knows is used in a calculation of at least one form.
    used = " ".join(c for entry in MANIFEST for c in entry.get("calculations", []))
    missing = [name for name in FUNCTIONS if not re.search(rf"(?<![\w:-]){name}\(", used)]
    assert missing == []


def test_the_committed_files_are_what_the_generator_writes():
    """The table in make_spec_forms.py and the committed workbooks and manifest agree (a
    change to the table without running it again is caught here)."""
    loader = importlib.util.spec_from_file_location("make_spec_forms", SPEC / "make_spec_forms.py")
    generator = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(generator)
    for name, content in generator.written().items():
        assert (SPEC / name).read_bytes() == content, name


@pytest.fixture(scope="session")  # made once per test process (see conftest.py)
def spec_hub(tmp_path_factory):
    """One real hub for the module, with every form the manifest says is taken imported,
    and one enumerator signed in on a phone without JavaScript."""
    data_dir = tmp_path_factory.mktemp("spec-hub")
    app = create_app(
        {"HUB_SETTINGS": {"signin_rate_limit": "100000 per minute"}}, data_dir=data_dir
    )
    live = LiveHub(app)
    live.data_dir, live.imports = data_dir, {}
    db = open_database(app.config["DATABASE"])
    try:
        live.owner_id = add_user(db, OWNER, PIN)
        for entry in TAKEN:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = read_xlsform(SPEC / entry["file"])
            stored = import_form(db, result.form, "test") if result.ok else None
            live.imports[entry["name"]] = SimpleNamespace(result=result, stored=stored)
    finally:
        db.close()
    live.phone = live.browser("en")
    live.phone.signin(OWNER, PIN)
    yield live
    live.stop()


def entry_ids(entries):
    return [pytest.param(entry, id=entry["name"]) for entry in entries]


# --- refused: the problem named where it is -------------------------------------------------


@pytest.mark.parametrize("entry", entry_ids(REFUSED))
def test_a_construct_we_do_not_take_is_refused_naming_sheet_row_and_column(entry):
    result = read_xlsform(SPEC / entry["file"])
    want = entry["refused"]
    assert result.form is None and not result.ok
    found = [p for p in result.errors if p.key == want["code"]]
    assert found, [str(p) for p in result.errors]
    problem = found[0]
    assert (problem.sheet, problem.row, problem.column) == (
        want["sheet"],
        want["row"],
        want["column"],
    )
    assert f"{want['sheet']} row {want['row']}, column {want['column']}" in str(problem)


# --- taken: imported, rendered, filled and finalized, round-tripped ---------------------------


def form_of(hub, entry):
    imported = hub.imports[entry["name"]]
    assert imported.result.errors == [], [str(p) for p in imported.result.errors]
    assert imported.stored is True
    # What the import said: exactly the problems the manifest lists (codes, in order).
    assert [p.key for p in imported.result.warnings] == entry["warnings"], [
        str(p) for p in imported.result.warnings
    ]
    return imported.result.form


def page_text(response) -> str:
    return html.unescape(response.text)


def no_unknown_text(response):
    text = re.sub(r"<script.*?</script>", "", response.text, flags=re.S)
    text = re.sub(r"<[^>]+>", "\n", text)
    assert not UNKNOWN.search(html.unescape(text)), UNKNOWN.search(html.unescape(text))


def post_sections(phone, form, answers):
    """Fill the form page by page as a phone without JavaScript does: post the manifest's
    answer to each question the page shows (and the instance counts the page holds,
    raised to the instances the answers give), until the review page."""
    wanted = {k.partition(".")[2]: int(v) for k, v in answers.items() if k.startswith("_repeat.")}
    response = phone.get(f"/forms/{form.form_id}")
    assert response.status_code == 200, response.text[:500]
    for _ in range(30):
        no_unknown_text(response)
        path, record_uuid, _ = ACTION.search(response.text).groups()
        shown = [name for name, disabled in SHOWN.findall(response.text) if not disabled]
        data = [("form_id", form.form_id), ("_action", "next")]
        for key, count in COUNTS.findall(response.text):
            data.append((key, str(max(int(count), wanted.get(key.partition(".")[2], 0)))))
        for name in shown:
            data.append(("_shown", name))
            value = answers.get(name)
            data += (
                [(name, item) for item in value]
                if isinstance(value, list)
                else ([(name, value)] if value is not None else [])
            )
        response = phone.post(path, data)
        assert response.status_code == 200, re.findall(
            r'<p class="error"[^>]*>(.*?)</p>', response.text
        )
        if "/review" in response.url:
            no_unknown_text(response)
            return record_uuid
    raise AssertionError("the form never reached its review")


def stored_record(hub, record_uuid):
    [row] = query(
        hub.app.config["DATABASE"],
        "SELECT status, answers FROM records WHERE uuid = ?",
        [record_uuid],
    )
    return row["status"], json.loads(row["answers"])


@pytest.mark.parametrize("entry", entry_ids(TAKEN))
def test_form_is_rendered_filled_without_javascript_and_stored_as_the_manifest_says(
    spec_hub, entry
):
    form = form_of(spec_hub, entry)
    phone = spec_hub.phone
    whole = phone.get(f"/forms/{form.form_id}/phone")
    assert whole.status_code == 200
    no_unknown_text(whole)
    assert form.text(form.data["title"], form.data.get("default_language", "en")) in page_text(
        whole
    )
    record_uuid = post_sections(phone, form, entry["answers"])
    finalized = phone.post(f"/records/{record_uuid}/finalize", {})
    assert finalized.status_code == 200 and finalized.url.endswith("/records")
    status, answers = stored_record(spec_hub, record_uuid)
    assert status == "finalized"
    assert answers == entry["expected"]
    for name, value in answers.items():  # typed as the form says: 3 is not 3.0 nor "3"
        assert type(value) is type(entry["expected"][name]), name


def bind_paths(workbook: Path) -> list[str]:
    """The data path of every bind of pyxform's XForm of the workbook."""
    xml = pyxform_convert(xlsform=str(workbook)).xform
    return sorted(re.findall(r'<bind nodeset="([^"]+)"', xml))


@pytest.mark.parametrize("entry", entry_ids(TAKEN))
def test_export_xlsform_gives_pyxform_the_same_data_paths(spec_hub, entry, tmp_path):
    form = form_of(spec_hub, entry)
    target = tmp_path / entry["file"]
    done = CliRunner().invoke(
        cli,
        [
            "forms",
            "export-xlsform",
            form.form_id,
            str(target),
            "--data-dir",
            str(spec_hub.data_dir),
        ],
    )
    assert done.exit_code == 0, done.output
    exported, original = set(bind_paths(target)), set(bind_paths(SPEC / entry["file"]))
    differs = entry.get("round_trip_differs")
    if differs is None:
        assert exported == original
        return
    # A construct imported in another shape: the import said so, and only those paths moved.
    warned = {p.key for p in spec_hub.imports[entry["name"]].result.warnings}
    assert differs["warning"] in warned
    assert sorted(original - exported) == differs["original_only"]
    assert sorted(exported - original) == differs["export_only"]


# --- with JavaScript: the phone's evaluator computes every function form's value ----------

# Runs collector/static/js/expressions.js on each case as form.js does on the phone: the
# answers (a repeat's as node-sets), pulldata()'s files, instance() lists and choice labels;
# the result is kept as the hub keeps a calculation (true/false as text, NaN as nothing).
NODE_CASES = r"""
const E = require(process.argv[1]);
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const stored = (v) => {
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  const text = E.toText(v);
  return text === '' ? null : text;
};
const node = (v) => (v && typeof v === 'object' && 'nodeset' in v ? new E.Nodeset(v.nodeset) : v);
const results = {};
for (const c of cases) {
  const values = {};
  Object.keys(c.values).forEach((k) => { values[k] = node(c.values[k]); });
  const ctx = {values: values, now: new Date(), data: c.data, instances: c.instances,
    nodesets: values, choiceLabel: (field, choice) => (c.labels[choice] || null)};
  try { results[c.name] = stored(E.parse(c.expr).evaluate(ctx)); }
  catch (error) { results[c.name] = {error: error.name}; }
}
process.stdout.write(JSON.stringify(results));
"""


def javascript_case(form, entry) -> dict:
    """The `result` calculation of a function form, with what the phone's page gives it."""
    values = {}
    for name, value in entry["expected"].items():
        if name == "result":
            continue
        if name in form.repeats:  # seen from outside the repeat: node-sets
            values[name] = {"nodeset": value}
            for field in value[0]:
                values[field] = {"nodeset": [item.get(field) for item in value]}
        else:
            values[name] = value
    files = (form.data.get("data") or {}).items()
    return {
        "name": entry["name"],
        "expr": form.questions["result"].calculation,
        "values": values,
        "data": {
            name.removesuffix(".csv"): [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
            for name, rows in files
        },
        "instances": form.instance_lists,
        "labels": {
            choice["name"]: form.text(choice["label"], "en")
            for choices in form.data.get("choices", {}).values()
            for choice in choices
        },
    }


def test_the_phones_evaluator_computes_every_function_form_as_the_hub_stores_it(spec_hub):
    node = need_tool("node")
    functions = [e for e in TAKEN if e["name"].startswith("fn_")]
    cases = [javascript_case(form_of(spec_hub, entry), entry) for entry in functions]
    done = subprocess.run(
        [node, "-e", NODE_CASES, str(ROOT / "collector" / "static" / "js" / "expressions.js")],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    results = json.loads(done.stdout)
    assert len(functions) >= 100 and set(results) == {entry["name"] for entry in functions}
    # digest() is computed by the hub alone (no hashing in the phone's script).
    deferred = {name for name, value in results.items() if value == {"error": "HubOnlyError"}}
    assert deferred == {"fn_digest_md5", "fn_digest_sha256", "fn_digest_base64"}
    for entry in functions:
        if entry["name"] in deferred:
            continue
        expected, got = entry["expected"].get("result"), results[entry["name"]]
        if isinstance(expected, float):
            assert got == pytest.approx(expected, rel=1e-12), entry["name"]
        else:
            assert got == expected, entry["name"]


# --- with JavaScript: the live value on the phone -----------------------------------------

SAMPLE = [entry for entry in TAKEN if "javascript" in entry]


def until(driver, condition, what, seconds=10):
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, seconds).until(condition, message=what)


@pytest.mark.slow
def test_live_calculations_and_relevance_show_on_the_phone_in_chromium(spec_hub, chromium):
    assert len(SAMPLE) >= 10
    driver = chromium
    driver.get(spec_hub.url + "/signin")
    driver.find_element("id", "name").send_keys(OWNER)
    driver.find_element("id", "pin").send_keys(PIN)
    driver.find_element("css selector", "button.primary").click()
    wait_for(driver, "form.inline")
    for entry in SAMPLE:
        form = form_of(spec_hub, entry)
        driver.get(f"{spec_hub.url}/forms/{form.form_id}/phone")
        wait_for(driver, "form")
        # The question shown only when the calculation has the expected value (or when the
        # relevance holds): hidden on the empty form, it appears as the answers are typed,
        # before anything is sent.
        check = driver.find_element("id", f"q-{entry['javascript']['visible']}")
        assert not check.is_displayed(), entry["name"]
        answers = {k: v for k, v in entry["answers"].items() if not k.startswith("_")}
        answer_visible_questions(driver, answers)
        until(driver, lambda d, check=check: check.is_displayed(), entry["name"])
