"""Location questions: typed or taken from the phone, checked, coarsened before they leave
(dropped, a grid cell, an area's name, or kept on purpose), measured by ODK's functions,
imported from XLSForms, and exported by the central server as they arrived."""

from __future__ import annotations

import io
import json
import math
import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from collector import locations
from collector.anonymizer import anonymize, privacy_listing, weaker_fields
from collector.cli import cli as collector_cli
from collector.forms import FormError, load_form
from collector.xlsform import convert, read_xlsform, to_xlsform
from filling import post_page
from support import TEST_PSEUDONYM_KEY, import_forms, query
from sync_server.cli import cli as server_cli

SERVER_ENGINES = ("sqlite",)  # the subject is what leaves the hub, not the server's storage
ROOT = Path(__file__).resolve().parent.parent
KEY = TEST_PSEUDONYM_KEY

# Two areas of Nairobi, as a field team's boundaries file would hold them (lon, lat).
BOUNDARIES = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"name": "Kibera"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[36.77, -1.33], [36.80, -1.33], [36.80, -1.30], [36.77, -1.30], [36.77, -1.33]]
                ],
            },
        },
        {
            "type": "Feature",
            "properties": {"id": "MTH"},
            "geometry": {
                "type": "MultiPolygon",
                "coordinates": [
                    [
                        [
                            [36.84, -1.27],
                            [36.88, -1.27],
                            [36.88, -1.25],
                            [36.84, -1.25],
                            [36.84, -1.27],
                        ]
                    ]
                ],
            },
        },
    ],
}
# What a person answers; the digits of each exact value are searched for on the server.
HOME = "-1.286389 36.817223 1661.4 4.8"  # grid:1000
WATER = "-1.312734 36.789156"  # the area's name
MEETING = "-1.292066 36.821945"  # kept
WHERE = "-1.300123 36.800456"  # no rule: dropped
WALK = "-1.2801234 36.8012345\n-1.2811234 36.8022345\n-1.2821234 36.8032345"  # grid:100
PLOT = "-1.2791111 36.8011111\n-1.2791111 36.8022222\n-1.2802222 36.8022222"  # dropped
SECRET_DIGITS = [
    "286389",
    "817223",
    "312734",
    "789156",
    "300123",
    "800456",
    "2801234",
    "8012345",
    "2791111",
    "8011111",
    "1661.4",
]


def place_form(version="1", **rules) -> dict:
    """A visit form with every kind of location and rule."""

    def q(name, kind, privacy=None, **extra):
        spec = {
            "name": name,
            "type": kind,
            "label": {"en": name.replace("_", " ").title()},
            **extra,
        }
        if privacy:
            spec["privacy"] = privacy
        if name in rules:
            spec.update(rules[name])
        return spec

    return {
        "form_id": "place_visit",
        "version": version,
        "title": {"en": "Place visit"},
        "boundaries": {"nairobi.geojson": BOUNDARIES},
        "sections": [
            {
                "name": "visit",
                "label": {"en": "Visit"},
                "questions": [
                    # Taken by the page as it opens; dropped (no rule).
                    {"name": "started_at", "type": "start-geopoint", "label": {"en": "Started at"}},
                    q(
                        "home",
                        "geopoint",
                        "generalize:grid:1000",
                        capture_accuracy=5.0,
                        warning_accuracy=20.0,
                    ),
                    q("water_point", "geopoint", "generalize:area"),
                    q("meeting_place", "geopoint", "keep"),
                    q("where", "geopoint"),
                    q("walk", "geotrace", "generalize:grid:100", required=True),
                    q("plot", "geoshape"),
                    {"name": "plot_size", "type": "calculate", "calculation": "area(${plot})"},
                    {"name": "walked", "type": "calculate", "calculation": "distance(${walk})"},
                ],
            }
        ],
    }


ANSWERS = {
    "started_at": "",
    "home": HOME,
    "water_point": WATER,
    "meeting_place": MEETING,
    "where": WHERE,
    "walk": WALK,
    "plot": PLOT,
}


