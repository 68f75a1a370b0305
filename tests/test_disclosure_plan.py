"""The disclosure plan (sync_server.disclosure) on real server stores: k-anonymity and
l-diversity hold in the released rows, the report says what was done, hierarchies climb as
documented, bad parameters are refused."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from collector.forms import FormError, builtin_forms, load_form
from collector.settings import SettingsError
from sync_server import disclosure, exports, settings
from sync_server.data import form_history
from sync_server.demo_data import generate, load
from sync_server.store import Store
from test_forms import minimal_form
from workbooks import imported, write_workbook


@pytest.fixture(scope="session")  # made once per test process (see conftest.py)
def survey_store(tmp_path_factory):
    """A realistic population (2,000 surveys, 160 reports, 3 laptops) in a real store."""
    database = load(
        generate(n_surveys=2000, n_reports=160, devices=3, seed=3),
        tmp_path_factory.mktemp("population"),
    )
    store = Store(database)
    yield store
    store.close()


def plan_for(store, form_id, k=5, l=2, classes=None):
    return disclosure.make_plan(
        form_history(form_id, store),
        lambda: store.iter_latest(form_id, classes=classes, by_uuid=True),
        k,
        l,
        form_id=form_id,
    )


def released_keys(plan, row) -> tuple:
    """A released row's key values as a group key; a suppressed value is its own category."""
    answers = row["answers"]
    out = []
    for variable in plan.keys:
        if variable.kind == "meta":
            out.append(row[variable.sources[0]])
        elif variable.kind == "disability":
            out.append(answers.get(disclosure.DISABILITY))
        elif variable.kind == "count":
            value = answers.get(variable.sources[0])
            out.append(len(value) if isinstance(value, list) else None)
        else:
            out.append(disclosure._hashable(answers.get(variable.sources[0])))
    return tuple(out)


@pytest.mark.parametrize(
    "form_id,k", [("community_survey", 5), ("community_survey", 3), ("discrimination_report", 5)]
)
def test_every_released_group_has_k_records_and_l_answers(survey_store, form_id, k):
    plan = plan_for(survey_store, form_id, k=k)
    rows = list(plan.release().rows(survey_store.iter_latest(form_id, by_uuid=True)))
    groups = Counter(released_keys(plan, row) for row in rows)
    assert rows and min(groups.values()) >= k
    for variable in plan.sensitive:
        values: dict = {}
        for row in rows:
            value = disclosure._hashable(row["answers"].get(variable.name))
            if value is not None:
                values.setdefault(released_keys(plan, row), set()).add(value)
        assert all(len(found) >= 2 for found in values.values()), variable.name
    report = plan.report
    assert report["records_released"] == len(rows)
    assert report["records"] == len(rows) + report["records_left_out"]
    assert report["smallest_group"] == min(groups.values()) == report["k_achieved"]
    assert report["records_in_smallest_groups"] == sum(
        n for n in groups.values() if n == report["smallest_group"]
    )
    assert report["groups"] == len(groups)
    # Nothing that links records leaves: no device, no enumerator, dates to the month.
    assert {row["device_id"] for row in rows} == {None}
    assert {row["enumerator"] for row in rows} == {None}
    assert all(row["collected"] is None or len(row["collected"]) <= 7 for row in rows)
    assert all(row["received_at"] is None or len(row["received_at"]) <= 7 for row in rows)


def test_report_counts_match_the_suppressed_values(survey_store):
    plan = plan_for(survey_store, "community_survey")
    stored = {row["uuid"]: row for row in survey_store.iter_latest("community_survey")}
    rows = list(plan.release().rows(survey_store.iter_latest("community_survey")))
    by_name = {v["name"]: v for v in plan.report["key_variables"]}
    for variable in plan.keys:
        if variable.kind != "answer":
            continue
        lost = sum(
            1
            for row in rows
            if row["answers"].get(variable.name) is None
            and variable.read(stored[row["uuid"]]) is not None
        )
        if by_name[variable.name]["released"]:
            assert by_name[variable.name]["suppressed"] == lost, variable.name
        else:  # not released at all: listed, every value gone, none counted as suppressed
            assert variable.name in plan.report["not_released"]
            assert by_name[variable.name]["suppressed"] == 0
            assert all(row["answers"].get(variable.name) is None for row in rows)
    total = sum(v["suppressed"] for v in plan.report["key_variables"])
    released = sum(1 for v in plan.report["key_variables"] if v["released"])
    assert plan.report["key_values_suppressed"] == total
    assert plan.report["key_values_suppressed_percent"] == round(
        100 * total / (plan.report["records"] * released), 2
    )
    # The six Washington Group answers leave as one flag, never as they are.
    assert all(
        not any(name.startswith("wg_") and name != disclosure.DISABILITY for name in row["answers"])
        for row in rows
    )
    assert {row["answers"].get(disclosure.DISABILITY) for row in rows} <= {"yes", "no", None}
    print(json.dumps({k: v for k, v in plan.report.items() if not isinstance(v, list)}))


