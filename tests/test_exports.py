"""Exports: every format round-trips; columns span versions; CSV streams in flat memory."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import tracemalloc
import zipfile

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pyreadstat
import pytest

from collector.forms import builtin_forms, load_form
from sync_server.exports import FORMATS, Column, ExportError, columns_for, export

SURVEY = builtin_forms()["community_survey"]
META = [
    "_uuid",
    "_form_id",
    "_form_version",
    "_revision",
    "_device",
    "_collected_at",
    "_received_at",
    "_locale",
]
ARABIC = "نحتاج إلى مدرسة أقرب، والطريق غير آمن ليلاً"
SWAHILI = "Tunahitaji maji safi kijijini; barabara ni mbovu"


def record(number: int, form_id: str, version: str, locale: str, answers: dict) -> dict:
    """A record as Store.iter_latest yields it."""
    return {
        "uuid": f"00000000-0000-4000-8000-{number:012d}",
        "revision": number % 3 + 1,
        "form_id": form_id,
        "form_version": version,
        "device_id": f"dev-{number % 2}",
        "locale": locale,
        "collected": f"2024-05-0{number % 9 + 1}",
        "received_at": f"2024-05-10T08:00:{number % 60:02d}Z",
        "enumerator": "p_abc",
        "answers": answers,
        "review": None,
    }


SURVEY_ROWS = [
    record(
        1,
        "community_survey",
        "1",
        "ar",
        {
            "consent": "yes",
            "age": "30-34",
            "gender": "woman",
            "migration_status": "refugee",
            "language_home": "arabic",
            "area": "SR",
            "urban_rural": "urban",
            "wg_seeing": "some",
            "who5_spirits": "3",
            "life_satisfaction": 7,
            "trust_people": 0,
            "discriminated": "yes",
            "discrimination_grounds": ["religion", "language"],
            "discrimination_settings": ["work"],
            "comments": ARABIC,
        },
    ),
    record(
        2,
        "community_survey",
        "1",
        "sw",
        {
            "consent": "yes",
            "age": "90+",
            "gender": "man",
            "area": "NR",
            "life_satisfaction": 10,
            "discriminated": "no",
            "comments": SWAHILI,
        },
    ),
    record(3, "community_survey", "1", "en", {"consent": "no"}),
]


def household(version: str, questions: list, choices: dict):
    return load_form(
        {
            "form_id": "household_visit",
            "version": version,
            "title": {"en": "Household visit", "fr": "Visite du ménage"},
            "sections": [{"name": "main", "label": {"en": "Main"}, "questions": questions}],
            "choices": choices,
        }
    )


SIZE = {
    "name": "size",
    "type": "integer",
    "label": {"en": "Household size", "fr": "Taille du ménage"},
}
V1 = household(
    "1",
    [
        SIZE,
        {
            "name": "water",
            "type": "select_one",
            "choices": "water",
            "label": {"en": "Water source", "fr": "Source d'eau"},
        },
        {"name": "fuel", "type": "text", "privacy": "keep", "label": {"en": "Cooking fuel"}},
    ],
    {
        "water": [
            {"name": "tap", "label": {"en": "Tap", "fr": "Robinet"}},
            {"name": "well", "label": {"en": "Well", "fr": "Puits"}},
        ]
    },
)
# Version 2 drops "fuel", adds "uses", and lists a new water choice first.
V2 = household(
    "2",
    [
        SIZE,
        {
            "name": "water",
            "type": "select_one",
            "choices": "water",
            "label": {"en": "Main water source", "fr": "Source d'eau principale"},
        },
        {
            "name": "uses",
            "type": "select_multiple",
            "choices": "uses",
            "label": {"en": "Water used for", "fr": "Eau utilisée pour"},
        },
    ],
    {
        "water": [
            {"name": "river", "label": {"en": "River", "fr": "Rivière"}},
            {"name": "tap", "label": {"en": "Tap", "fr": "Robinet"}},
            {"name": "well", "label": {"en": "Well", "fr": "Puits"}},
        ],
        "uses": [
            {"name": "drinking", "label": {"en": "Drinking", "fr": "Boire"}},
            {"name": "cooking", "label": {"en": "Cooking", "fr": "Cuisine"}},
            {"name": "washing", "label": {"en": "Washing", "fr": "Lessive"}},
        ],
    },
)
HOUSEHOLD = [V1, V2]
HOUSEHOLD_ROWS = [
    record(
        1, "household_visit", "1", "fr", {"size": 4, "water": "well", "fuel": "charbon de bois"}
    ),
    record(
        2,
        "household_visit",
        "2",
        "sw",
        {"size": 2, "water": "river", "uses": ["drinking", "washing"]},
    ),
    record(3, "household_visit", "2", "en", {}),
]
HOUSEHOLD_COLUMNS = META + [
    "size",
    "water",
    "uses",
    "uses/drinking",
    "uses/cooking",
    "uses/washing",
    "fuel",
]


def survey_columns() -> list[str]:
    """The survey's columns as DESIGN.md describes them, built independently of the module."""
    names = list(META)
    for question in SURVEY.questions.values():
        if question.type == "note" or question.get("identifying"):
            continue
        names.append(question.name)
        if question.type == "select_multiple":
            names += [f"{question.name}/{c}" for c in SURVEY.choice_names(question)]
    return names


