"""End-to-end disclosure attacks on a served sync server holding a realistic population
(2,000 surveys and 160 discrimination reports from 3 laptops, sync_server/demo_data.py).

An analyst downloads every record-level output and tries to single people out; a viewer
tries to recover every hidden indicator cell from all the dashboard's views; an admin may
still take the raw records, with a stated reason, audited. The attacks themselves live in
tests/disclosure_attacks.py (benchmarks/disclosure_audit.py prints the same figures).
"""

from __future__ import annotations

import datetime as dt
import random

import pytest
from babel.dates import format_date

import disclosure_attacks as attack
from support import query
from sync_server import demo_data as population

OUTPUTS = ("csv", "xlsx", "jsonl", "dta", "sav", "api", "csv asked raw")
FORMS = (attack.SURVEY, attack.REPORT)
RAW_REASON = "Checking a data entry error reported by the Zone B team"


class Audit:
    """The served server, and what each role took from it (downloaded once)."""

    def __init__(self, folder):
        self.people = population.generate(n_surveys=2000, n_reports=160, devices=3, seed=0)
        self.server = attack.TeamServer(self.people, folder)
        self.stored = {
            form_id: {r["uuid"]: r for r in self.people.records if r["form_id"] == form_id}
            for form_id in FORMS
        }
        self.releases = {
            form_id: dict(zip(OUTPUTS, attack.analyst_releases(self.server, form_id), strict=True))
            for form_id in FORMS
        }
        self.roles = {form_id: attack.roles(form_id) for form_id in FORMS}


@pytest.fixture(scope="session")  # made once per test process (see conftest.py)
def audit(tmp_path_factory):
    made = Audit(tmp_path_factory.mktemp("disclosure") / "central-data")
    yield made
    made.server.stop()


def release(audit, form_id, output) -> attack.Release:
    found = audit.releases[form_id][output]
    assert found.status in (200, 403, 404), f"{found.name}: unexpected status {found.status}"
    return found


# -- record-level releases to an analyst -------------------------------------------------------


def test_the_analyst_gets_the_surveys(audit):
    surveys = release(audit, attack.SURVEY, "csv")
    assert surveys.status == 200 and len(surveys.rows) >= 0.9 * len(audit.stored[attack.SURVEY])


@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("form_id", FORMS)
def test_no_record_is_in_a_group_smaller_than_k(audit, form_id, output):
    found = release(audit, form_id, output)
    keys = audit.roles[form_id].keys
    measured = attack.k_anonymity(found, keys)
    assert measured["small"] == 0, (
        f"{found.name} of {form_id}: {measured['small_pct']:.1f}% of {measured['records']} "
        f"records in groups smaller than {attack.K} ({measured['unique_pct']:.1f}% unique) on "
        f"{keys + [c for c in attack.META_KEYS if c in found.columns]}"
        + (
            ""
            if audit.roles[form_id].declared
            else " (the form declares no key variables; the issue's list stands in)"
        )
    )


@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("form_id", FORMS)
def test_every_group_has_l_distinct_sensitive_answers(audit, form_id, output):
    found = release(audit, form_id, output)
    roles = audit.roles[form_id]
    measured = attack.l_diversity(found, roles.keys, roles.sensitive)
    failing = {name: value for name, value in measured.items() if value["groups"]}
    assert not failing, (
        f"{found.name} of {form_id}: groups with fewer than {attack.L} distinct answers: {failing}"
    )


@pytest.mark.parametrize("form_id", FORMS)
def test_at_most_two_percent_of_key_values_are_suppressed(audit, form_id):
    found = release(audit, form_id, "csv")
    if not found.rows:
        # An admins-only form (its records' access class): the analyst gets none of the
        # records the server holds, so no key value of them is released at all.
        assert audit.stored[form_id], f"no {form_id} records were loaded"
        return
    measured = attack.suppression(found, audit.stored[form_id], audit.roles[form_id].keys)
    assert measured["suppressed_pct"] <= 2.0, (
        f"{measured['suppressed']} of {measured['values']} key values suppressed "
        f"({measured['suppressed_pct']:.1f}%, answers alone "
        f"{measured['answers_suppressed_pct']:.1f}%), by column {measured['per_column']}; "
        f"{measured['left_out']} records left out"
    )