def test_hierarchy_levels():
    age = disclosure.AgeBand()
    assert [age.up(age.base(value), 0) for value in (23, "20-24", "90+")] == [
        "20-24",
        "20-24",
        "90+",
    ]
    assert [age.up("20-24", level) for level in range(4)] == ["20-24", "20-29", "20-39", None]
    assert age.up("70-74", 1) == "70+" and age.up("65-69", 2) == "60+"
    dates = disclosure.Dates("day")
    assert [dates.up(dates.base("2025-08-14T09:00:00Z"), level) for level in range(5)] == [
        "2025-08-14",
        "2025-08",
        "2025-Q3",
        "2025",
        None,
    ]
    months = disclosure.Dates("month")
    assert [months.up("2025-12", level) for level in range(4)] == [
        "2025-12",
        "2025-Q4",
        "2025",
        None,
    ]
    area = disclosure.Area({"NR01": "NR", "NR": "north"})
    assert [area.up("NR01", level) for level in range(4)] == ["NR01", "NR", "north", None]
    # Levels count from the wards: a district stored as such stays itself one level up.
    assert area.up("NR", 1) == "NR" and area.up("NR", 2) == "north" and area.up(None, 1) is None
    rare = disclosure.MergeRare()
    rare.prepare(Counter({"woman": 40, "man": 38, "another": 2, "prefer_not": 6}), 5)
    assert [rare.up("another", level) for level in range(4)] == ["another", "other", "other", None]
    # One level up, a category under a tenth of the records is merged too.
    assert [rare.up("prefer_not", level) for level in range(3)] == [
        "prefer_not",
        "prefer_not",
        "other",
    ]
    assert rare.up("woman", 2) == "woman"
    flag = disclosure.Variable(
        "wg_disability", "disability", ("wg_a", "wg_b"), disclosure.Disability()
    )
    assert flag.read({"answers": {"wg_a": "some", "wg_b": "cannot"}}) == "yes"
    assert flag.read({"answers": {"wg_a": "some", "wg_b": "none"}}) == "no"
    assert flag.read({"answers": {}}) is None


def test_every_hierarchy_nests():
    """A value taken up one level at a time lands where it lands taken up at once: pass 1
    may coarsen step by step (to bound its memory), pass 2 maps each record directly."""
    area = disclosure.Area({"NR01": "NR", "NR02": "NR", "NR": "north", "CE01": "CE"})
    rare = disclosure.MergeRare()
    rare.prepare(Counter({"a": 50, "b": 30, "c": 9, "d": 3}), 5)
    cases = [
        (disclosure.AgeBand(), [disclosure.AgeBand().base(age) for age in range(0, 121)]),
        (
            disclosure.Dates("day"),
            [f"2025-{m:02d}-{d:02d}" for m in range(1, 13) for d in (1, 15, 28)],
        ),
        (disclosure.Dates("month"), [f"2024-{m:02d}" for m in range(1, 13)]),
        (area, ["NR01", "NR02", "CE01", "NR"]),
        (rare, ["a", "b", "c", "d"]),
        (disclosure.Number(), [0, 4, 5, 17, 99]),
    ]
    for hierarchy, values in cases:
        top = len(hierarchy.levels) - 1
        for value in values:
            for start in range(top + 1):
                for level in range(start, top + 1):
                    stepped = hierarchy.up(value, start) if start else value
                    assert hierarchy.up(stepped, level) == hierarchy.up(value, level), (
                        hierarchy.name,
                        value,
                        start,
                        level,
                    )


