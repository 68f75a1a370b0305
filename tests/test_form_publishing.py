"""Publishing a form from the central workspace: an XLSForm (with the CSV files it uses) is
checked, its problems listed by sheet, row and column, or it is shown in preview with its
privacy rules and its difference from the current version, then published as previewed;
the same from the command line (`sync-server forms publish --media --dry-run`).

Every workbook and CSV file here is written by the test (tests/workbooks.py)."""

from __future__ import annotations

import copy
import html
import json
import re
import uuid
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from collector import protocol
from collector.forms import load_form
from support import query
from sync_server.cli import cli as server_cli
from sync_server.form_diff import diff_forms, plain_lines
from sync_server.store import Store
from test_forms import minimal_form
from test_workspace import PASSWORD, signed_in, team
from workbooks import write_workbook

HEADER = [
    "type",
    "name",
    "label::English (en)",
    "label::Arabic (ar)",
    "required",
    "relevant",
    "privacy",
]
SURVEY_V1 = [
    HEADER,
    ["begin group", "visit", "Visit", "الزيارة", None, None, None],
    ["select_one_from_file villages.csv", "village", "Village", "القرية", "yes", None, None],
    ["integer", "household_size", "Household size", "حجم الأسرة", "yes", None, "keep"],
    [
        "text",
        "head_phone",
        "Phone number of the household head",
        "رقم هاتف رب الأسرة",
        None,
        None,
        None,
    ],
    [
        "select_one yes_no",
        "has_water",
        "Do you have water today?",
        "هل لديكم ماء اليوم؟",
        "yes",
        None,
        None,
    ],
    [
        "text",
        "water_source",
        "Where does it come from?",
        "من أين يأتي؟",
        None,
        "${has_water} = 'yes'",
        None,
    ],
    ["end group", None, None, None, None, None, None],
    ["begin repeat", "members", "Members", "أفراد الأسرة", None, None, None],
    ["integer", "member_age", "Age", "العمر", "yes", None, None],
    ["end repeat", None, None, None, None, None, None],
]
CHOICES_V1 = [
    ["list_name", "name", "label::English (en)", "label::Arabic (ar)"],
    ["yes_no", "yes", "Yes", "نعم"],
    ["yes_no", "no", "No", "لا"],
]
VILLAGES = (
    "name,label::English (en),label::Arabic (ar)\nkibera,Kibera,كيبيرا\nmathare,Mathare,ماثاري\n"
)


def settings(version: str) -> list:
    return [["form_id", "version", "default_language"], ["water_visit", version, "English (en)"]]


def survey_v2() -> list:
    """Version 2: a label reworded, a question removed and one added, a choice added, and
    the household head's phone number sent as a pseudonym instead of staying behind."""
    rows = copy.deepcopy(SURVEY_V1)
    rows[3][2] = "People living in the household"
    rows[4][6] = "pseudonymize:phone"
    del rows[6]  # water_source
    rows.insert(
        6,
        [
            "integer",
            "water_minutes",
            "Minutes to fetch water",
            "دقائق لجلب الماء",
            None,
            "${has_water} = 'yes'",
            None,
        ],
    )
    return rows


def choices_v2() -> list:
    return [*CHOICES_V1, ["yes_no", "dont_know", "Don't know", "لا أعرف"]]


def water_form(
    folder: Path, version: str = "1", survey=None, choices=None, villages: bool = True
) -> Path:
    """The workbook (and, in the same folder, villages.csv) of one version."""
    folder.mkdir(parents=True, exist_ok=True)
    if villages:
        (folder / "villages.csv").write_text(VILLAGES, "utf-8")
    return write_workbook(
        folder / "water_visit.xlsx", survey or SURVEY_V1, choices or CHOICES_V1, settings(version)
    )


# -- the difference between two versions (pure functions) ----------------------------------


