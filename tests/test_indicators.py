"""Indicators: facts extraction, every estimate against a hand computation, intervals,
disaggregation, small-cell suppression, corrections, revisions and hostile input.

Real SQLite files made by Store.create; records go in through Store.add_record.
The reference values are computed here in plain Python, independently of the module.
"""

from __future__ import annotations

import json
import math
import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from collector.forms import builtin_forms
from sync_server import indicators as ind
from sync_server.indicators import (
    BY_DIMENSIONS,
    COMPLEMENT,
    FACTS_MIGRATIONS,
    INDICATORS,
    NOT_STATED,
    SMALL,
    compare,
    compute,
    fact_row,
    mean_interval,
    refresh_facts,
    t_quantile,
    wilson,
)
from sync_server.store import Store

SURVEY, REPORT, FEEDBACK = "community_survey", "discrimination_report", "community_feedback"
DEVICE, BATCH = "dev-1", "batch-1"
AGREE5 = ["strongly_agree", "agree", "neither", "disagree", "strongly_disagree"]
SAFETY = ["very_safe", "safe", "unsafe", "very_unsafe", "never_alone", "prefer_not"]


# -- Fixtures and helpers ----------------------------------------------------------------


def open_store(path: Path) -> Store:
    store = Store.create(path)
    FACTS_MIGRATIONS.apply(store.db)  # a no-op once Store.create applies it
    with store.transaction():
        store.db.execute(
            "INSERT INTO devices (id, label, token_hash, enrollment_id, enrolled_at)"
            " VALUES (?, 'laptop', 'hash', 'enr', '2024-01-01T00:00:00Z')",
            [DEVICE],
        )
        store.db.execute(
            "INSERT INTO batches (batch_id, device_id, received_at, records, source)"
            " VALUES (?, ?, '2024-01-01T00:00:00Z', 0, 'api')",
            [BATCH, DEVICE],
        )
    return store


@pytest.fixture
def store(tmp_path):
    store = open_store(tmp_path / "server.db")
    yield store
    store.close()


def add(store: Store, records: list[dict]) -> None:
    """Store records as ingest does, then refresh their facts in the same transaction."""
    with store.transaction():
        for record in records:
            store.add_record(record, DEVICE, BATCH)
        refresh_facts(store.db, [record["uuid"] for record in records])


def record(
    number: int,
    answers: dict,
    form_id: str = SURVEY,
    collected: str = "2024-03-15",
    revision: int = 1,
    uuid: str | None = None,
    locale: str = "en",
) -> dict:
    return {
        "uuid": uuid or f"00000000-0000-4000-8000-{number:012d}",
        "revision": revision,
        "form_id": form_id,
        "form_version": "1",
        "locale": locale,
        "collected": collected,
        "enumerator": None,
        "answers": answers,
    }


def survey_answers(i: int) -> dict:
    """Record i of the hand-made dataset: every question varies on its own cycle."""
    answers = {
        "consent": "yes",
        "age": ["20-24", "30-34", "90+", "45-49", "60-64"][i % 5],
        "gender": ["woman", "man"][i % 2],
        "migration_status": ["host", "refugee", "idp"][i % 3],
        "area": ["NR", "CE", "SR", "NR"][i % 4],
        **{name: "none" for name in ind.WG_ITEMS},
        "wg_walking": "a_lot" if i % 10 == 0 else "some",
        **{name: str((i + j) % 6) for j, name in enumerate(ind.WHO5_ITEMS)},
        "life_satisfaction": i % 11,
        "trust_people": (i * 3) % 11,
        **{f"trust_{name}": (i * (j + 1)) % 11 for j, name in enumerate(ind.INSTITUTIONS)},
        "trust_host_newcomers": 10 - i % 11,
        "safety_after_dark": SAFETY[i % 6],
        "incl_visibility": AGREE5[i % 5],
        "incl_consideration": AGREE5[(i + 1) % 5],
        "incl_participation": AGREE5[(i + 2) % 5],
        "incl_rights": AGREE5[(i + 3) % 5],
        "incl_contact": ["daily", "weekly", "monthly", "less", "never"][(i * 2) % 5],
        "incl_documents": ["yes", "partly", "no", "prefer_not"][i % 4],
        "incl_health_access": ["yes", "sometimes", "no", "not_needed"][(i + 1) % 4],
        "incl_income": ["fully", "mostly", "partly", "not_at_all"][(i + 2) % 4],
        "discriminated": ["yes", "yes", "yes", "no", "prefer_not"][i % 5],
    }
    if i % 8 == 7:
        del answers["who5_calm"]
    if i == 39:
        del answers["wg_hearing"]
    if answers["discriminated"] == "yes":
        grounds = {ind.GROUNDS[i % 13], ind.GROUNDS[(i * 7) % 13]}
        answers["discrimination_grounds"] = sorted(grounds)
        answers["discrimination_settings"] = [ind.SETTINGS[i % 13]]
        answers["reported_to"] = [["no_one"], ["police", "ngo"], [ind.CHANNELS[i % 8]]][i % 3]
        if i == 11:
            del answers["reported_to"]
    return answers


