"""Design-based estimates for stratified cluster samples: pure functions over numpy arrays.

The method is the one R's survey package and Stata's svy commands use for
`svydesign(ids = ~psu, strata = ~stratum, weights = ~w, fpc = ...)` and
`svyset psu [pw = w], strata(stratum) fpc(...)`:

- Means and shares are ratios of weighted totals, sum(w * y) / sum(w).
- Standard errors come from Taylor linearization with primary sampling units (PSUs, the
  clusters) taken as drawn with replacement within each stratum; a finite population
  correction (1 - n_h / N_h, with N_h the number of PSUs in the stratum's population) is
  applied where N_h is known.
- A subgroup (domain) is estimated over the whole design, never by dropping the other
  records: PSUs with nobody of the group still count in their stratum, as R's `svyby` and
  Stata's `subpop()` do. Records with no answer to a question are a domain the same way.
- A stratum with a single PSU ("lonely PSU") cannot give its own variance. The rule used
  is R's `options(survey.lonely.psu = "adjust")`, Stata's `singleunit(centered)`: that PSU
  is centred at the mean of all PSUs of the design, a conservative choice. The rule
  "certainty" (the stratum adds nothing) is available too.

Everything here works on PSU totals: `psu_totals` sums records into them in one pass, so a
million records cost a few numpy reductions; a database can also hand PSU totals over
directly (one GROUP BY), which is how the server reads them.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "ADJUST",
    "CERTAINTY",
    "Design",
    "Domain",
    "Estimate",
    "Comparison",
    "calibrate",
    "compare_domains",
    "domain_estimates",
    "estimate",
    "holm",
    "psu_totals",
    "t_cdf_two_sided",
    "t_quantile",
    "CalibrationError",
]

ADJUST, CERTAINTY = "adjust", "certainty"
LONELY_RULES = (ADJUST, CERTAINTY)


class CalibrationError(ValueError):
    """Population totals cannot be matched (a category without records, no convergence)."""


# -- Student's t without scipy: exact series for whole degrees of freedom ---------------


def t_cdf_two_sided(t: float, df: int) -> float:
    """P(|T| > |t|) for Student's t with a whole number of degrees of freedom.

    The closed-form series for integer df (Abramowitz and Stegun 26.7.3-4); above 1,000 df
    the normal distribution, which differs by less than 1e-5 there.
    """
    t = abs(float(t))
    if df < 1:
        raise ValueError("df must be at least 1")
    if math.isinf(t):
        return 0.0
    if df > 1000:
        return math.erfc(t / math.sqrt(2))
    theta = math.atan(t / math.sqrt(df))
    c2 = math.cos(theta) ** 2
    if df % 2 == 1:
        term, total = 1.0, 1.0 if df > 1 else 0.0
        for k in range(3, df - 1, 2):  # 1 + 2/3 c² + (2*4)/(3*5) c⁴ + ...
            term *= (k - 1) / k * c2
            total += term
        inside = (2 / math.pi) * (theta + math.sin(theta) * math.cos(theta) * total)
    else:
        term, total = 1.0, 1.0
        for k in range(2, df - 1, 2):  # 1 + 1/2 c² + (1*3)/(2*4) c⁴ + ...
            term *= (k - 1) / k * c2
            total += term
        inside = math.sin(theta) * total
    return min(1.0, max(0.0, 1.0 - inside))


@functools.lru_cache(maxsize=4096)
def t_quantile(df: int, level: float = 0.95) -> float:
    """The two-sided critical value of t (1.96 for df -> infinity at 95%), by bisection
    (remembered: a dashboard asks for the same few degrees of freedom again and again)."""
    alpha = 1.0 - level
    low, high = 0.0, 1000.0
    for _ in range(100):
        middle = (low + high) / 2
        if t_cdf_two_sided(middle, df) > alpha:
            low = middle
        else:
            high = middle
    return (low + high) / 2


# -- The design --------------------------------------------------------------------------


@dataclass(frozen=True)
class Design:
    """The PSUs of a sample: which stratum each is in, and each stratum's size.

    `stratum` holds one stratum index (0..H-1) per PSU. `population_psus` is N_h per
    stratum (NaN where unknown: no finite population correction there).
    """

    stratum: np.ndarray
    population_psus: np.ndarray
    lonely_psu: str = ADJUST

    def __post_init__(self):
        if self.lonely_psu not in LONELY_RULES:
            raise ValueError(f"lonely_psu must be one of {', '.join(LONELY_RULES)}")

    @property
    def n_strata(self) -> int:
        return len(self.population_psus)

    @property
    def n_psus(self) -> int:
        return len(self.stratum)

    @property
    def psus_per_stratum(self) -> np.ndarray:
        return np.bincount(self.stratum, minlength=self.n_strata)

    @property
    def df(self) -> int:
        """Design degrees of freedom: PSUs less strata (at least 1)."""
        return max(1, self.n_psus - self.n_strata)


@dataclass(frozen=True)
class Domain:
    """A variable's PSU totals within one domain, aligned with the design's PSUs:
    records counted (n), sum of weights (w), of w * y (wy) and of w * y * y (wyy)."""

    n: np.ndarray
    w: np.ndarray
    wy: np.ndarray
    wyy: np.ndarray

    def __sub__(self, other: Domain) -> Domain:
        return Domain(self.n - other.n, self.w - other.w, self.wy - other.wy, self.wyy - other.wyy)


def psu_totals(
    y,
    w,
    stratum,
    psu,
    population_psus: dict | float | None = None,
    lonely_psu: str = ADJUST,
    domain=None,
) -> tuple[Design, Domain, list]:
    """Sum records into PSU totals: (design, the domain's totals, stratum labels).

    `y` may hold NaN (no answer): such records are outside the domain, as in R's
    `svymean(na.rm = TRUE)`. `stratum` may be None (one stratum); PSUs are nested in
    strata (the same PSU label in two strata is two PSUs). `psu` None: each record is its
    own PSU. `population_psus`: N_h per stratum label, or one number without strata.
    `domain`: a boolean array, records outside it count in the design but not the domain.
    """
    y = np.asarray(y, dtype=float)
    w = np.asarray(w, dtype=float)
    if y.shape != w.shape:
        raise ValueError("y and w must have the same length")
    if np.any(~np.isfinite(w)) or np.any(w <= 0):
        raise ValueError("weights must be positive numbers")
    size = len(y)
    strata_codes, strata_labels = _codes(stratum, size)
    psu_codes, _labels = _codes(psu, size) if psu is not None else (np.arange(size), None)
    # PSUs nested within strata: a PSU is a (stratum, psu) pair.
    keys = strata_codes.astype(np.int64) * (int(psu_codes.max(initial=0)) + 1) + psu_codes
    unique_keys, unit = np.unique(keys, return_inverse=True)
    unit_stratum = np.zeros(len(unique_keys), dtype=np.int64)
    unit_stratum[unit] = strata_codes
    inside = np.isfinite(y)
    if domain is not None:
        inside &= np.asarray(domain, dtype=bool)
    yy = np.where(inside, y, 0.0)
    ww = np.where(inside, w, 0.0)
    count = len(unique_keys)
    totals = Domain(
        np.bincount(unit, inside.astype(float), count),
        np.bincount(unit, ww, count),
        np.bincount(unit, ww * yy, count),
        np.bincount(unit, ww * yy * yy, count),
    )
    sizes = _population(population_psus, strata_labels)
    return Design(unit_stratum, sizes, lonely_psu), totals, strata_labels


def _codes(values, size: int) -> tuple[np.ndarray, list]:
    """Each record's index among the sorted distinct values, and those values."""
    if values is None:
        return np.zeros(size, dtype=np.int64), [None]
    array = np.asarray(values)
    if array.dtype.kind not in "iuf":  # numbers sort as numbers; the rest as text
        array = array.astype(str)
    labels, codes = np.unique(array, return_inverse=True)
    if len(codes) != size:
        raise ValueError("design variables must have one value per record")
    return codes.astype(np.int64).ravel(), labels.tolist()


def _population(population_psus, labels: list) -> np.ndarray:
    if population_psus is None:
        return np.full(len(labels), np.nan)
    if isinstance(population_psus, (int, float)):
        return np.full(len(labels), float(population_psus))
    return np.array(
        [
            float(population_psus.get(label, population_psus.get(str(label), np.nan)))
            for label in labels
        ]
    )


# -- Estimates ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """A weighted mean or share with its design-based standard error.

    `deff` is the design effect: the variance divided by the variance a simple random
    sample of the same number of records (without replacement) would give. `effective_n`
    is n / deff: how many records of a simple random sample this estimate is worth.
    """

    estimate: float | None
    se: float | None
    n: int
    weight_total: float
    deff: float | None
    effective_n: float | None
    df: int
    ci_low: float | None
    ci_high: float | None


def _variance(design: Design, z: np.ndarray) -> float:
    """Sum over strata of the between-PSU variance of the linearized totals z."""
    n_h = design.psus_per_stratum.astype(float)
    stratum = design.stratum
    mean_h = np.bincount(stratum, z, design.n_strata) / np.maximum(n_h, 1)
    spread = np.bincount(stratum, (z - mean_h[stratum]) ** 2, design.n_strata)
    with np.errstate(invalid="ignore", divide="ignore"):
        fpc = np.where(np.isnan(design.population_psus), 1.0, 1.0 - n_h / design.population_psus)
        per_stratum = np.where(n_h > 1, fpc * n_h / (n_h - 1) * spread, 0.0)
    lonely = n_h == 1
    if design.lonely_psu == ADJUST and lonely.any() and design.n_psus > 1:
        # The lonely PSU's deviation from the mean of every PSU of the design.
        centre = z.mean()
        alone = np.bincount(stratum, (z - centre) ** 2, design.n_strata)
        per_stratum = np.where(lonely, fpc * alone, per_stratum)
    return float(max(0.0, per_stratum.sum()))


def _interval(value: float, se: float, df: int) -> tuple[float, float]:
    half = t_quantile(df) * se
    return value - half, value + half


def estimate(design: Design, totals: Domain) -> Estimate:
    """The weighted mean (a share for 0/1 values) of one domain, and its precision."""
    n = int(round(totals.n.sum()))
    weight = float(totals.w.sum())
    if n == 0 or weight <= 0:
        return Estimate(None, None, n, weight, None, None, design.df, None, None)
    mean = float(totals.wy.sum()) / weight
    z = (totals.wy - mean * totals.w) / weight
    variance = _variance(design, z)
    se = math.sqrt(variance)
    deff, effective = _design_effect(variance, totals, mean, n, weight)
    low, high = _interval(mean, se, design.df)
    return Estimate(mean, se, n, weight, deff, effective, design.df, low, high)


def _design_effect(
    variance: float, totals: Domain, mean: float, n: int, weight: float
) -> tuple[float | None, float | None]:
    """As R's `svymean(deff = TRUE)`: against simple random sampling without replacement of
    n records from a population of sum(w), with the weighted population variance."""
    if n < 2:
        return None, None
    spread = float(totals.wyy.sum()) - 2 * mean * float(totals.wy.sum()) + mean * mean * weight
    population_variance = max(0.0, spread / weight) * n / (n - 1)
    srs = population_variance / n * max(0.0, (weight - n) / weight)
    if srs <= 0 or variance <= 0:
        return None, None
    deff = variance / srs
    return deff, n / deff


def domain_estimates(design: Design, domains: dict) -> dict:
    """{group: Estimate} for domains {group: Domain} of one design."""
    return {group: estimate(design, totals) for group, totals in domains.items()}


@dataclass(frozen=True)
class Comparison:
    """The difference of two domains' means (group minus reference), its SE and test."""

    group: str
    reference: str | None  # None: everyone else
    difference: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    p_adjusted: float | None = None
    significant: bool = False


def difference(design: Design, first: Domain, second: Domain) -> tuple[float, float] | None:
    """(mean of first - mean of second, linearized SE), the covariance taken into account:
    both linearized variables are summed in the same PSUs before the variance."""
    w1, w2 = float(first.w.sum()), float(second.w.sum())
    if w1 <= 0 or w2 <= 0:
        return None
    m1, m2 = float(first.wy.sum()) / w1, float(second.wy.sum()) / w2
    z = (first.wy - m1 * first.w) / w1 - (second.wy - m2 * second.w) / w2
    return m1 - m2, math.sqrt(_variance(design, z))


def compare_domains(
    design: Design,
    domains: dict,
    everyone: Domain,
    reference: str | None = None,
    level: float = 0.95,
) -> list[Comparison]:
    """Each group against the rest (or against `reference`), Holm-adjusted over the groups.

    `everyone` is the whole answering sample (the sum of all groups): "the rest" of a
    group is everyone less the group, in the same PSUs.
    """
    results = []
    for group, totals in domains.items():
        if group == reference:
            continue
        other = domains[reference] if reference is not None else everyone - totals
        found = difference(design, totals, other)
        if found is None or int(round(totals.n.sum())) == 0:
            results.append(Comparison(group, reference, None, None, None, None, None))
            continue
        value, se = found
        p = t_cdf_two_sided(value / se, design.df) if se > 0 else (0.0 if value else 1.0)
        low, high = _interval(value, se, design.df) if level == 0.95 else (None, None)
        results.append(Comparison(group, reference, value, se, low, high, p))
    adjusted = holm([c.p_value for c in results])
    alpha = 1.0 - level
    return [
        Comparison(
            c.group,
            c.reference,
            c.difference,
            c.se,
            c.ci_low,
            c.ci_high,
            c.p_value,
            a,
            a is not None and a < alpha,
        )
        for c, a in zip(results, adjusted, strict=True)
    ]


def holm(p_values: list) -> list:
    """Holm's step-down adjustment (family-wise error), None entries left out and kept."""
    indexed = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    m = len(indexed)
    adjusted: list = [None] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(indexed):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[i] = running
    return adjusted


# -- Weights from population totals ------------------------------------------------------


def calibrate(
    weights, margins: dict, totals: dict, max_iterations: int = 100, tolerance: float = 1e-6
) -> np.ndarray:
    """Weights adjusted so their sums match known population totals.

    `margins`: {variable: array of category labels per record}; `totals`: {variable:
    {category: population total}}. One variable is post-stratification (exact in one
    step: each record's weight times N_c / sum of weights in its category c); several
    are raking, iterative proportional fitting (Deming and Stephan 1940) until every
    margin is within `tolerance` (relative), or CalibrationError.

    A category with records but no total, or a total with no records, is an error: the
    weights could not match, and silently dropping people would bias the estimates.
    """
    weights = np.asarray(weights, dtype=float).copy()
    coded = {}
    for name, labels in margins.items():
        wanted = {str(k): float(v) for k, v in totals[name].items()}
        if any(not math.isfinite(v) or v <= 0 for v in wanted.values()):
            raise CalibrationError(f"population totals of {name} must be positive numbers")
        categories, codes = np.unique(np.asarray(labels).astype(str), return_inverse=True)
        missing = [c for c in categories.tolist() if c not in wanted]
        if missing:
            raise CalibrationError(f"{name}: no population total for {', '.join(missing)}")
        empty = [c for c in wanted if c not in set(categories.tolist())]
        if empty:
            raise CalibrationError(f"{name}: no records in {', '.join(sorted(empty))}")
        coded[name] = (codes, np.array([wanted[c] for c in categories.tolist()]))
    grand = {float(sum(totals[name].values())) for name in margins}
    if len(grand) > 1 and (max(grand) - min(grand)) > tolerance * max(grand):
        raise CalibrationError(
            "the population totals of the variables do not add up to the same number"
        )
    for _ in range(max_iterations):
        for codes, target in coded.values():
            current = np.bincount(codes, weights, len(target))
            weights *= (target / current)[codes]
        worst = max(
            float(np.max(np.abs(np.bincount(codes, weights, len(t)) / t - 1)))
            for codes, t in coded.values()
        )
        if worst <= tolerance:
            return weights
    raise CalibrationError(f"raking did not converge in {max_iterations} rounds")