def expected(row: dict, names: list[str]):
    """{column: value as stored, None when missing} for one record."""
    meta = dict(
        zip(
            META,
            [
                row["uuid"],
                row["form_id"],
                row["form_version"],
                row["revision"],
                row["device_id"],
                row["collected"],
                row["received_at"],
                row["locale"],
            ],
            strict=True,
        )
    )
    cells = {}
    for name in names:
        question, _, choice = name.partition("/")
        answer = row["answers"].get(question)
        if name in meta:
            cells[name] = meta[name]
        elif choice:
            cells[name] = None if answer is None else int(choice in answer)
        else:
            cells[name] = " ".join(answer) if isinstance(answer, list) else answer
    return cells


def run(rows, forms, fmt, lang="en") -> bytes:
    out = io.BytesIO()
    assert export(iter(rows), forms, fmt, out, lang) == len(rows)
    return out.getvalue()


CASES = [(SURVEY_ROWS, [SURVEY], survey_columns()), (HOUSEHOLD_ROWS, HOUSEHOLD, HOUSEHOLD_COLUMNS)]


def as_text(value) -> str:
    return "" if value is None else str(value)


# -- Columns ---------------------------------------------------------------------------


def test_columns_span_versions_and_skip_notes_and_dropped_fields():
    assert [c.name for c in columns_for(HOUSEHOLD)] == HOUSEHOLD_COLUMNS
    names = [c.name for c in columns_for([SURVEY])]
    assert names == survey_columns()
    assert "consent_info" not in names and "respondent_name" not in names
    assert "discrimination_grounds/religion" in names
    water = next(c for c in columns_for(HOUSEHOLD) if c.name == "water")
    # Codes follow the oldest version's order; a choice added later is appended.
    assert isinstance(water, Column)
    assert [name for name, _ in water.choices] == ["tap", "well", "river"]


# -- CSV -------------------------------------------------------------------------------


@pytest.mark.parametrize("rows,forms,names", CASES)
def test_csv_round_trips_with_pandas_and_csv(rows, forms, names):
    data = run(rows, forms, "csv")
    assert data.startswith("\ufeff".encode("utf-8"))
    frame = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(frame.columns) == names
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert lines[0] == names and len(lines) == len(rows) + 1
    for index, row in enumerate(rows):
        want = [as_text(v) for v in expected(row, names).values()]
        assert lines[index + 1] == want
        assert frame.iloc[index].tolist() == want


def test_csv_keeps_arabic_swahili_and_select_multiple():
    frame = pd.read_csv(
        io.BytesIO(run(SURVEY_ROWS, [SURVEY], "csv")),
        encoding="utf-8-sig",
        dtype=str,
        keep_default_na=False,
    )
    assert frame["comments"].tolist() == [ARABIC, SWAHILI, ""]
    assert frame["discrimination_grounds"].tolist() == ["religion language", "", ""]
    assert frame["discrimination_grounds/religion"].tolist() == ["1", "", ""]
    assert frame["discrimination_grounds/age"].tolist() == ["0", "", ""]
    assert frame["age"].tolist() == ["30-34", "90+", ""]