def test_a_form_without_declared_keys_still_releases_metadata_safely(tmp_path):
    form = load_form(minimal_form())
    rows = [
        {
            "uuid": f"u{n}",
            "revision": 1,
            "form_id": form.form_id,
            "form_version": "1",
            "device_id": f"laptop-{n % 2}",
            "enumerator": "p_x",
            "locale": "en" if n < 9 else "ha",
            "collected": f"2026-0{1 + n % 2}-1{n % 10}",
            "received_at": "2026-02-20T10:00:00Z",
            "answers": {"size": n},
        }
        for n in range(10)
    ]
    plan = disclosure.make_plan([form], lambda: iter(rows), 3, 2)
    released = list(plan.release().rows(rows))
    assert [v["name"] for v in plan.report["key_variables"]] == [
        "_collected_at",
        "_received_at",
        "_locale",
    ]
    groups = Counter((r["collected"], r["received_at"], r["locale"]) for r in released)
    assert min(groups.values()) >= 3
    assert {r["device_id"] for r in released} == {None}
    stored = {row["uuid"]: row for row in rows}
    assert released and all(r["answers"] == stored[r["uuid"]]["answers"] for r in released)
    assert plan.report["records_left_out"] == 10 - len(released)


def test_bad_k_and_l_are_refused_with_a_clear_error():
    form = load_form(minimal_form())
    with pytest.raises(disclosure.ReleaseError, match="at least 3"):
        disclosure.make_plan([form], lambda: iter([]), 2, 2)
    with pytest.raises(disclosure.ReleaseError, match="l must be"):
        disclosure.make_plan([form], lambda: iter([]), 5, 6)
    with pytest.raises(SettingsError, match="release_k should be a whole number of at least 3"):
        settings.check({**settings.DEFAULTS, "release_k": 2})
    with pytest.raises(SettingsError, match="release_l"):
        settings.check({**settings.DEFAULTS, "release_l": 0})


def test_a_form_declares_roles_and_hierarchies():
    good = minimal_form()
    question = good["sections"][0]["questions"][0]
    question.update(disclosure="key", hierarchy="number")
    assert load_form(good).questions[question["name"]].get("hierarchy") == "number"
    for bad in (
        {"disclosure": "secret"},
        {"disclosure": "sensitive", "hierarchy": "age_band"},
        {"disclosure": "key", "hierarchy": "postcode"},
    ):
        form = minimal_form()
        form["sections"][0]["questions"][0].update(bad)
        with pytest.raises(FormError):
            load_form(form)


def versioned_rows(spread: dict[str, str]) -> list[dict]:
    """Three records per device of each version (`spread`: version -> its devices, one
    letter each), alike but for the version and the device."""
    return [
        {
            "uuid": f"{version}-{device}-{n}",
            "revision": 1,
            "form_id": "household_visit",
            "form_version": version,
            "device_id": f"laptop-{device}",
            "enumerator": None,
            "locale": "en",
            "collected": "2026-03-02",
            "received_at": "2026-03-04T10:00:00Z",
            "answers": {"size": 4},
        }
        for version, devices in spread.items()
        for device in devices
        for n in range(3)
    ]


def version_plan(spread: dict[str, str], order=None):
    forms = [load_form(minimal_form(version=version)) for version in spread]
    rows = versioned_rows(spread)
    publish_order = {} if order is None else {"version_order": order}
    plan = disclosure.make_plan(forms, lambda: iter(rows), 3, 1, **publish_order)
    return plan, list(plan.release().rows(rows))


