"""Design-based estimates against independent references.

- Published results of R's survey package on its California schools data
  (tests/fixtures/survey/README.md says where the numbers come from).
- samplics (an independent Python implementation of Taylor linearization) on synthetic
  stratified cluster samples.
- Closed forms computed here with plain numpy (stratified SRS, design effect).
- A simulation: many cluster samples from one synthetic population; the design-based 95%
  intervals cover the true value 93-97% of the time, the simple intervals clearly less.
"""

from __future__ import annotations

import csv
import io
import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

from sync_server import survey_design as sd

FIXTURES = Path(__file__).parent / "fixtures" / "survey"


def _load(name: str) -> list[dict]:
    with open(FIXTURES / f"{name}.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def _column(rows, name, kind=float):
    return np.array([kind(row[name]) for row in rows])


def _significant(value: float, digits: int = 4) -> float:
    return float(f"{value:.{digits - 1}e}")


# -- Published results ------------------------------------------------------------------


def test_stratified_sample_matches_r_survey():
    """svydesign(id=~1, strata=~stype, weights=~pw, fpc=~fpc, data=apistrat):
    svymean(~api00) = 662.29, SE 9.4089; without fpc the SE is 9.5361."""
    rows = _load("apistrat")
    y, w = _column(rows, "api00"), _column(rows, "pw")
    strata = [row["stype"] for row in rows]
    sizes = {row["stype"]: float(row["fpc"]) for row in rows}
    design, totals, _labels = sd.psu_totals(y, w, strata, None, sizes)
    result = sd.estimate(design, totals)
    assert _significant(result.estimate, 5) == 662.29
    assert _significant(result.se, 5) == 9.4089
    design, totals, _labels = sd.psu_totals(y, w, strata, None)
    assert _significant(sd.estimate(design, totals).se, 5) == 9.5361


def test_cluster_sample_matches_r_survey():
    """svydesign(id=~dnum, weights=~pw, fpc=~fpc, data=apiclus1): svymean(~api00) =
    644.17, SE 23.542; svyby(~api00, ~stype, dclus1, svymean): E 648.87 (SE 22.36),
    H 618.57 (SE 38.02), M 631.44 (SE 31.61): domains over the whole design."""
    rows = _load("apiclus1")
    y, w = _column(rows, "api00"), _column(rows, "pw")
    clusters = [row["dnum"] for row in rows]
    design, totals, _labels = sd.psu_totals(y, w, None, clusters, 757)
    result = sd.estimate(design, totals)
    assert _significant(result.estimate, 5) == 644.17
    assert _significant(result.se, 5) == 23.542
    assert result.df == 14
    published = {"E": (648.87, 22.36), "H": (618.57, 38.02), "M": (631.44, 31.61)}
    for stype, (mean, se) in published.items():
        inside = [row["stype"] == stype for row in rows]
        _design, group, _labels = sd.psu_totals(y, w, None, clusters, 757, domain=inside)
        found = sd.estimate(design, group)
        assert round(found.estimate, 2) == mean
        assert round(found.se, 2) == se


def test_design_effect_is_variance_over_srs_variance():
    """deff and effective n from their definitions, computed here independently."""
    rows = _load("apiclus1")
    y, w = _column(rows, "api00"), _column(rows, "pw")
    design, totals, _labels = sd.psu_totals(y, w, None, [r["dnum"] for r in rows], 757)
    result = sd.estimate(design, totals)
    n, total = len(y), w.sum()
    mean = (w * y).sum() / total
    s2 = (w * (y - mean) ** 2).sum() / total * n / (n - 1)
    srs_variance = s2 / n * (1 - n / total)
    assert result.deff == pytest.approx(result.se**2 / srs_variance, rel=1e-12)
    assert result.effective_n == pytest.approx(n / result.deff, rel=1e-12)
    assert result.deff > 5  # districts are very unlike each other: clustering costs a lot


def test_stratified_srs_closed_form_and_fpc():
    """Stratified simple random sampling: Var = sum (N_h/N)^2 (1 - n_h/N_h) s_h^2 / n_h."""
    rng = np.random.default_rng(7)
    sizes = {"a": 400.0, "b": 900.0, "c": 150.0}
    samples = {"a": 30, "b": 45, "c": 12}
    y, w, strata = [], [], []
    for name, n in samples.items():
        y += list(rng.normal(10 + len(name), 3, n))
        w += [sizes[name] / n] * n
        strata += [name] * n
    y, w = np.array(y), np.array(w)
    design, totals, _labels = sd.psu_totals(y, w, strata, None, sizes)
    found = sd.estimate(design, totals)
    big_n = sum(sizes.values())
    expected = 0.0
    for name, n in samples.items():
        values = y[np.array(strata) == name]
        expected += (sizes[name] / big_n) ** 2 * (1 - n / sizes[name]) * values.var(ddof=1) / n
    assert found.se == pytest.approx(math.sqrt(expected), rel=1e-10)


# -- samplics, on synthetic stratified cluster samples ----------------------------------


def _synthetic(seed: int, n: int = 4000):
    rng = np.random.default_rng(seed)
    stratum = rng.integers(0, 6, n)
    psu = rng.integers(0, 9, n)
    w = rng.uniform(0.4, 4.0, n)
    y = rng.normal(50, 12, n) + 3 * psu - stratum
    group = rng.choice(np.array(["north", "south", "east"]), n)
    return y, w, stratum, psu, group


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_means_shares_and_domains_match_samplics(seed):
    pytest.importorskip("samplics", reason="samplics is in the test extra")
    from samplics import TaylorEstimator
    from samplics.utils.types import PopParam

    y, w, stratum, psu, group = _synthetic(seed)
    design, totals, _labels = sd.psu_totals(y, w, stratum, psu)
    ours = sd.estimate(design, totals)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = TaylorEstimator(PopParam.mean)
        theirs.estimate(y, samp_weight=w, stratum=stratum, psu=psu)
    assert ours.estimate == pytest.approx(theirs.point_est, rel=1e-12)
    assert ours.se == pytest.approx(theirs.stderror, rel=1e-9)

    share = (y > 55).astype(float)
    _design, share_totals, _labels = sd.psu_totals(share, w, stratum, psu)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = TaylorEstimator(PopParam.prop)
        theirs.estimate(share, samp_weight=w, stratum=stratum, psu=psu)
    assert sd.estimate(design, share_totals).se == pytest.approx(theirs.stderror[1.0], rel=1e-9)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = TaylorEstimator(PopParam.mean)
        theirs.estimate(y, samp_weight=w, stratum=stratum, psu=psu, domain=group)
    for name in ("north", "south", "east"):
        _design, part, _labels = sd.psu_totals(y, w, stratum, psu, domain=group == name)
        found = sd.estimate(design, part)
        assert found.estimate == pytest.approx(theirs.point_est[name], rel=1e-12)
        assert found.se == pytest.approx(theirs.stderror[name], rel=1e-9)


def test_missing_answers_are_a_domain_not_a_subset():
    """A record with no answer stays in its PSU: dropping it would change the SE."""
    y, w, stratum, psu, _group = _synthetic(4)
    y = y.copy()
    y[::3] = np.nan
    design, totals, _labels = sd.psu_totals(y, w, stratum, psu)
    _design, explicit, _labels = sd.psu_totals(
        np.nan_to_num(y), w, stratum, psu, domain=~np.isnan(y)
    )
    assert sd.estimate(design, totals) == sd.estimate(design, explicit)


# -- Differences between groups ---------------------------------------------------------


def test_group_against_rest_accounts_for_covariance():
    """The difference's SE from the linearized difference equals the SE from the joint
    variance: Var(a - b) = Var(a) + Var(b) - 2 Cov(a, b), with Cov from the PSU totals."""
    y, w, stratum, psu, group = _synthetic(5)
    design, everyone, _labels = sd.psu_totals(y, w, stratum, psu)
    domains = {
        name: sd.psu_totals(y, w, stratum, psu, domain=group == name)[1]
        for name in ("north", "south", "east")
    }
    comparisons = sd.compare_domains(design, domains, everyone)
    north = next(c for c in comparisons if c.group == "north")
    rest = everyone - domains["north"]

    def z(totals):
        mean = totals.wy.sum() / totals.w.sum()
        return (totals.wy - mean * totals.w) / totals.w.sum()

    za, zb = z(domains["north"]), z(rest)
    n_h = np.bincount(design.stratum)

    def cov(a, b):
        total = 0.0
        for h in range(design.n_strata):
            rows = design.stratum == h
            total += (
                n_h[h]
                / (n_h[h] - 1)
                * ((a[rows] - a[rows].mean()) * (b[rows] - b[rows].mean())).sum()
            )
        return total

    joint = cov(za, za) + cov(zb, zb) - 2 * cov(za, zb)
    assert north.se == pytest.approx(math.sqrt(joint), rel=1e-10)
    assert cov(za, zb) != pytest.approx(0.0)  # the covariance matters here
    assert north.difference == pytest.approx(
        domains["north"].wy.sum() / domains["north"].w.sum() - rest.wy.sum() / rest.w.sum()
    )
    against_east = sd.compare_domains(design, domains, everyone, reference="east")
    assert [c.group for c in against_east] == ["north", "south"]


def test_holm_adjustment():
    """Holm (1979): sorted p-values times m, m-1, ..., made monotone, capped at 1."""
    assert sd.holm([0.01, 0.04, 0.03, None, 0.5]) == pytest.approx([0.04, 0.09, 0.09, None, 0.5])
    assert sd.holm([]) == []


def test_a_real_gap_is_flagged_and_noise_is_not():
    rng = np.random.default_rng(11)
    n = 3000
    psu = rng.integers(0, 40, n)
    group = rng.choice(np.array(["a", "b", "c", "d"]), n)
    y = rng.normal(0, 1, n) + np.where(group == "a", 0.6, 0.0)
    w = np.ones(n)
    design, everyone, _labels = sd.psu_totals(y, w, None, psu)
    domains = {name: sd.psu_totals(y, w, None, psu, domain=group == name)[1] for name in "abcd"}
    against_b = sd.compare_domains(design, domains, everyone, reference="b")
    flags = {c.group: c.significant for c in against_b}
    assert flags == {"a": True, "c": False, "d": False}
    assert all(c.p_adjusted >= c.p_value for c in against_b)


# -- Student's t -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "df, quantile",
    [(1, 12.706), (2, 4.303), (5, 2.571), (14, 2.145), (29, 2.045), (60, 2.000), (120, 1.980)],
)
def test_t_quantiles_match_tables(df, quantile):
    assert round(sd.t_quantile(df), 3) == quantile