def record(form, answers) -> dict:
    return {
        "uuid": "0d7e6f5a-5a8e-4a39-9a1e-0b1f0c3e2d11",
        "revision": 1,
        "form_id": form.form_id,
        "form_version": form.version,
        "locale": "en",
        "finalized_at": "2024-03-15T10:00:00Z",
        "enumerator": "amina",
        "answers": answers,
    }


def haversine(a, b, radius=locations.EARTH_RADIUS) -> float:
    """An independent great-circle distance, to check ODK's law of cosines against."""
    lat1, lat2 = math.radians(a[0]), math.radians(b[0])
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin(math.radians(b[1] - a[1]) / 2) ** 2
    )
    return 2 * radius * math.asin(math.sqrt(h))


def spherical_area(points, radius=locations.EARTH_RADIUS) -> float:
    """An independent area on the sphere (the line-integral formula of Chamberlain and
    Duquette), to check ODK's projected area against."""
    ring = points + [points[0]] if points[0] != points[-1] else points
    total = sum(
        math.radians(b[1] - a[1])
        * (2 + math.sin(math.radians(a[0])) + math.sin(math.radians(b[0])))
        for a, b in zip(ring, ring[1:], strict=False)
    )
    return abs(total * radius * radius / 2)


# --- the answer format and ODK's geometry ----------------------------------------------


@pytest.mark.parametrize(
    "kind, text, stored",
    [
        ("geopoint", "-1.2921 36.8219", "-1.2921 36.8219"),
        ("geopoint", " -1.2921, 36.8219 1700 4.5 ", "-1.2921 36.8219 1700 4.5"),
        ("geopoint", "90 -180", "90 -180"),
        ("start-geopoint", "0 0 0 0", "0 0 0 0"),
        ("geotrace", "1 2\n3 4", "1 2;3 4"),
        ("geotrace", "1 2 10 5;3 4 11 5", "1 2 10 5;3 4 11 5"),
        ("geoshape", "0 0\n0 1\n1 1", "0 0;0 1;1 1;0 0"),
        ("geoshape", "0 0;0 1;1 1;0 0", "0 0;0 1;1 1;0 0"),
    ],
)
def test_answers_are_read_and_kept_as_odk_writes_them(kind, text, stored):
    assert locations.parse_answer(kind, text) == (stored, None)


@pytest.mark.parametrize(
    "kind, text, problem",
    [
        ("geopoint", "91 36.8", "point"),
        ("geopoint", "-1.29 181", "point"),
        ("geopoint", "-1.29", "point"),
        ("geopoint", "north east", "point"),
        ("geopoint", "1 2 3 4 5", "point"),
        ("geopoint", "nan 2", "point"),
        ("geopoint", "1e999 2", "point"),
        ("geopoint", "1 2 3 -4", "point"),
        ("geopoint", "1_0 2", "point"),
        ("geotrace", "1 2", "too_few"),
        ("geotrace", "1 2\n95 4", "points"),
        ("geoshape", "0 0\n0 1\n0 0", "too_few"),
        ("geotrace", "\n".join(f"{i / 1000} 0" for i in range(501)), "too_many"),
    ],
)
def test_what_is_not_a_location_is_refused(kind, text, problem):
    assert locations.parse_answer(kind, text) == (None, problem)


def test_distance_and_area_agree_with_independent_computations():
    trace = [(-1.2, 36.8), (-1.2, 36.81), (-1.21, 36.81), (-3.5, 38.2), (10.0, -20.0)]
    expected = sum(haversine(a, b) for a, b in zip(trace, trace[1:], strict=False))
    assert locations.distance(trace) == pytest.approx(expected, rel=1e-9)
    for square in (
        [(0, 0), (0, 1), (1, 1), (1, 0)],
        [(-1.2, 36.8), (-1.2, 36.81), (-1.21, 36.81), (-1.21, 36.8)],
    ):
        # ODK projects on a plane at the first point: within a thousandth of the sphere's.
        assert locations.area(square) == pytest.approx(spherical_area(square), rel=1e-3)
    assert locations.area([(0, 0), (0, 1)]) == 0


