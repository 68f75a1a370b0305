"""Workbooks too large to import, refused before they are read: an .xlsx that unzips to far
more than a form (a zip bomb), and sheets with more rows than any form has. Every workbook
here is written by the test, its XML straight into the zip, so a large one costs little."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

from collector.xlsform import (
    MAX_SHEET_ROWS,
    MAX_SURVEY_ROWS,
    MAX_WORKBOOK_BYTES,
    MAX_WORKBOOK_PART_BYTES,
    read_xlsform,
    workbook_problem,
    zip_problem,
)
from workbooks import write_workbook

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
BOOK_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


def test_a_zip_bomb_is_refused_before_any_row_is_read(tmp_path, load_form_calls):
    rows = [["note", "n", "x"]] * 30_000  # 3.5 MB of XML in a few kB
    path = raw_workbook(tmp_path / "bomb.xlsx", {"survey": [["type", "name", "label"], *rows]})
    assert path.stat().st_size < 50_000
    started = time.perf_counter()
    [error] = read_xlsform(path).errors
    assert time.perf_counter() - started < 1
    assert error.key == "too_large/compression"
    assert "bomb.xlsx is compressed" in error.message and "save it again" in error.message
    assert load_form_calls == []


def test_parts_and_workbooks_that_unzip_too_large():
    def part(name, size, compressed):
        info = zipfile.ZipInfo(name)
        info.file_size, info.compress_size = size, compressed
        return info

    usual = part("xl/worksheets/sheet1.xml", 10 * 2**20, 2**20)
    assert zip_problem("form.xlsx", [usual]) is None
    large = part("xl/worksheets/sheet1.xml", MAX_WORKBOOK_PART_BYTES + 1, 2**22)
    problem = zip_problem("form.xlsx", [usual, large])
    assert problem is not None and problem.key == "too_large/part"
    assert "a sheet or a picture of 33 MB once unzipped" in problem.message
    assert f"may hold at most {MAX_WORKBOOK_PART_BYTES // 2**20} MB" in problem.message
    many = [part(f"xl/worksheets/sheet{n}.xml", MAX_WORKBOOK_PART_BYTES, 2**22) for n in (1, 2, 3)]
    problem = zip_problem("form.xlsx", many)
    assert problem is not None and problem.key == "too_large/workbook"
    assert "form.xlsx holds 96 MB once unzipped" in problem.message
    assert f"at most {MAX_WORKBOOK_BYTES // 2**20} MB" in problem.message


def test_a_survey_sheet_past_the_limit_is_refused_with_the_limit(tmp_path, load_form_calls):
    header = ["type", "name", "label"]
    rows = [["note", f"n{i}", "A note"] for i in range(MAX_SURVEY_ROWS + 1)]
    path = raw_workbook(tmp_path / "long.xlsx", {"survey": [header, *rows]})
    [error] = read_xlsform(path).errors
    assert (error.key, error.sheet) == ("too_large/survey_rows", "survey")
    assert f"more than {MAX_SURVEY_ROWS} rows" in str(error) and "several forms" in str(error)
    assert load_form_calls == []
    # At the limit, the workbook is read.
    path = raw_workbook(tmp_path / "at_limit.xlsx", {"survey": [header, *rows[:-1]]})
    assert workbook_problem(path) is None


def test_a_choices_sheet_past_the_limit_is_refused(tmp_path):
    survey = [["type", "name", "label"], ["select_one places", "place", "Place"]]
    choices = [["list_name", "name", "label"]]
    choices += [["places", f"p{i}", f"Place {i}"] for i in range(MAX_SHEET_ROWS + 1)]
    path = raw_workbook(tmp_path / "places.xlsx", {"survey": survey, "choices": choices})
    [error] = read_xlsform(path).errors
    assert (error.key, error.sheet) == ("too_large/rows", "choices")
    assert f"more than {MAX_SHEET_ROWS} rows" in str(error) and "choice file" in str(error)


def test_rows_past_a_long_run_of_empty_ones_are_not_counted(tmp_path):
    """pyxform stops reading a sheet at 60 empty rows in a row, and so does the count."""
    path = write_workbook(
        tmp_path / "far.xlsx",
        [["type", "name", "label"], ["note", "n", "A note"]],
        settings=[["form_id"], ["far"]],
    )
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    # A formatted cell on the workbook's last row, far below the questions.
    survey = "xl/worksheets/sheet1.xml"
    parts[survey] = parts[survey].replace(
        b"</sheetData>",
        b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>',
    )
    assert b'r="1048576"' in parts[survey]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    started = time.perf_counter()
    assert workbook_problem(path) is None
    assert time.perf_counter() - started < 10
    assert read_xlsform(path).ok


def raw_workbook(path: Path, sheets: dict[str, list[list[str]]]) -> Path:
    """An .xlsx of inline-string sheets, each a list of rows, its XML written directly."""
    names = list(sheets)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", content_types(len(names)))
        archive.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{PACKAGE}"><Relationship Id="rId1" Type="{RELATIONSHIPS}/'
            'officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        listed = "".join(
            f'<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>'
            for n, name in enumerate(names, start=1)
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}"><sheets>{listed}</sheets>'
            "</workbook>",
        )
        targets = "".join(
            f'<Relationship Id="rId{n}" Type="{RELATIONSHIPS}/worksheet" '
            f'Target="worksheets/sheet{n}.xml"/>'
            for n in range(1, len(names) + 1)
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{PACKAGE}">{targets}</Relationships>',
        )
        for n, rows in enumerate(sheets.values(), start=1):
            archive.writestr(f"xl/worksheets/sheet{n}.xml", sheet_xml(rows))
    return path


def content_types(count: int) -> str:
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{SHEET_TYPE}"/>'
        for n in range(1, count + 1)
    )
    return (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{BOOK_TYPE}"/>{sheets}</Types>'
    )


def sheet_xml(rows: list[list[str]]) -> str:
    cells = (
        "<row>" + "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in row) + "</row>"
        for row in rows
    )
    return f'<worksheet xmlns="{MAIN}"><sheetData>{"".join(cells)}</sheetData></worksheet>'