def test_a_version_few_devices_sent_is_released_in_a_range_with_its_neighbour():
    # Version 2 came from one laptop only: released with version 3 as "2–3".
    plan, rows = version_plan({"1": "abc", "2": "a", "3": "bcd"})
    assert Counter(row["form_version"] for row in rows) == {"1": 9, "2\u20133": 12}
    assert plan.report["min_devices"] == 3
    assert plan.report["form_versions"] == [
        {"released": "1", "versions": ["1"]},
        {"released": "2\u20133", "versions": ["2", "3"]},
    ]
    # A filter on the range, or on one of its versions, selects the whole range.
    assert plan.stored_versions("2\u20133") == plan.stored_versions("2") == ["2", "3"]
    assert plan.stored_versions("1") == ["1"] and plan.stored_versions("9") == []
    assert "_form_version" not in plan.report["not_released"]
    # Neighbours in publish order, as the server gives it.
    plan, rows = version_plan({"1": "ab", "2": "c", "3": "a"}, order=["3", "1", "2"])
    assert {row["form_version"] for row in rows} == {"3\u20132"}
    # The newest version, alone too small, joins the one before it.
    plan, rows = version_plan({"1": "abc", "2": "abc", "3": "d"})
    assert {row["form_version"] for row in rows} == {"1", "2\u20133"}


def test_a_version_three_devices_sent_is_released_exactly():
    plan, rows = version_plan({"1": "abc", "2": "abcde"})
    assert Counter(row["form_version"] for row in rows) == {"1": 9, "2": 15}
    # Pass 1 keeps each version's records per device.
    assert plan.tally.devices == {
        "1": Counter({f"laptop-{d}": 3 for d in "abc"}),
        "2": Counter({f"laptop-{d}": 3 for d in "abcde"}),
    }


def test_a_form_two_devices_sent_releases_no_version():
    plan, rows = version_plan({"1": "a", "2": "ab"})
    assert rows and {row["form_version"] for row in rows} == {None}
    assert "_form_version" in plan.report["not_released"]
    assert plan.report["form_versions"] == [{"released": None, "versions": ["1", "2"]}]
    assert plan.stored_versions("1") == [] and plan.released_versions() == {}
    forms = [load_form(minimal_form(version=version)) for version in ("1", "2")]
    names = [c.name for c in plan.release().columns(exports.columns_for(forms))]
    assert "_form_version" not in names and "_form_id" in names


def survey_row(n: int, answers: dict) -> dict:
    return {
        "uuid": f"r-{n}",
        "revision": 1,
        "form_id": "community_survey",
        "form_version": builtin_forms()["community_survey"].version,
        "device_id": f"laptop-{n % 3}",
        "enumerator": None,
        "locale": "en",
        "collected": "2026-11-20",
        "received_at": "2026-11-21T10:00:00Z",
        "answers": answers,
    }