@pytest.mark.parametrize("form_id", FORMS)
def test_every_output_carries_the_same_released_values(audit, form_id):
    roles = audit.roles[form_id]
    outputs = [release(audit, form_id, output) for output in OUTPUTS]
    columns = ["_uuid", *roles.keys, *roles.sensitive, *attack.META_KEYS, *attack.FLAG_COLUMNS]
    problems = attack.disagreements([o for o in outputs if o.status == 200], columns)
    assert not problems, problems[:10]


def test_record_pages_show_no_more_than_the_release(audit):
    """A record's page shows the released values, and no laptop or day the release hides."""
    found = release(audit, attack.SURVEY, "csv")
    roles = audit.roles[attack.SURVEY]
    sample = random.Random(13).sample(sorted(found.rows), 25)
    leaks = []
    for record_uuid in sample:
        status, shown, page = attack.record_page(audit.server.users["analyst"], record_uuid)
        assert status in (200, 403, 404), f"record page {record_uuid}: {status}"
        if status != 200:
            continue  # a page the analyst may not open shows nothing
        released = found.rows[record_uuid]
        for column in [*roles.keys, *roles.sensitive]:
            if column in found.columns and shown.get(column, "") != released.get(column, ""):
                leaks.append(
                    f"{record_uuid[:8]} {column}: page {shown.get(column)!r}, "
                    f"release {released.get(column)!r}"
                )
        stored = audit.stored[attack.SURVEY][record_uuid]
        if not released.get("_device") and stored["device_id"] in page:
            leaks.append(f"{record_uuid[:8]}: the page names the laptop the release hides")
        if len(released.get("_collected_at", "")) < 10:
            day = dt.date.fromisoformat(stored["collected"])
            written = {
                stored["collected"],
                *(format_date(day, style, locale="en") for style in ("short", "medium", "long")),
            }
            if any(text in page for text in written):
                leaks.append(f"{record_uuid[:8]}: the page shows the day the release hides")
    assert not leaks, leaks[:10]


# -- linkage and the neighbour ----------------------------------------------------------------


@pytest.mark.parametrize("output", ["csv", "api"])
def test_no_report_links_back_to_its_tellers_survey(audit, output):
    reports = release(audit, attack.REPORT, output)
    surveys = release(audit, attack.SURVEY, output)
    measured = attack.linkage(reports, surveys, audit.people.links)
    assert measured["unique"] == 0 and measured["fewer_than_k"] == 0, measured


@pytest.mark.parametrize("knows", list(attack.NEIGHBOUR_KNOWS))
def test_a_neighbour_singles_out_no_one(audit, knows):
    found = release(audit, attack.SURVEY, "csv")
    measured = attack.neighbour(found, audit.stored[attack.SURVEY], attack.NEIGHBOUR_KNOWS[knows])
    assert measured["singled_out"] == 0, f"knowing {knows}: {measured}"


# -- indicators: every view, every hidden cell ----------------------------------------------


def test_no_hidden_indicator_cell_can_be_recovered(audit):
    views = attack.published_views(audit.server.users["viewer"])
    assert len(views) >= 50 and any(
        cell.get("suppressed") == "1" for view in views for cell in view["cells"]
    )
    truth = attack.truth_from(audit.server.database)
    try:
        measured = attack.indicator_attack(views, truth)
    finally:
        truth.close()
    assert measured["recovered"] == 0, (
        f"{measured['recovered']} of {measured['hidden']} hidden cells recovered from "
        f"{measured['views']} views (n: {measured['n_recovered']}, sum: "
        f"{measured['sum_recovered']}, total minus shown: {measured['plain_difference']}), "
        f"e.g. {measured['examples']}"
    )


# -- the admin's raw records ------------------------------------------------------------------


def test_admin_takes_raw_records_only_with_a_reason_and_it_is_audited(audit):
    admin = audit.server.users["admin"]
    refused = admin.get("/data/community_survey/export.csv", release="raw")
    assert refused.status_code in (400, 403, 422), "raw records without a reason"
    raw = attack.read_export(admin, attack.SURVEY, "csv", release="raw", reason=RAW_REASON)
    stored = audit.stored[attack.SURVEY]
    assert raw.status == 200 and set(raw.rows) == set(stored)
    columns = [*audit.roles[attack.SURVEY].keys, "_device", "_collected_at", "_locale"]
    different = [
        (u, c)
        for u, row in raw.rows.items()
        for c in columns
        if row.get(c, "") != attack.truth_value(stored[u], c)
    ]
    assert not different, different[:5]
    entries = query(
        audit.server.database,
        "SELECT actor, action, detail FROM audit WHERE actor = 'admin1' AND detail LIKE ?",
        [f"%{RAW_REASON}%"],
    )
    assert entries, "the raw release and its reason are not in the audit log"