def test_removed_field_keeps_its_data():
    frame = pd.read_csv(
        io.BytesIO(run(HOUSEHOLD_ROWS, HOUSEHOLD, "csv")),
        encoding="utf-8-sig",
        dtype=str,
        keep_default_na=False,
    )
    assert frame["fuel"].tolist() == ["charbon de bois", "", ""]
    assert frame["uses/washing"].tolist() == ["", "1", ""]
    assert frame["uses/cooking"].tolist() == ["", "0", ""]


# -- XLSX and JSON Lines ---------------------------------------------------------------


def as_excel(value, kind):
    """A stored value as the XLSX data sheet should hold it: dates as Excel dates."""
    if value is None or kind not in ("date", "datetime", "utc"):
        return value
    return (
        dt.datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)
        if len(value) > 10
        else dt.datetime.strptime(value, "%Y-%m-%d")
    )


@pytest.mark.parametrize("rows,forms,names", CASES)
def test_xlsx_round_trips(rows, forms, names):
    book = openpyxl.load_workbook(io.BytesIO(run(rows, forms, "xlsx", "fr")), read_only=True)
    assert book.sheetnames == ["data", "variables", "choices"]
    table = [list(r) for r in book["data"].iter_rows(values_only=True)]
    assert table[0] == names
    variables = {row[0]: row[1:] for row in list(book["variables"].iter_rows(values_only=True))[1:]}
    kinds = {"date": "date", "date and time": "datetime", "date and time (UTC)": "utc"}
    for index, row in enumerate(rows):
        assert table[index + 1] == [
            as_excel(value, kinds.get(variables[name][1]))
            for name, value in expected(row, names).items()
        ]
    assert isinstance(table[1][names.index("_collected_at")], dt.datetime)
    newest = forms[-1]
    first = newest.questions[names[len(META)]]
    assert variables[first.name][0] == newest.text(first.label, "fr")
    assert variables["_uuid"][0] == "Record UUID"
    # Every code of every select column, with its label in the export's language.
    choices = list(book["choices"].iter_rows(values_only=True))
    assert choices[0] == ("variable", "code", "label")
    selects = [c for c in columns_for(forms) if c.kind in ("code", "multiple")]
    assert selects
    assert len(choices) - 1 == sum(len(c.choices) for c in selects)
    for column in selects:
        question = newest.questions.get(column.source)
        listed = {code: label for variable, code, label in choices[1:] if variable == column.name}
        assert listed == {
            c["name"]: newest.text(c["label"], "fr") for c in newest.choices(question)
        }


def test_xlsx_header_is_frozen_and_filterable():
    book = openpyxl.load_workbook(io.BytesIO(run(SURVEY_ROWS, [SURVEY], "xlsx")))
    data = book["data"]
    assert data.freeze_panes == "A2"
    assert (
        data.auto_filter.ref == f"A1:{data.cell(1, data.max_column).column_letter}"
        f"{len(SURVEY_ROWS) + 1}"
    )
    assert data.cell(1, 1).font.b


def test_xlsx_writes_formula_like_text_as_text():
    rows = [record(1, "household_visit", "1", "en", {"fuel": "=1+1"})]
    book = openpyxl.load_workbook(io.BytesIO(run(rows, HOUSEHOLD, "xlsx")))
    assert book["data"].cell(2, HOUSEHOLD_COLUMNS.index("fuel") + 1).value == "=1+1"
    assert book["data"].cell(2, HOUSEHOLD_COLUMNS.index("fuel") + 1).data_type == "s"


@pytest.mark.parametrize("rows,forms,names", CASES)
def test_jsonl_round_trips(rows, forms, names):
    lines = run(rows, forms, "jsonl").decode("utf-8").splitlines()
    assert len(lines) == len(rows)
    for line, row in zip(lines, rows, strict=True):
        item = json.loads(line)
        assert list(item) == names and item == expected(row, names)


def test_jsonl_keeps_ints_and_unicode():
    line = run(SURVEY_ROWS[:1], [SURVEY], "jsonl").decode("utf-8")
    item = json.loads(line)
    assert item["life_satisfaction"] == 7 and type(item["life_satisfaction"]) is int
    assert item["discrimination_grounds/religion"] == 1 and item["gender"] == "woman"
    assert ARABIC in line  # not \u-escaped


# -- Stata and SPSS --------------------------------------------------------------------