def test_the_shared_location_vectors_hold_independent_values():
    """The expected values of the location vectors (run by both evaluators) are what an
    independent haversine and spherical area give."""
    cases = json.loads((ROOT / "tests" / "expression_vectors.json").read_text("utf-8"))["cases"]
    checked = 0
    for case in cases:
        literal = re.fullmatch(r"(distance|area)\('([^']*)'\)", case["expr"])
        if not literal or not isinstance(case.get("expected"), (int, float)):
            continue  # errors, and NaN for what is no location
        points = [
            tuple(float(n) for n in p.split()[:2]) for p in literal.group(2).split(";") if p.strip()
        ]
        if any(not (-90 <= p[0] <= 90) for p in points):
            continue
        if literal.group(1) == "distance":
            value = sum(haversine(a, b) for a, b in zip(points, points[1:], strict=False))
            assert case["expected"] == pytest.approx(value, rel=1e-9, abs=1e-6), case
        else:
            value = spherical_area(points) if len(set(points)) >= 3 else 0
            assert case["expected"] == pytest.approx(value, rel=1e-3), case
        checked += 1
    assert checked >= 8


def test_geofence_and_areas_with_holes():
    square = [(0, 0), (0, 1), (1, 1), (1, 0), (0, 0)]
    assert locations.point_in_polygon((0.5, 0.5), square)
    assert not locations.point_in_polygon((1.5, 0.5), square)
    with_hole = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "Ring"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]],
                        [[1, 1], [3, 1], [3, 3], [1, 3], [1, 1]],
                    ],
                },
            }
        ],
    }
    features = locations.boundary_features(with_hole)
    assert locations.area_name((0.5, 0.5), features) == "Ring"
    assert locations.area_name((2, 2), features) is None  # in the hole
    assert locations.area_name((5, 5), features) is None


@pytest.mark.parametrize("metres", [100, 1000, 5000])
def test_a_grid_cell_holds_the_point_and_says_no_more_than_its_size(metres):
    for point in [
        (-1.286389, 36.817223),
        (59.9139, 10.7522),
        (-33.8688, 151.2093),
        (0.0, 0.0),
        (89.99, 179.99),
    ]:
        text = locations.grid_text(point, metres)
        lat, lon = (float(n) for n in text.split())
        # The centre of the cell is at most half a diagonal away (rows are cut at their middle).
        assert haversine(point, (lat, lon)) <= metres * 0.75
        decimals = len(text.split()[0].split(".")[1])
        assert 10**-decimals >= metres / locations.METRES_PER_DEGREE / 10
        assert f"{point[0]:.6f}"[-4:] not in text or metres < 200
    # Neighbours in one cell leave as the same cell.
    assert locations.grid_text((-1.286389, 36.817223), 1000) == locations.grid_text(
        (-1.286400, 36.817300), 1000
    )


# --- the form schema -------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, message",
    [
        ({"home": {"privacy": "generalize:grid:5"}}, "whole metres, from 10"),
        ({"home": {"privacy": "generalize:grid:km"}}, "whole metres"),
        ({"home": {"privacy": "generalize:month"}}, "A location leaves the laptop dropped"),
        ({"home": {"privacy": "pseudonymize"}}, "A location leaves the laptop dropped"),
        ({"walk": {"privacy": "generalize:area"}}, "A trace or shape cannot leave as one area"),
        (
            {"water_point": {"privacy": "generalize:area:other.geojson"}},
            "no boundaries file named 'other.geojson'",
        ),
        ({"home": {"capture_accuracy": 0}}, "capture_accuracy"),
    ],
)
def test_wrong_location_rules_are_refused(change, message):
    with pytest.raises(FormError, match=re.escape(message)):
        load_form(place_form(**change))