def form_data(**changes) -> dict:
    data = {
        "form_id": "visit",
        "version": "1",
        "title": {"en": "Visit"},
        "sections": [
            {
                "name": "home",
                "label": {"en": "Home"},
                "questions": [
                    {"name": "size", "type": "integer", "label": {"en": "Household size"}},
                    {"name": "phone", "type": "text", "label": {"en": "Phone number"}},
                    {
                        "name": "water",
                        "type": "select_one",
                        "label": {"en": "Water"},
                        "choices": "water",
                        "relevant": "${size} > 0",
                    },
                ],
            },
            {
                "name": "members",
                "label": {"en": "Members"},
                "repeat": True,
                "questions": [
                    {
                        "name": "age",
                        "type": "integer",
                        "label": {"en": "Age"},
                        "privacy": "generalize:age_band",
                    },
                ],
            },
        ],
        "choices": {
            "water": [
                {"name": "tap", "label": {"en": "Tap"}},
                {"name": "well", "label": {"en": "Well"}},
            ]
        },
    }
    data.update(changes)
    return data


def changed(data: dict, edit) -> dict:
    data = copy.deepcopy(data)
    edit(data)
    data["version"] = "2"
    return data


def test_a_new_form_has_every_question_added_and_no_lines():
    diff = diff_forms(None, load_form(form_data()))
    assert diff.added == ("size", "phone", "water", "age") and not diff.changed
    assert plain_lines(diff) == []


def test_the_same_questions_are_no_change():
    old = load_form(form_data())
    diff = diff_forms(old, load_form(changed(form_data(), lambda d: None)))
    assert diff.unchanged and plain_lines(diff) == ["No change from version 1."]


def test_added_removed_and_changed_questions():
    def edit(data):
        home = data["sections"][0]["questions"]
        home[0]["label"] = {"en": "People in the household", "fr": "Personnes"}
        home[2]["relevant"] = "${size} > 1"
        del home[1]
        home.append({"name": "toilet", "type": "text", "label": {"en": "Toilet"}})
        data["choices"]["water"][1]["label"] = {"en": "Protected well"}
        data["choices"]["water"].append({"name": "river", "label": {"en": "River"}})

    old = load_form(form_data())
    diff = diff_forms(old, load_form(changed(form_data(), edit)))
    assert diff.added == ("toilet",) and diff.removed == ("phone",)
    assert [(c.name, [x.aspect for x in c.changes]) for c in diff.changed] == [
        ("size", ["label"]),
        ("water", ["choices", "relevance"]),
    ]
    choices = diff.changed[1].change("choices")
    assert choices.added == ("river",) and choices.relabelled == ("well",) and not choices.removed
    assert diff.languages_added == ("fr",)
    assert diff.changed[1].change("relevance").after == ("${size} > 1",)
    lines = plain_lines(diff)
    assert "  questions added: toilet" in lines and "  questions removed: phone" in lines
    assert (
        "  question size, label: en: Household size -> en: People in the household | fr: Personnes"
    ) in lines
    assert not diff.weaker


def test_a_weaker_privacy_rule_is_flagged_and_a_stronger_one_is_not():
    def weaker(data):
        data["sections"][1]["questions"][0]["privacy"] = "keep"  # age: band -> exact
        data["sections"][0]["questions"][1]["privacy"] = "pseudonymize:phone"  # was held back

    def stronger(data):
        data["sections"][0]["questions"][0]["privacy"] = "drop"  # size: keep -> drop

    old = load_form(form_data())
    diff = diff_forms(old, load_form(changed(form_data(), weaker)))
    assert diff.weaker == ("phone", "age")
    assert {c.name: c.weaker for c in diff.changed} == {"phone": True, "age": True}
    assert diff.changed[1].change("privacy").before == "generalize:age_band"
    assert any(line.startswith("  Warning: age would send more") for line in plain_lines(diff))
    diff = diff_forms(old, load_form(changed(form_data(), stronger)))
    assert not diff.weaker
    assert [(c.name, c.weaker, c.change("privacy").after) for c in diff.changed] == [
        ("size", False, "drop")
    ]