def report_answers(i: int) -> dict:
    return {
        "consent": "yes",
        "reporter_role": "self",
        "incident_area": ["NR", "SR"][i % 2],
        "incident_month": f"2024-0{1 + i % 4}",
        "incident_grounds": ["religion"],
        "incident_setting": "work",
        "reported_elsewhere": ["yes", "no", "prefer_not"][i % 3],
    }


def feedback_answers(i: int) -> dict:
    return {
        "feedback_type": ind.FEEDBACK_TYPES[i % 5],
        "topic": ind.TOPICS[i % 11],
        "message": "…",
        "wants_reply": "no",
    }


def dataset() -> list[dict]:
    survey = [record(i, survey_answers(i), collected=f"2024-0{1 + i % 3}-10") for i in range(40)]
    reports = [
        record(100 + i, report_answers(i), REPORT, f"2024-05-0{1 + i % 3}") for i in range(12)
    ]
    feedback = [
        record(
            200 + i,
            feedback_answers(i),
            FEEDBACK,
            f"2024-0{4 + i % 2}-20",
            locale=["en", "ar"][i % 2],
        )
        for i in range(33)
    ]
    return survey + reports + feedback


@pytest.fixture
def loaded(store):
    records = dataset()
    add(store, records)
    return store, records


# -- The reference: each record's value and groups, by hand -------------------------------


def ref_dimension(rec: dict, dimension: str, indicator) -> str | None:
    a = rec["answers"]
    if dimension == "month":
        return (
            a.get("incident_month") if indicator.id == "incident_reports" else rec["collected"][:7]
        )
    if dimension == "area":
        return a.get("area") or a.get("incident_area")
    if dimension == "age_band":
        return a.get("age")
    if dimension == "disability":
        values = [a.get(name) for name in ind.WG_ITEMS]
        if "a_lot" in values or "cannot" in values:
            return "yes"
        return None if None in values else "no"
    return a.get(dimension)


def ref_value(indicator, a: dict):
    """The record's value for the indicator: a number, or None when it does not count."""
    column = indicator.column
    if indicator.kind == "count":
        return 1 if indicator.equals is None or a.get(column) == indicator.equals else 0
    if column == "who5":
        items = [a.get(name) for name in ind.WHO5_ITEMS]
        return None if None in items else 4 * sum(int(x) for x in items)
    if column == "trust_most":
        return None if a.get("trust_people") is None else int(a["trust_people"] >= 6)
    if column == "safe_after_dark":
        scores = {"very_safe": 1, "safe": 1, "unsafe": 0, "very_unsafe": 0}
        return scores.get(a.get("safety_after_dark"))
    if column.startswith("step_"):
        return ref_step(column[5:], a)
    if column == "discriminated":
        return {"yes": 1, "no": 0}.get(a.get(column))
    return (
        ref_discrimination(column, a)
        if column.startswith(("ground_", "setting_", "reported"))
        else a.get(column)
    )


def ref_item(name: str, a: dict):
    value = a.get(name)
    if name in ("incl_visibility", "incl_consideration", "incl_participation", "incl_rights"):
        return {
            "strongly_agree": 1,
            "agree": 1,
            "neither": 0,
            "disagree": 0,
            "strongly_disagree": 0,
        }.get(value)
    return {
        "incl_contact": {"daily": 1, "weekly": 1, "monthly": 0, "less": 0, "never": 0},
        "incl_documents": {"yes": 1, "partly": 0, "no": 0},
        "incl_health_access": {"yes": 1, "sometimes": 0, "no": 0},
        "incl_income": {"fully": 1, "mostly": 1, "partly": 0, "not_at_all": 0},
    }[name].get(value)