def test_grid_and_area_rules_are_for_locations_and_area_needs_boundaries():
    definition = place_form()
    definition["sections"][0]["questions"].append(
        {
            "name": "note_text",
            "type": "text",
            "label": {"en": "Note"},
            "privacy": "generalize:grid:1000",
        }
    )
    with pytest.raises(FormError, match="for location questions only"):
        load_form(definition)
    without = place_form()
    del without["boundaries"]
    with pytest.raises(FormError, match="needs one GeoJSON boundaries file"):
        load_form(without)
    broken = place_form()
    broken["boundaries"] = {
        "nairobi.geojson": {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"name": "X"},
                    "geometry": {"type": "Point", "coordinates": [36.8, -1.3]},
                }
            ],
        }
    }
    with pytest.raises(FormError, match="not a Polygon or MultiPolygon"):
        load_form(broken)


# --- what leaves the laptop ------------------------------------------------------------


def test_each_rule_sends_what_it_says_and_nothing_exact_otherwise():
    form = load_form(place_form())
    stored = {
        name: locations.parse_answer(form.questions[name].type, text)[0]
        for name, text in ANSWERS.items()
    }
    stored["plot_size"] = 12.5
    stored["walked"] = "222"
    synced = anonymize(record(form, stored), form, KEY)["answers"]
    assert synced["home"] == "-1.286 36.815"  # the 1 km cell's centre, three decimals
    assert synced["water_point"] == "Kibera"
    assert synced["meeting_place"] == MEETING
    assert "where" not in synced and "plot" not in synced  # dropped by default
    assert "plot_size" not in synced  # computed from a dropped shape: dropped too
    assert "walked" not in synced  # a calculation may copy a location: dropped
    assert synced["walk"].count(";") >= 1 and all(
        len(point.split()) == 2 for point in synced["walk"].split(";")
    )
    text = json.dumps(synced)
    for digits in SECRET_DIGITS:
        assert digits not in text, digits
    # Outside every area: not sent at all.
    outside = anonymize(record(form, {**stored, "water_point": "-1.0 36.0"}), form, KEY)
    assert "water_point" not in outside["answers"]


def test_a_location_with_no_rule_is_dropped_on_every_form():
    for privacy in (None, "drop"):
        spec = {"name": "spot", "type": "geopoint", "label": {"en": "Spot"}}
        if privacy:
            spec["privacy"] = privacy
        form = load_form(
            {
                "form_id": "f",
                "version": "1",
                "title": {"en": "F"},
                "sections": [{"name": "s", "label": {"en": "S"}, "questions": [spec]}],
            }
        )
        assert anonymize(record(form, {"spot": MEETING}), form, KEY)["answers"] == {}


def test_publishing_names_the_exact_locations_and_a_finer_grid_is_weaker():
    form = load_form(place_form())
    assert privacy_listing(form)["exact_locations"] == ["meeting_place"]
    coarser = load_form(place_form("2", home={"privacy": "generalize:grid:5000"}))
    finer = load_form(place_form("3", home={"privacy": "generalize:grid:100"}))
    assert weaker_fields(form, coarser) == []
    assert weaker_fields(form, finer) == ["home"]


# --- the XLSForm -----------------------------------------------------------------------


def xlsform_sheets() -> dict:
    return {
        "survey": [
            {"type": "start-geopoint", "name": "started_at"},
            {
                "type": "geopoint",
                "name": "home",
                "label": "Home",
                "parameters": "capture-accuracy=10 warning-accuracy=25",
                "appearance": "maps",
                "privacy": "generalize:grid:1000",
            },
            {
                "type": "geopoint",
                "name": "water_point",
                "label": "Water point",
                "appearance": "placement-map",
                "privacy": "generalize:area",
            },
            {"type": "geotrace", "name": "walk", "label": "Walk", "privacy": "keep"},
            {"type": "geoshape", "name": "plot", "label": "Plot"},
            {"type": "calculate", "name": "plot_size", "calculation": "round(area(${plot}), 0)"},
            {"type": "calculate", "name": "walked", "calculation": "distance(${walk})"},
            {
                "type": "text",
                "name": "inside",
                "label": "Inside?",
                "relevant": "geofence(${home}, ${plot})",
            },
        ],
        "settings": [{"form_id": "geo_visit", "version": "1"}],
    }