def test_t_tail_is_a_probability():
    assert sd.t_cdf_two_sided(0, 7) == pytest.approx(1.0)
    assert sd.t_cdf_two_sided(2.365, 7) == pytest.approx(0.05, abs=2e-4)
    assert sd.t_cdf_two_sided(1.96, 5000) == pytest.approx(0.05, abs=1e-4)


# -- Lonely PSUs and finite population corrections -------------------------------------


def test_lonely_psu_rules():
    """A stratum with one PSU: 'adjust' centres it at the mean of all PSUs (R's
    survey.lonely.psu = "adjust"), 'certainty' lets it add nothing."""
    y = np.array([1.0, 2.0, 3.0, 4.0, 10.0])
    w = np.ones(5)
    strata = ["a", "a", "b", "b", "c"]
    psus = ["1", "2", "3", "4", "5"]
    adjust, totals, _labels = sd.psu_totals(y, w, strata, psus)
    certain, _totals, _labels = sd.psu_totals(y, w, strata, psus, lonely_psu=sd.CERTAINTY)
    z = (y - y.mean()) / 5
    within = 2 * (
        (z[0] - z[:2].mean()) ** 2
        + (z[1] - z[:2].mean()) ** 2
        + (z[2] - z[2:4].mean()) ** 2
        + (z[3] - z[2:4].mean()) ** 2
    )
    assert sd.estimate(certain, totals).se == pytest.approx(math.sqrt(within))
    assert sd.estimate(adjust, totals).se == pytest.approx(
        math.sqrt(within + (z[4] - z.mean()) ** 2)
    )
    with pytest.raises(ValueError):
        sd.psu_totals(y, w, strata, psus, lonely_psu="remove")