def ref_step(step: str, a: dict):
    items = {
        "visibility": ["incl_visibility"],
        "consideration": ["incl_consideration"],
        "interaction": ["incl_participation", "incl_contact"],
        "rights": ["incl_rights", "incl_documents"],
        "resources": ["incl_health_access", "incl_income"],
    }[step]
    scores = [ref_item(name, a) for name in items if ref_item(name, a) is not None]
    return None if not scores else int(all(scores))


def ref_discrimination(column: str, a: dict):
    if a.get("discriminated") != "yes":
        return None
    if column.startswith("ground_"):
        return int(column[7:] in a["discrimination_grounds"])
    if column.startswith("setting_"):
        return int(column[8:] in a["discrimination_settings"])
    told = a.get("reported_to")
    if not told:
        return None
    if column == "reported":
        return int(told != ["no_one"])
    return int(column[len("reported_to_") :] in told)


def reference(indicator, records: list[dict], by: str | None, where: dict | None = None):
    """{group: (n, estimate)} for an indicator, computed by hand from the records."""
    groups: dict = {}
    for rec in records:
        if rec["form_id"] != indicator.form:
            continue
        if any(ref_dimension(rec, key, indicator) != value for key, value in (where or {}).items()):
            continue
        group = (ref_dimension(rec, by, indicator) or NOT_STATED) if by else None
        value = ref_value(indicator, rec["answers"])
        if value is None:
            continue
        groups.setdefault(group, []).append(value)
    result = {}
    for group, values in groups.items():
        if indicator.kind == "count":
            result[group] = (sum(values), float(sum(values)))
        elif indicator.kind == "share":
            result[group] = (len(values), 100 * sum(values) / len(values))
        else:
            result[group] = (len(values), sum(values) / len(values))
    return result


def shown(result) -> dict:
    return {cell.group: (cell.n, cell.estimate) for cell in result.cells if not cell.suppressed}


def assert_matches(result, expected: dict, k: int):
    """Every group of the reference is a cell (unknown values as NOT_STATED); a shown cell
    equals the reference and has at least k; every cell below k is hidden as small, and any
    other hidden cell is a complement. Hidden cells carry no number."""
    if result.by is None:
        expected = expected or {None: (0, 0.0)}  # no records: still one (hidden) cell
    assert {cell.group for cell in result.cells} >= set(expected)
    assert [cell.group for cell in result.cells] == sorted(
        [cell.group for cell in result.cells], key=ind._natural
    )
    for cell in result.cells:
        # A group nobody answered in is listed (hidden) when a linked table has it.
        n, estimate = expected.get(cell.group, (0, 0.0))
        if cell.suppressed:
            assert (cell.n, cell.estimate, cell.ci_low, cell.ci_high) == (None,) * 4
            assert cell.reason == (SMALL if n < k else COMPLEMENT), (result.indicator, cell)
        else:
            assert n >= k and cell.reason is None, (result.indicator, cell)
            assert cell.n == n and cell.estimate == pytest.approx(estimate), (
                result.indicator,
                cell.group,
            )


# -- Facts -------------------------------------------------------------------------------


def test_the_constants_are_the_forms_choices():
    forms = builtin_forms()

    def names(form, question):
        return [c["name"] for c in forms[form].choices(forms[form].questions[question])]

    assert list(ind.GROUNDS) == names(SURVEY, "discrimination_grounds")
    assert list(ind.SETTINGS) == names(SURVEY, "discrimination_settings")
    assert list(ind.CHANNELS) == [n for n in names(SURVEY, "reported_to") if n != "no_one"]
    assert list(ind.FEEDBACK_TYPES) == names(FEEDBACK, "feedback_type")
    assert list(ind.TOPICS) == names(FEEDBACK, "topic")
    questions = forms[SURVEY].questions
    for name in (
        *ind.WHO5_ITEMS,
        *ind.WG_ITEMS,
        *ind.INCLUSION_ITEMS,
        *(f"trust_{i}" for i in ind.INSTITUTIONS),
    ):
        assert name in questions
    for name, (yes, no) in ind.INCLUSION_ITEMS.items():
        assert yes | no <= set(names(SURVEY, name))