def read_stats(fmt: str, data: bytes, tmp_path):
    path = tmp_path / f"export.{fmt}"
    path.write_bytes(data)
    return (pyreadstat.read_dta if fmt == "dta" else pyreadstat.read_sav)(str(path))


def same(got, want) -> bool:
    if want is None:
        return got == "" or (isinstance(got, float) and math.isnan(got))
    if isinstance(want, (int, float)):
        return float(got) == float(want)
    return got == want


@pytest.mark.parametrize("fmt", ["dta", "sav"])
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_stats_formats_round_trip_household(fmt, lang, tmp_path):
    frame, meta = read_stats(fmt, run(HOUSEHOLD_ROWS, HOUSEHOLD, fmt, lang), tmp_path)
    assert list(frame.columns) == [
        "meta_uuid",
        "meta_form_id",
        "meta_form_version",
        "meta_revision",
        "meta_device",
        "meta_collected_at",
        "meta_received_at",
        "meta_locale",
        "size",
        "water",
        "uses",
        "uses_drinking",
        "uses_cooking",
        "uses_washing",
        "fuel",
    ]
    labels = meta.column_names_to_labels
    assert labels["size"] == {"en": "Household size", "fr": "Taille du ménage"}[lang]
    assert labels["water"] == {"en": "Main water source", "fr": "Source d'eau principale"}[lang]
    assert labels["fuel"] == "Cooking fuel"  # no French: English
    assert labels["meta_uuid"] == "Record UUID"
    assert (
        labels["uses_washing"]
        == {"en": "Water used for: Washing", "fr": "Eau utilisée pour: Lessive"}[lang]
    )
    names = {
        "en": {1: "Tap", 2: "Well", 3: "River"},
        "fr": {1: "Robinet", 2: "Puits", 3: "Rivière"},
    }
    assert meta.variable_value_labels["water"] == names[lang]
    assert [same(v, w) for v, w in zip(frame["water"], [2, 3, None], strict=True)] == [True] * 3
    for column, want in [
        ("size", [4, 2, None]),
        ("uses_drinking", [None, 1, None]),
        ("uses_cooking", [None, 0, None]),
        ("fuel", ["charbon de bois", None, None]),
        ("uses", [None, "drinking washing", None]),
        ("meta_revision", [2, 3, 1]),
        ("meta_locale", ["fr", "sw", "en"]),
    ]:
        assert all(same(v, w) for v, w in zip(frame[column], want, strict=True)), column
    assert pd.api.types.is_numeric_dtype(frame["size"])
    assert pd.api.types.is_numeric_dtype(frame["water"])


@pytest.mark.parametrize("fmt", ["dta", "sav"])
def test_stats_formats_round_trip_survey(fmt, tmp_path):
    frame, meta = read_stats(fmt, run(SURVEY_ROWS, [SURVEY], fmt, "fr"), tmp_path)
    names = survey_columns()
    limit = 32 if fmt == "dta" else 64
    assert list(frame.columns) == [
        ("meta_" + n[1:] if n in META else n.replace("/", "_"))[:limit] for n in names
    ]
    gender = SURVEY.questions["gender"]
    assert meta.column_names_to_labels["gender"] == SURVEY.text(gender.label, "fr")
    assert meta.variable_value_labels["gender"] == {
        i: SURVEY.text(c["label"], "fr") for i, c in enumerate(SURVEY.choices(gender), 1)
    }
    long_label = SURVEY.text(SURVEY.questions["trust_host_newcomers"].label, "fr")
    got = meta.column_names_to_labels["trust_host_newcomers"]
    assert long_label.startswith(got) and len(got) >= 80
    assert frame["gender"].tolist()[:2] == [1.0, 2.0]  # woman, man
    assert frame["comments"].tolist() == [ARABIC, SWAHILI, ""]
    assert frame["age"].tolist() == ["30-34", "90+", ""]  # bands are text
    assert frame["area"].tolist() == ["SR", "NR", ""]  # district codes are not the ward choices
    assert same(frame["life_satisfaction"][0], 7) and same(frame["life_satisfaction"][2], None)
    grounds = frame["discrimination_grounds_religion"].tolist()
    assert grounds[0] == 1 and math.isnan(grounds[1]) and math.isnan(grounds[2])


