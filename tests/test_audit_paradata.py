"""An XLSForm's `audit`: the hub records how long each section of a record was open, and
the durations leave anonymized by rule (whole seconds, per section and in all, or only in
all, or not at all), never a time of day nor the order of pages. ODK's location tracking is
refused and its log of changed answers left out. A real hub and a real server on loopback.
"""

from __future__ import annotations

from pathlib import Path

from pyxform.xls2xform import convert as pyxform_convert

from collector.xlsform import read_xlsform, to_xlsform
from workbooks import write_workbook

FORM_ID = "visit_timed"
SETTINGS = [["form_id", "version"], [FORM_ID, "1"]]
HEADER = ["type", "name", "label", "parameters", "privacy"]
GROUPS = [
    ["begin group", "household", "Household", None, None],
    ["integer", "size", "People", None, None],
    ["end group", None, None, None, None],
    ["begin group", "water", "Water", None, None],
    ["text", "source", "Source", None, None],
    ["end group", None, None, None, None],
]


def workbook(tmp_path: Path, audit_row: list) -> Path:
    return write_workbook(tmp_path / "timed.xlsx", [HEADER, audit_row, *GROUPS], settings=SETTINGS)


def problems(result) -> set[tuple]:
    return {(p.key, p.row, p.column) for p in (*result.errors, *result.warnings)}


# -- The XLSForm ------------------------------------------------------------------------


def test_an_audit_row_is_kept_and_written_back(tmp_path):
    imported = read_xlsform(workbook(tmp_path, ["audit", "audit", None, None, "generalize:total"]))
    assert imported.ok and not imported.warnings, imported.errors
    expected = [{"name": "audit", "type": "audit", "privacy": "generalize:total"}]
    assert imported.definition["metadata"] == expected
    out = tmp_path / "back.xlsx"
    to_xlsform(imported.form, out)
    assert read_xlsform(out).definition["metadata"] == expected
    # ODK's tools read it as an audit again.
    assert '<bind nodeset="/data/meta/audit" type="binary"/>' in (
        pyxform_convert(xlsform=str(out)).xform
    )


def test_an_audit_with_no_name_is_named_audit_and_no_other_name_is_taken(tmp_path):
    imported = read_xlsform(workbook(tmp_path, ["audit", None, None, None, None]))
    assert imported.definition["metadata"] == [{"name": "audit", "type": "audit"}]
    refused = read_xlsform(workbook(tmp_path, ["audit", "timing", None, None, None]))
    assert problems(refused) == {("bad_name/audit", 2, "name")}


def test_location_tracking_is_refused_and_the_change_log_left_out(tmp_path):
    parameters = (
        "location-priority=balanced location-min-interval=60 location-max-age=120 "
        "track-changes=true track-changes-reasons=on-form-edit identify-user=true "
        "identify-user=false"
    )
    result = read_xlsform(workbook(tmp_path, ["audit", "audit", None, parameters, None]))
    assert not result.ok
    located = [(p.key, p.row, p.column) for p in (*result.errors, *result.warnings)]
    assert sorted(located) == sorted(
        [("audit_location", 2, "parameters")] * 3
        + [("ignored_column/audit_changes", 2, "parameters")] * 3
    )
    messages = [str(p) for p in result.errors]
    assert all("never" in m and "location" in m for m in messages), messages
    warned = " ".join(str(p) for p in result.warnings)
    assert "'track-changes=true'" in warned and "names" in warned
    # Without the location parameters, the form is taken with its warnings.
    kept = read_xlsform(
        workbook(tmp_path, ["audit", "audit", None, "track-changes=true other=1", None])
    )
    assert kept.ok and problems(kept) == {
        ("ignored_column/audit_changes", 2, "parameters"),
        ("ignored_column/audit_parameter", 2, "parameters"),
    }


def test_an_audit_rule_that_would_send_more_is_refused(tmp_path):
    for rule in ("keep", "generalize:day", "scrub"):
        result = read_xlsform(workbook(tmp_path, ["audit", "audit", None, None, rule]))
        assert problems(result) == {("bad_privacy", 2, "privacy")}, rule
        assert f"'{rule}' is not a privacy rule for audit" in str(result.errors[0])