def test_fact_row_types_and_missing_values():
    answers = survey_answers(0)
    row = fact_row(record(0, answers, collected="2024-02-29"))
    assert row["month"] == "2024-02" and row["area"] == "NR" and row["age_band"] == "20-24"
    assert row["disability"] == "yes" and row["who5"] == 4 * (0 + 1 + 2 + 3 + 4)
    assert row["trust_most"] == 0 and row["safe_after_dark"] == 1
    assert row["discriminated"] == 1 and row["reported"] == 0 and row["reported_to_police"] == 0
    assert row["ground_ethnicity"] == 1 and row["ground_religion"] == 0
    assert fact_row({"uuid": "u", "form_id": SURVEY, "answers": "not a dict"}) is None
    empty = fact_row(record(1, {}))
    assert all(
        empty[c] is None
        for c in ind.FACT_COLUMNS
        if c not in ("uuid", "form_id", "month", "locale")
    )


def test_fact_row_scoring_rules():
    row = lambda answers: fact_row(record(1, answers))  # noqa: E731
    assert row({"wg_seeing": "cannot"})["disability"] == "yes"  # one is enough
    assert row({n: "some" for n in ind.WG_ITEMS})["disability"] == "no"
    assert row({n: "some" for n in ind.WG_ITEMS[:5]})["disability"] is None
    assert row({"life_satisfaction": 11})["life_satisfaction"] is None
    assert row({"life_satisfaction": True})["life_satisfaction"] is None
    assert row({"life_satisfaction": "7"})["life_satisfaction"] == 7
    assert row({"trust_people": 6})["trust_most"] == 1
    assert row({"age": 37})["age_band"] == "35-39" and row({"age": 95})["age_band"] == "90+"
    assert row({"safety_after_dark": "never_alone"})["safe_after_dark"] is None
    resources = row({"incl_health_access": "not_needed", "incl_income": "mostly"})
    assert resources["incl_health_access"] is None and resources["step_resources"] == 1
    assert row({"incl_participation": "agree", "incl_contact": "never"})["step_interaction"] == 0
    assert row({})["step_rights"] is None
    no = row({"discriminated": "no", "discrimination_grounds": ["age"], "reported_to": ["police"]})
    assert no["ground_age"] is None and no["reported"] is None  # stale answers do not count
    yes = row({"discriminated": "yes", "discrimination_grounds": "age religion"})
    assert yes["ground_age"] == 1 and yes["ground_religion"] == 1 and yes["reported"] is None
    assert row({"discriminated": "prefer_not"})["discriminated"] is None


def test_report_and_feedback_facts():
    report = fact_row(
        record(
            1,
            {
                "incident_month": "2023-11",
                "incident_area": "SR",
                "reported_elsewhere": "prefer_not",
            },
            REPORT,
        )
    )
    assert report["incident_month"] == "2023-11" and report["area"] == "SR"
    assert report["reported_elsewhere"] is None and report["who5"] is None
    feedback = fact_row(record(2, {"feedback_type": "complaint", "topic": "water"}, FEEDBACK))
    assert (feedback["feedback_type"], feedback["topic"]) == ("complaint", "water")


def test_the_migration_fills_facts_from_stored_records(store):
    add(store, [record(i, survey_answers(i)) for i in range(5)])
    store.db.execute("DROP TABLE facts")
    store.db.execute("DROP TABLE facts_cube")
    store.db.execute("DELETE FROM _sqlite_migrations WHERE migration_set = 'indicators'")
    FACTS_MIGRATIONS.apply(store.db)
    assert store.db.execute("SELECT count(*) FROM facts").fetchone()[0] == 5
    assert store.db.execute("SELECT sum(n) FROM facts_cube").fetchone()[0] == 5


# -- Definitions -------------------------------------------------------------------------


def test_indicator_definitions():
    ids = [indicator.id for indicator in INDICATORS]
    assert len(ids) == len(set(ids))
    for indicator in INDICATORS:
        assert indicator.kind in ("mean", "share", "count")
        assert indicator.column in ind.FACT_COLUMNS
        assert indicator.form in (SURVEY, REPORT, FEEDBACK)
        assert str(indicator.title) and str(indicator.unit)
    families = {indicator.family for indicator in INDICATORS} - {None}
    assert families == set(ind.FAMILIES)
    assert {f"trust_{name}" for name in ind.INSTITUTIONS} <= set(ids)
    assert {f"step_{name}" for name in ind.STEPS} <= set(ids)
    assert {f"ground_{name}" for name in ind.GROUNDS} <= set(ids)
    assert {f"setting_{name}" for name in ind.SETTINGS} <= set(ids)
    assert {f"reported_to_{name}" for name in ind.CHANNELS} <= set(ids)
    assert {
        "who5",
        "life_satisfaction",
        "trust_most",
        "safe_after_dark",
        "discriminated",
        "reported",
        "incident_reports",
    } <= set(ids)


