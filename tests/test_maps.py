"""Maps of an indicator by area on a real server: drawn from the boundaries a published form
carries, with the chart's numbers and small-cell rules, as SVG and PNG, in both directions."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import xml.etree.ElementTree as ET

import pytest
import requests

from browsing import sign_in_to_server, wait_for
from support import query
from sync_server import maps
from sync_server.forms import publish
from sync_server.indicators import Cell, Result
from sync_server.store import Store
from test_form_publishing_browser import accessibility_problems
from test_forms import minimal_form
from test_workspace import PASSWORD, api_token, push_records, signed_in, survey_record, team

__all__ = ["team"]
# The subject is the drawing and the page; storage is the indicators' (both engines there).
SERVER_ENGINES = ("sqlite",)
SVG = "{http://www.w3.org/2000/svg}"
VIEW = "/?view=life_satisfaction&by=area"
MAP = "/map.{fmt}?view=life_satisfaction&by=area"
# CE's three respondents: their mean (9.3) and n must never show.
CE_SCORES = (9, 9, 10)


def square(name, west, south, size=1.0, **properties):
    """A square area, [longitude, latitude] as GeoJSON writes them."""
    east, north = west + size, south + size
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {
        "type": "Feature",
        "properties": {"name": name, **properties},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


# Three areas with answers (CE too few to show) and one (XX) that no record names.
BOUNDARIES = {
    "type": "FeatureCollection",
    "features": [
        square("NR", 36.0, 1.0),
        square("CE", 37.0, 1.0),
        square("SR", 36.0, 0.0),
        square("XX", 37.0, 0.0),
    ],
}


def record(number: int, area: str, score: int) -> dict:
    """A survey record whose other answers vary on their own cycles, so that the small
    groups' protection (complementary suppression over linked tables) hides only WE."""
    made = survey_record(number)
    made["answers"].update(
        area=area,
        life_satisfaction=score,
        discriminated=["yes", "no"][number % 2],
        discrimination_grounds=[["religion"], ["ethnicity", "age"], ["disability"]][number % 3],
        reported_to=[["no_one"], ["police"]][(number // 3) % 2],
    )
    return made


def records() -> list[dict]:
    """NR and SR with many respondents and different means; CE with three; WE, not on
    the map, with six (hidden to protect CE)."""
    made = [record(n, "NR", 5 + n % 5) for n in range(40)]
    made += [record(n, "SR", 1 + n % 4) for n in range(40, 80)]
    made += [record(80 + n, "CE", score) for n, score in enumerate(CE_SCORES)]
    made += [record(90 + n, "WE", 4 + n % 3) for n in range(6)]
    return made


def publish_boundaries(central, geojson=BOUNDARIES, form_id="district_map") -> None:
    store = Store(central.database)
    try:
        form = minimal_form(form_id=form_id, boundaries={"districts.geojson": geojson})
        publish(store, json.dumps(form), "test")
    finally:
        store.close()


@pytest.fixture
def mapped(team):
    push_records(team, records())
    publish_boundaries(team)
    return team


def hex_colour(rgb) -> str:
    return "#" + "".join(f"{value:02x}" for value in rgb)


def parse(text: str) -> ET.Element:
    return ET.fromstring(text)


def areas(root) -> dict[str, ET.Element]:
    """Each area's path by its name (the start of its title)."""
    return {
        path.find(f"{SVG}title").text.split(":")[0]: path
        for path in root.iter(f"{SVG}path")
        if "area" in path.get("class", "").split()
    }


def inside(path: ET.Element) -> tuple[float, float]:
    """A point well inside an area (the test's areas are squares), a quarter of the way
    from its top left corner: away from its edges and from its name in the middle."""
    numbers = [float(v) for v in re.findall(r"-?[0-9.]+", path.get("d"))]
    xs, ys = numbers[0::2], numbers[1::2]
    return (3 * min(xs) + max(xs)) / 4, (3 * min(ys) + max(ys)) / 4


def chart_cells(person) -> dict[str, dict]:
    answer = person.get("/indicator.csv?view=life_satisfaction&by=area")
    return {
        row["group"]: row for row in csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig")))
    }


def test_the_map_has_one_area_per_feature_with_the_charts_values(mapped):
    viewer = signed_in(mapped, "viewer")
    page = viewer.get(VIEW).text
    assert 'class="chart map-chart"' in page and "districts.geojson" in page
    answer = viewer.get(MAP.format(fmt="svg"))
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("image/svg+xml")
    root = parse(answer.text)
    drawn = areas(root)
    assert sorted(drawn) == ["CE", "NR", "SR", "XX"]
    cells = chart_cells(viewer)
    for name in ("NR", "SR"):
        cell = cells[name]
        assert cell["suppressed"] == "0"
        title = drawn[name].find(f"{SVG}title").text
        low, high = float(cell["ci_low"]), float(cell["ci_high"])
        value = float(cell["estimate"])
        assert title == f"{name}: {value:.1f} (95% CI {low:.1f} to {high:.1f}; n = {cell['n']})"
        assert drawn[name].get("fill") in maps.SCALE
    # NR's mean is the higher: its colour is the darker of the scale.
    assert maps.SCALE.index(drawn["NR"].get("fill")) > maps.SCALE.index(drawn["SR"].get("fill"))
    assert drawn["XX"].get("fill") == maps.NO_DATA
    written = sorted(t.text for t in root.iter(f"{SVG}text") if t.get("class") == "area-name")
    assert written == ["CE", "NR", "SR", "XX"]
    assert drawn["XX"].find(f"{SVG}title").text == "XX: no data"
    # The map's text alternative is the chart's.
    chart = parse(viewer.get("/indicator.svg?view=life_satisfaction&by=area").text)
    assert root.find(f"{SVG}desc").text == chart.find(f"{SVG}desc").text


def test_scripts_read_the_map_as_geojson_with_the_charts_cells(mapped):
    url = mapped.url + "/api/v1/indicators/life_satisfaction/map"
    assert requests.get(url, timeout=10).status_code == 401
    auth = {"Authorization": f"Bearer {api_token(mapped, 'analyst1')}"}
    answer = requests.get(url, headers=auth, timeout=10)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("application/geo+json")
    collection = answer.json()
    assert collection["type"] == "FeatureCollection"
    assert collection["boundaries"] == "district_map/districts.geojson"
    found = {f["properties"]["area"]: f for f in collection["features"]}
    assert sorted(found) == ["CE", "NR", "SR", "XX"]
    cells = chart_cells(signed_in(mapped, "viewer"))
    for name in ("NR", "SR"):
        properties = found[name]["properties"]
        assert properties["suppressed"] is False and properties["n"] == int(cells[name]["n"])
        assert properties["estimate"] == pytest.approx(float(cells[name]["estimate"]))
        assert properties["ci_low"] == pytest.approx(float(cells[name]["ci_low"]))
    # CE is hidden: no number of it anywhere in the answer, its n included.
    assert set(found["CE"]["properties"]) == {"area", "group", "label", "suppressed", "reason"}
    assert found["CE"]["properties"]["suppressed"] is True
    mean = sum(CE_SCORES) / len(CE_SCORES)
    assert f"{mean:.2f}"[:4] not in answer.text and '"n": 3' not in answer.text
    assert found["XX"]["properties"] == {"area": "XX", "no_data": True}
    # WE has respondents but no outline: named, with nothing else.
    assert collection["not_on_map"] == ["WE"]
    # The outline as published, longitude first.
    (polygon,) = found["NR"]["geometry"]["coordinates"]
    assert polygon == square("NR", 36.0, 1.0)["geometry"]["coordinates"]
    refused = requests.get(url, params={"boundaries": "district_map/other.geojson"}, headers=auth)
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "no_boundaries"
    unknown = requests.get(url.replace("life_satisfaction", "nothing"), headers=auth, timeout=10)
    assert unknown.status_code == 404
    assert requests.get(url, headers={"Authorization": "Bearer nonsense"}).status_code == 401


def test_the_map_api_says_when_no_form_carries_boundaries(team):
    auth = {"Authorization": f"Bearer {api_token(team, 'admin1')}"}
    answer = requests.get(
        team.url + "/api/v1/indicators/life_satisfaction/map", headers=auth, timeout=10
    )
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "no_boundaries"


def test_a_suppressed_area_is_hatched_and_carries_no_number(mapped):
    viewer = signed_in(mapped, "viewer")
    svg = viewer.get(MAP.format(fmt="svg")).text
    root = parse(svg)
    ce = areas(root)["CE"]
    assert "suppressed" in ce.get("class").split() and ce.get("fill") == maps.PAPER
    assert ce.find(f"{SVG}title").text == "CE: suppressed (n < 5)"
    hatches = [p for p in root.iter(f"{SVG}path") if p.get("class") == "hatch"]
    assert len(hatches) == 1 and hatches[0].get("stroke") == maps.EDGE
    mean = sum(CE_SCORES) / len(CE_SCORES)
    for hidden in (f"{mean:.1f}", f"n = {len(CE_SCORES)}", f"{mean:.2f}"):
        assert hidden not in svg
    # The PNG: the same shapes at twice the size; inside CE is paper or a hatch line,
    # never a colour of the scale, and inside NR is NR's colour.
    answer = viewer.get(MAP.format(fmt="png"))
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "image/png"
    from PIL import Image

    image = Image.open(io.BytesIO(answer.content)).convert("RGB")
    assert image.size == (2 * int(root.get("width")), 2 * int(root.get("height")))
    assert not image.info  # no text chunk that could carry a number

    def at(name):
        x, y = inside(areas(root)[name])
        return hex_colour(image.getpixel((round(2 * x), round(2 * y))))

    assert at("NR") == areas(root)["NR"].get("fill")
    assert at("SR") == areas(root)["SR"].get("fill")
    assert at("XX") == maps.NO_DATA
    ce_pixels = {
        hex_colour(image.getpixel((round(2 * x), round(2 * y))))
        for x, y in [inside(ce)]
        for x, y in [(x + dx, y + dy) for dx in range(-6, 7, 3) for dy in range(-6, 7, 3)]
    }
    assert ce_pixels <= {maps.PAPER, maps.EDGE} and maps.EDGE in ce_pixels


def test_the_legend_is_mirrored_in_arabic_and_the_areas_are_not(mapped):
    viewer = signed_in(mapped, "viewer")
    english = parse(viewer.get(MAP.format(fmt="svg")).text)
    arabic = parse(viewer.get(MAP.format(fmt="svg") + "&lang=ar").text)
    assert arabic.get("direction") == "rtl" and english.get("direction") is None
    assert {n: p.get("d") for n, p in areas(arabic).items()} == {
        n: p.get("d") for n, p in areas(english).items()
    }

    def names(root):
        return {
            (t.text, t.get("x"), t.get("y"))
            for t in root.iter(f"{SVG}text")
            if t.get("class") == "area-name"
        }

    assert names(arabic) == names(english) and len(names(english)) == 4

    def scale_x(root):
        return [
            float(r.get("x")) for r in root.iter(f"{SVG}rect") if r.get("class") == "legend-scale"
        ]

    assert len(scale_x(english)) == len(maps.SCALE)
    assert scale_x(english) == sorted(scale_x(english))  # low to high, left to right
    assert scale_x(arabic) == sorted(scale_x(arabic), reverse=True)  # right to left
    width = float(english.get("width"))
    for left, right in zip(scale_x(english), scale_x(arabic), strict=True):
        assert math.isclose(right, width - left - 48)
    page = viewer.get(VIEW + "&lang=ar").text
    assert 'dir="rtl"' in page and 'class="chart map-chart"' in page


def test_without_boundaries_the_page_says_how_to_add_them(team):
    push_records(team, records())
    viewer = signed_in(team, "viewer")
    page = viewer.get(VIEW).text
    assert "No published form carries area boundaries" in page and "map-chart" not in page
    assert viewer.get(MAP.format(fmt="svg")).status_code == 404
    assert viewer.get(MAP.format(fmt="png")).status_code == 404


def test_a_map_only_for_a_breakdown_by_area(mapped):
    viewer = signed_in(mapped, "viewer")
    page = viewer.get("/?view=life_satisfaction&by=gender").text
    assert "map-chart" not in page and "No published form carries" not in page
    assert viewer.get("/map.svg?view=life_satisfaction&by=gender").status_code == 404
    assert viewer.get("/map.svg?view=life_satisfaction").status_code == 404
    assert viewer.get(MAP.format(fmt="svg") + "&boundaries=nothing/here.geojson").status_code == 404


def test_several_files_can_be_chosen_and_the_indicators_form_comes_first(mapped):
    other = {"type": "FeatureCollection", "features": [square("NR", 10.0, 10.0)]}
    publish_boundaries(mapped, other, form_id="other_map")
    viewer = signed_in(mapped, "viewer")
    page = viewer.get(VIEW).text
    assert 'name="boundaries"' in page
    assert "district_map/districts.geojson" in page and "other_map/districts.geojson" in page
    chosen = parse(
        viewer.get(MAP.format(fmt="svg") + "&boundaries=other_map/districts.geojson").text
    )
    assert sorted(areas(chosen)) == ["NR"]


def test_only_people_who_see_the_dashboard_get_the_map(mapped):
    for fmt in ("svg", "png"):
        anonymous = requests.get(
            mapped.url + MAP.format(fmt=fmt), allow_redirects=False, timeout=10
        )
        assert anonymous.status_code in (302, 303) and "/signin" in anonymous.headers["Location"]
        assert not anonymous.content.startswith((b"<svg", b"\x89PNG"))
        # A laptop's device token is not a person's sign-in.
        device = requests.get(
            mapped.url + MAP.format(fmt=fmt),
            headers={"Authorization": "Bearer not-a-person"},
            allow_redirects=False,
            timeout=10,
        )
        assert device.status_code in (302, 303, 401)
    for role in ("viewer", "analyst", "admin"):
        assert signed_in(mapped, role).get(MAP.format(fmt="svg")).status_code == 200


def test_the_demo_publishes_invented_outlines_of_its_districts(team):
    from sync_server import demo_data

    assert demo_data.BOUNDARIES.stat().st_size < 30_000
    for _ in range(2):  # a second start publishes nothing more
        demo_data.publish_boundaries(team.app.config["DATA_DIR"], team.database)
    assert query(team.database, "SELECT form_id, version FROM forms") == [
        {"form_id": "community_survey", "version": demo_data.BOUNDARIES_VERSION}
    ]
    districts = list(demo_data.DISTRICTS)
    push_records(team, [record(n, districts[n % 3], n % 11) for n in range(90)])
    viewer = signed_in(team, "viewer")
    drawn = areas(parse(viewer.get(MAP.format(fmt="svg")).text))
    assert sorted(drawn) == sorted(districts)
    assert all(path.get("fill") in maps.SCALE for path in drawn.values())


# -- The drawing itself ------------------------------------------------------------------


def result(cells) -> Result:
    return Result("trust_most", "share", "Share who trust", "%", 5, "area", tuple(cells), 100)


def test_malformed_features_are_left_out_and_the_rest_drawn():
    bad = [
        {
            "type": "Feature",
            "properties": {"name": "A"},
            "geometry": {"type": "Point", "coordinates": [1, 2]},
        },
        {
            "type": "Feature",
            "properties": {"name": "B"},
            "geometry": {"type": "Polygon", "coordinates": [["x"]]},
        },
        {
            "type": "Feature",
            "properties": {"name": "C"},
            "geometry": {"type": "Polygon", "coordinates": 7},
        },
        {"type": "Feature", "properties": ["D"], "geometry": square("D", 0, 0)["geometry"]},
        {"type": "Feature", "properties": {}, "geometry": square("E", 0, 0)["geometry"]},
        {
            "type": "Feature",
            "properties": {"name": "F"},
            "geometry": {"type": "Polygon", "coordinates": [[[500, 1], [1, 1], [1, 2], [500, 1]]]},
        },
        "not a feature",
        None,
    ]
    geojson = {"type": "FeatureCollection", "features": [square("NR", 36, 1), *bad]}
    found, skipped = maps.areas_of(geojson)
    assert list(found) == ["NR"] and skipped == len(bad)
    svg = maps.map_svg(result([Cell("NR", 40, 62.5, 47.0, 75.8, False)]), geojson, "Trust")
    assert list(areas(parse(svg))) == ["NR"]
    for nothing in ({}, {"type": "FeatureCollection", "features": []}, None, []):
        assert list(areas(parse(maps.map_svg(result([]), nothing, "Trust")))) == []


def test_holes_and_multipolygons_are_drawn_even_odd_in_svg_and_png():
    outer = [[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]]
    hole = [[1, 1], [1, 3], [3, 3], [3, 1], [1, 1]]
    island = [[5, 0], [6, 0], [6, 1], [5, 1], [5, 0]]
    feature = {
        "type": "Feature",
        "properties": {"name": "NR"},
        "geometry": {"type": "MultiPolygon", "coordinates": [[outer, hole], [island]]},
    }
    geojson = {"type": "FeatureCollection", "features": [feature]}
    shown = result([Cell("NR", 40, 62.5, 47.0, 75.8, False)])
    root = parse(maps.map_svg(shown, geojson, "Trust"))
    path = areas(root)["NR"]
    assert path.get("fill-rule") == "evenodd" and path.get("d").count("M") == 3
    from PIL import Image

    image = Image.open(io.BytesIO(maps.map_png(shown, geojson, "Trust"))).convert("RGB")
    frame = maps.frame_for(maps.areas_of(geojson)[0], 640, 2 * 12 + 15)[0]

    def colour(lat, lon):
        x, y = frame(lat, lon)
        return hex_colour(image.getpixel((round(x), round(y))))

    fill = path.get("fill")
    assert colour(0.5, 0.5) == fill and colour(0.5, 5.5) == fill  # the ring and the island
    assert colour(2, 2) == maps.PAPER  # the hole


def test_a_big_boundaries_file_makes_a_small_map():
    """100 areas of 600 points each (1.2 MB of GeoJSON) make an SVG a twentieth of that."""
    features = []
    for row in range(10):
        for column in range(10):
            ring = [
                [
                    round(
                        column
                        + 0.5
                        + 0.5 * math.cos(2 * math.pi * i / 600) * (1 + 0.01 * math.sin(i)),
                        5,
                    ),
                    round(row + 0.5 + 0.5 * math.sin(2 * math.pi * i / 600), 5),
                ]
                for i in range(600)
            ]
            features.append(
                {
                    "type": "Feature",
                    "properties": {"name": f"A{row}-{column}"},
                    "geometry": {"type": "Polygon", "coordinates": [ring + [ring[0]]]},
                }
            )
    geojson = {"type": "FeatureCollection", "features": features}
    size = len(json.dumps(geojson))
    assert size > 1_000_000
    cells = [Cell(f"A{i // 10}-{i % 10}", 40, float(i), None, None, False) for i in range(100)]
    svg = maps.map_svg(result(cells), geojson, "Trust")
    assert len(areas(parse(svg))) == 100
    assert len(svg.encode()) < size / 20


def test_class_edges_hold_every_value_within_the_scale():
    for values, top in (
        ([41.0, 62.5], 100),
        ([0.0, 100.0], 100),
        ([7.2], 10),
        ([3.0, 1200.0], None),
    ):
        edges = maps.class_edges(values, 0.0, top)
        assert len(edges) == len(maps.SCALE) + 1
        assert edges[0] <= min(values) and edges[-1] >= max(values)
        assert edges[0] >= 0 and (top is None or edges[-1] <= top)


@pytest.mark.parametrize("chromium", [1280], indirect=True)
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_map_view_passes_automated_accessibility_checks(mapped, chromium, lang):
    sign_in_to_server(chromium, mapped.url, "viewer1", PASSWORD, lang)
    chromium.get(f"{mapped.url}{VIEW}")
    wait_for(chromium, "figure.map-chart svg")
    assert accessibility_problems(chromium) == []
