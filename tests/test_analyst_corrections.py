"""An analyst's correction cannot be used to read the groups a release hides.

The release withholds a survey's age, area and month from analysts, while the dashboard
shows indicators by those groups. If an analyst could change one record's answer to an
indicator question, the one dashboard cell that moves would show that record's hidden
groups; repeated for every row, the release's k-anonymity would be undone. So an answer that
counts in the published indicators or survey estimates is corrected by an admin only; the
analyst's other corrections work as before. A real server with a generated population.
"""

from __future__ import annotations

import json

import pytest

import disclosure_attacks as attack
from support import query
from sync_server import demo_data as population

REFUSED = "This answer counts in the published indicators, so only an admin may correct it"
VIEWS = [("life_satisfaction", by) for by in ("age_band", "area", "month", "migration_status")]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    people = population.generate(n_surveys=400, n_reports=20, devices=2, seed=11)
    made = attack.TeamServer(people, tmp_path_factory.mktemp("corrections") / "central-data")
    yield made
    made.stop()


def correct(person: attack.Person, record_uuid: str, field: str, value: str):
    page = person.get(f"/data/record/{record_uuid}")
    assert page.status_code == 200, page.status_code
    return person.session.post(
        f"{person.base}/data/record/{record_uuid}/correct",
        data={"field": field, "value": value, "csrf_token": attack.CSRF.search(page.text)[1]},
        timeout=60,
    )


def dashboard(person: attack.Person) -> list[bytes]:
    return [person.get("/indicator.csv", view=view, by=by).content for view, by in VIEWS]


def stored(server, record_uuid: str) -> dict:
    [row] = query(
        server.database,
        "SELECT answers, answers_current FROM records WHERE uuid = ? AND is_latest = 1",
        [record_uuid],
    )
    return json.loads(row["answers_current"] or row["answers"])


def released_survey(server) -> str:
    release = attack.read_export(server.users["analyst"], attack.SURVEY, "csv")
    assert release.status == 200 and release.rows, release.status
    return sorted(release.rows)[0]


def test_an_analyst_cannot_change_an_answer_the_indicators_count(server):
    analyst = server.users["analyst"]
    record_uuid = released_survey(server)
    before = stored(server, record_uuid)
    views = dashboard(analyst)
    facts = query(server.database, "SELECT * FROM facts WHERE uuid = ?", [record_uuid])
    for field, value in (
        ("life_satisfaction", 10 if before.get("life_satisfaction") != 10 else 0),
        ("trust_police", 0 if before.get("trust_police") != 0 else 10),
        ("who5_calm", '"0"' if before.get("who5_calm") != "0" else '"5"'),
    ):
        response = correct(analyst, record_uuid, field, str(value))
        assert REFUSED in response.text, (field, response.text[:300])
    assert stored(server, record_uuid) == before
    assert query(server.database, "SELECT count(*) AS n FROM corrections") == [{"n": 0}]
    assert query(server.database, "SELECT * FROM facts WHERE uuid = ?", [record_uuid]) == facts
    assert dashboard(analyst) == views  # nothing for a before-and-after comparison


def test_an_analyst_corrects_other_answers_and_an_admin_corrects_any(server):
    analyst, admin = server.users["analyst"], server.users["admin"]
    record_uuid = released_survey(server)
    response = correct(analyst, record_uuid, "comments", "water point broken")
    assert "Correction saved." in response.text
    assert stored(server, record_uuid)["comments"] == "water point broken"
    old = stored(server, record_uuid)["life_satisfaction"]
    new = 10 if old != 10 else 0
    response = correct(admin, record_uuid, "life_satisfaction", str(new))
    assert "Correction saved." in response.text
    assert stored(server, record_uuid)["life_satisfaction"] == new
    [fact] = query(
        server.database, "SELECT life_satisfaction FROM facts WHERE uuid = ?", [record_uuid]
    )
    assert fact["life_satisfaction"] == new
    authors = query(server.database, "SELECT field, author FROM corrections ORDER BY at")
    assert authors == [
        {"field": "comments", "author": "analyst1"},
        {"field": "life_satisfaction", "author": "admin1"},
    ]