# -- Estimates against the hand computation ----------------------------------------------


@pytest.mark.parametrize("by", [None, *BY_DIMENSIONS])
def test_every_indicator_matches_the_hand_computation(loaded, by):
    store, records = loaded
    for indicator in INDICATORS:
        result = compute(store.db, indicator.id, by=by, k=1)
        assert result.by == by and result.k == 1 and result.title is indicator.title
        assert_matches(result, reference(indicator, records, by), 1)


def test_a_few_values_worked_out_by_hand(loaded):
    store, _records = loaded
    # 40 interviews: i % 5 in (0, 1, 2) said yes (24), i % 5 == 3 said no (8), the rest declined.
    discriminated = compute(store.db, "discriminated").cells[0]
    assert (discriminated.n, discriminated.estimate) == (32, 75.0)
    # who5 is missing for i % 8 == 7: 35 complete answers.
    assert compute(store.db, "who5").cells[0].n == 35
    # life satisfaction i % 11 over i = 0..39: 3 × (0+...+10) + (0+...+6) = 186.
    assert compute(store.db, "life_satisfaction").cells[0].estimate == pytest.approx(186 / 40)
    by_area = {c.group: c.n for c in compute(store.db, "life_satisfaction", by="area").cells}
    assert by_area == {"NR": 20, "CE": 10, "SR": 10}
    # Feedback records have no area: they are all "not stated".
    feedback = compute(store.db, "feedback_type_question", by="area", k=1).cells
    assert [(c.group, c.n) for c in feedback] == [(NOT_STATED, 7)]
    # 33 feedback messages, types in turn: 7 questions, 7 suggestions, 7 complaints, 6, 6.
    complaints = compute(store.db, "feedback_type_complaint", by="month", k=1)
    assert {c.group: c.n for c in complaints.cells} == {"2024-04": 4, "2024-05": 3}
    incidents = compute(store.db, "incident_reports", by="month", k=1)
    assert {c.group: c.n for c in incidents.cells} == {f"2024-0{m}": 3 for m in range(1, 5)}


def test_compare_puts_a_family_side_by_side(loaded):
    store, _records = loaded
    result = compare(store.db, "trust_institutions", k=1)
    assert [c.group for c in result.cells] == [f"trust_{n}" for n in ind.INSTITUTIONS]
    for cell in result.cells:
        single = compute(store.db, cell.group, k=1).cells[0]
        assert (cell.n, cell.estimate, cell.ci_low) == (single.n, single.estimate, single.ci_low)
    assert str(result.group_labels["trust_police"]) == "Police"
    # 7, 7, 7, 6 and 6 messages add up to the form's total: the two small cells of 6 would
    # be known exactly (their sum is 12 and neither can exceed 6), so one 7 is hidden too.
    types = compare(store.db, "feedback_types", k=7)
    assert [c.reason for c in types.cells] == [None, None, COMPLEMENT, SMALL, SMALL]
    with pytest.raises(KeyError):
        compare(store.db, "nonsense")


def test_where_filters_on_dimensions(loaded):
    store, records = loaded
    for indicator in (ind.BY_ID["who5"], ind.BY_ID["discriminated"], ind.BY_ID["ground_religion"]):
        result = compute(store.db, indicator.id, by="area", k=1, where={"gender": "woman"})
        assert_matches(result, reference(indicator, records, "area", {"gender": "woman"}), 1)
    both = compute(store.db, "who5", where={"area": ["CE", "SR"]}).cells[0]
    assert (
        both.n
        == compute(store.db, "who5", where={"area": "CE"}).cells[0].n
        + compute(store.db, "who5", where={"area": "SR"}).cells[0].n
    )
    arabic = compute(store.db, "feedback_type_question", where={"locale": "ar"}, k=1).cells[0]
    assert arabic.n == sum(1 for i in range(33) if i % 2 == 1 and i % 5 == 0)


# -- Intervals ---------------------------------------------------------------------------


def test_t_quantiles():
    assert t_quantile(1) == 12.706 and t_quantile(7) == 2.365 and t_quantile(29) == 2.045
    assert t_quantile(30) == 1.96 and t_quantile(10_000) == 1.96
    with pytest.raises(ValueError):
        t_quantile(0)


