"""The synthetic population generator: plausible marginals, the anonymizer's shapes, the
report-survey links, determinism, and loading through the server's own ingest."""

from __future__ import annotations

import sqlite3
from collections import Counter

import pytest

from sync_server import demo_data as population
from sync_server.demo_data import WG_ITEMS


@pytest.fixture(scope="session")  # made once per test process (see conftest.py)
def people():
    return population.generate(n_surveys=2000, n_reports=160, devices=3, seed=0)


def consenting(people):
    return [r["answers"] for r in people.surveys if r["answers"].get("consent") == "yes"]


def disabled(answers) -> bool:
    return any(answers[item] in ("a_lot", "cannot") for item in WG_ITEMS)


def shares(values) -> dict:
    counts = Counter(values)
    return {key: count / sum(counts.values()) for key, count in counts.items()}


def test_sizes_and_determinism(people):
    assert len(people.surveys) == 2000 and len(people.reports) == 160
    again = population.generate(n_surveys=2000, n_reports=160, devices=3, seed=0)
    assert again.surveys == people.surveys and again.reports == people.reports
    other = population.generate(n_surveys=50, n_reports=5, seed=1)
    assert other.surveys[0]["uuid"] != people.surveys[0]["uuid"]
    assert len({r["uuid"] for r in people.records}) == 2160


def test_records_have_the_shape_the_anonymizer_sends(people):
    for record in people.surveys:
        answers = record["answers"]
        assert "respondent_name" not in answers and "respondent_phone" not in answers
        assert record["enumerator"].startswith("p_") and len(record["collected"]) == 10
        if answers.get("consent") == "yes":
            assert answers["area"] in ("NR", "CE", "SR")  # the ward's district
            low = answers["age"].split("-")[0].rstrip("+")
            assert answers["age"] == "90+" or answers["age"] == f"{low}-{int(low) + 4}"
    for report in people.reports:
        assert "reporter_name" not in report["answers"]
        assert "reporter_contact" not in report["answers"]
        assert len(report["answers"]["incident_month"]) == 7
    scrubbed = [a.get("comments", "") for a in consenting(people)]
    assert any("[phone]" in text for text in scrubbed)
    assert not any(any(ch.isdigit() for ch in text) for text in scrubbed)


def test_marginals_are_plausible(people):
    answers = consenting(people)
    assert 1900 <= len(answers) < 2000  # a few refuse consent
    area = shares(a["area"] for a in answers)
    assert area["NR"] > area["CE"] > area["SR"] > 0.1
    gender = shares(a["gender"] for a in answers)
    assert 0.45 < gender["woman"] < 0.56 and 0.42 < gender["man"] < 0.52
    assert 0 < gender["another"] < 0.02 and 0 < gender["prefer_not"] < 0.03  # rare categories
    ages = Counter(a["age"] for a in answers)
    assert ages["20-24"] > ages["40-44"] > ages["60-64"] > ages["80-84"] > 0  # a pyramid
    assert 0.11 <= shares(map(disabled, answers))[True] <= 0.16
    migration = shares(a["migration_status"] for a in answers)
    assert set(migration) == {"host", "idp", "refugee", "migrant", "returnee", "prefer_not"}
    assert 0.45 < migration["host"] < 0.7
    assert {a["urban_rural"] for a in answers} == {"urban", "rural"}
    assert any(a.get("language_home_other") for a in answers)
    assert 0.12 < shares(a["discriminated"] for a in answers)["yes"] < 0.25


def test_structure_follows_area_age_and_minority(people):
    answers = consenting(people)
    refugees = {
        area: shares(a["migration_status"] == "refugee" for a in answers if a["area"] == area)[True]
        for area in ("SR", "CE")
    }
    assert refugees["SR"] > 3 * refugees["CE"]  # refugees live mostly in SR
    refugee_languages = Counter(
        a["language_home"] for a in answers if a["migration_status"] == "refugee"
    )
    assert refugee_languages["swahili"] == 0 and refugee_languages["arabic"] > 0
    young = [disabled(a) for a in answers if a["age"] in ("15-19", "20-24", "25-29")]
    old = [disabled(a) for a in answers if a["age"] in ("60-64", "65-69", "70-74", "75-79")]
    assert sum(old) / len(old) > 3 * sum(young) / len(young)

    def rate(group):
        return sum(a["discriminated"] == "yes" for a in group) / len(group)

    minority = [
        a for a in answers if a["migration_status"] in ("refugee", "idp", "migrant") or disabled(a)
    ]
    majority = [a for a in answers if a["migration_status"] == "host" and not disabled(a)]
    assert rate(minority) > 1.05 * rate(majority)
    grounds = Counter(g for a in answers for g in a.get("discrimination_grounds", ()))
    assert len(grounds) >= 10 and any(
        len(a.get("discrimination_settings", ())) > 1 for a in answers
    )


def test_each_report_links_to_its_tellers_survey(people):
    surveys = {r["uuid"]: r for r in people.surveys}
    assert set(people.links) == {r["uuid"] for r in people.reports}
    same_enumerator = 0
    for report in people.reports:
        survey = surveys[people.links[report["uuid"]]]
        assert (report["device_id"], report["collected"], report["locale"]) == (
            survey["device_id"],
            survey["collected"],
            survey["locale"],
        )
        same_enumerator += report["enumerator"] == survey["enumerator"]
    assert same_enumerator > 0.8 * len(people.reports)
    # Collected first, received when the laptop next synced, a few days later at most.
    for record in people.records:
        assert record["collected"] < record["received_at"][:10] <= "2025-06-30"


def test_load_stores_everything_through_ingest(tmp_path):
    small = population.generate(n_surveys=120, n_reports=10, devices=2, seed=3)
    database = population.load(small, tmp_path / "central")
    conn = sqlite3.connect(database)
    try:
        rows = conn.execute(
            "SELECT form_id, access_class, count(*) FROM records GROUP BY 1, 2 ORDER BY 1"
        ).fetchall()
        assert rows == [
            ("community_survey", "standard", 120),
            ("discrimination_report", "sensitive", 10),
        ]
        assert conn.execute("SELECT count(*) FROM devices").fetchone()[0] == 2
        assert conn.execute("SELECT count(*) FROM facts").fetchone()[0] == 130
        stored = dict(conn.execute("SELECT uuid, received_at FROM records"))
        assert stored == {r["uuid"]: r["received_at"] for r in small.records}
        batches = conn.execute("SELECT sum(records) FROM batches").fetchone()[0]
        assert batches == 130
    finally:
        conn.close()
