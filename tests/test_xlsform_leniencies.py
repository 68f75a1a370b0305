"""What ODK's converter takes and the collector can take safely: imported with a warning
that names sheet, row and column, rather than refused. Each form here is then filled on a
real hub: its phone page rendered, its answers sent and the record finalized.

Every workbook here is written by the test (openpyxl).
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook
from pyxform.xls2xform import convert as pyxform_convert

from collector.cli import cli
from collector.forms import PROMPT_HASH_CHARS, load_form
from collector.xlsform import read_xlsform, to_xlsform
from support import query
from sync_server.exports import export
from workbooks import imported, write_workbook

HEADER = ["type", "name", "label"]
RECORD = "5e4d3c2b-1a09-4f8e-9d7c-6b5a4f3e2d1c"


def settings(form_id: str) -> list[list[str]]:
    return [["form_id", "version"], [form_id, "1"]]


def warned(result) -> set[tuple]:
    return {(p.key, p.sheet, p.row, p.column) for p in result.warnings}


def taken(path: Path):
    """pyxform converts the workbook, and the import takes it."""
    pyxform_convert(xlsform=str(path))
    return imported(path)


def filled_on_hub(hub, data_dir, path: Path, form_id: str, answers: dict, media=()):
    """Import the workbook as an operator does, show its phone page, send `answers` (each
    marked shown, but for the page's own fields such as `_repeat.member`) and finalize: the
    page's HTML and the answers the hub stored."""
    args = ["forms", "import", str(path), "--data-dir", str(data_dir)]
    for file in media:
        args += ["--media", str(file)]
    outcome = CliRunner().invoke(cli, args)
    assert outcome.exit_code == 0, outcome.output
    phone = hub.browser("en")
    phone.signin()
    page = phone.get(f"/forms/{form_id}/phone")
    assert page.status_code == 200, page.text[:500]
    fields = [("_uuid", RECORD), ("_action", "finalize"), ("form_version", "1")]
    for name, value in answers.items():
        fields += [(name, value)] if name.startswith("_") else [("_shown", name), (name, value)]
    response = phone.post(
        f"/forms/{form_id}/submit", fields, csrf_from=page.text, headers={"X-Hub-Outbox": "1"}
    )
    assert response.json()["status"] == "finalized", response.text
    [stored] = query(hub.app.config["DATABASE"], "SELECT answers FROM records")
    return page.text, json.loads(stored["answers"])


# --- the audit's background location --------------------------------------------------------


def test_an_audit_asking_for_location_is_recorded_without_it(hub, data_dir, tmp_path):
    survey = [
        [*HEADER, "parameters"],
        [
            "audit",
            "audit",
            None,
            "location-priority=balanced location-min-interval=30 location-max-age=60",
        ],
        ["text", "visit_note", "What did you see?", None],
    ]
    path = write_workbook(tmp_path / "timed.xlsx", survey, settings=settings("timed"))
    result = taken(path)
    assert warned(result) >= {("audit_location", "survey", 2, "parameters")}
    texts = [str(p) for p in result.warnings if p.key == "audit_location"]
    assert len(texts) == 3 and "'location-max-age=60'" in texts[2]
    assert all("never" in t and "recorded without location" in t for t in texts)
    assert result.definition["metadata"] == [{"name": "audit", "type": "audit"}]
    _, answers = filled_on_hub(hub, data_dir, path, "timed", {"visit_note": "dry well"})
    assert answers == {"visit_note": "dry well"}


# --- prompts named by an answer, the bare media column, Matroska videos ---------------------


def test_a_prompt_named_by_an_answer_is_left_out(hub, data_dir, tmp_path):
    survey = [HEADER, ["text", "animal", "Which animal?"], ["select_one yn", "seen", "Seen?"]]
    choices = [
        ["list_name", "name", "label", "audio", "image::English (en)"],
        ["yn", "yes", "Yes", "${animal}", None],
        ["yn", "no", "No", None, "${animal}.png"],
    ]
    path = write_workbook(tmp_path / "herd.xlsx", survey, choices, settings("herd"))
    result = taken(path)
    assert warned(result) >= {
        ("prompt/reference", "choices", 2, "audio"),
        ("prompt/reference", "choices", 3, "image::English (en)"),
    }
    assert all("media" not in choice for choice in result.definition["choices"]["yn"])
    page, answers = filled_on_hub(hub, data_dir, path, "herd", {"animal": "goat", "seen": "no"})
    assert "<audio" not in page and "<img" not in page
    assert answers == {"animal": "goat", "seen": "no"}


def test_a_bare_media_column_is_ignored_and_the_question_named_by_its_name(hub, data_dir, tmp_path):
    survey = [
        ["type", "name", "label", "media"],
        ["text", "village", None, "village.png"],
        ["integer", "homes", "How many homes?", "homes.png"],
    ]
    path = write_workbook(tmp_path / "village.xlsx", survey, settings=settings("village"))
    result = taken(path)
    assert warned(result) >= {
        ("ignored_column/media", "survey", 2, "media"),
        ("ignored_column/media", "survey", 3, "media"),
        ("missing_label/named", "survey", 2, "label"),
    }
    questions = {q["name"]: q for q in result.definition["sections"][0]["questions"]}
    assert questions["village"]["label"] == {"en": "village"}
    assert "media" not in questions["village"] and "media" not in questions["homes"]
    page, answers = filled_on_hub(
        hub, data_dir, path, "village", {"village": "Kibera", "homes": "12"}
    )
    assert '<label for="f-village">village' in page  # its accessible name
    assert answers == {"village": "Kibera", "homes": 12}
    # With nothing at all to show, it stays refused, as pyxform refuses it.
    bare = write_workbook(tmp_path / "bare.xlsx", [HEADER, ["text", "village"]])
    assert [(p.key, p.row) for p in read_xlsform(bare).errors] == [("missing_label", 2)]


MKV = b"\x1aE\xdf\xa3 a Matroska video"


def test_a_matroska_video_prompt_is_kept_with_a_warning_and_served_as_such(hub, data_dir, tmp_path):
    folder = tmp_path / "form"
    folder.mkdir()
    (folder / "greeting.mkv").write_bytes(MKV)
    survey = [[*HEADER, "video"], ["text", "greeting", "Greet the household", "greeting.mkv"]]
    path = write_workbook(folder / "greet.xlsx", survey, settings=settings("greet"))
    result = taken(path)
    [problem] = [p for p in result.warnings if p.key == "prompt/matroska"]
    assert (problem.sheet, problem.row, problem.column) == ("survey", 2, "video")
    assert ".mp4 or .webm" in problem.message
    page, answers = filled_on_hub(hub, data_dir, path, "greet", {"greeting": "Jambo"})
    address = f"/prompts/greet/{hashlib.sha256(MKV).hexdigest()[:PROMPT_HASH_CHARS]}.mkv"
    assert f'<video class="prompt-video" controls preload="none" src="{address}"' in page
    assert answers == {"greeting": "Jambo"}
    phone = hub.browser("en")
    phone.signin()
    served = phone.get(address)
    assert served.status_code == 200 and served.content == MKV
    assert served.headers["Content-Type"] == "video/x-matroska"


# --- settings -------------------------------------------------------------------------------


def test_a_form_id_with_spaces_gets_underscores(hub, data_dir, tmp_path):
    path = write_workbook(
        tmp_path / "spaced.xlsx",
        [HEADER, ["text", "q1", "Hello"]],
        settings=[["Form_ID", "version"], ["Market  Survey 2", "1"]],
    )
    result = taken(path)
    [problem] = [p for p in result.warnings if p.key == "converted_setting/form_id"]
    assert (problem.sheet, problem.row, problem.column) == ("settings", 2, "Form_ID")
    assert "'Market_Survey_2'" in problem.message
    assert result.definition["form_id"] == "Market_Survey_2"
    _, answers = filled_on_hub(hub, data_dir, path, "Market_Survey_2", {"q1": "hi"})
    assert answers == {"q1": "hi"}
    # Nothing usable to make of it: still refused.
    for form_id in ("!!", "a b?", " - "):
        bad = write_workbook(
            tmp_path / "bad.xlsx", [HEADER, ["text", "q1", "Hello"]], settings=settings(form_id)
        )
        assert [p.key for p in read_xlsform(bad).errors] == ["bad_setting/form_id"], form_id


# --- defaults -------------------------------------------------------------------------------


def test_a_calculate_with_only_a_default_takes_it_once(hub, data_dir, tmp_path):
    survey = [
        [*HEADER, "calculation", "default"],
        ["calculate", "draw", None, None, "random()"],
        ["integer", "base", "Base", None, None],
        ["calculate", "twice", None, None, "${base} * 2"],
        ["integer", "homes", "How many homes?", None, None],
    ]
    path = write_workbook(tmp_path / "drawn.xlsx", survey, settings=settings("drawn"))
    result = taken(path)
    calculations = {q.name: q.spec.get("calculation") for q in result.form.questions.values()}
    assert calculations == {
        "draw": "once(random())",
        "base": None,
        "twice": "once(${base} * 2)",
        "homes": None,
    }
    assert result.form.kept_once == {"draw", "twice"}
    assert not [p for p in result.errors + result.warnings if p.key == "missing_calculation"]
    # The page carries each value as the phone drew it, and the hub keeps that one, not a
    # draw of its own; one the page did not draw, the hub takes once, as it computes it.
    page, answers = filled_on_hub(
        hub, data_dir, path, "drawn", {"_once.draw": "0.25", "base": "7", "homes": "4"}
    )
    assert 'name="_once.draw"' in page and 'name="_once.twice"' in page
    assert answers == {"draw": 0.25, "base": 7, "twice": 14, "homes": 4}
    # pyxform refuses a fixed default without a calculation; read here, it is a constant.
    fixed = [[*HEADER, "default"], ["calculate", "site", None, "Camp A"], *survey[2:3]]
    fixed += [["calculate", "seven", None, "7"]]
    constants = read_xlsform(write_workbook(tmp_path / "fixed.xlsx", fixed)).form.questions
    assert constants["site"].calculation == "'Camp A'" and constants["seven"].calculation == "7"
    # Without a default, a calculate with no calculation stays refused.
    bare = write_workbook(tmp_path / "bare.xlsx", [HEADER, ["calculate", "x"]])
    assert [p.key for p in read_xlsform(bare).errors] == ["missing_calculation"]


def test_a_default_that_is_not_an_answer_is_ignored(hub, data_dir, tmp_path):
    survey = [
        [*HEADER, "default"],
        ["integer", "homes", "How many homes?", "many"],
        ["date", "visited", "Visited on", "2024-02-30"],
        ["time", "arrived", "Arrived at", "9.30"],
        ["begin repeat", "member", "Members", None],
        ["integer", "age", "Age", "12"],
        ["decimal", "height", "Height", "tall"],
        ["end repeat", None, None, None],
        ["select_one yn", "water", "Water at home?", "maybe"],
        ["select_multiple yn", "asked", "Asked about", "yes no"],
    ]
    choices = [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"]]
    path = write_workbook(tmp_path / "homes.xlsx", survey, choices, settings("homes"))
    result = taken(path)
    assert {k for k in warned(result) if k[0] == "bad_default"} == {
        ("bad_default", "survey", row, "default") for row in (2, 3, 4, 7, 9)
    }
    text = next(str(p) for p in result.warnings if p.key == "bad_default")
    assert "'many'" in text and "starts empty" in text
    questions = result.form.questions
    assert all("default" not in questions[n].spec for n in ("homes", "visited", "height", "water"))
    assert questions["age"].default == "12" and questions["asked"].default == "yes no"
    page, answers = filled_on_hub(
        hub,
        data_dir,
        path,
        "homes",
        {
            "homes": "3",
            "visited": "",
            "arrived": "",
            "_repeat.member": "1",
            "age.1": "12",
            "height.1": "1.5",
            "water": "yes",
            "asked": "no",
        },
    )
    assert 'name="homes"' in page and 'value="many"' not in page
    assert answers["homes"] == 3 and answers["member"] == [{"age": 12, "height": 1.5}]
    assert answers["water"] == "yes" and answers["asked"] == ["no"]


# --- another framework's functions ---------------------------------------------------------


def test_another_frameworks_function_leaves_its_column_out(hub, data_dir, tmp_path):
    survey = [
        [*HEADER, "constraint", "relevant", "calculation"],
        ["integer", "site", "Site number", 'wq:ForeignKey("other_app.Site")', None, None],
        ["text", "note_text", "Note", ". != ''", "geo:Within(${site})", None],
        ["begin group", "more", "More", None, "geo:Near(${site})", None],
        ["integer", "count", "Count", ". > 0", None, None],
        ["end group", None, None, None, None, None],
        ["calculate", "owner", None, None, None, "wq:Lookup(${site})"],
    ]
    path = write_workbook(tmp_path / "sites.xlsx", survey, settings=settings("sites"))
    result = taken(path)
    assert warned(result) >= {
        ("ignored_column/wq_function", "survey", 2, "constraint"),
        ("ignored_column/extension_function", "survey", 3, "relevant"),
        ("ignored_column/extension_function", "survey", 4, "relevant"),
        ("ignored_column/wq_function", "survey", 7, "calculation"),
    }
    wq = next(p for p in result.warnings if p.key == "ignored_column/wq_function")
    assert "wq:ForeignKey()" in wq.message and "wq framework" in wq.message
    questions = result.form.questions
    assert "constraint" not in questions["site"].spec
    assert "relevant" not in questions["note_text"].spec
    assert questions["note_text"].constraint == ". != ''"
    assert "relevant" not in questions["count"].spec and questions["owner"].calculation == "''"
    _, answers = filled_on_hub(
        hub, data_dir, path, "sites", {"site": "17", "note_text": "ok", "count": "2"}
    )
    assert answers == {"site": 17, "note_text": "ok", "count": 2}
    # A function of no namespace, or a misspelt one of ODK's, stays an error.
    for constraint in ("ForeignKey(.)", "jr:choice-names('a', .)"):
        broken = write_workbook(
            tmp_path / "broken.xlsx", [[*HEADER, "constraint"], ["integer", "n", "N", constraint]]
        )
        assert [p.key for p in read_xlsform(broken).errors] == ["bad_expression"], constraint


# --- the entities sheet ---------------------------------------------------------------------


def test_entities_columns_are_read_in_any_case_and_dataset_is_list_name(tmp_path):
    survey = [[*HEADER, "save_to"], ["text", "hh_name", "Household name", "hh_name"]]
    path = write_workbook(tmp_path / "reg.xlsx", survey, settings=settings("reg"))
    book = load_workbook(path)
    sheet = book.create_sheet("ENTITIES")
    for row in (["DATASET", "LABEL"], ["households", "${hh_name}"]):
        sheet.append(row)
    book.save(path)
    result = taken(path)
    assert not [p for p in result.warnings if p.key.startswith("entities")]
    assert result.definition["entities"] == [{"list_name": "households", "label": "${hh_name}"}]


# --- ranges of decimals -----------------------------------------------------------------


def test_a_range_with_decimal_parameters_holds_decimals(hub, data_dir, tmp_path):
    survey = [
        [*HEADER, "parameters"],
        ["range", "level", "Water level (m)", "start=0.5 end=5.0 step=0.5"],
        ["range", "share", "Share of the harvest", "start=0 end=1 step=0.1"],
        ["range", "score", "Score", "start=1 end=5"],
    ]
    path = write_workbook(tmp_path / "levels.xlsx", survey, settings=settings("levels"))
    result = taken(path)
    questions = result.form.questions
    assert questions["level"].parameters == {"start": 0.5, "end": 5, "step": 0.5}
    assert questions["level"].range_values == [0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5]
    assert questions["share"].range_values[3] == 0.3  # not 0.30000000000000004
    assert questions["level"].decimal_range and not questions["score"].decimal_range
    page, answers = filled_on_hub(
        hub, data_dir, path, "levels", {"level": "2.5", "share": "0.3", "score": "4"}
    )
    # One button per step, with or without the page's script (which reads them as numbers).
    for value in ("0.5", "1", "2.5", "5"):
        assert f'name="level" value="{value}"' in page
    assert 'name="share" value="0.7"' in page and 'name="score" value="3"' in page
    assert answers == {"level": 2.5, "share": 0.3, "score": 4}
    # Only the values on the steps are answers.
    from collector.validation import _parse_range

    for text, expected in (("4.5", 4.5), ("4.25", None), ("5.5", None), ("0", None)):
        assert _parse_range(result.form, questions["level"], text, "en")[0] == expected, text
    assert _parse_range(result.form, questions["share"], "0.7", "en")[0] == 0.7
    # Written back with its decimal parameters, and exported as a number.
    back = tmp_path / "back.xlsx"
    to_xlsform(result.form, back)
    assert read_xlsform(back).form.questions["level"].parameters == questions["level"].parameters
    out = io.BytesIO()
    record = {
        "uuid": "00000000-0000-4000-8000-000000000001",
        "revision": 1,
        "form_id": "levels",
        "form_version": "1",
        "device_id": "dev-1",
        "locale": "en",
        "collected": "2024-05-01",
        "received_at": "2024-05-10T08:00:00Z",
        "enumerator": "p_abc",
        "answers": answers,
        "review": None,
    }
    export(iter([record]), [result.form], "xlsx", out)
    data = load_workbook(io.BytesIO(out.getvalue()))["data"]
    row = {data.cell(1, c).value: data.cell(2, c).value for c in range(1, data.max_column + 1)}
    assert row["level"] == 2.5 and row["share"] == 0.3 and row["score"] == 4


def test_a_decimal_ranges_buttons_are_answers_in_every_language(tmp_path):
    """A button's value is written "0.3" whatever the page's language; Spanish reads "." in
    a typed number as a thousands separator, which must not refuse the button."""
    from collector.validation import _parse_range

    survey = [[*HEADER, "parameters"], ["range", "share", "Share", "start=0.1 end=0.3 step=0.1"]]
    form = taken(write_workbook(tmp_path / "s.xlsx", survey, settings=settings("shares"))).form
    share = form.questions["share"]
    for locale in ("en", "fr", "es", "ar", "sw", "ha"):
        assert [_parse_range(form, share, str(v), locale)[0] for v in share.range_values] == [
            0.1,
            0.2,
            0.3,
        ], locale
        assert _parse_range(form, share, "0.25", locale)[0] is None, locale


def test_a_range_of_more_values_than_buttons_can_show_is_refused_at_import_only(tmp_path):
    """A new form is refused on its row; a form stored before the limit still loads."""
    survey = [[*HEADER, "parameters"], ["range", "r", "R", "start=0 end=20000"]]
    path = write_workbook(tmp_path / "big.xlsx", survey, settings=settings("big"))
    problems = read_xlsform(path).errors
    assert [(p.key, p.row, p.column) for p in problems] == [
        ("bad_value/range_size", 2, "parameters")
    ]
    stored = {
        "form_id": "big",
        "version": "1",
        "title": {"en": "Big"},
        "sections": [
            {
                "name": "s",
                "label": {"en": "S"},
                "questions": [
                    {
                        "name": "r",
                        "type": "range",
                        "label": {"en": "R"},
                        "parameters": {"start": 0, "end": 20000, "step": 1},
                    }
                ],
            }
        ],
    }
    assert load_form(stored).questions["r"].parameters["end"] == 20000


def test_a_range_with_a_step_of_zero_or_a_word_is_refused(tmp_path):
    for parameters, key in (
        ("start=0 end=1 step=0", "bad_value/range"),
        ("start=0 end=1 step=half", "bad_value/range_number"),
        ("start=1.5 end=0.5 step=0.5", "bad_value/range"),
        ("start=0 end=0.001 step=0.0001", "bad_value/range_decimals"),
    ):
        path = write_workbook(
            tmp_path / "bad.xlsx", [[*HEADER, "parameters"], ["range", "r", "R", parameters]]
        )
        assert [p.key for p in read_xlsform(path).errors] == [key], parameters


def test_a_decimal_range_is_checked_on_the_phone(tmp_path, hub, data_dir, chromium):
    from browsing import sign_in

    survey = [
        [*HEADER, "parameters", "constraint", "constraint_message"],
        ["range", "level", "Water level (m)", "start=0.5 end=3 step=0.5", ". * 2 >= 3", "Too low"],
    ]
    path = write_workbook(tmp_path / "gauge.xlsx", survey, settings=settings("gauge"))
    outcome = CliRunner().invoke(cli, ["forms", "import", str(path), "--data-dir", str(data_dir)])
    assert outcome.exit_code == 0, outcome.output
    sign_in(chromium, hub)
    chromium.get(f"{hub.url}/forms/gauge?lang=en")
    buttons = chromium.find_elements("css selector", 'input[name="level"]')
    assert [b.get_attribute("value") for b in buttons] == ["0.5", "1", "1.5", "2", "2.5", "3"]
    buttons[1].click()
    assert chromium.find_element("id", "level-error").text == "Too low"
    buttons[4].click()  # 2.5, read as the number the hub stores
    assert chromium.find_elements("id", "level-error") == []


def test_a_range_default_off_its_steps_is_ignored(tmp_path):
    survey = [
        [*HEADER, "parameters", "default"],
        ["range", "level", "Level", "start=0.5 end=5 step=0.5", "2.5"],
        ["range", "half", "Half", "start=0.5 end=5 step=0.5", "2.25"],
        ["range", "score", "Score", "start=1 end=10", "11"],
    ]
    result = taken(write_workbook(tmp_path / "defaults.xlsx", survey, settings=settings("d")))
    assert {k for k in warned(result) if k[0] == "bad_default"} == {
        ("bad_default", "survey", 3, "default"),
        ("bad_default", "survey", 4, "default"),
    }
    questions = result.form.questions
    assert questions["level"].default == "2.5"
    assert "default" not in questions["half"].spec and "default" not in questions["score"].spec
