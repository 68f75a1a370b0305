"""XLSForm workbooks written by the tests themselves: shared by the XLSForm test modules."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from pyxform.xls2xform import convert as pyxform_convert

from collector.xlsform import read_xlsform

SHEETS = ("survey", "choices", "external_choices", "settings")


def write_workbook(path: Path, survey, choices=None, settings=None, external_choices=None) -> Path:
    """An .xlsx with the given sheets, each a list of rows, the header first; a sheet given
    as None is left out."""
    given = {
        "survey": survey,
        "choices": choices,
        "external_choices": external_choices,
        "settings": settings,
    }
    book = Workbook()
    book.remove(book.active)
    for name in SHEETS:
        if given[name] is not None:
            sheet = book.create_sheet(name)
            for row in given[name]:
                sheet.append(row)
    book.save(path)
    return path


def imported(path: Path):
    """The workbook read as `collector forms import` reads it: it must be taken."""
    result = read_xlsform(path)
    assert result.ok, [str(p) for p in result.errors]
    return result


def xform(path: Path) -> str:
    """pyxform's XForm of the workbook: it must convert without error."""
    return pyxform_convert(xlsform=str(path)).xform