# -- the attacker's own checks: it finds what is there to find ---------------------------------


def _view(view, by, cells):
    return {
        "view": view,
        "by": by,
        "cells": [
            {
                "group": group or "",
                "n": "" if n is None else str(n),
                "estimate": "" if n is None else str(100.0 * total / n),
                "suppressed": "1" if n is None else "0",
            }
            for group, n, total in cells
        ],
    }


TRUE = {
    ("discriminated", None, None): (20, 6),
    ("discriminated", "gender", "woman"): (10, 2),
    ("discriminated", "gender", "man"): (6, 3),
    ("discriminated", "gender", "another"): (3, 1),
    ("discriminated", "gender", "prefer_not"): (1, 0),
}


def test_the_solver_recovers_a_cell_hidden_alone_and_not_two():
    def truth(indicator, by, group):
        return TRUE[(indicator, by, group)]

    overall = _view("discriminated", None, [(None, 20, 6)])
    one_hidden = _view(
        "discriminated", "gender", [("woman", 10, 2), ("man", 6, 3), ("another", None, None)]
    )
    # Without "prefer not to say", "another" holds the other 4 people, 1 of them a "yes".
    found = attack.indicator_attack([overall, one_hidden], lambda *cell: (4, 1))
    assert (
        found["hidden"],
        found["n_recovered"],
        found["sum_recovered"],
        found["plain_difference"],
    ) == (1, 1, 1, 1)
    two_hidden = _view(
        "discriminated",
        "gender",
        [("woman", 10, 2), ("man", 6, 3), ("another", None, None), ("prefer_not", None, None)],
    )
    found = attack.indicator_attack([overall, two_hidden], truth)
    assert (found["hidden"], found["recovered"]) == (2, 0)


def test_the_solver_links_grounds_to_those_discriminated_against():
    """The grounds family counts exactly those who said yes: its n is the share's sum, so
    a family cell can give away a hidden sum."""

    def truth(indicator, by, group):
        return TRUE[(indicator, by, group)]

    views = [
        _view(
            "discriminated", "gender", [("woman", 10, 2), ("man", 6, 3), ("another", None, None)]
        ),
        _view("ground_religion", None, [(None, 6, 1)]),
    ]
    found = attack.indicator_attack(views, truth)
    assert found["hidden"] == 1 and found["sum_recovered"] == 1 and found["n_recovered"] == 0


def test_neighbour_and_k_measures_on_a_known_release():
    stored = {
        f"u{n}": {
            "uuid": f"u{n}",
            "device_id": "d",
            "collected": "2025-03-03",
            "received_at": "2025-03-04T10:00:00Z",
            "locale": "en",
            "answers": {"consent": "yes", "age": age, "gender": "woman", "area": "NR"},
        }
        for n, age in enumerate(["30-34"] * 5 + ["90+"])
    }
    rows = {u: {"_uuid": u, **r["answers"]} for u, r in stored.items()}
    shown = attack.Release("csv", rows, ["_uuid", "consent", "age", "gender", "area"])
    assert attack.k_anonymity(shown, ["age", "gender", "area"])["small"] == 1
    assert attack.neighbour(shown, stored, ("age", "gender", "area"))["right"] == 1
    rows["u5"]["age"] = ""  # suppressed: a category of its own, and it could be anyone...
    assert attack.k_anonymity(shown, ["age", "gender", "area"])["small"] == 1
    # ...but no other record could be the 90-year-old: she is still the only one that fits.
    assert attack.neighbour(shown, stored, ("age", "gender", "area"))["right"] == 1
    rows["u4"]["age"] = ""
    assert attack.neighbour(shown, stored, ("age", "gender", "area"))["singled_out"] == 0
    assert attack.suppression(shown, stored, ["age"])["suppressed"] == 2  # u4 and u5