def test_stats_names_are_valid_and_unique(tmp_path):
    form = household(
        "1",
        [
            {"name": "in", "type": "integer", "label": {"en": "Reserved word"}},
            {"name": "_private", "type": "integer", "label": {"en": "Leading underscore"}},
            {"name": "a" * 40, "type": "integer", "label": {"en": "Long one"}},
            {"name": "a" * 41, "type": "integer", "label": {"en": "Long two"}},
            {"name": "pick", "type": "select_multiple", "choices": "odd", "label": {"en": "Pick"}},
        ],
        {
            "odd": [
                {"name": "été", "label": {"en": "Summer"}},
                {"name": "5", "label": {"en": "Five"}},
            ]
        },
    )
    rows = [
        record(
            1,
            "household_visit",
            "1",
            "en",
            {"in": 1, "_private": 2, "a" * 40: 3, "a" * 41: 4, "pick": ["été"]},
        )
    ]
    frame, _ = read_stats("dta", run(rows, [form], "dta"), tmp_path)
    assert list(frame.columns)[8:] == [
        "in_",
        "v_private",
        "a" * 32,
        "a" * 30 + "_2",
        "pick",
        "pick__t_",
        "pick_5",
    ]
    assert frame["pick__t_"].tolist() == [1] and frame["pick_5"].tolist() == [0]
    frame, _ = read_stats("sav", run(rows, [form], "sav"), tmp_path)
    assert list(frame.columns)[10:12] == ["a" * 40, "a" * 41]


PRIORITIES = household(
    "1",
    [
        {
            "name": "needs",
            "type": "rank",
            "choices": "needs",
            "label": {"en": "Most needed first", "fr": "Le plus urgent d'abord"},
        }
    ],
    {
        "needs": [
            {"name": "food", "label": {"en": "Food", "fr": "Nourriture"}},
            {"name": "water", "label": {"en": "Water", "fr": "Eau"}},
            {"name": "shelter", "label": {"en": "Shelter", "fr": "Abri"}},
        ]
    },
)
RANKED_ROWS = [
    record(1, "household_visit", "1", "en", {"needs": ["water", "food", "shelter"]}),
    record(2, "household_visit", "1", "fr", {"needs": ["shelter", "water"]}),
    record(3, "household_visit", "1", "en", {}),
]
RANK_COLUMNS = ["needs", "needs/food", "needs/water", "needs/shelter"]
# Each record's answer in order, then each choice's position (empty: not ranked).
RANK_CELLS = [
    ["water food shelter", 2, 1, 3],
    ["shelter water", None, 2, 1],
    [None, None, None, None],
]


def test_a_rank_exports_its_order_and_each_choices_position():
    columns = [c for c in columns_for([PRIORITIES]) if not c.meta]
    assert [c.name for c in columns] == RANK_COLUMNS
    assert columns[0].choices[1] == ("water", {"en": "Water", "fr": "Eau"})
    assert columns[2].label == {
        "en": "Most needed first: Water",
        "fr": "Le plus urgent d'abord: Eau",
    }
    got = list(
        csv.DictReader(io.StringIO(run(RANKED_ROWS, [PRIORITIES], "csv").decode("utf-8-sig")))
    )
    assert [[row[name] for name in RANK_COLUMNS] for row in got] == [
        [as_text(cell) for cell in cells] for cells in RANK_CELLS
    ]
    lines = run(RANKED_ROWS, [PRIORITIES], "jsonl").decode().splitlines()
    assert [[json.loads(line)[name] for name in RANK_COLUMNS] for line in lines] == RANK_CELLS
    book = openpyxl.load_workbook(io.BytesIO(run(RANKED_ROWS, [PRIORITIES], "xlsx")))
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    at = [header.index(name) for name in RANK_COLUMNS]
    assert [
        [row[i] for i in at] for row in sheet.iter_rows(min_row=2, values_only=True)
    ] == RANK_CELLS
    with zipfile.ZipFile(io.BytesIO(run(RANKED_ROWS, [PRIORITIES], "parquet"))) as bundle:
        table = pq.read_table(io.BytesIO(bundle.read(bundle.namelist()[0])))
    assert str(table.schema.field("needs/water").type).startswith("int")
    assert [table.column(name).to_pylist() for name in RANK_COLUMNS] == [
        list(cells) for cells in zip(*RANK_CELLS, strict=True)
    ]