def test_mean_interval_known_values():
    values = [2, 4, 4, 4, 5, 5, 7, 9]  # mean 5, sample variance 32/7
    mean, low, high = mean_interval(len(values), sum(values), sum(v * v for v in values))
    half = 2.365 * math.sqrt(32 / 7 / 8)
    assert mean == 5 and low == pytest.approx(5 - half) and high == pytest.approx(5 + half)
    assert (low, high) == pytest.approx((3.2122, 6.7878), abs=1e-4)  # 5 ± 2.365 × 0.7559
    assert mean_interval(1, 7, 49) == (7, None, None)
    big = mean_interval(100, 500, 100 * 25 + 99 * 4)  # sd 2: 1.96 × 2 / 10
    assert big[2] - big[0] == pytest.approx(0.392)


@pytest.mark.parametrize(
    "successes, n, low, high",
    [
        (8, 10, 0.4902, 0.9433),
        (5, 10, 0.2366, 0.7634),
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (81, 263, 0.2553, 0.3662),
    ],
)
def test_wilson_known_values(successes, n, low, high):
    got = wilson(successes, n)
    assert got == pytest.approx((low, high), abs=5e-4)


def test_compute_reports_the_intervals(store):
    answers = [
        {"trust_people": 8 if i < 8 else 2, "life_satisfaction": [2, 4, 4, 4, 5, 5, 7, 9][i % 8]}
        for i in range(10)
    ]
    add(store, [record(i, a) for i, a in enumerate(answers)])
    share = compute(store.db, "trust_most").cells[0]
    assert (share.n, share.estimate) == (10, 80.0)
    assert (share.ci_low, share.ci_high) == pytest.approx((49.02, 94.33), abs=0.01)
    values = [a["life_satisfaction"] for a in answers]
    mean = compute(store.db, "life_satisfaction").cells[0]
    sd = math.sqrt(sum((v - 4.6) ** 2 for v in values) / 9)
    assert mean.estimate == pytest.approx(4.6)
    assert mean.ci_high - mean.estimate == pytest.approx(2.262 * sd / math.sqrt(10))
    count = compute(store.db, "incident_reports").cells
    assert count[0].suppressed and count[0].n is None  # no reports at all: not a zero


# -- Suppression ---------------------------------------------------------------------------


def test_k_is_configurable(loaded):
    store, records = loaded
    indicator = ind.BY_ID["who5"]
    for k in (1, 5, 9, 12, 100):
        result = compute(store.db, "who5", by="area", k=k)
        assert result.k == k
        assert_matches(result, reference(indicator, records, "area"), k)
    assert all(c.suppressed for c in compute(store.db, "who5", by="age_band", k=100).cells)
    for bad in (0, -1, 2.5, "5", True):
        with pytest.raises(ValueError):
            compute(store.db, "who5", k=bad)


def random_answers(rnd: random.Random) -> dict:
    """A survey answer set with every question sometimes missing."""
    maybe = lambda value: value if rnd.random() < 0.85 else None  # noqa: E731
    answers = {
        "area": maybe(rnd.choice(["NR", "CE", "SR"])),
        "gender": maybe(rnd.choice(["woman", "man", "another", "prefer_not"])),
        "age": maybe(rnd.choice(["15-19", "20-24", "50-54", "90+"])),
        "migration_status": maybe(rnd.choice(["host", "idp", "refugee", "migrant"])),
        **{n: maybe(rnd.choice(["none", "some", "a_lot", "cannot"])) for n in ind.WG_ITEMS},
        **{n: maybe(str(rnd.randint(0, 5))) for n in ind.WHO5_ITEMS},
        "life_satisfaction": maybe(rnd.randint(0, 10)),
        "trust_people": maybe(rnd.randint(0, 10)),
        **{f"trust_{n}": maybe(rnd.randint(0, 10)) for n in ind.INSTITUTIONS},
        "trust_host_newcomers": maybe(rnd.randint(0, 10)),
        "safety_after_dark": maybe(rnd.choice(SAFETY)),
        **{n: maybe(rnd.choice(sorted(yes | no))) for n, (yes, no) in ind.INCLUSION_ITEMS.items()},
        "discriminated": maybe(rnd.choice(["yes", "no", "prefer_not"])),
    }
    if answers["discriminated"] == "yes":
        answers["discrimination_grounds"] = rnd.sample(ind.GROUNDS, rnd.randint(1, 3))
        answers["discrimination_settings"] = rnd.sample(ind.SETTINGS, rnd.randint(1, 2))
        answers["reported_to"] = rnd.choice([["no_one"], rnd.sample(ind.CHANNELS, 2)])
    return {key: value for key, value in answers.items() if value is not None}