def test_questions_moving_between_groups_and_repeats_and_repeats_changing():
    def edit(data):
        home, members = data["sections"]
        members["questions"].append(home["questions"].pop(0))  # size now asked per member
        members["repeat_count"] = "3"
        members["label"] = {"en": "People"}
        data["sections"].append(
            {
                "name": "end",
                "label": {"en": "End"},
                "questions": [{"name": "note_end", "type": "note", "label": {"en": "Thank you"}}],
            }
        )
        home["questions"][1]["relevant"] = "true()"

    old = load_form(form_data())
    diff = diff_forms(old, load_form(changed(form_data(), edit)))
    assert diff.sections_added == ("end",) and diff.added == ("note_end",)
    assert [(c.name, [x.aspect for x in c.changes]) for c in diff.sections_changed] == [
        ("members", ["label", "repeat_count"])
    ]
    size = next(c for c in diff.changed if c.name == "size")
    assert size.change("place").before == ("home", False)
    assert size.change("place").after == ("members", True)
    assert size.section == "members"
    assert "  question size, place: home -> members (repeat)" in plain_lines(diff)


def test_a_section_relevance_counts_for_its_questions():
    def edit(data):
        data["sections"][1]["relevant"] = "${size} > 1"

    diff = diff_forms(load_form(form_data()), load_form(changed(form_data(), edit)))
    assert [c.name for c in diff.changed] == ["age"]
    assert diff.changed[0].change("relevance").after == ("${size} > 1",)
    assert [c.name for c in diff.sections_changed] == ["members"]


# -- the Forms page, on a real server ------------------------------------------------------

SERVER_ENGINES = ("sqlite", "postgresql")