def test_bad_weights_are_refused():
    with pytest.raises(ValueError, match="weights"):
        sd.psu_totals([1.0, 2.0], [1.0, 0.0], None, None)
    with pytest.raises(ValueError, match="weights"):
        sd.psu_totals([1.0, 2.0], [1.0, float("nan")], None, None)


# -- Weights from population totals ---------------------------------------------------


def test_post_stratification_matches_totals_exactly():
    rng = np.random.default_rng(3)
    gender = rng.choice(np.array(["female", "male"]), 500, p=[0.3, 0.7])
    weights = sd.calibrate(
        np.ones(500), {"gender": gender}, {"gender": {"female": 5200, "male": 4800}}
    )
    assert weights[gender == "female"].sum() == pytest.approx(5200)
    assert weights[gender == "male"].sum() == pytest.approx(4800)
    assert len(set(np.round(weights[gender == "female"], 9))) == 1


def test_raking_matches_every_margin_and_samplics():
    pytest.importorskip("samplics", reason="samplics is in the test extra")
    from samplics import SampleWeight

    rng = np.random.default_rng(9)
    n = 2000
    gender = rng.choice(np.array(["female", "male"]), n, p=[0.35, 0.65])
    age = rng.choice(np.array(["18-29", "30-49", "50+"]), n, p=[0.5, 0.3, 0.2])
    base = rng.uniform(1, 3, n)
    totals = {
        "gender": {"female": 6000.0, "male": 4000.0},
        "age": {"18-29": 3000.0, "30-49": 4000.0, "50+": 3000.0},
    }
    ours = sd.calibrate(base, {"gender": gender, "age": age}, totals, tolerance=1e-10)
    for name, labels in (("gender", gender), ("age", age)):
        for category, total in totals[name].items():
            assert ours[labels == category].sum() == pytest.approx(total, rel=1e-8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = SampleWeight().rake(
            samp_weight=base,
            margins={"gender": gender, "age": age},
            control=totals,
            tol=1e-12,
            ctrl_tol=1e-12,
            max_iter=200,
        )
    assert ours == pytest.approx(np.asarray(theirs), rel=1e-7)
    # Raking keeps the ratios between records of one cell: one factor per cell.
    cells = {}
    for i in range(n):
        cells.setdefault((gender[i], age[i]), set()).add(round(ours[i] / base[i], 9))
    assert all(len(ratios) == 1 for ratios in cells.values())


def test_calibration_refuses_impossible_totals():
    gender = np.array(["female", "male", "other"])
    with pytest.raises(sd.CalibrationError, match="no population total for other"):
        sd.calibrate(np.ones(3), {"gender": gender}, {"gender": {"female": 5, "male": 5}})
    with pytest.raises(sd.CalibrationError, match="no records in unknown"):
        sd.calibrate(
            np.ones(3),
            {"gender": gender},
            {"gender": {"female": 5, "male": 5, "other": 1, "unknown": 3}},
        )
    with pytest.raises(sd.CalibrationError, match="add up"):
        sd.calibrate(
            np.ones(3),
            {"gender": gender, "age": np.array(["a", "b", "a"])},
            {"gender": {"female": 5, "male": 5, "other": 1}, "age": {"a": 100, "b": 100}},
        )


# -- Coverage ----------------------------------------------------------------------------


def test_design_intervals_cover_the_truth_and_simple_ones_do_not():
    """1,000 two-stage cluster samples (2 strata x 15 of 200 villages, 10 people each)
    from one population whose villages differ (intra-cluster correlation about 0.15)."""
    rng = np.random.default_rng(2026)
    villages, people = 400, 60
    village_effect = rng.normal(0, 1.0, villages)
    stratum_of = np.repeat([0, 1], villages // 2)
    population = (
        village_effect[:, None] + 0.5 * stratum_of[:, None] + rng.normal(0, 2.4, (villages, people))
    )
    truth = population.mean()
    design_hits = simple_hits = 0
    replications = 1000
    for _ in range(replications):
        chosen = np.concatenate(
            [rng.choice(np.flatnonzero(stratum_of == h), 15, replace=False) for h in (0, 1)]
        )
        picked = np.array([rng.choice(people, 10, replace=False) for _ in chosen])
        y = population[chosen[:, None], picked].ravel()
        psu = np.repeat(chosen, 10)
        strata = stratum_of[psu]
        w = np.full(len(y), (villages / 2 / 15) * (people / 10))
        design, totals, _labels = sd.psu_totals(y, w, strata, psu, villages / 2)
        found = sd.estimate(design, totals)
        design_hits += found.ci_low <= truth <= found.ci_high
        half = 1.96 * y.std(ddof=1) / math.sqrt(len(y))
        simple_hits += y.mean() - half <= truth <= y.mean() + half
    assert 0.93 <= design_hits / replications <= 0.97
    assert simple_hits / replications < 0.85


# -- On the server: designs stored per form, used by the indicators ---------------------

from click.testing import CliRunner  # noqa: E402

from collector.forms import builtin_forms  # noqa: E402
from sync_server import designs, indicators as ind  # noqa: E402
from sync_server.cli import cli as server_cli  # noqa: E402
from test_indicators import add, open_store, record, survey_answers  # noqa: E402

SURVEY = "community_survey"


def _village_records(count: int = 240) -> list[dict]:
    """Survey records with a village (cluster) and a weight among their answers."""
    records = []
    for i in range(count):
        answers = survey_answers(i)
        answers["village"] = f"v{(i * 7) % 19}"
        answers["weight"] = 1 + (i % 5) / 2
        records.append(record(i, answers, collected=f"2024-0{1 + i % 3}-10"))
    return records


def _reference(records, column: str, group=None, by="gender"):
    """The same estimate from the records, by psu_totals (no SQL, no facts)."""
    rows = [(ind.fact_row(r), r["answers"]) for r in records]
    y = np.array([np.nan if f[column] is None else float(f[column]) for f, _a in rows])
    w = np.array([a["weight"] for _f, a in rows])
    inside = None if group is None else [f[by] == group for f, _a in rows]
    design, totals, _labels = sd.psu_totals(
        y, w, [f["area"] for f, _a in rows], [a["village"] for _f, a in rows], domain=inside
    )
    return sd.estimate(design, totals)


DEFINITION = {
    "stratum": "area",
    "cluster": "village",
    "weight": "weight",
    "fpc": None,
    "lonely_psu": "adjust",
    "calibration": None,
}


@pytest.fixture
def designed(tmp_path):
    store = open_store(tmp_path / "server.db")
    records = _village_records()
    add(store, records)
    designs.save_design(store.db, SURVEY, DEFINITION, "test")
    yield store, records
    store.close()


def test_indicators_follow_the_declared_design(designed):
    store, records = designed
    overall = ind.compute(store.db, "life_satisfaction").cells[0]
    expected = _reference(records, "life_satisfaction")
    assert overall.estimate == pytest.approx(expected.estimate)
    assert overall.se == pytest.approx(expected.se)
    assert overall.deff == pytest.approx(expected.deff)
    assert overall.effective_n == pytest.approx(expected.effective_n)
    assert (overall.ci_low, overall.ci_high) == pytest.approx((expected.ci_low, expected.ci_high))
    share = ind.compute(store.db, "trust_most", by="gender")
    for cell in share.cells:
        reference = _reference(records, "trust_most", cell.group)
        assert cell.estimate == pytest.approx(100 * reference.estimate)
        assert cell.se == pytest.approx(100 * reference.se)
        assert cell.n == reference.n
    assert share.design["clusters"] == len(
        {(f["area"], a["village"]) for f, a in ((ind.fact_row(r), r["answers"]) for r in records)}
    )
    assert share.design["records"] == len(records) and share.design["left_out"] == 0


def test_without_a_design_nothing_changes(designed):
    store, _records = designed
    with_design = ind.compute(store.db, "life_satisfaction", by="area")
    assert designs.clear_design(store.db, SURVEY, "test") is True
    plain = ind.compute(store.db, "life_satisfaction", by="area")
    assert plain.design is None and all(cell.deff is None for cell in plain.cells)
    n, total, squares = store.db.execute(
        "SELECT count(life_satisfaction), total(life_satisfaction),"
        " total(life_satisfaction * life_satisfaction) FROM facts WHERE form_id = ?"
        " AND area = 'NR'",
        [SURVEY],
    ).fetchone()
    nr = next(cell for cell in plain.cells if cell.group == "NR")
    assert (nr.estimate, nr.ci_low, nr.ci_high) == pytest.approx(
        ind.mean_interval(n, total, squares)
    )
    assert with_design.design is not None
    assert designs.clear_design(store.db, SURVEY, "test") is False


def test_new_and_corrected_records_update_the_units(designed):
    store, records = designed
    before = ind.compute(store.db, "life_satisfaction").cells[0]
    extra = _village_records(260)[240:]
    add(store, extra)
    after = ind.compute(store.db, "life_satisfaction").cells[0]
    expected = _reference(records + extra, "life_satisfaction")
    assert after.n == len(records) + len(extra) and after.se == pytest.approx(expected.se)
    assert after.estimate != before.estimate
    store.correct(records[0]["uuid"], "weight", 40, "analyst1")
    corrected = [dict(r) for r in records + extra]
    corrected[0] = {**corrected[0], "answers": {**corrected[0]["answers"], "weight": 40}}
    again = ind.compute(store.db, "life_satisfaction").cells[0]
    assert again.estimate == pytest.approx(_reference(corrected, "life_satisfaction").estimate)


def test_records_missing_a_design_value_are_left_out_and_counted(tmp_path):
    store = open_store(tmp_path / "server.db")
    records = _village_records(120)
    for r in records[:7]:
        del r["answers"]["village"]
    records[7]["answers"]["weight"] = -2
    add(store, records)
    designs.save_design(store.db, SURVEY, DEFINITION, "test")
    result = ind.compute(store.db, "life_satisfaction")
    assert result.design["left_out"] == 8 and result.design["records"] == 112
    assert result.cells[0].n == 112
    store.close()


def test_small_effective_n_is_suppressed(designed):
    """A cell with n >= k but an effective n under k shows no number."""
    store, _records = designed
    with_design = {
        c.group: c for c in ind.compute(store.db, "life_satisfaction", by="area", k=20).cells
    }
    for cell in with_design.values():
        assert cell.suppressed or (cell.n >= 20 and (cell.effective_n or 20) >= 20)
    designs.clear_design(store.db, SURVEY, "test")
    plain = {c.group: c for c in ind.compute(store.db, "life_satisfaction", by="area", k=20).cells}
    newly_hidden = [g for g, c in with_design.items() if c.suppressed and not plain[g].suppressed]
    assert newly_hidden  # villages make some areas' 60 answers worth fewer than 20
    for group in newly_hidden:
        assert plain[group].n >= 20
        assert with_design[group].n is None and with_design[group].estimate is None


def test_raking_to_population_totals(tmp_path):
    store = open_store(tmp_path / "server.db")
    records = _village_records()
    add(store, records)
    totals = {
        "gender": {"woman": 6000.0, "man": 4000.0},
        "area": {"NR": 5000.0, "CE": 2500.0, "SR": 2500.0},
    }
    definition = {**DEFINITION, "calibration": {"method": "rake", "totals": totals}}
    designs.save_design(store.db, SURVEY, definition, "test")
    result = ind.compute(store.db, "life_satisfaction")
    rows = [(ind.fact_row(r), r["answers"]) for r in records]
    base = np.array([a["weight"] for _f, a in rows])
    raked = sd.calibrate(
        base,
        {
            "gender": np.array([f["gender"] for f, _a in rows]),
            "area": np.array([f["area"] for f, _a in rows]),
        },
        totals,
    )
    y = np.array([f["life_satisfaction"] for f, _a in rows], dtype=float)
    assert result.cells[0].estimate == pytest.approx((raked * y).sum() / raked.sum())
    design, sums, _labels = sd.psu_totals(
        y, raked, [f["area"] for f, _a in rows], [a["village"] for _f, a in rows]
    )
    assert result.cells[0].se == pytest.approx(sd.estimate(design, sums).se)
    impossible = {
        **DEFINITION,
        "calibration": {
            "method": "poststratify",
            "totals": {"gender": {"woman": 5.0, "man": 4.0, "nonbinary": 1.0}},
        },
    }
    designs.save_design(store.db, SURVEY, impossible, "test")
    broken = ind.compute(store.db, "life_satisfaction")
    assert "no records in nonbinary" in broken.design["error"]
    assert broken.cells[0].deff is None  # simple intervals, and the page says so
    store.close()


def test_gaps_and_changes_match_the_record_level_computation(designed):
    store, records = designed
    found = ind.gaps(store.db, "life_satisfaction", by="gender")
    rows = [(ind.fact_row(r), r["answers"]) for r in records]
    y = np.array([f["life_satisfaction"] for f, _a in rows], dtype=float)
    w = np.array([a["weight"] for _f, a in rows])
    strata, villages = [f["area"] for f, _a in rows], [a["village"] for _f, a in rows]
    design, everyone, _labels = sd.psu_totals(y, w, strata, villages)
    domains = {
        g: sd.psu_totals(y, w, strata, villages, domain=[f["gender"] == g for f, _a in rows])[1]
        for g in ("man", "woman")
    }
    expected = {c.group: c for c in sd.compare_domains(design, domains, everyone)}
    for comparison in found.comparisons:
        assert comparison.difference == pytest.approx(expected[comparison.group].difference)
        assert comparison.se == pytest.approx(expected[comparison.group].se)
        assert comparison.p_adjusted == pytest.approx(expected[comparison.group].p_adjusted)
    months = [f["month"] for f, _a in rows]
    first, last = (
        sd.psu_totals(y, w, strata, villages, domain=[m == month for m in months])[1]
        for month in ("2024-01", "2024-03")
    )
    moved = ind.change(store.db, "life_satisfaction", "2024-01", "2024-03")
    value, se = sd.difference(design, last, first)
    assert (moved.difference, moved.se) == pytest.approx((value, se))
    assert ind.change(store.db, "life_satisfaction", "2024-01", "1999-01") is None


def test_gaps_without_a_design_use_independent_samples(tmp_path):
    store = open_store(tmp_path / "server.db")
    add(store, _village_records())
    found = ind.gaps(store.db, "trust_most", by="gender", reference="woman")
    man = found.comparisons[0]
    facts = {
        g: store.db.execute(
            "SELECT count(trust_most), total(trust_most) FROM facts WHERE gender = ?", [g]
        ).fetchone()
        for g in ("man", "woman")
    }
    p = {g: s / n for g, (n, s) in facts.items()}
    se = math.sqrt(sum(p[g] * (1 - p[g]) / (facts[g][0] - 1) for g in p))
    assert man.difference == pytest.approx(100 * (p["man"] - p["woman"]))
    assert man.se == pytest.approx(100 * se)
    with pytest.raises(ValueError):
        ind.gaps(store.db, "trust_most", by="gender", reference="nobody")
    store.close()


# -- The command line --------------------------------------------------------------------


def _run(tmp_path, *args):
    return CliRunner().invoke(
        server_cli, [*args[:2], *args[2:], "--data-dir", str(tmp_path / "data")]
    )


def test_design_commands_and_bad_input_changes_nothing(tmp_path):
    totals = tmp_path / "totals.csv"
    totals.write_text("variable,category,total\ngender,woman,5200\ngender,man,4800\n")
    ok = _run(
        tmp_path,
        "design",
        "set",
        SURVEY,
        "--stratum",
        "area",
        "--cluster",
        "_device",
        "--fpc",
        "NR=40",
        "--fpc",
        "SR=30",
        "--fpc",
        "CE=20",
        "--poststratify",
        str(totals),
    )
    assert ok.exit_code == 0, ok.output
    shown = _run(tmp_path, "design", "show", SURVEY, "--json")
    saved = json.loads(shown.output)
    assert saved["fpc"] == {"NR": 40.0, "SR": 30.0, "CE": 20.0}
    assert saved["calibration"]["totals"]["gender"] == {"woman": 5200.0, "man": 4800.0}
    bad = tmp_path / "bad.csv"
    bad.write_text("variable,category,total\ngender,woman,-5\n")
    for args, message in [
        (("--stratum", "no_such_question"), "not a question of community_survey"),
        (("--weight", "gender"), "must be a number question"),
        (("--cluster", "_device", "--fpc", "zero=0", "--stratum", "area"), "more than 0"),
        (("--cluster", "_device", "--poststratify", str(bad)), "more than 0"),
        (
            ("--cluster", "_device", "--rake", str(totals), "--poststratify", str(totals)),
            "not both",
        ),
        (("--lonely-psu", "remove"), "Invalid value"),
        ((), "at least a stratum"),
    ]:
        refused = _run(tmp_path, "design", "set", SURVEY, *args)
        assert refused.exit_code != 0 and message in refused.output, (args, refused.output)
        assert json.loads(_run(tmp_path, "design", "show", SURVEY, "--json").output) == saved
    assert _run(tmp_path, "design", "set", "no_such_form", "--stratum", "area").exit_code == 1
    assert _run(tmp_path, "design", "clear", SURVEY).exit_code == 0
    gone = _run(tmp_path, "design", "show", SURVEY)
    assert gone.exit_code == 1 and "simple random sampling" in gone.output
    assert _run(tmp_path, "design", "clear", SURVEY).exit_code == 1


def test_parse_design_checks_the_form():
    form = builtin_forms()[SURVEY]
    with pytest.raises(designs.DesignError, match="identifying"):
        designs.parse_design(form, cluster="respondent_name")
    with pytest.raises(designs.DesignError, match="add up to the same population"):
        designs.parse_design(
            form,
            calibration={
                "method": "rake",
                "totals": {"gender": {"woman": 10, "man": 10}, "area": {"NR": 5}},
            },
        )
    with pytest.raises(designs.DesignError, match="one variable"):
        designs.parse_design(
            form,
            calibration={
                "method": "poststratify",
                "totals": {"gender": {"woman": 10}, "area": {"NR": 10}},
            },
        )
    with pytest.raises(designs.DesignError, match="need a stratum"):
        designs.parse_design(form, cluster="area", fpc={"x": 3})
    assert designs.read_totals('{"gender": {"woman": 3}}') == {"gender": {"woman": 3}}
    with pytest.raises(designs.DesignError, match="given twice"):
        designs.read_totals("variable,category,total\ngender,woman,1\ngender,woman,2\n")


def test_a_stratum_has_one_value_per_record():
    """Several choices, or choices in an order, cannot say which stratum a record is in."""
    from collector.forms import FormDefinition

    ranked = FormDefinition(
        {
            "form_id": "ranked",
            "version": "1",
            "title": {"en": "Ranked"},
            "default_language": "en",
            "sections": [
                {
                    "name": "s",
                    "label": {"en": "S"},
                    "questions": [
                        {"name": n, "type": t, "label": {"en": n}, "choices": "needs"}
                        for n, t in (("order", "rank"), ("picked", "select_multiple"))
                    ],
                }
            ],
            "choices": {
                "needs": [{"name": c, "label": {"en": c}} for c in ("water", "food", "shelter")]
            },
        }
    )
    for name in ("order", "picked"):
        with pytest.raises(designs.DesignError, match="one value per record"):
            designs.parse_design(ranked, stratum=name)


# -- The dashboard ----------------------------------------------------------------------

from test_workspace import push_records, signed_in, survey_record, team  # noqa: E402


def test_dashboard_shows_the_design_or_says_it_assumes_srs(team):
    for device in range(6):  # six laptops: six clusters
        push_records(team, [survey_record(device * 30 + n) for n in range(30)])
    viewer = signed_in(team, "viewer")
    page = viewer.get("/?view=life_satisfaction&by=area").text
    assert "assume a simple random sample" in page and "Design effect" not in page
    assert "Gaps: each group against everyone else" in page
    done = CliRunner().invoke(
        server_cli,
        ["design", "set", SURVEY, "--cluster", "_device", "--database", str(team.database)],
    )
    assert done.exit_code == 0, done.output
    page = viewer.get("/?view=life_satisfaction&by=area").text
    assert "assume a simple random sample" not in page
    assert "Design effect" in page and "Effective n" in page and "clusters: 6;" in page
    trend = viewer.get("/?view=trust_most&by=month").text
    assert "Change from 2026-01 to 2026-03" in trend
    rows = list(
        csv.DictReader(
            io.StringIO(
                viewer.get("/indicator.csv?view=life_satisfaction&by=area").content.decode(
                    "utf-8-sig"
                )
            )
        )
    )
    assert rows and all(row["suppressed"] == "1" or int(row["n"]) >= 5 for row in rows)


# -- Exports carry the design ------------------------------------------------------------


def test_exports_carry_stratum_cluster_and_weight(designed, tmp_path):
    """Stata's svyset on the exported file gives back the dashboard's numbers."""
    import pandas

    from collector.forms import builtin_forms as forms
    from sync_server import exports

    store, records = designed
    design = designs.export_design(store.db, SURVEY)
    with open(tmp_path / "survey.dta", "wb") as out:
        exports.export(store.iter_latest(SURVEY), [forms()[SURVEY]], "dta", out, design=design)
    frame = pandas.read_stata(tmp_path / "survey.dta", convert_categoricals=False)
    with pandas.io.stata.StataReader(tmp_path / "survey.dta") as reader:
        labels = reader.variable_labels()
    assert labels["meta_weight"].startswith("Survey design: weight")
    assert labels["meta_psu"].startswith("Survey design: cluster")
    frame = frame.dropna(subset=["life_satisfaction"])
    found = sd.estimate(
        *sd.psu_totals(
            frame["life_satisfaction"].to_numpy(float),
            frame["meta_weight"].to_numpy(float),
            frame["meta_stratum"].to_numpy(),
            frame["meta_psu"].to_numpy(),
        )[:2]
    )
    shown = ind.compute(store.db, "life_satisfaction").cells[0]
    assert (found.estimate, found.se) == pytest.approx((shown.estimate, shown.se))
    assert len(set(frame["meta_psu"])) == ind.compute(store.db, "who5").design["clusters"]
    with open(tmp_path / "survey.csv", "wb") as out:
        exports.export(store.iter_latest(SURVEY), [forms()[SURVEY]], "csv", out, design=design)
    header = (tmp_path / "survey.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert "_stratum,_psu,_weight" in header
    _parquet_carries_the_design(store, design, shown, tmp_path)


def _parquet_carries_the_design(store, design, shown, tmp_path):
    """The Parquet ZIP's main table: typed design columns that give the same estimate."""
    import zipfile

    import pyarrow as pa
    import pyarrow.parquet as pq

    from collector.forms import builtin_forms as forms
    from sync_server import exports

    with open(tmp_path / "survey.zip", "wb") as out:
        exports.export(store.iter_latest(SURVEY), [forms()[SURVEY]], "parquet", out, design=design)
    with zipfile.ZipFile(tmp_path / "survey.zip") as bundle:
        table = pq.read_table(bundle.open(f"{SURVEY}.parquet"))
    schema = table.schema
    assert schema.field("_stratum").type == pa.int64() == schema.field("_psu").type
    assert schema.field("_weight").type == pa.float64()
    frame = table.to_pandas().dropna(subset=["life_satisfaction"])
    found = sd.estimate(
        *sd.psu_totals(
            frame["life_satisfaction"].to_numpy(float),
            frame["_weight"].to_numpy(float),
            frame["_stratum"].to_numpy(),
            frame["_psu"].to_numpy(),
        )[:2]
    )
    assert (found.estimate, found.se) == pytest.approx((shown.estimate, shown.se))


def test_a_checked_release_leaves_the_design_columns_out(designed, tmp_path):
    """A cluster or stratum number would name the village the disclosure check generalized:
    only the records as stored (--raw-records, with a reason) carry the design."""
    store, _records = designed
    database = str(tmp_path / "server.db")
    released, stored = tmp_path / "released.csv", tmp_path / "stored.csv"
    done = CliRunner().invoke(
        server_cli,
        [
            "export",
            "--form",
            SURVEY,
            "--format",
            "csv",
            "--output",
            str(released),
            "--database",
            database,
        ],
    )
    assert done.exit_code == 0, done.output
    done = CliRunner().invoke(
        server_cli,
        [
            "export",
            "--form",
            SURVEY,
            "--format",
            "csv",
            "--output",
            str(stored),
            "--database",
            database,
            "--raw-records",
            "--reason",
            "design check",
        ],
    )
    assert done.exit_code == 0, done.output
    header = released.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert not {"_stratum", "_psu", "_weight"} & set(header)
    assert "_psu" in stored.read_text(encoding="utf-8-sig").splitlines()[0].split(",")


def test_filters_are_domains_of_the_whole_design(designed):
    """A filtered view (the API's `where`) is a domain: its clusters with nobody of the
    filter still count, as for a breakdown's group."""
    store, records = designed
    filtered = ind.compute(store.db, "life_satisfaction", by="area", where={"gender": "woman"})
    rows = [(ind.fact_row(r), r["answers"]) for r in records]
    y = np.array([f["life_satisfaction"] for f, _a in rows], dtype=float)
    w = np.array([a["weight"] for _f, a in rows])
    strata, villages = [f["area"] for f, _a in rows], [a["village"] for _f, a in rows]
    design, _all, _labels = sd.psu_totals(y, w, strata, villages)
    for cell in filtered.cells:
        if cell.suppressed:
            continue
        inside = [f["gender"] == "woman" and f["area"] == cell.group for f, _a in rows]
        expected = sd.estimate(design, sd.psu_totals(y, w, strata, villages, domain=inside)[1])
        assert (cell.estimate, cell.se) == pytest.approx((expected.estimate, expected.se))