def random_records(seed: int, count: int) -> list[dict]:
    rnd = random.Random(seed)
    records = [
        record(i, random_answers(rnd), collected=f"2024-0{rnd.randint(1, 4)}-01")
        for i in range(count)
    ]
    records += [
        record(
            1000 + i,
            {"feedback_type": rnd.choice(ind.FEEDBACK_TYPES), "topic": rnd.choice(ind.TOPICS)},
            FEEDBACK,
            f"2024-0{rnd.randint(1, 4)}-01",
        )
        for i in range(count // 2)
    ]
    records += [
        record(
            2000 + i,
            {
                "incident_month": f"2023-1{rnd.randint(0, 2)}",
                "incident_area": rnd.choice(["NR", "SR"]),
            },
            REPORT,
        )
        for i in range(count // 4)
    ]
    return records


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), count=st.integers(0, 60), k=st.integers(1, 12))
def test_no_cell_below_k_ever_carries_a_number(seed, count, k):
    records = random_records(seed, count)
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(Path(folder) / "server.db")
        try:
            add(store, records)
            for indicator in INDICATORS:
                for by in (None, *BY_DIMENSIONS):
                    result = compute(store.db, indicator.id, by=by, k=k)
                    expected = reference(indicator, records, by)
                    assert_matches(result, expected, k)
                    for cell in result.cells:
                        if not cell.suppressed:
                            assert cell.n >= k and cell.estimate is not None
        finally:
            store.close()


# -- Revisions, corrections, hostile input -----------------------------------------------


def test_only_the_latest_revision_counts(store):
    uuid = "11111111-1111-4111-8111-111111111111"
    add(store, [record(0, {"trust_people": 9}, uuid=uuid, revision=2)])
    add(store, [record(0, {"trust_people": 1}, uuid=uuid, revision=1)])  # late, older
    cell = compute(store.db, "trust_most", k=1).cells[0]
    assert (cell.n, cell.estimate) == (1, 100.0)
    add(store, [record(0, {"trust_people": 2}, uuid=uuid, revision=3)])
    cell = compute(store.db, "trust_most", k=1).cells[0]
    assert (cell.n, cell.estimate) == (1, 0.0)
    assert store.db.execute("SELECT count(*) FROM facts").fetchone()[0] == 1


def test_corrections_are_applied(store):
    add(store, [record(i, {"discriminated": "no", "area": "NR"}) for i in range(4)])
    assert compute(store.db, "discriminated", k=1).cells[0].estimate == 0.0
    uuid = record(2, {})["uuid"]
    with store.transaction():
        store.db.execute(
            "UPDATE records SET answers_current = ? WHERE uuid = ? AND is_latest = 1",
            [json.dumps({"discriminated": "yes", "area": "SR"}), uuid],
        )
        refresh_facts(store.db, [uuid])
    assert compute(store.db, "discriminated", k=1).cells[0].estimate == 25.0
    assert {c.group: c.n for c in compute(store.db, "discriminated", by="area", k=1).cells} == {
        "NR": 3,
        "SR": 1,
    }


def test_refresh_drops_facts_of_records_that_are_gone(store):
    add(store, [record(i, {"trust_people": 7}) for i in range(3)])
    uuid = record(1, {})["uuid"]
    with store.transaction():
        store.db.execute("DELETE FROM records WHERE uuid = ?", [uuid])
        refresh_facts(store.db, [uuid])
    assert compute(store.db, "trust_most", k=1).cells[0].n == 2


def test_bad_by_is_rejected(loaded):
    store, _records = loaded
    for by in ("locale", "uuid", "who5", "area; DROP TABLE facts", "", "AREA"):
        with pytest.raises(ValueError):
            compute(store.db, "who5", by=by)
    with pytest.raises(KeyError):
        compute(store.db, "no_such_indicator")