def discriminated(n: int, reported_to: str) -> dict:
    """A woman of 30 or 31 in one ward who was discriminated against, or not (odd n)."""
    answers = {
        "age": 30 + n % 2,
        "gender": "woman",
        "migration_status": "refugee",
        "language_home": "sw",
        "area": "SR02",
        "urban_rural": "urban",
        "discriminated": "yes" if n % 2 == 0 else "no",
    }
    if n % 2 == 0:
        answers |= {
            "discrimination_grounds": [("ethnicity", "religion")[n % 4 // 2]],
            "discrimination_settings": ["work"] if n % 3 else ["school"],
            "discrimination_frequency": "once" if n % 3 else "often",
            "reported_to": [reported_to if n % 8 else "no_one"],
        }
        if "no_one" in answers["reported_to"]:
            answers["not_reported_why"] = ["fear"] if n % 3 else ["no_trust"]
    return answers


@pytest.mark.parametrize("others", ["no_one", "police"])
def test_a_follow_up_question_is_emptied_with_the_answer_it_follows(others):
    """not_reported_why is asked only of those who told no one: where reported_to is
    emptied for its group (all told no one), its presence would tell reported_to, so it is
    emptied too; where reported_to is released, so is it."""
    form = builtin_forms()["community_survey"]
    rows = [survey_row(n, discriminated(n, others)) for n in range(40)]
    plan = disclosure.make_plan([form], lambda: iter(rows), 5, 2)
    released = list(plan.release().rows(rows))
    assert len(released) == 40
    asked = [r["answers"] for r in released if r["answers"]["discriminated"] == "yes"]
    suppressed = {v["name"]: v["suppressed"] for v in plan.report["sensitive_variables"]}
    if others == "no_one":
        assert not any({"reported_to", "not_reported_why"} & set(a) for a in asked)
        assert suppressed["not_reported_why"] == suppressed["reported_to"] == 40
    else:
        assert sum("not_reported_why" in a for a in asked) == 5  # those who told no one
        assert all(a["reported_to"] for a in asked)
        assert suppressed["not_reported_why"] == suppressed["reported_to"] == 0
    # The questions asked of all who were discriminated against are released either way.
    assert all(a["discrimination_frequency"] for a in asked)


PREGNANCY_SURVEY = [
    ["type", "name", "label", "relevant", "disclosure"],
    ["select_one gender", "gender", "Gender", None, "key"],
    ["select_one area", "area", "Area", None, "key"],
    ["select_one yes_no", "pregnant", "Pregnant?", "${gender} = 'woman'", None],
]
PREGNANCY_CHOICES = [
    ["list_name", "name", "label"],
    ["gender", "woman", "Woman"],
    ["gender", "man", "Man"],
    ["area", "north", "North"],
    ["area", "south", "South"],
    ["yes_no", "yes", "Yes"],
    ["yes_no", "no", "No"],
]


def test_a_question_asked_only_for_a_key_value_is_emptied_where_the_key_is(tmp_path):
    """One woman in the north, where the others did not say their gender: local
    suppression hides her gender among them, and her pregnancy answer, asked only of
    women, would give it back: it is emptied with it. Women in the south keep theirs."""
    path = write_workbook(
        tmp_path / "pregnancy.xlsx",
        PREGNANCY_SURVEY,
        PREGNANCY_CHOICES,
        [["form_id"], ["pregnancy"]],
    )
    form = imported(path).form
    people = [("woman", "south", "yes"), ("woman", "south", "no")] * 5 + [
        ("man", "south", None)
    ] * 6
    people += (
        [("man", "north", None)] * 6 + [(None, "north", None)] * 5 + [("woman", "north", "yes")]
    )
    rows = []
    for n, (gender, area, pregnant) in enumerate(people):
        answers = {"gender": gender, "area": area, "pregnant": pregnant}
        rows.append(
            survey_row(n, {k: v for k, v in answers.items() if v})
            | {"form_id": "pregnancy", "form_version": form.version}
        )
    plan = disclosure.make_plan([form], lambda: iter(rows), 5, 2)
    released = {r["uuid"]: r["answers"] for r in plan.release().rows(rows)}
    her = released[f"r-{len(people) - 1}"]
    assert her == {"area": "north"}, her
    south = [a for a in released.values() if a.get("gender") == "woman"]
    assert len(south) == 10 and all(a["pregnant"] for a in south)
    # Groups only merge: every released combination is still shared by k records.
    keys = Counter((a.get("gender"), a.get("area"), a.get("pregnant")) for a in released.values())
    assert min(Counter((g, ar) for g, ar, _ in keys.elements()).values()) >= 5


def test_a_version_one_device_dominates_is_released_in_a_range():
    """Version 2: 40 records from laptop A and one each from B and C. Three devices, yet B's
    team knows the others are nearly all A's; version 3 is nearly B's and C's alone. They
    are released together, where none dominates; version 1, sent evenly, as it is."""
    spread = {
        "1": {"a": 20, "b": 20, "c": 20},
        "2": {"a": 40, "b": 1, "c": 1},
        "3": {"a": 1, "b": 10, "c": 10},
    }
    forms = [load_form(minimal_form(version=version)) for version in spread]
    rows = [
        versioned_rows({version: device})[0] | {"uuid": f"{version}-{device}-{n}"}
        for version, devices in spread.items()
        for device, records in devices.items()
        for n in range(records)
    ]
    plan = disclosure.make_plan(forms, lambda: iter(rows), 3, 1)
    released = Counter(row["form_version"] for row in plan.release().rows(rows))
    assert released == {"1": 60, "2\u20133": 63}
    # Where the range does not undo it, the version is not released at all.
    assert disclosure.version_ranges(
        {"1": Counter(a=3, b=3, c=3), "2": Counter(d=100)}, ["1", "2"], 3
    ) == {"1": None, "2": None}
    # A version to itself still needs its three devices; the whole range is what counts.
    assert disclosure.version_ranges(
        {"1": Counter(a=3, b=3, c=3), "2": Counter(a=3, b=3, c=4)}, ["1", "2"], 3
    ) == {"1": "1", "2": "2"}
