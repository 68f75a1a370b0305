"""The codebook that goes with a CSV of codes: every column's label and type, every code's
label, in the chosen language; on the records page, in the CLI, and for a release."""

from __future__ import annotations

import csv
import io

from click.testing import CliRunner

from collector.forms import builtin_forms
from sync_server.cli import cli as server_cli
from sync_server.exports import Column, codebook, columns_for, export_columns
from test_workspace import push_records, signed_in, survey_record, team

__all__ = ["team"]
SERVER_ENGINES = ("sqlite",)  # the columns come from the forms, not from SQL
SURVEY = builtin_forms()["community_survey"]


def read(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def test_each_column_and_each_code_is_described_in_the_language_asked():
    columns = columns_for([SURVEY])
    rows = read(codebook(columns, [SURVEY], "fr"))
    described = [row for row in rows if not row["code"]]
    assert [row["variable"] for row in described] == [c.name for c in columns]
    by_name = {row["variable"]: row for row in described}
    gender = SURVEY.questions["gender"]
    assert by_name["gender"]["label"] == SURVEY.text(gender.label, "fr")
    assert by_name["gender"]["type"] == "code" and by_name["_collected_at"]["type"] == "date"
    assert by_name["life_satisfaction"]["type"] == "integer"
    codes = {
        row["code"]: row["code_label"]
        for row in rows
        if row["variable"] == "gender" and row["code"]
    }
    assert codes == {c["name"]: SURVEY.text(c["label"], "fr") for c in SURVEY.choices(gender)}


def test_a_label_that_looks_like_a_formula_is_quoted():
    column = Column(
        "tip",
        "tip",
        "code",
        {"en": '=HYPERLINK("http://example.org")'},
        choices=(("x", {"en": "+cmd|' /C calc'!A0"}),),
    )
    rows = read(codebook([column], [SURVEY], "en"))
    assert rows[0]["label"].startswith("'=") and rows[1]["code_label"].startswith("'+")


def test_analysts_get_the_codebook_of_the_release_they_download(team):
    push_records(team, [survey_record(n) for n in range(30)])
    analyst = signed_in(team, "analyst")
    page = analyst.get("/data/community_survey").text
    assert "/data/community_survey/codebook.csv" in page
    answer = analyst.get("/data/community_survey/codebook.csv?lang=sw")
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/csv")
    described = [row["variable"] for row in read(answer.content.decode("utf-8")) if not row["code"]]
    header = (
        analyst.get("/data/community_survey/export.csv")
        .content.decode("utf-8-sig")
        .splitlines()[0]
        .split(",")
    )
    assert described == header  # the columns of the checked release, in its order
    assert analyst.get("/data/community_survey/codebook.csv?release=raw").status_code == 403
    assert analyst.get("/data/nothing/codebook.csv").status_code == 404
    admin = signed_in(team, "admin")
    raw = read(admin.get("/data/community_survey/codebook.csv?release=raw").content.decode("utf-8"))
    stored = [c.name for c in export_columns([SURVEY])]
    assert [row["variable"] for row in raw if not row["code"]] == stored


def test_the_cli_writes_the_codebook_beside_the_export(team, tmp_path):
    push_records(team, [survey_record(n) for n in range(30)])
    done = CliRunner().invoke(
        server_cli,
        [
            "export",
            "--form",
            "community_survey",
            "--format",
            "csv",
            "--output",
            str(tmp_path / "survey.csv"),
            "--codebook",
            str(tmp_path / "codebook.csv"),
            "--lang",
            "ar",
            "--database",
            str(team.database),
        ],
    )
    assert done.exit_code == 0, done.output
    header = (tmp_path / "survey.csv").read_text("utf-8-sig").splitlines()[0].split(",")
    rows = read((tmp_path / "codebook.csv").read_text("utf-8"))
    assert [row["variable"] for row in rows if not row["code"]] == header
    gender = SURVEY.questions["gender"]
    assert {row["code_label"] for row in rows if row["variable"] == "gender" and row["code"]} <= {
        SURVEY.text(c["label"], "ar") for c in SURVEY.choices(gender)
    }
