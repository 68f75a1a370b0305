"""Gaps between groups as a chart and as JSON, and the indicators API for scripts, on a real
server: the same numbers as the dashboard, with the same small-cell rules."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import pytest
import requests

from sync_server import charts, indicators as ind
from sync_server.store import Store
from test_workspace import api_token, push_records, signed_in, survey_record, team

__all__ = ["team"]
# The gap and change statistics run on both engines in test_survey_design; these tests are
# about the chart and the JSON around them.
SERVER_ENGINES = ("sqlite",)
SVG = "{http://www.w3.org/2000/svg}"


def gap_records(count: int = 120) -> list[dict]:
    """Women far more satisfied with life than men; areas alike: one real gap, one not."""
    records = []
    for n in range(count):
        record = survey_record(n)
        woman = n % 2 == 0
        record["answers"].update(
            gender="woman" if woman else "man",
            life_satisfaction=(8 + n % 3) if woman else (2 + n % 3),
            area=["NR", "SR", "CE"][(n // 2) % 3],
            migration_status=["host", "refugee"][(n // 6) % 2],
            discriminated=["yes", "no"][(n // 2) % 2],
            safety_after_dark=["safe", "unsafe"][(n // 4) % 2],
        )
        records.append(record)
    return records


@pytest.fixture
def surveyed(team):
    push_records(team, gap_records())
    return team


def stored_gaps(central, by, reference=None):
    store = Store(central.database)
    try:
        return ind.gaps(store.db, "life_satisfaction", by, reference=reference)
    finally:
        store.close()


def test_the_dashboard_draws_the_gaps_and_offers_them_for_download(surveyed):
    viewer = signed_in(surveyed, "viewer")
    page = viewer.get("/?view=life_satisfaction&by=gender").text
    assert 'class="chart gap-chart"' in page and "each group minus everyone else" in page
    svg = viewer.get("/gaps.svg?view=life_satisfaction&by=gender")
    assert svg.status_code == 200 and svg.headers["Content-Type"].startswith("image/svg+xml")
    root = ET.fromstring(svg.text)
    significant = root.findall(f"{SVG}circle[@class='gap significant']")
    assert len(significant) == 2  # women above the rest, men below: both real
    desc = root.find(f"{SVG}desc").text
    assert "Woman: +" in desc and "Man: -" in desc and desc.count("significant") == 2
    png = viewer.get("/gaps.png?view=life_satisfaction&by=gender")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    rows = list(
        csv.DictReader(
            io.StringIO(
                viewer.get("/gaps.csv?view=life_satisfaction&by=gender").content.decode("utf-8-sig")
            )
        )
    )
    expected = {c.group: c for c in stored_gaps(surveyed, "gender").comparisons}
    assert {row["group"] for row in rows} == set(expected)
    for row in rows:
        assert float(row["difference"]) == pytest.approx(expected[row["group"]].difference)
        assert row["significant"] == "1"
    # Areas are alike: no gap there is significant, and the chart says so with hollow dots.
    area = ET.fromstring(viewer.get("/gaps.svg?view=life_satisfaction&by=area").text)
    assert area.findall(f"{SVG}circle[@class='gap significant']") == []
    assert len(area.findall(f"{SVG}circle[@class='hollow']")) == 3
    # Nothing to compare: no breakdown, months (they get a change), counts.
    assert "gap-chart" not in viewer.get("/?view=life_satisfaction").text
    assert viewer.get("/gaps.svg?view=life_satisfaction").status_code == 404
    assert viewer.get("/gaps.csv?view=life_satisfaction&by=month").status_code == 404
    assert viewer.get("/gaps.svg?view=incident_reports&by=gender").status_code == 404
    # In Arabic the chart reads right to left: every dot mirrored.
    found = stored_gaps(surveyed, "gender")
    left = charts.gap_chart_model(found, "Gaps")
    right = charts.gap_chart_model(found, "Gaps", rtl=True)
    dots = [shape for shape in left.shapes if isinstance(shape, charts.Dot)]
    mirrored = [shape for shape in right.shapes if isinstance(shape, charts.Dot)]
    assert [left.width - d.cx for d in dots] == pytest.approx([d.cx for d in mirrored])
    assert right.rtl and 'direction="rtl"' in charts.render_svg(right)


def test_scripts_read_indicators_and_gaps_as_json(surveyed):
    url = surveyed.url + "/api/v1/indicators"
    assert requests.get(url, timeout=10).status_code == 401
    auth = {"Authorization": f"Bearer {api_token(surveyed, 'analyst1')}"}
    listing = requests.get(url, headers=auth, timeout=10).json()
    assert {i["id"] for i in listing["indicators"]} == {i.id for i in ind.INDICATORS}
    assert "gender" in listing["breakdowns"]

    answer = requests.get(
        url + "/life_satisfaction", params={"by": "gender"}, headers=auth, timeout=10
    ).json()
    assert answer["by"] == "gender" and answer["design"] is None
    store = Store(surveyed.database)
    try:
        computed = ind.compute(store.db, "life_satisfaction", by="gender")
    finally:
        store.close()
    cells = {c["group"]: c for c in answer["cells"]}
    for cell in computed.cells:
        if cell.suppressed:
            assert "n" not in cells[cell.group] and "estimate" not in cells[cell.group]
        else:
            assert cells[cell.group]["estimate"] == pytest.approx(cell.estimate)
            assert cells[cell.group]["n"] == cell.n >= computed.k
    gaps = {c["group"]: c for c in answer["gaps"]["comparisons"]}
    for comparison in stored_gaps(surveyed, "gender").comparisons:
        assert gaps[comparison.group]["difference"] == pytest.approx(comparison.difference)
        assert gaps[comparison.group]["significant"] is comparison.significant is True

    against = requests.get(
        url + "/life_satisfaction",
        params={"by": "gender", "reference": "man"},
        headers=auth,
        timeout=10,
    ).json()
    [woman] = against["gaps"]["comparisons"]
    assert woman["group"] == "woman" and woman["reference"] == "man"
    assert woman["difference"] == pytest.approx(
        stored_gaps(surveyed, "gender", "man").comparisons[0].difference
    )

    months = requests.get(
        url + "/trust_most", params={"by": "month"}, headers=auth, timeout=10
    ).json()
    assert months["change"]["from"] == "2026-01" and months["change"]["to"] == "2026-03"
    assert "gaps" not in months
    # Bad requests: a clear error each.
    for path, params, status, code in [
        ("/nothing", {}, 404, "unknown_indicator"),
        ("/life_satisfaction", {"by": "shoe_size"}, 400, "unknown_breakdown"),
        ("/life_satisfaction", {"by": "gender", "reference": "nobody"}, 400, "invalid_reference"),
    ]:
        answer = requests.get(url + path, params=params, headers=auth, timeout=10)
        assert answer.status_code == status and answer.json()["error"]["code"] == code, path