def upload(person, path: Path, media=(), page: str | None = None) -> requests.Response:
    """Post the form file (and attached files) as the Forms page's form does."""
    page = page if page is not None else person.get("/forms").text
    files = [
        (
            "definition",
            (
                path.name,
                path.read_bytes(),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
        )
    ]
    files += [("media", (m.name, m.read_bytes(), "text/csv")) for m in media]
    person.last = person.session.post(
        person.base + "/forms", files=files, data={"csrf_token": person.csrf(page)}, timeout=30
    )
    return person.last


def publish_button(person, page: str, **extra) -> requests.Response:
    action = re.search(r'action="(/forms/preview/[^"]+/publish)"', page)
    assert action, "the preview has no Publish button"
    return person.post(action.group(1), extra, csrf_from=page)


def text_of(response) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", response.text))


def counts(central) -> tuple[int, int]:
    forms = query(central.database, "SELECT count(*) AS n FROM forms")[0]["n"]
    pending = query(central.database, "SELECT count(*) AS n FROM pending_forms")[0]["n"]
    return forms, pending


def device_forms(central) -> list[tuple[str, str]]:
    """The form versions a laptop sees in the sync API's list."""
    enrolled = requests.post(
        central.url + "/api/v1/enroll",
        json={
            "protocol": "1.0",
            "code": central.enrollment_code("zone A"),
            "enrollment_id": str(uuid.uuid4()),
        },
        timeout=10,
    ).json()
    response = requests.get(
        central.url + "/api/v1/forms",
        timeout=10,
        headers={
            protocol.VERSION_HEADER: "1.0",
            "Authorization": f"Bearer {enrolled['device_token']}",
        },
    )
    assert response.status_code == 200, response.text
    return [(f["form_id"], f["version"]) for f in response.json()["forms"]]


def test_a_bad_workbook_shows_its_problems_by_place_and_stores_nothing(team, tmp_path):
    rows = copy.deepcopy(SURVEY_V1)
    rows[5][0] = "select_one colours"  # no such list
    rows[6][1] = "household_size"  # the name again
    admin = signed_in(team, "admin")
    response = upload(admin, water_form(tmp_path / "bad", survey=rows), [])
    assert response.status_code == 422
    text = text_of(response)
    assert "water_visit.xlsx has 3 problems; nothing was published." in text
    cells = re.findall(
        r"<tr><td[^>]*>([^<]*)</td><td>(\d*)</td><td[^>]*><bdi>([^<]*)</bdi>", response.text
    )
    # villages.csv was not attached and is not beside the uploaded file: a problem too.
    assert ("survey", "3", "type") in cells and ("survey", "6", "type") in cells
    assert ("survey", "7", "name") in cells
    assert "colours" in text and "villages.csv" in text
    assert "Attach the files the form names" in text
    assert counts(team) == (0, 0)


def test_upload_preview_publish_and_the_laptops_see_it(team, tmp_path):
    folder = tmp_path / "v1"
    admin = signed_in(team, "admin")
    response = upload(admin, water_form(folder, villages=True), [folder / "villages.csv"])
    assert response.status_code == 200 and "/forms/preview/" in response.url
    text = text_of(response)
    assert counts(team) == (0, 1)  # kept for the preview, not published
    # The form as phones show it: both languages, choices from the attached file, required
    # marks, relevance in words, and the repeat.
    for shown in (
        "Household size",
        "حجم الأسرة",
        "Kibera",
        "كيبيرا",
        "نعم",
        "Members",
        "Repeated",
        "Required",
        "Asked when: “Do you have water today?” = 'yes'",
    ):
        assert shown in text, shown
    assert 'lang="ar" dir="rtl"' in response.text
    # What leaves the laptops: household_size as it is, the phone number held back.
    keep = re.search(r"Leave the laptops unchanged \(keep\): ([a-z_, ]+)", text).group(1)
    assert "household_size" in keep.split(", ") and "head_phone" not in keep
    assert (
        "head_phone looks like a phone number: it stays on the laptops unless the form "
        "gives it a privacy rule."
    ) in text
    assert re.search(r'<tr id="q-household_size" class="leaves-unchanged">', response.text)
    assert re.search(r'<tr id="q-head_phone" class="held-back">', response.text)
    assert "A new form" in text

    response = publish_button(admin, response.text)
    assert response.status_code == 200 and response.url.endswith("/forms")
    assert "Published water_visit version 1. Laptops get it on their next sync." in text_of(
        response
    )
    assert counts(team) == (1, 0)
    assert ("water_visit", "1") in device_forms(team)
    published = Store(team.database)
    try:  # exactly what the preview showed, the attached file's choices with it
        definition = published.form_definition("water_visit", "1")
    finally:
        published.close()
    assert "Kibera" in definition and "كيبيرا" in definition


def test_a_second_version_shows_its_difference_and_a_weaker_rule_needs_confirming(team, tmp_path):
    admin = signed_in(team, "admin")
    first = upload(admin, water_form(tmp_path / "v1"), [tmp_path / "v1" / "villages.csv"])
    publish_button(admin, first.text)
    folder = tmp_path / "v2"
    preview = upload(
        admin, water_form(folder, "2", survey_v2(), choices_v2()), [folder / "villages.csv"]
    )
    text = text_of(preview)
    assert "What changed since version 1" in text
    added = re.search(r'<ul class="diff-added">(.*?)</ul>', preview.text, re.S).group(1)
    removed = re.search(r'<ul class="diff-removed">(.*?)</ul>', preview.text, re.S).group(1)
    assert "water_minutes" in added and "water_source" in removed
    rows = re.search(r'<table class="diff-changed">(.*?)</table>', preview.text, re.S).group(1)
    rows = html.unescape(re.sub(r"<[^>]+>", " ", rows))
    assert "household_size" in rows and "People living in the household" in rows
    assert "Choices added: dont_know" in rows
    assert "Leaves as a pseudonym of the phone number." in rows
    assert 'class="weaker"' in preview.text and "Sends more about people" in rows
    weaker = re.search(
        r'<div class="problems" role="alert" id="weaker">(.*?)</div>', preview.text, re.S
    ).group(1)
    assert "head_phone" in weaker

    refused = publish_button(admin, preview.text)  # without ticking the box
    assert "Tick the box to confirm" in text_of(refused)
    assert query(team.database, "SELECT version FROM forms ORDER BY version") == [{"version": "1"}]
    done = publish_button(admin, refused.text, confirm_weaker="yes")
    assert "Published water_visit version 2." in text_of(done)
    assert {("water_visit", "1"), ("water_visit", "2")} <= set(device_forms(team))


def test_a_published_version_number_with_another_definition_is_refused(team, tmp_path):
    admin = signed_in(team, "admin")
    first = upload(admin, water_form(tmp_path / "v1"), [tmp_path / "v1" / "villages.csv"])
    # The same file again: previewed as already published, and publishing changes nothing.
    again = upload(admin, water_form(tmp_path / "v1"), [tmp_path / "v1" / "villages.csv"])
    publish_button(admin, first.text)
    again = admin.get(again.url.replace(admin.base, ""))
    assert "water_visit version 1 was already published." in text_of(again)
    assert "water_visit version 1 was already published." in text_of(
        publish_button(admin, again.text)
    )
    # Another definition under the same version number: said, no Publish button.
    folder = tmp_path / "edited"
    clash = upload(
        admin, water_form(folder, "1", survey_v2(), choices_v2()), [folder / "villages.csv"]
    )
    assert "is already published with a different definition" in text_of(clash)
    assert "/publish" not in clash.text
    pending = re.search(r"/forms/preview/([^/\"]+)", clash.url).group(1)
    response = admin.post(
        f"/forms/preview/{pending}/publish", {"confirm_weaker": "yes"}, csrf_from=clash.text
    )
    assert "already published with a different definition" in text_of(response)
    stored = query(team.database, "SELECT definition FROM forms")
    assert len(stored) == 1 and "water_source" in stored[0]["definition"]


def test_uploads_that_cannot_be_checked_say_why(team, tmp_path):
    admin = signed_in(team, "admin")
    page = admin.get("/forms").text
    response = admin.session.post(
        team.url + "/forms", data={"csrf_token": admin.csrf(page)}, timeout=30
    )
    assert response.status_code == 422 and "Choose a form file" in text_of(response)
    folder = tmp_path / "form"
    path = water_form(folder)
    (folder / "notes.txt").write_text("not a choice file")
    response = upload(admin, path, [folder / "notes.txt"])
    assert response.status_code == 422
    assert "notes.txt cannot be attached" in text_of(response)
    big = folder / "big.csv"
    big.write_bytes(b"name,label\n" + b"x,y\n" * 400_000)
    # An upload may carry prompt recordings (tens of MB): a smaller limit, to meet it here.
    team.app.config["FORM_UPLOAD_MAX_BYTES"] = 1024 * 1024
    response = upload(admin, path, [big])
    assert response.status_code == 413
    assert "larger than" in text_of(response) and "nothing was checked" in text_of(response)
    assert counts(team) == (0, 0)


def test_a_long_choice_list_is_previewed_by_its_first_choices(team, tmp_path):
    folder = tmp_path / "long"
    path = water_form(folder)
    (folder / "villages.csv").write_text(
        "name,label\n" + "".join(f"v{i},Village {i}\n" for i in range(45)), "utf-8"
    )
    preview = upload(signed_in(team, "admin"), path, [folder / "villages.csv"])
    text = text_of(preview)
    assert "Village 29" in text and "Village 30" not in text
    assert "and 15 more choices" in text


def test_a_json_definition_named_in_another_script_is_previewed_too(team):
    admin = signed_in(team, "admin")
    page = admin.get("/forms").text
    files = {"definition": ("استمارة.json", json.dumps(minimal_form()), "application/json")}
    preview = admin.session.post(
        team.url + "/forms", files=files, data={"csrf_token": admin.csrf(page)}, timeout=30
    )
    assert preview.status_code == 200 and "/forms/preview/" in preview.url
    assert "استمارة.json" in preview.text and "Household size" in text_of(preview)
    assert "Published household_visit version 2." in text_of(publish_button(admin, preview.text))


def test_a_preview_is_only_its_uploaders_and_expires(team, tmp_path):
    store = Store(team.database)
    from collector.passwords import hash_secret

    store.add_user("admin2", "admin", hash_secret(PASSWORD))
    store.close()
    admin = signed_in(team, "admin")
    preview = upload(admin, water_form(tmp_path / "v1"), [tmp_path / "v1" / "villages.csv"])
    path = preview.url.replace(admin.base, "")
    other = signed_in(team, "admin")
    other.session.cookies.clear()
    other.get("/signin")
    other.post("/signin", {"name": "admin2", "password": PASSWORD})
    response = other.get(path)
    assert response.url.endswith("/forms") and "This preview has expired" in text_of(response)
    store = Store(team.database)
    try:  # its time is up
        store.db.execute("UPDATE pending_forms SET expires_at = '2000-01-01T00:00:00Z'")
    finally:
        store.close()
    response = admin.get(path)
    assert "This preview has expired or was already published" in text_of(response)
    assert counts(team)[0] == 0


# -- the command line ------------------------------------------------------------------------


def server_command(*args, data_dir: Path):
    return CliRunner().invoke(server_cli, [*map(str, args), "--data-dir", str(data_dir)])


def test_cli_publishes_with_media_and_dry_run_shows_the_difference(tmp_path):
    data_dir = tmp_path / "central"
    form_folder, files = tmp_path / "form", tmp_path / "files"
    files.mkdir()
    (files / "villages.csv").write_text(VILLAGES, "utf-8")
    path = water_form(form_folder, villages=False)
    # Without the choice file: refused with its place, nothing published.
    result = server_command("forms", "publish", path, data_dir=data_dir)
    assert result.exit_code != 0 and "survey row 3, column type" in result.output
    assert "villages.csv" in result.output
    result = server_command(
        "forms", "publish", path, "--media", files / "villages.csv", data_dir=data_dir
    )
    assert result.exit_code == 0, result.output
    assert "Published water_visit version 1." in result.output
    assert (
        "Leave the laptop unchanged (keep): village, household_size, has_water, "
        "member_age." in result.output
    )

    v2 = water_form(tmp_path / "v2", "2", survey_v2(), choices_v2(), villages=False)
    result = server_command(
        "forms", "publish", v2, "--media", files / "villages.csv", "--dry-run", data_dir=data_dir
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "Changes from version 1:" in lines
    assert "  questions added: water_minutes" in lines
    assert "  questions removed: water_source" in lines
    assert any(
        line.startswith("  question head_phone, privacy: drop -> pseudonymize:phone")
        for line in lines
    )
    assert any(line.startswith("  Warning: head_phone would send more") for line in lines)
    assert lines[-1] == "Dry run: nothing was published."
    assert [
        r["version"] for r in query(data_dir / "sync-server.db", "SELECT version FROM forms")
    ] == ["1"]
    # The same version number with another definition: refused, also in a dry run.
    clash = water_form(tmp_path / "clash", "1", survey_v2(), choices_v2(), villages=False)
    for extra in ((), ("--dry-run",)):
        result = server_command(
            "forms", "publish", clash, "--media", files / "villages.csv", *extra, data_dir=data_dir
        )
        assert (
            result.exit_code != 0
            and "already published with a different definition" in result.output
        )
    result = server_command(
        "forms", "publish", v2, "--media", files / "villages.csv", data_dir=data_dir
    )
    assert result.exit_code == 0 and "Published water_visit version 2." in result.output