@pytest.mark.parametrize("fmt", ["dta", "sav"])
def test_stats_formats_give_a_ranks_positions_as_numbers(fmt, tmp_path):
    frame, _ = read_stats(fmt, run(RANKED_ROWS, [PRIORITIES], fmt), tmp_path)
    names = ["needs", "needs_food", "needs_water", "needs_shelter"]
    for name, want in zip(names, zip(*RANK_CELLS, strict=True), strict=True):
        assert all(same(g, w) for g, w in zip(frame[name].tolist(), want, strict=True)), name
    assert frame["needs_water"].dtype.kind == "f"  # a number, empty where not ranked


def test_stats_unknown_select_one_value_keeps_its_data(tmp_path):
    rows = [record(1, "household_visit", "2", "en", {"water": "lake"})]
    frame, meta = read_stats("sav", run(rows, HOUSEHOLD, "sav"), tmp_path)
    assert frame["water"].tolist() == [4.0] and meta.variable_value_labels["water"][4] == "lake"


# -- Streaming and errors --------------------------------------------------------------


class CountingSink:
    """A writable that keeps nothing: only the number of bytes."""

    def __init__(self):
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        return len(data)


def test_csv_streams_in_flat_memory():
    """Ten times the records, not ten times the memory, and never the records held at once
    (10,000 of them held in lists would take well over 5 MB)."""
    small, large = _peak_export("csv", 1_000), _peak_export("csv", 10_000)
    assert large < 1.5 * small + 256 * 1024, f"{small / 1e6:.1f} MB, then {large / 1e6:.1f} MB"
    assert large < 5 * 1024 * 1024, f"peak {large / 1e6:.1f} MB"


def _peak_export(fmt: str, count: int) -> int:
    def rows():
        for number in range(count):
            yield record(
                number,
                "household_visit",
                "2",
                "sw",
                {
                    "size": number % 12,
                    "water": "tap",
                    "uses": ["drinking", "cooking"],
                    "fuel": SWAHILI * (number % 3),
                },
            )

    sink = CountingSink()
    tracemalloc.start()
    try:
        assert export(rows(), HOUSEHOLD, fmt, sink) == count
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


@pytest.mark.parametrize("fmt", ["dta", "sav"])
def test_stats_formats_stream_in_flat_memory(fmt):
    """Ten times the records, not ten times the memory: rows wait on disk, not in lists."""
    small, large = _peak_export(fmt, 1_000), _peak_export(fmt, 10_000)
    assert large < 1.5 * small + 1024 * 1024, f"{small / 1e6:.1f} MB, then {large / 1e6:.1f} MB"


def test_a_number_column_holding_text_becomes_a_string_column(tmp_path):
    rows = [
        record(1, "household_visit", "2", "en", {"size": 4}),
        record(2, "household_visit", "2", "en", {"size": "about twelve"}),
        record(3, "household_visit", "2", "en", {}),
    ]
    for fmt in ("dta", "sav"):
        frame, _ = read_stats(fmt, run(rows, HOUSEHOLD, fmt), tmp_path)
        assert list(frame["size"]) == ["4", "about twelve", ""]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_writes_to_a_bare_writable(fmt):
    sink = CountingSink()  # no seek, tell or flush: a pipe or a response stream
    assert export(iter(SURVEY_ROWS), [SURVEY], fmt, sink) == 3 and sink.size > 0


def test_unknown_format_is_a_clear_error():
    with pytest.raises(
        ExportError, match="Unknown export format 'pdf'.*csv, xlsx, jsonl, dta, sav"
    ):
        export(iter([]), HOUSEHOLD, "pdf", io.BytesIO())
    assert FORMATS == ("csv", "xlsx", "jsonl", "dta", "sav", "parquet")


def test_no_form_is_an_error():
    with pytest.raises(ExportError):
        columns_for([])


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_rows_still_writes_a_file(fmt, tmp_path):
    data = run([], HOUSEHOLD, fmt)
    assert data or fmt == "jsonl"
    if fmt == "csv":
        assert data.decode("utf-8-sig").splitlines() == [",".join(HOUSEHOLD_COLUMNS)]