def test_an_xlsform_with_every_location_type_imports_and_exports_again(tmp_path):
    from pyxform.xls2xform import convert as pyxform_convert

    sheets = xlsform_sheets()
    (tmp_path / "nairobi.geojson").write_text(json.dumps(BOUNDARIES))
    result = convert(sheets, media_dir=tmp_path)
    assert result.errors == [] and result.warnings == [], [
        str(p) for p in result.errors + result.warnings
    ]
    form = result.form
    home = form.questions["home"]
    assert (home.capture_accuracy, home.warning_accuracy, home.appearance) == (10, 25, "maps")
    assert form.questions["started_at"].type == "start-geopoint"
    assert form.data["boundaries"] == {"nairobi.geojson": BOUNDARIES}
    assert privacy_listing(form)["exact_locations"] == ["walk"]
    (tmp_path / "out").mkdir()
    written = to_xlsform(form, tmp_path / "out" / "geo_visit.xlsx")
    assert {path.name for path in written} == {"geo_visit.xlsx", "nairobi.geojson"}
    again = read_xlsform(written[0])
    assert again.ok, [str(p) for p in again.errors]
    assert again.form.data["sections"] == form.data["sections"]
    assert "<h:html" in pyxform_convert(str(written[0])).xform  # ODK's own converter takes it


def test_xlsform_location_problems_are_named_where_they_are(tmp_path):
    sheets = xlsform_sheets()
    sheets["survey"][1]["parameters"] = "capture-accuracy=-3 incremental=true"
    result = convert(sheets, media_dir=tmp_path)  # no boundaries file for generalize:area
    found = {(p.code, p.row, p.column) for p in result.errors + result.warnings}
    assert ("bad_value", 3, "parameters") in found
    assert ("ignored_column", 3, "parameters") in found
    assert ("external_data", 4, "privacy") in found
    assert result.form is None


# --- the hub without JavaScript, then the central server --------------------------------


def collector(*args, data_dir):
    return CliRunner().invoke(
        collector_cli, [*map(str, args), "--data-dir", str(data_dir)], catch_exceptions=False
    )


def server_command(*args, central):
    return CliRunner().invoke(
        server_cli,
        [*map(str, args), "--data-dir", central.app.config["DATA_DIR"]],
        catch_exceptions=False,
    )


def test_bad_coordinates_are_refused_with_nothing_saved(browser, db_path):
    import_forms(db_path, place_form())
    page = browser.get("/forms/place_visit")
    assert 'placeholder="-1.2921 36.8219"' in page.text
    assert "Type the latitude, a space, then the longitude." in page.text
    answer = dict(ANSWERS, home="91 200", plot="0 0\n0 1")
    response = post_page(browser, page, "place_visit", answer)
    assert response.status_code == 422
    assert "Enter the latitude (-90 to 90) and longitude (-180 to 180)" in response.text
    assert "Enter at least 3 corners" in response.text
    assert query(db_path, "SELECT count(*) AS n FROM records")[0]["n"] == 0
    # Typed again, right: saved as ODK writes it.
    response = post_page(browser, response, "place_visit", ANSWERS)
    assert response.status_code == 200 and "/review" in response.url
    [row] = query(db_path, "SELECT answers FROM records")
    answers = json.loads(row["answers"])
    assert answers["home"] == HOME and answers["plot"].count(";") == 3
    assert answers["walk"] == WALK.replace("\n", ";")
    assert answers["walked"] > 200  # distance() on the hub
    whole = browser.get("/forms/place_visit/phone")  # the whole form on one page, too
    assert whole.status_code == 200 and 'data-for="f-home"' in whole.text


def fill_place_visit(browser) -> str:
    page = browser.get("/forms/place_visit")
    response = post_page(browser, page, "place_visit", ANSWERS)
    assert "/review" in response.url, response.text[:2000]
    record_uuid = response.url.split("/")[-2]
    finalized = browser.post(f"/records/{record_uuid}/finalize", {})
    assert finalized.status_code == 200
    return record_uuid


def server_files_bytes(central) -> bytes:
    """Every byte in the central server's data folder (database, logs, anything)."""
    folder = Path(central.app.config["DATA_DIR"])
    return b"".join(path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file())