def test_where_cannot_inject_sql(loaded):
    store, _records = loaded
    before = store.db.execute("SELECT count(*) FROM facts").fetchone()[0]
    for value in ("NR' OR '1'='1", 'NR" OR 1=1 --', "x'); DROP TABLE facts; --"):
        cell = compute(store.db, "who5", where={"area": value}, k=1).cells[0]
        assert cell.suppressed and cell.n is None  # no records match such a value
    for where in (
        {"area = 'NR' OR 1=1 --": "x"},
        {"uuid": "x"},
        {"who5": "1"},
        {"area": 1},
        {"area": ["NR", object()]},
    ):
        with pytest.raises(ValueError):
            compute(store.db, "who5", where=where)
    assert store.db.execute("SELECT count(*) FROM facts").fetchone()[0] == before


def test_an_indicator_is_one_query_over_facts_only(loaded):
    """One aggregate over the form's facts (the cells to hide need every indicator of the
    form, so all come in that one query); then the view is kept until the facts change."""
    store, _records = loaded
    seen = []
    store.db.conn.set_trace_callback(seen.append)
    compute(store.db, "ground_religion", by="disability", where={"gender": "woman"})
    store.db.conn.set_trace_callback(None)
    aggregates = [sql for sql in seen if "FROM facts " in sql or "FROM facts_cube" in sql]
    assert len(aggregates) == 1 and all("json" not in sql.lower() for sql in seen)
    assert not [sql for sql in seen if "records" in sql]
    plan = " ".join(row[3] for row in store.db.execute("EXPLAIN QUERY PLAN " + aggregates[0]))
    assert "PRIMARY KEY (form_id=?)" in plan  # one range of the clustered table
    seen.clear()
    store.db.conn.set_trace_callback(seen.append)
    compute(store.db, "discriminated", by="disability", where={"gender": "woman"})
    store.db.conn.set_trace_callback(None)
    assert not [sql for sql in seen if "sum(" in sql]  # the same form's tables, kept
    add(store, [record(900, {"gender": "woman", "discriminated": "yes"})])
    assert compute(store.db, "discriminated", where={"gender": "woman"}).cells[0].n == 1 + sum(
        1 for i in range(40) if i % 2 == 0 and i % 5 in (0, 1, 2, 3)
    )


def test_groups_sort_naturally_and_have_labels(store):
    ages = ["90+", "10-14", "5-9", "15-19", "5-9"]
    add(
        store,
        [
            record(i, {"age": age, "trust_people": 5, "wg_seeing": "cannot"})
            for i, age in enumerate(ages)
        ],
    )
    result = compute(store.db, "trust_most", by="age_band", k=1)
    assert [c.group for c in result.cells] == ["5-9", "10-14", "15-19", "90+"]
    disability = compute(store.db, "trust_most", by="disability", k=1)
    assert [str(disability.group_labels[c.group]) for c in disability.cells] == [
        "With a disability"
    ]
    assert set(BY_DIMENSIONS) <= set(ind.DIMENSION_TITLES)


def test_the_cube_gives_the_same_answers_as_the_facts(loaded):
    """Views read the summed cube; it must agree with the facts, after changes too."""
    from sync_server.indicators import _form_tables

    store, records = loaded

    def check():
        for by in (None, *BY_DIMENSIONS):
            for where in (None, {"gender": "woman"}, {"area": ["NR", None]}):
                cube = _form_tables(store.db, SURVEY, by, where, cube=True)
                facts = _form_tables(store.db, SURVEY, by, where, cube=False)
                for name in cube[0]:
                    assert _rounded(cube[0][name]) == _rounded(facts[0][name]), (name, by, where)
                    assert _rounded({None: cube[1][name]}) == _rounded({None: facts[1][name]})

    check()
    # A correction and a new revision move records between cells of the cube.
    first = records[0]
    store.correct(first["uuid"], "gender", "man", "analyst")
    changed = dict(
        records[1], revision=2, answers=dict(records[1]["answers"], area="SR", life_satisfaction=0)
    )
    with store.transaction():
        store.add_record(changed, DEVICE, BATCH)
        store.after_change([changed["uuid"]])
    check()
    assert (
        store.db.execute("SELECT sum(n) FROM facts_cube").fetchone()[0]
        == store.db.execute("SELECT count(*) FROM facts").fetchone()[0]
    )


def _rounded(table: dict) -> dict:
    """Group: count and sum (a share's sum of squares is not used, so not compared)."""
    return {group: (int(n), round(float(total), 6)) for group, (n, total, _q) in table.items()}