def export_bytes(central, tmp_path, fmt: str) -> bytes:
    """One export as searchable bytes: the members of a zip (XLSX) unpacked, Parquet read."""
    out = tmp_path / f"export.{'zip' if fmt == 'parquet' else fmt}"
    # As stored, without the disclosure check: the most an export can show.
    result = server_command(
        "export",
        "--form",
        "place_visit",
        "--format",
        fmt,
        "--output",
        out,
        "--raw-records",
        "--reason",
        "location test",
        central=central,
    )
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    if fmt == "xlsx":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return b"".join(archive.read(name) for name in archive.namelist())
    if fmt == "parquet":
        import pyarrow.parquet as pq

        with zipfile.ZipFile(out) as archive:
            return b"".join(
                json.dumps(
                    pq.read_table(io.BytesIO(archive.read(name))).to_pylist(), default=str
                ).encode()
                for name in archive.namelist()
            )
    return data


def publish(central, tmp_path, definition) -> None:
    path = tmp_path / "place_visit.json"
    path.write_text(json.dumps(definition))
    result = server_command("forms", "publish", path, central=central)
    assert result.exit_code == 0, result.output
    assert "Locations that leave the laptop exact (keep): meeting_place." in result.output


def test_locations_reach_the_server_coarsened_and_export_with_coordinates(
    hub, central, data_dir, db_path, browser, tmp_path
):
    publish(central, tmp_path, place_form())
    import_forms(db_path, place_form())
    record_uuid = fill_place_visit(browser)
    preview = browser.get(f"/sync/preview/{record_uuid}").text
    assert "Sent as the centre of a grid cell of 1000 m:" in preview
    assert "Sent as the name of its area:" in preview and "Kibera" in preview
    assert "Sent exactly as recorded:" in preview and "Not sent." in preview
    enrolled = collector(
        "enroll",
        "--yes",
        "--server",
        central.url,
        "--code",
        central.enrollment_code(),
        data_dir=data_dir,
    )
    assert enrolled.exit_code == 0, enrolled.output
    synced = collector("sync", data_dir=data_dir)
    assert synced.exit_code == 0, synced.output
    [stored] = query(central.database, "SELECT answers FROM records")
    answers = json.loads(stored["answers"])
    assert answers["home"] == "-1.286 36.815" and answers["water_point"] == "Kibera"
    assert answers["meeting_place"] == MEETING and "where" not in answers

    searched = {"data folder": server_files_bytes(central)}
    searched.update(
        {
            fmt: export_bytes(central, tmp_path, fmt)
            for fmt in ("csv", "jsonl", "xlsx", "dta", "sav", "parquet")
        }
    )
    for where, data in searched.items():
        for digits in SECRET_DIGITS:
            assert digits.encode() not in data, f"{digits} found in the {where}"
    assert b"292066" in searched["csv"]  # the kept one is there, so the search can find

    import csv

    [row] = list(csv.DictReader(io.StringIO(searched["csv"].decode("utf-8-sig"))))
    # (A text that starts with "-" is written with a leading ' against spreadsheet formulas.)
    assert (row["home"].lstrip("'"), row["home_latitude"], row["home_longitude"]) == (
        "-1.286 36.815",
        "-1.286",
        "36.815",
    )
    assert (row["meeting_place_latitude"], row["meeting_place_longitude"]) == (
        "-1.292066",
        "36.821945",
    )
    assert row["water_point"] == "Kibera" and "water_point_latitude" not in row
    assert "where" not in row and "where_latitude" not in row and "plot" not in row


def test_an_imported_xlsform_with_locations_is_filled_and_synced(
    hub, central, browser, data_dir, db_path, tmp_path
):
    """geopoint, geotrace, geoshape and start-geopoint from an XLSForm, end to end: imported
    on the hub (boundaries beside it), published centrally, filled without JavaScript,
    computed on the hub, coarsened and synced."""
    from workbooks import write_workbook

    sheets = xlsform_sheets()
    header = [
        "type",
        "name",
        "label",
        "parameters",
        "appearance",
        "privacy",
        "calculation",
        "relevant",
    ]
    survey = [header] + [[row.get(column) for column in header] for row in sheets["survey"]]
    path = write_workbook(
        tmp_path / "geo_visit.xlsx", survey, settings=[["form_id", "version"], ["geo_visit", "1"]]
    )
    (tmp_path / "nairobi.geojson").write_text(json.dumps(BOUNDARIES))
    imported = collector("forms", "import", path, data_dir=data_dir)
    assert imported.exit_code == 0, imported.output
    assert "Locations that leave the laptop exact (keep): walk." in imported.output
    assert server_command("forms", "publish", path, central=central).exit_code == 0

    page = browser.get("/forms/geo_visit")
    assert "Where this record was started" in page.text  # start-geopoint, typed here
    answers = {
        "started_at": "-1.2801 36.8001",
        "home": HOME,
        "water_point": WATER,
        "walk": WALK,
        "plot": PLOT,
        "inside": "yes",
    }
    response = post_page(browser, page, "geo_visit", answers)
    assert "/review" in response.url, response.text[:3000]
    record_uuid = response.url.split("/")[-2]
    assert browser.post(f"/records/{record_uuid}/finalize", {}).status_code == 200
    [row] = query(db_path, "SELECT answers FROM records")
    stored = json.loads(row["answers"])
    expected_size = round(locations.area(locations.parse_points(PLOT)))
    assert stored["plot_size"] == expected_size and stored["plot_size"] > 5_000
    assert stored["walked"] == pytest.approx(locations.distance(locations.parse_points(WALK)))
    assert "inside" not in stored  # geofence(): home is not inside the plot

    enrolled = collector(
        "enroll",
        "--yes",
        "--server",
        central.url,
        "--code",
        central.enrollment_code(),
        data_dir=data_dir,
    )
    assert enrolled.exit_code == 0, enrolled.output
    assert collector("sync", data_dir=data_dir).exit_code == 0
    [sent] = query(central.database, "SELECT answers FROM records")
    synced = json.loads(sent["answers"])
    assert synced == {
        "home": "-1.286 36.815",
        "water_point": "Kibera",
        "walk": WALK.replace("\n", ";"),
    }


def test_a_purge_keeps_no_more_of_a_place_than_left_the_laptop(data_dir, app):
    """A location sent as a grid cell (or not at all) is removed by the purge with the
    identifying answers; one the form sends exact stays, as the server has it anyway."""
    from collector.db import open_database
    from collector.form_library import import_form
    from collector.purge import purge
    from collector.records import save_answers
    from support import database_bytes

    definition = {
        "form_id": "wells",
        "version": "1",
        "title": {"en": "Wells"},
        "sections": [
            {
                "name": "s",
                "label": {"en": "S"},
                "questions": [
                    {
                        "name": "home",
                        "type": "geopoint",
                        "label": {"en": "Home"},
                        "privacy": "generalize:grid:1000",
                    },
                    {"name": "hidden", "type": "geopoint", "label": {"en": "Hidden"}},
                    {
                        "name": "well",
                        "type": "geopoint",
                        "label": {"en": "Well"},
                        "privacy": "keep",
                    },
                ],
            }
        ],
    }
    path = app.config["DATABASE"]
    db = open_database(path)
    try:
        form = load_form(definition)
        import_form(db, form, "test")
        record_uuid = "7f0c2d5e-3b1a-4c6e-9d8f-0a1b2c3d4e5f"
        save_answers(
            db,
            record_uuid,
            form,
            "en",
            None,
            {
                "home": "-1.286389 36.817223 1661.4 4.8",
                "hidden": "-3.372815 29.359871",
                "well": "-1.291180 36.821945",
            },
        )
        db.execute(
            "UPDATE records SET updated_at = '2020-01-01T00:00:00Z' WHERE uuid = ?", [record_uuid]
        )
        db.conn.commit()
        assert purge(db, after_days=30, drafts_after_days=30) == 1
        answers = json.loads(db.execute("SELECT answers FROM records").fetchone()[0])
    finally:
        db.close()
    assert answers == {"well": "-1.291180 36.821945"}
    stored = database_bytes(path)
    for exact in (b"36.817223", b"29.359871"):
        assert exact not in stored
