"""Disclosure control for record-level releases: k-anonymity and l-diversity by default.

Pure logic: no Flask, no SQL. Given the versions of a form and a way to stream its stored
rows (as `Store.iter_latest` yields them), `make_plan` decides how each key variable is
generalized and which values are suppressed so that, in the released rows,

- every combination of key variables (quasi-identifiers: age, gender, area, ... and the
  record's own metadata: collection month, arrival month, interview language) is shared by
  at least k records (k-anonymity, Sweeney 2002); a suppressed value is a category of its
  own, never a wildcard;
- every such group holds at least l distinct answers to each sensitive question, or none
  (distinct l-diversity, Machanavajjhala et al. 2007).

How (docs/privacy.md tells it in plain words):

1. Pass 1 streams the rows once and counts each combination of key values at their finest
   released level, with, per combination, up to l distinct values of each sensitive
   variable (a bitmask). Memory grows with the number of distinct combinations, not with
   the records; past MAX_COMBINATIONS the variable with the most values is generalized
   at once (the combinations it merges would all have been too small anyway).
2. Full-domain generalization (Samarati 2001; LeFevre et al. 2005): each key variable gets
   one level of its hierarchy for every record; the top level is "not released". With a
   suppression limit, as ARX: top-down from nothing released, each step takes back the
   refinement worth most (`_worth`, `Variable.weight`) while local suppression stays within
   MAX_SUPPRESSION of the released key values (`_climb`).
3. Local suppression (as sdcMicro's localSuppression): a record in a group smaller than k,
   or whose group answered a sensitive question asked of everyone alike, loses one key
   value, then two, then all, choosing the values whose removal puts it into a group it is
   safe with; records that no suppression can hide are left out.
4. l-diversity for the sensitive questions asked of some only (a `relevant`): in a group
   whose records give fewer than l distinct answers, that question's answers are
   suppressed for the whole group.
5. Pass 2 streams the rows again (`Release.rows`) and maps each combination to its
   released one: the plan is a dictionary, so the release costs one lookup per record.

The form version is released only where records of it came from at least `min_devices`
devices, no few of which hold nearly all of them (VERSION_DOMINANCE; counted in pass 1,
per version and device): versions below that are merged with the next ones in publish
order into a range ("3–4") that meets it; when the form's records together do not, the
version is not released (`version_ranges`).

Always, whatever the plan: the device and the enumerator are not released (nor an
XLSForm's `deviceid` and `username`), dates of the record's metadata (an XLSForm's `start`,
`end` and `today` too) are released to the month at most, and a repeat's questions marked key
or sensitive are left empty in its table (a repeat's count is a key variable, and a record
whose count is suppressed has no rows in the repeat's table, so the table cannot tell it;
a repeat inside another whose count a sensitive answer sets has no rows at any depth).
An XLSForm's `audit` (whole seconds in all and per section, no time of day) is released as
received: durations are no key variable.

A question without a role of its own whose value is taken from key or sensitive questions
(a calculation reading them, an or_other select's 'specify' text, a select offering a
repeat's answers) takes their role, as the form definition says (FormDefinition
.derived_roles): a key is generalized as a light key, a sensitive one kept l-diverse, and
one taken from both kinds is never released. A question asked only as a key or sensitive
variable is answered (its relevance reads it: `relevance_followers`) is emptied wherever
that variable is, for the whole group.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypedDict

from collector import expressions
from collector.forms import WITHHELD, FormDefinition

DEFAULT_K, MIN_K, DEFAULT_L = 5, 3, 2
# A form version is released only where records of it came from at least this many
# devices: laptops take a new version when they sync, so a version that only one or two
# laptops sent would mark their records (a laptop is a team and an area) although the
# device is never released. Three: of a version two laptops sent, each laptop's team knows
# that the records it did not make are the other team's.
DEFAULT_MIN_DEVICES = 3
# Nor may a few devices hold nearly all of a released version's records, as cell
# suppression's (n, k) dominance rule has it: the min_devices - 1 devices holding most of
# them hold at most this share. A version that laptop A sent 300 records of and B and C one
# each is A's in all but name: B's team knows the rest are A's. Three devices in equal
# shares hold two thirds; 85% leaves the others at least about one record in seven.
VERSION_DOMINANCE = 0.85
# The devices counted per form version (pass 1's memory): past it, the records of further
# devices are counted together, as if one device sent them (never less safe).
MAX_DEVICES_PER_VERSION = 1_000
_MORE_DEVICES = object()
VERSION_RANGE = "{first}\u2013{last}"  # "3–4": publish order, first and last version
# The share of released key values local suppression may take (ARX's suppression limit),
# and the fewest it takes from each record at risk (a first, cheap test of a level).
MAX_SUPPRESSION = 0.02
VALUES_PER_OUTLIER = 1
SURE_VALUES_PER_OUTLIER = 4  # seldom more: one value, two, or the record left out
MAX_COMBINATIONS = 50_000
OTHER = "other"
DISABILITY = "wg_disability"
DISABILITY_ANSWERS = frozenset(("a_lot", "cannot"))
DISABILITY_LABEL = {
    "en": "Disability (Washington Group: a lot of difficulty or cannot do in at least one domain)"
}
LEFT_OUT = object()


class ReleaseError(ValueError):
    """A release that cannot be made as asked (k below the floor, say)."""


def check_parameters(k, l) -> None:
    """k and l as a release needs them, or ReleaseError saying what is wrong."""
    if not isinstance(k, int) or isinstance(k, bool) or k < MIN_K:
        raise ReleaseError(
            f"k must be a whole number of at least {MIN_K}: smaller groups "
            "would let people be singled out."
        )
    if not isinstance(l, int) or isinstance(l, bool) or not 1 <= l <= k:
        raise ReleaseError("l must be a whole number from 1 to k.")


# -- Hierarchies --------------------------------------------------------------------------

_BAND = re.compile(r"([0-9]{1,3})(?:-([0-9]{1,3})|\+)")


class Hierarchy:
    """Levels of one key variable, finest first; the last level suppresses every value.

    `base` turns a stored value into the finest level's value; `up(value, level)` turns a
    finest value into that level's. None (missing) stays None at every level."""

    name = "exact"
    levels: tuple[str, ...] = ("as stored", "not released")

    def prepare(self, counts: Counter, k: int) -> None:
        """Learn what the data decides (which categories are rare)."""

    def base(self, value):
        return _hashable(value)

    def up(self, value, level: int):
        return None if level >= len(self.levels) - 1 else value


class AgeBand(Hierarchy):
    name = "age_band"
    # Each level must nest in the next (a 10-year band lies in one broad band): pass 1 may
    # coarsen through the levels one at a time, pass 2 goes straight to the chosen one.
    levels = ("5-year band", "10-year band", "0-19, 20-39, 40-59, 60+", "not released")
    BROAD = ((60, "60+"), (40, "40-59"), (20, "20-39"), (0, "0-19"))

    def base(self, value):
        low = _age_low(value)
        if low is None:
            return None if value in (None, "") else _hashable(value)
        return "90+" if low >= 90 else f"{low}-{low + 4}"

    def up(self, value, level):
        low = _age_low(value)
        if level == 0 or value is None:
            return value
        if low is None or level >= 3:
            return None
        if level == 1:
            return "70+" if low >= 70 else f"{low - low % 10}-{low - low % 10 + 9}"
        return next(text for edge, text in self.BROAD if low >= edge)


def _age_low(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value) - int(value) % 5 if value >= 0 else None
    match = _BAND.fullmatch(value) if isinstance(value, str) else None
    return int(match.group(1)) - int(match.group(1)) % 5 if match else None


class Area(Hierarchy):
    """Ward -> district -> region, by the `parent` of each choice of the form."""

    name = "area"

    def __init__(self, parents: dict[str, str]):
        self.parents = parents
        self.heights: dict | None = None
        depth = max((len(self._chain(name)) for name in parents), default=0)
        self.levels = (
            "as stored",
            *[f"{n} level(s) up" for n in range(1, depth + 1)],
            "not released",
        )

    def _chain(self, name: str) -> list[str]:
        chain, seen = [], {name}
        while name in self.parents and self.parents[name] not in seen:
            name = self.parents[name]
            seen.add(name)
            chain.append(name)
        return chain

    def up(self, value, level):
        """The area `level` steps above the finest areas (wards): a district stays itself
        at level 1, so that levels nest whichever the stored value is."""
        if value is None or level >= len(self.levels) - 1:
            return None
        chain = [value, *self._chain(value)]
        steps = level - self._height(value)
        return chain[min(max(steps, 0), len(chain) - 1)]

    def _height(self, name: str) -> int:
        """Steps from the finest areas up to `name` (0 for a ward)."""
        if self.heights is None:
            self.heights = {}
            for child in self.parents:
                for steps, ancestor in enumerate(self._chain(child), 1):
                    self.heights[ancestor] = max(self.heights.get(ancestor, 0), steps)
        return self.heights.get(name, 0)


class Dates(Hierarchy):
    """Day -> month -> quarter -> year ("date"); month -> quarter -> year ("month", and the
    record's metadata)."""

    def __init__(self, start: str = "day"):
        self.name = "date" if start == "day" else "month"
        self.steps = ("day", "month", "quarter", "year")[0 if start == "day" else 1 :]
        self.levels = (*self.steps, "not released")

    def base(self, value):
        if not isinstance(value, str) or not re.match(r"[0-9]{4}", value):
            return None if value in (None, "") else _hashable(value)
        return value[: 10 if self.steps[0] == "day" else 7]

    def up(self, value, level):
        if value is None or level >= len(self.steps):
            return None
        if not re.match(r"[0-9]{4}", value):
            return None
        step = self.steps[level]
        if step == "quarter":
            if re.fullmatch(r"[0-9]{4}-Q[1-4]", value):
                return value
            month = int(value[5:7]) if re.match(r"[0-9]{4}-[0-9]{2}", value) else None
            return f"{value[:4]}-Q{(month - 1) // 3 + 1}" if month else value[:4]
        return value[: {"day": 10, "month": 7, "year": 4}[step]]


class MergeRare(Hierarchy):
    """Categories held by fewer than k records merged into "other"; one level up, every
    category held by fewer than a tenth of the records."""

    name = "merge_rare"
    levels = ("as stored", "rare categories as other", "small categories as other", "not released")
    SMALL = 0.10

    def prepare(self, counts: Counter, k: int) -> None:
        total = sum(counts.values())
        self.rare = {value for value, n in counts.items() if n < k and value is not None}
        self.small = {
            value
            for value, n in counts.items()
            if value is not None and (n < k or n < self.SMALL * total)
        }

    def up(self, value, level):
        if level == 0 or value is None:
            return value
        if level >= 3:
            return None
        return OTHER if value in (self.rare if level == 1 else self.small) else value


class Number(Hierarchy):
    name = "number"
    levels = ("as stored", "bands of 5", "not released")

    def up(self, value, level):
        if level == 0 or value is None:
            return value
        if level == 1 and isinstance(value, str) and re.fullmatch(r"-?[0-9]+--?[0-9]+", value):
            return value  # already a band
        if level >= 2 or isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        low = int(value // 5 * 5)
        return f"{low}-{low + 4}"


class Withheld(Hierarchy):
    """A value taken from both a key and a sensitive question, or a repeat's count set by a
    sensitive answer: never released."""

    name = "withheld"
    levels = ("not released",)

    def base(self, value):
        return None


class Disability(Hierarchy):
    """The six Washington Group answers as the standard disability flag."""

    name = DISABILITY
    levels = ("disability flag", "not released")


def hierarchy_for(question, form: FormDefinition) -> Hierarchy:
    """The hierarchy a key question names, else the default for its type."""
    name = question.get("hierarchy") or _DEFAULT_HIERARCHY.get(question.type, "merge_rare")
    if name == "area":
        return Area({c["name"]: c["parent"] for c in form.choices(question) if c.get("parent")})
    makers = {
        "age_band": AgeBand,
        "date": lambda: Dates("day"),
        "month": lambda: Dates("month"),
        "merge_rare": MergeRare,
        "number": Number,
        DISABILITY: Disability,
    }
    return makers[name]()


_DEFAULT_HIERARCHY = {
    "date": "date",
    "datetime": "date",
    "integer": "number",
    "decimal": "number",
    "range": "number",
}


def _hashable(value):
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, list):
        return " ".join(sorted(map(str, value)))
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return value


# -- Variables ------------------------------------------------------------------------------


@dataclass
class Variable:
    """A key or sensitive variable: how to read it from a stored row and write it back."""

    name: str
    kind: str  # "answer", "meta", "disability" or "count"
    sources: tuple[str, ...]
    hierarchy: Hierarchy = field(default_factory=Hierarchy)
    # How much an analysis loses when this variable is generalized: the record's metadata
    # and free-text answers matter less than the groups indicators are broken down by.
    weight: float = 1.0

    def read(self, row: dict):
        if self.kind == "meta":
            return self.hierarchy.base(row.get(self.sources[0]))
        answers = row.get("answers") or {}
        if self.kind == "disability":
            items = [answers.get(name) for name in self.sources]
            if all(item in (None, "") for item in items):
                return None
            return "yes" if any(item in DISABILITY_ANSWERS for item in items) else "no"
        value = answers.get(self.sources[0])
        if self.kind == "count":  # through base: a count set by a sensitive answer is Withheld
            return self.hierarchy.base(len(value)) if isinstance(value, list) else None
        return self.hierarchy.base(value)

    def write(self, row: dict, answers: dict, value) -> None:
        """Put the released value in place (row and answers are the release's copies)."""
        if self.kind == "meta":
            row[self.sources[0]] = value
        elif self.kind == "disability":
            for name in self.sources:
                answers.pop(name, None)
            if value is not None:
                answers[DISABILITY] = value
        elif self.kind == "count":
            if value is None:
                answers.pop(self.sources[0], None)  # and with it, the repeat's rows
        elif value is None:
            answers.pop(self.sources[0], None)
        else:
            answers[self.sources[0]] = value


METADATA_KEYS = (("_collected_at", "collected"), ("_received_at", "received_at"))
LIGHT = 0.05  # the weight of metadata and free-text keys (see Variable.weight)
FREE_TEXT = ("text", "string")


def variables(forms: list[FormDefinition]) -> tuple[list[Variable], list[Variable], dict]:
    """Key variables, sensitive variables and, per repeat, the questions its table leaves
    empty; the newest version that declares a question decides its role."""
    roles: dict[str, tuple] = {}
    for form in forms:  # oldest first: newer versions overwrite
        for name, role in form.disclosure_roles.items():
            if form.questions[name].holds_value:
                roles[name] = (role, form.questions[name], form)
    keys = [
        Variable(name, "meta", (source,), Dates("month"), LIGHT) for name, source in METADATA_KEYS
    ]
    keys.append(Variable("_locale", "meta", ("locale",), MergeRare(), LIGHT))
    sensitive: list[Variable] = []
    withheld: dict[str, set[str]] = {}  # per repeat: its questions' names
    disability: list[str] = []
    for name, (role, question, form) in roles.items():
        derived = name in form.derived_roles
        if question.repeat:
            withheld.setdefault(question.repeat, set()).add(name)
        elif role == WITHHELD:
            keys.append(Variable(name, "answer", (name,), Withheld(), LIGHT))
        elif role == "sensitive":
            # Asked of some only (a `relevant`): its l-diversity is kept by emptying answers
            # in the few groups that need it, not by coarser keys for everyone.
            sensitive.append(
                Variable(
                    name, "answer", (name,), Hierarchy(), LIGHT if question.get("relevant") else 1.0
                )
            )
        elif question.get("hierarchy") == DISABILITY:
            disability.append(name)
        else:
            keys.append(
                Variable(
                    name,
                    "answer",
                    (name,),
                    hierarchy_for(question, form),
                    LIGHT if question.type in FREE_TEXT or derived else 1.0,
                )
            )
    if disability:
        keys.append(Variable(DISABILITY, "disability", tuple(disability), Disability()))
    # The main table counts the repeats not inside another (exports._table_fields).
    # A count set by a sensitive answer (FormDefinition.withheld_counts) is not released,
    # nor the repeat's rows that tell it; the newest version that has the repeat decides.
    repeats = {
        name: name in form.withheld_counts for form in forms for name in form.children.get(None, [])
    }
    keys += [
        Variable(name, "count", (name,), Withheld() if withheld_count else Hierarchy())
        for name, withheld_count in repeats.items()
    ]
    # Inside another repeat, such a repeat's count is its rows in each instance: they are
    # left out of every instance of the repeat it is in, at every depth.
    for name, parent in _nested_withheld(forms).items():
        withheld.setdefault(parent, set()).add(name)
    keys += _metadata_days(forms)
    return keys, sensitive, withheld


def _nested_withheld(forms: list[FormDefinition]) -> dict[str, str]:
    """The repeats inside another whose count is set by a sensitive answer, each with the
    repeat it is in, as the newest version that has it says."""
    found: dict[str, str | None] = {}
    for form in forms:  # oldest first: newer versions overwrite
        for parent, names in form.children.items():
            if parent is not None:
                found.update(
                    (name, parent if name in form.withheld_counts else None) for name in names
                )
    return {name: parent for name, parent in found.items() if parent is not None}


def _metadata_days(forms: list[FormDefinition]) -> list[Variable]:
    """The days an XLSForm's `start`, `end` and `today` send: key variables released to the
    month at most, as the record's own collection date is."""
    days = {
        item["name"]
        for form in forms
        for item in form.data.get("metadata", [])
        if item["type"] in ("start", "end", "today")
    }
    return [Variable(name, "answer", (name,), Dates("month"), LIGHT) for name in sorted(days)]


def metadata_hidden(forms: list[FormDefinition]) -> frozenset:
    """The metadata answers never released, as the device and the enumerator are not:
    an XLSForm's `deviceid` and `username`."""
    return frozenset(
        item["name"]
        for form in forms
        for item in form.data.get("metadata", [])
        if item["type"] in ("deviceid", "username")
    )


# -- Pass 1: counting -----------------------------------------------------------------------


class Tally:
    """Combinations of key values (as value indices) and their sensitive-value bitmasks."""

    def __init__(
        self,
        keys: list[Variable],
        sensitive: list[Variable],
        l: int,
        min_devices: int = DEFAULT_MIN_DEVICES,
    ):
        self.keys, self.sensitive, self.l = keys, sensitive, l
        self.min_devices = min_devices
        # Per form version, its records per device (at most MAX_DEVICES_PER_VERSION
        # devices): whether a version, or a range of them, has enough devices none of
        # which dominates (version_ranges).
        self.devices: dict[str | None, Counter] = {}
        self.values: list[list] = [[] for _ in keys]  # per key variable: index -> value
        self.index: list[dict] = [{} for _ in keys]
        self.start = [0] * len(keys)  # levels already taken to keep memory bounded
        self.counts: Counter = Counter()
        self.masks: dict[tuple, list[int]] = {}
        self.codes: list[dict] = [{} for _ in sensitive]  # per sensitive variable: value -> bit
        self.records = 0

    def combo(self, row: dict) -> tuple:
        """The row's combination at the tally's current levels; new values get indices."""
        out = []
        for i, variable in enumerate(self.keys):
            value = variable.read(row)
            if self.start[i]:
                value = variable.hierarchy.up(value, self.start[i])
            index = self.index[i]
            position = index.get(value)
            if position is None:
                position = index[value] = len(self.values[i])
                self.values[i].append(value)
            out.append(position)
        return tuple(out)

    def add(self, row: dict) -> None:
        combo = self.combo(row)
        self.records += 1
        devices = self.devices.setdefault(row.get("form_version"), Counter())
        device = row.get("device_id")
        if device in devices or len(devices) < MAX_DEVICES_PER_VERSION:
            devices[device] += 1
        else:
            devices[_MORE_DEVICES] += 1
        self.counts[combo] += 1
        if self.sensitive:
            masks = self.masks.get(combo)
            if masks is None:
                masks = self.masks[combo] = [0] * len(self.sensitive)
            for s, variable in enumerate(self.sensitive):
                if masks[s].bit_count() >= self.l:
                    continue  # already diverse: any group holding it is too
                value = variable.read(row)
                if value is not None:
                    codes = self.codes[s]
                    masks[s] |= 1 << codes.setdefault(value, len(codes))
        if len(self.counts) > MAX_COMBINATIONS:
            self.coarsen()

    def coarsen(self) -> None:
        """Too many combinations: generalize the variable with the most values one level."""
        candidates = [
            i
            for i, v in enumerate(self.keys)
            if not isinstance(v.hierarchy, MergeRare)
            and self.start[i] < len(v.hierarchy.levels) - 1
            and len(self.values[i]) > 1
        ]
        if not candidates:
            candidates = [
                i for i, v in enumerate(self.keys) if self.start[i] < len(v.hierarchy.levels) - 1
            ]
        i = max(candidates, key=lambda c: len(self.values[c]))
        variable, level = self.keys[i], self.start[i] + 1
        if isinstance(variable.hierarchy, MergeRare):
            level = len(variable.hierarchy.levels) - 1  # rarity is unknown mid-stream
        old_values = self.values[i]
        self.values[i], self.index[i], self.start[i] = [], {}, level
        remap = []
        for value in old_values:
            value = variable.hierarchy.up(value, level) if self.start[i] else value
            position = self.index[i].setdefault(value, len(self.values[i]))
            if position == len(self.values[i]):
                self.values[i].append(value)
            remap.append(position)
        counts: Counter = Counter()
        masks: dict[tuple, list[int]] = {}
        for combo, n in self.counts.items():
            new = combo[:i] + (remap[combo[i]],) + combo[i + 1 :]
            counts[new] += n
            if self.sensitive:
                have = masks.get(new)
                masks[new] = (
                    self.masks[combo]
                    if have is None
                    else [a | b for a, b in zip(have, self.masks[combo], strict=True)]
                )
        self.counts, self.masks = counts, masks


# -- Planning -------------------------------------------------------------------------------


@dataclass
class Plan:
    """What a release does: the level of each key variable, and where each combination
    goes (its released values and the sensitive variables emptied), or LEFT_OUT."""

    keys: list[Variable]
    sensitive: list[Variable]
    withheld: dict
    tally: Tally
    levels: list[int]
    targets: dict
    report: dict
    # The releases table's id of this plan's report, by (user, format): see sync_server.data.
    saved: dict = field(default_factory=dict, compare=False)
    # Answers never released (metadata_hidden): left out of every row and column.
    hidden: frozenset = frozenset()
    # The repeats each repeat of `withheld` sits in, itself last (repeat_lineages).
    lineages: dict = field(default_factory=dict)
    # Each stored form version's released value (version_ranges): itself, a range, or None.
    versions: dict = field(default_factory=dict)
    # Per key or sensitive variable, the questions asked only as it is answered
    # (relevance_followers): emptied wherever it is, as their presence tells it.
    followers: dict = field(default_factory=dict)

    @property
    def versions_withheld(self) -> bool:
        """Whether the records' form version is not released at all."""
        return bool(self.versions) and all(v is None for v in self.versions.values())

    def released_versions(self) -> dict[str, list[str]]:
        """Each released form version (a version or a range), in publish order, with the
        stored versions it stands for: what a row of it can hold."""
        out: dict[str, list[str]] = {}
        for version, released in self.versions.items():
            if released is not None:
                out.setdefault(released, []).append(version)
        return out

    def released_version(self, value: str) -> str | None:
        """`value` as released: itself when released as it is, a stored version's range,
        else None (not released, or no such version)."""
        return value if value in self.released_versions() else self.versions.get(value)

    def stored_versions(self, value: str) -> list[str]:
        """The stored versions a filter on the released `value` selects: those of that
        released value, or of the range a stored version is released in (so a filter on
        an exact version tells no more than one on its range); none when not released."""
        released = self.released_version(value)
        return self.released_versions()[released] if released is not None else []

    def release(self) -> Release:
        return Release(self)


def make_plan(
    forms: list[FormDefinition],
    rows: Callable[[], Iterable[dict]],
    k: int = DEFAULT_K,
    l: int = DEFAULT_L,
    *,
    form_id: str | None = None,
    min_devices: int = DEFAULT_MIN_DEVICES,
    version_order: list[str] | None = None,
) -> Plan:
    """Pass 1 over `rows()` and the plan for releasing them (see the module docstring).
    `version_order`: the form's versions in publish order (else the order of `forms`)."""
    check_parameters(k, l)
    started = time.perf_counter()
    keys, sensitive, withheld = variables(forms)
    tally = Tally(keys, sensitive, l, min_devices)
    for row in rows():
        tally.add(row)
    for i, variable in enumerate(keys):
        marginal: Counter = Counter()
        for combo, n in tally.counts.items():
            marginal[tally.values[i][combo[i]]] += n
        variable.hierarchy.prepare(marginal, k)
    tables = _level_tables(tally)
    levels = _climb(tally, tables, k, l)
    followers = relevance_followers(forms, [*keys, *sensitive])
    targets, summary = _targets(tally, tables, levels, k, l, followers)
    report = _report(forms, form_id, tally, levels, summary, k, l)
    report["seconds"] = round(time.perf_counter() - started, 3)
    hidden = metadata_hidden(forms)
    report["not_released"] += sorted(hidden) + sorted(_nested_withheld(forms))
    order = [f.version for f in forms] if version_order is None else version_order
    versions = version_ranges(tally.devices, order, min_devices)
    report.update(_version_report(versions, min_devices))
    if versions and all(v is None for v in versions.values()):
        report["not_released"].append("_form_version")
    return Plan(
        keys,
        sensitive,
        withheld,
        tally,
        levels,
        targets,
        report,
        hidden=hidden,
        lineages=repeat_lineages(forms, withheld),
        versions=versions,
        followers=followers,
    )


def version_ranges(
    devices: dict, order: list[str], min_devices: int
) -> dict[str | None, str | None]:
    """Each stored version's released value, in publish order (`order`; versions it does
    not name last, sorted): itself when its records came from at least `min_devices`
    devices none of which dominates (`_undominated`), else a range of it and the versions
    after it (the last ones: before it) that together do; all None when the form's records
    together do not. `devices`: per version, its records per device (Tally.devices)."""
    versions = [v for v in order if v in devices]
    versions += sorted((v for v in devices if v not in versions), key=str)
    groups: list[list[str]] = []
    current: list[str] = []
    seen: Counter = Counter()
    for version in versions:
        current.append(version)
        seen.update(devices[version])
        if _undominated(seen, min_devices):
            groups.append(current)
            current, seen = [], Counter()
    while current:  # the newest versions, not enough alone, join those before them
        if not groups:
            return dict.fromkeys(versions)
        current = groups.pop() + current
        seen = sum((devices[v] for v in current), Counter())
        if _undominated(seen, min_devices):
            groups.append(current)
            current = []
    out: dict[str | None, str | None] = {}
    for group in groups:
        label = (
            group[0] if len(group) == 1 else VERSION_RANGE.format(first=group[0], last=group[-1])
        )
        out.update(dict.fromkeys(group, label))
    return out


def _undominated(records: Counter, min_devices: int) -> bool:
    """Whether records per device come from at least `min_devices` devices, the
    min_devices - 1 largest holding at most VERSION_DOMINANCE of them."""
    if len(records) < min_devices:
        return False
    largest = sum(n for _, n in records.most_common(min_devices - 1))
    return largest <= VERSION_DOMINANCE * records.total()


def _version_report(versions: dict, min_devices: int) -> dict:
    """The report's form versions: each released value with the versions it stands for
    (a range's versions say which questions its rows can hold)."""
    released: dict = {}
    for version, value in versions.items():
        released.setdefault(value, []).append(version)
    return {
        "min_devices": min_devices,
        "form_versions": [
            {"released": value, "versions": names} for value, names in released.items()
        ],
    }


def version_token(versions: dict) -> str:
    """A short token of a plan's form versions (stored -> released): the release's data
    version carries it, so that it changes when the versions' ranges do."""
    digest = hashlib.sha256(json.dumps(sorted(versions.items(), key=str)).encode())
    return digest.hexdigest()[:8]


def relevance_followers(forms: list[FormDefinition], variables: list[Variable]) -> dict:
    """Per key or sensitive variable, the questions whose being asked at all depends on it,
    each with the repeats it is in: their `relevant` (or their group's or repeat's) reads
    it, or reads a question computed from it or itself asked only as it is answered. Where
    the variable is emptied, an answer to them would tell it (`not_reported_why`, asked
    only if `reported_to` is 'no_one'), so they are emptied with it. Every version's
    relevance counts: a record of any of them can hold the follow-up."""
    found: dict[str, dict[str, tuple[str, ...]]] = {}
    for form in forms:
        reads = _relevance_reads(form)
        for variable in variables:
            if variable.kind == "meta":
                continue
            sources = set(variable.sources)
            for name, read in reads.items():
                if read & sources and name not in sources:
                    found.setdefault(variable.name, {})[name] = form.lineage(name)
    return {name: tuple(sorted(names.items())) for name, names in found.items()}


def _relevance_reads(form: FormDefinition) -> dict[str, set[str]]:
    """Per question with a relevance, every question and repeat its being asked depends on:
    those its relevance reads and, at any depth, what their values are computed from and
    what their own relevance reads."""
    direct = {
        name: set().union(*(expressions.parse(source).references() for source in sources))
        for name, sources in form.relevance_of.items()
        if sources
    }
    found = {}
    for name, refs in direct.items():
        seen: set[str] = set()
        pending = list(refs)
        while pending:
            ref = pending.pop()
            if ref in seen:
                continue
            seen.add(ref)
            pending += [*form.value_sources.get(ref, ()), *direct.get(ref, ())]
        found[name] = seen
    return found


def repeat_lineages(forms: list[FormDefinition], repeats) -> dict[str, tuple[str, ...]]:
    """Each of `repeats` with the repeats it sits in, outermost first, itself last, as the
    newest version that has it says (where its instances are in a record's answers)."""
    found: dict[str, tuple[str, ...]] = {}
    for form in forms:  # oldest first: newer versions overwrite
        found.update((name, form.lineage(name)) for name in repeats if name in form.repeats)
    return found


def _level_tables(tally: Tally) -> list[list[list | None]]:
    """Per key variable, per level at or above its start: tally index -> released value."""
    tables = []
    for i, variable in enumerate(tally.keys):
        height = len(variable.hierarchy.levels)
        per_level: list[list | None] = []  # None below the tally's start
        for level in range(height):
            if level < tally.start[i]:
                per_level.append(None)
            elif level == tally.start[i]:
                per_level.append(list(tally.values[i]))
            else:
                per_level.append([variable.hierarchy.up(v, level) for v in tally.values[i]])
        tables.append(per_level)
    return tables


def _groups(tally: Tally, tables, levels) -> dict:
    """Each group at these levels: [records, per sensitive variable a bitmask of answers]."""
    maps = [tables[i][level] for i, level in enumerate(levels)]
    groups: dict = {}
    for combo, n in tally.counts.items():
        _join(
            groups,
            tuple([m[c] for m, c in zip(maps, combo, strict=True)]),
            n,
            tally.masks.get(combo),
        )
    return groups


def _join(groups: dict, key: tuple, n: int, masks) -> None:
    have = groups.get(key)
    if have is None:
        groups[key] = [n, list(masks) if masks else None]
        return
    have[0] += n
    if masks:
        have[1] = [a | b for a, b in zip(have[1], masks, strict=True)]


def _outliers(groups: dict, k: int, l: int, primary: tuple = ()) -> int:
    """Records in groups under k, or whose answers to a sensitive question asked of
    everyone (`primary`: their positions) are fewer than l."""
    return sum(
        n
        for n, masks in groups.values()
        if n < k or (masks and any(0 < masks[s].bit_count() < l for s in primary))
    )


def _climb(tally: Tally, tables, k: int, l: int) -> list[int]:
    """Full-domain generalization with a suppression limit, as ARX does it: the levels that
    keep most while local suppression takes at most MAX_SUPPRESSION of the released key
    values.

    Top-down and greedy: start with every key variable at its top level ("not released":
    one group, safe), then keep taking the one-level refinement worth most (`_worth`, times
    the variable's weight; among equals, the one leaving fewest records at risk) whose
    local suppression stays within the limit. Valuable variables (the groups indicators
    are broken down by) come back first, metadata and free text last. Each trial regroups
    the counted combinations, never the records."""
    heights = [len(tables[i]) - 1 for i in range(len(tally.keys))]
    levels = list(heights)
    primary = _primary(tally)
    keys = _Keys(tally, tables, primary)
    current = keys.of(levels)
    risk = keys.risk(current, k, l)
    most = _budget(tally, [0] * len(levels), heights)  # the budget with everything released
    never: set = set()  # refinements too risky even then: finer levels only add risk
    while True:
        candidates = []
        for i, level in enumerate(levels):
            if level <= tally.start[i] or (i, level) in never:
                continue
            trial = levels[:i] + [level - 1] + levels[i + 1 :]
            trial_keys = keys.refined(current, i, level)
            trial_risk = keys.risk(trial_keys, k, l)
            if trial_risk > most:
                never.add((i, level))
            if trial_risk > max(_budget(tally, trial, heights), risk):
                continue
            gain = tally.keys[i].weight * _worth(level, heights[i])
            candidates.append(
                (
                    (gain, -trial_risk, -len(set(tables[i][level - 1]))),
                    trial,
                    trial_risk,
                    trial_keys,
                )
            )
        # The best refinement whose local suppression really stays within the limit.
        for _, trial, trial_risk, trial_keys in sorted(
            candidates, key=lambda c: c[0], reverse=True
        ):
            # Few records at risk fit whatever suppression takes from each; near the
            # limit, local suppression is run to know.
            if trial_risk * SURE_VALUES_PER_OUTLIER <= _budget(
                tally, trial, heights
            ) or _within_limit(
                tally, trial, heights, _suppression(_groups(tally, tables, trial), k, l, primary)
            ):
                levels, risk, current = trial, trial_risk, trial_keys
                break
        else:
            return levels


class _Keys:
    """The search's inner loop, fast: each counted combination's group at given levels as
    one integer (a mixed-radix number of its variables' codes), so that refining one
    variable is one pass of integer arithmetic over a list."""

    def __init__(self, tally: Tally, tables, primary: tuple):
        combos = list(tally.counts)
        self.n = [tally.counts[c] for c in combos]
        self.masks = [[tally.masks[c][s] for c in combos] for s in primary]
        self.codes: list[dict] = []  # per variable: level -> code of each combination
        self.radix: list[int] = []
        radix = 1
        for i in range(len(tally.keys)):
            per_level, widest = {}, 1
            for level in range(tally.start[i], len(tables[i])):
                table = tables[i][level]
                index: dict = {}
                per_level[level] = [index.setdefault(table[c[i]], len(index)) for c in combos]
                widest = max(widest, len(index))
            self.codes.append(per_level)
            self.radix.append(radix)
            radix *= widest

    def of(self, levels) -> list[int]:
        keys = [0] * len(self.n)
        for i, level in enumerate(levels):
            r = self.radix[i]
            keys = [key + code * r for key, code in zip(keys, self.codes[i][level], strict=True)]
        return keys

    def refined(self, keys: list[int], i: int, level: int) -> list[int]:
        """`keys` with variable i one level finer than `level`."""
        r, finer, coarser = self.radix[i], self.codes[i][level - 1], self.codes[i][level]
        return [key + (a - b) * r for key, a, b in zip(keys, finer, coarser, strict=True)]

    def risk(self, keys: list[int], k: int, l: int) -> int:
        """Records in groups under k or whose answers to a question asked of everyone are
        fewer than l (as `_outliers`)."""
        counts: dict = {}
        get = counts.get
        for key, n in zip(keys, self.n, strict=True):
            counts[key] = get(key, 0) + n
        masks = []
        for values in self.masks:
            found: dict = {}
            seen = found.get
            for key, mask in zip(keys, values, strict=True):
                found[key] = seen(key, 0) | mask
            masks.append(found)
        return sum(
            n
            for key, n in counts.items()
            if n < k or any(0 < found[key].bit_count() < l for found in masks)
        )


def _within_limit(tally: Tally, levels, heights, suppression) -> bool:
    """Local suppression's cost, a record left out counting as all its values."""
    released = sum(1 for level, height in zip(levels, heights, strict=True) if level < height)
    _, suppressed, left_out = suppression
    return suppressed + left_out * released <= MAX_SUPPRESSION * tally.records * released


def _primary(tally: Tally) -> tuple:
    """The sensitive variables asked of everyone: their l-diversity shapes the groups."""
    return tuple(s for s, v in enumerate(tally.sensitive) if v.weight == 1.0)


def _budget(tally: Tally, levels, heights) -> float:
    """Records that may stay at risk: local suppression takes about VALUES_PER_OUTLIER key
    values from each, and may take MAX_SUPPRESSION of the key values released."""
    released = sum(1 for level, height in zip(levels, heights, strict=True) if level < height)
    return MAX_SUPPRESSION * tally.records * released / VALUES_PER_OUTLIER


def _worth(level: int, height: int) -> float:
    """What refining a variable from `level` down one level gives back: releasing it at
    all is worth half of it, the finer levels share the other half; so many variables
    released coarsely come before few released finely."""
    return 0.5 if level == height or height == 1 else 0.5 / (height - 1)


def _suppression(groups: dict, k: int, l: int, primary: tuple) -> tuple[dict, int, int]:
    """Local suppression on generalized combinations: {unsafe combination: its new one or
    LEFT_OUT}, the values suppressed, the records left out. A group is unsafe under k
    records, or with fewer than l answers to a sensitive question asked of everyone
    (emptying those answers would tell that the group answered alike); it loses one key
    value, then two, then all, to join a group with which it is safe."""
    state = {combo: [n, masks] for combo, (n, masks) in groups.items()}
    width = len(next(iter(state), ()))

    def safe(group) -> bool:
        n, masks = group
        return n >= k and not (masks and any(0 < masks[s].bit_count() < l for s in primary))

    moves: dict = {}
    risky = sorted(
        (c for c, group in state.items() if not safe(group)), key=lambda c: (state[c][0], str(c))
    )
    if not risky:
        return moves, 0, 0
    singles = [(i,) for i in range(width)]
    pairs = list(itertools.combinations(range(width), 2))
    everything = [tuple(range(width))]
    for patterns in (singles, pairs, everything):
        for combo in risky:  # first, each into a group it is safe with
            if combo in moves or safe(state[combo]):
                continue
            options = [
                t
                for t in (_blank(combo, p) for p in patterns)
                if t != combo and safe(_merged(state.get(t), state[combo]))
            ]
            if options:
                _move(state, moves, combo, max(options, key=lambda t: state.get(t, _NONE)[0]))
        pool = [c for c in risky if c not in moves and not safe(state[c])]
        for pattern in patterns:  # then unsafe ones together, where they are safe together
            tallies: dict = {}
            for combo in pool:
                target = _blank(combo, pattern)
                if target != combo and combo not in moves:
                    tallies.setdefault(target, []).append(combo)
            for target, members in tallies.items():
                together = state.get(target)
                for combo in members:
                    together = _merged(together, state[combo])
                if safe(together):
                    for combo in members:
                        _move(state, moves, combo, target)
            pool = [c for c in pool if c not in moves]
    left_out = 0
    for combo, group in list(state.items()):
        # Only the all-suppressed group can remain unsafe. Under k, it is left out; with k
        # records that answered alike, it stays and those answers are emptied (_targets).
        if 0 < group[0] < k:
            moves[combo] = LEFT_OUT
            left_out += group[0]
    suppressed = sum(
        groups[c][0] * _blanked(c, _final(moves, c))
        for c in groups
        if c in moves and _final(moves, c) is not LEFT_OUT
    )
    return moves, suppressed, left_out


_NONE = (0, None)


def _merged(group, other) -> list:
    if group is None:
        return [other[0], other[1]]
    masks = (
        other[1]
        if group[1] is None
        else group[1]
        if other[1] is None
        else [a | b for a, b in zip(group[1], other[1], strict=True)]
    )
    return [group[0] + other[0], masks]


def _blank(combo: tuple, pattern: tuple) -> tuple:
    out = list(combo)
    for i in pattern:
        out[i] = None
    return tuple(out)


def _blanked(before: tuple, after: tuple) -> int:
    return sum(1 for a, b in zip(before, after, strict=True) if a is not None and b is None)


def _move(state: dict, moves: dict, combo: tuple, target: tuple) -> None:
    state[target] = _merged(state.get(target), state[combo])
    state[combo] = [0, None]
    moves[combo] = target


def _final(moves: dict, combo):
    seen = 0
    while combo in moves and seen < 64:
        nxt = moves[combo]
        if nxt is LEFT_OUT or nxt == combo:
            return nxt
        combo, seen = nxt, seen + 1
    return combo


class _Summary(TypedDict):
    """What _targets did, per key and sensitive variable, for the report."""

    suppressed: list[int]
    sensitive_suppressed: list[int]
    left_out: int
    changed: int
    group_sizes: Counter
    l_achieved: int | None


def _targets(
    tally: Tally, tables, levels, k: int, l: int, followers: dict | None = None
) -> tuple[dict, _Summary]:
    """Each counted combination's released values and emptied sensitive variables; a key
    variable asked only as an emptied one is answered (`followers`) is emptied with it, for
    the whole group, so that groups only merge."""
    moves, _, _ = _suppression(_groups(tally, tables, levels), k, l, _primary(tally))
    maps = [tables[i][level] for i, level in enumerate(levels)]
    followers = followers or {}
    position = {v.name: i for i, v in enumerate(tally.keys)}
    key_followers = {
        name: [position[f] for f, lineage in found if f in position and not lineage]
        for name, found in followers.items()
    }
    finals: dict[tuple, tuple] = {}
    group_masks: dict[tuple, list[int]] = {}
    group_sizes: Counter = Counter()
    for combo in tally.counts:
        generalized = tuple([m[c] for m, c in zip(maps, combo, strict=True)])
        moved = _final(moves, generalized) if generalized in moves else generalized
        if moved is LEFT_OUT:
            finals[combo] = (generalized, LEFT_OUT)
            continue
        final = _followed(moved, tally, key_followers)
        finals[combo] = (generalized, final)
        if tally.sensitive:
            have = group_masks.get(final)
            mine = tally.masks[combo]
            group_masks[final] = (
                list(mine) if have is None else [a | b for a, b in zip(have, mine, strict=True)]
            )
    emptied = {
        final: tuple(s for s, mask in enumerate(masks) if 0 < mask.bit_count() < l)
        for final, masks in group_masks.items()
    }
    diverse = [
        mask.bit_count()
        for masks in group_masks.values()
        for mask in masks
        if mask.bit_count() >= l
    ]
    targets = {}
    summary: _Summary = {
        "suppressed": [0] * len(levels),
        "sensitive_suppressed": [0] * len(tally.sensitive),
        "left_out": 0,
        "changed": 0,
        "group_sizes": group_sizes,
        "l_achieved": min(diverse) if diverse else None,
    }
    finest = [tables[i][tally.start[i]] for i in range(len(levels))]
    sensitive_at = {v.name: s for s, v in enumerate(tally.sensitive)}
    for combo, (generalized, final) in finals.items():
        n = tally.counts[combo]
        if final is LEFT_OUT:
            targets[combo] = LEFT_OUT
            summary["left_out"] += n
            continue
        drop = emptied.get(final, ())
        gone = {tally.sensitive[s].name for s in drop}
        final = _followed(final, tally, key_followers, gone)
        gone |= {v.name for i, v in enumerate(tally.keys) if final[i] is None}
        group_sizes[final] += n
        targets[combo] = (final, drop)
        also = {
            sensitive_at[f]
            for name in gone
            for f, _ in followers.get(name, ())
            if f in sensitive_at
        }
        for s in also - set(drop):
            summary["sensitive_suppressed"][s] += n  # emptied as a follow-up, at most
        for i, (_g, f) in enumerate(zip(generalized, final, strict=True)):
            if f is None and finest[i][combo[i]] is not None and not _withheld(tally, levels, i):
                summary["suppressed"][i] += n
        for s in drop:
            summary["sensitive_suppressed"][s] += n  # at most: records without an answer too
        if drop or any(f != finest[i][combo[i]] for i, f in enumerate(final)):
            summary["changed"] += n
    return targets, summary


def _followed(final: tuple, tally: Tally, key_followers: dict, emptied=()) -> tuple:
    """`final` with the key variables asked only as an emptied variable (a key released as
    None, or `emptied`) is answered emptied too."""
    gone = {v.name for i, v in enumerate(tally.keys) if final[i] is None} | set(emptied)
    return _blank(final, tuple(j for name in gone for j in key_followers.get(name, ())))


def _report(forms, form_id, tally: Tally, levels, summary, k: int, l: int) -> dict:
    """The disclosure report: what was asked, what was done, what risk remains."""
    records, released = tally.records, tally.records - summary["left_out"]
    sizes = summary["group_sizes"]
    smallest = min(sizes.values()) if sizes else None
    withheld = [v.name for i, v in enumerate(tally.keys) if _withheld(tally, levels, i)]
    # Local suppression is counted over the key variables released at all; a variable
    # generalized to "not released" is listed, not counted as values suppressed.
    key_values = records * (len(tally.keys) - len(withheld))
    suppressed = sum(summary["suppressed"])

    def percent(part, whole):
        return round(100 * part / whole, 2) if whole else 0.0

    return {
        "form_id": form_id or (forms[-1].form_id if forms else None),
        "k_required": k,
        "l_required": l,
        "k_achieved": smallest,
        # Counting stops at l distinct answers, so l is the most this can say.
        "l_achieved": summary["l_achieved"],
        "records": records,
        "records_released": released,
        "records_changed": summary["changed"],
        "records_left_out": summary["left_out"],
        "key_variables": [
            {
                "name": v.name,
                "hierarchy": v.hierarchy.name,
                "level": levels[i],
                "level_name": v.hierarchy.levels[levels[i]],
                "released": v.name not in withheld,
                "suppressed": summary["suppressed"][i],
                "suppressed_percent": percent(summary["suppressed"][i], records),
            }
            for i, v in enumerate(tally.keys)
        ],
        "sensitive_variables": [
            {
                "name": v.name,
                "suppressed": summary["sensitive_suppressed"][s],
                "suppressed_percent": percent(summary["sensitive_suppressed"][s], records),
            }
            for s, v in enumerate(tally.sensitive)
        ],
        "key_values_suppressed": suppressed,
        "key_values_suppressed_percent": percent(suppressed, key_values),
        "groups": len(sizes),
        "smallest_group": smallest,
        "records_in_smallest_groups": sum(n for n in sizes.values() if n == smallest),
        "not_released": ["_device", "enumerator", *withheld],
    }


def _withheld(tally: Tally, levels, i: int) -> bool:
    """Whether a key variable is generalized to its top level: not released at all."""
    return levels[i] >= len(tally.keys[i].hierarchy.levels) - 1


# -- Pass 2: releasing ----------------------------------------------------------------------


class Release:
    """Applies a plan to rows, one at a time; the exporters take what it yields."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.key_writers = list(enumerate(plan.keys))

    def row(self, row: dict) -> dict | None:
        """The released copy of one stored row, or None when the plan leaves it out."""
        plan = self.plan
        # A row pass 1 did not count (it arrived since) is left out: its group is unknown.
        target = plan.targets.get(_lookup(plan.tally, row), LEFT_OUT)
        if target is LEFT_OUT:
            return None
        final, drop = target
        released = dict(
            row,
            device_id=None,
            enumerator=None,
            form_version=plan.versions.get(row.get("form_version")),
        )
        answers = dict(row.get("answers") or {})
        for name in plan.hidden:
            answers.pop(name, None)
        for i, variable in self.key_writers:
            variable.write(released, answers, final[i])
        for s in drop:
            answers.pop(plan.sensitive[s].sources[0], None)
        # Per group, never per record: all the records of a group keep it.
        emptied = [v.name for i, v in self.key_writers if final[i] is None]
        emptied += [plan.sensitive[s].name for s in drop]
        for name in emptied:
            for follower, lineage in plan.followers.get(name, ()):
                if lineage:
                    _empty_in(answers, lineage, {follower})
                else:
                    answers.pop(follower, None)
        for repeat, names in plan.withheld.items():
            _empty_in(answers, plan.lineages.get(repeat, (repeat,)), names)
        released["answers"] = answers
        return released

    def rows(self, rows: Iterable[dict]):
        """Pass 2: the released rows, those the plan leaves out skipped."""
        release = self.row
        for row in rows:
            out = release(row)
            if out is not None:
                yield out

    def columns(self, columns: list) -> list:
        """The export's columns for released rows: the device, every key variable the
        plan does not release, and the form version when it is not released, are left
        out; the six Washington Group columns give way to one disability flag."""
        from .exports import Column

        plan = self.plan
        withheld = [v for i, v in enumerate(plan.keys) if _withheld(plan.tally, plan.levels, i)]
        gone_meta = {"_device"} | {v.name for v in withheld if v.kind == "meta"}
        if plan.versions_withheld:
            gone_meta.add("_form_version")
        gone = {
            source for v in withheld if v.kind in ("answer", "disability") for source in v.sources
        }
        flag = next((v for v in plan.keys if v.kind == "disability"), None)
        names = flag.sources if flag else ()
        out, placed = [], False
        for column in columns:
            if column.meta and column.name in gone_meta:
                continue
            if not column.meta and (column.source in gone or column.source in plan.hidden):
                continue
            if not column.meta and column.source in names:
                if not placed:
                    out.append(
                        Column(
                            DISABILITY,
                            DISABILITY,
                            "code",
                            DISABILITY_LABEL,
                            choices=(("yes", {"en": "Yes"}), ("no", {"en": "No"})),
                        )
                    )
                    placed = True
                continue
            out.append(column)
        return out


def _empty_in(scope: dict, lineage, names) -> None:
    """Leave `names` out of each instance of the repeat at the end of `lineage` (the repeats
    it is in first) in `scope`, a release's copy: the lists and instances on the way are
    copied, never changed, as they are the stored row's."""
    items = scope.get(lineage[0])
    if not isinstance(items, list):
        return
    if len(lineage) == 1:
        scope[lineage[0]] = [
            {n: v for n, v in item.items() if n not in names} if isinstance(item, dict) else item
            for item in items
        ]
        return
    copies = []
    for item in items:
        if isinstance(item, dict):
            item = dict(item)
            _empty_in(item, lineage[1:], names)
        copies.append(item)
    scope[lineage[0]] = copies


def _lookup(tally: Tally, row: dict):
    """The row's combination as pass 1 counted it; None for a value pass 1 never saw."""
    out = []
    for i, variable in enumerate(tally.keys):
        value = variable.read(row)
        if tally.start[i]:
            value = variable.hierarchy.up(value, tally.start[i])
        position = tally.index[i].get(value)
        if position is None:
            return None
        out.append(position)
    return tuple(out)


def report_id(report: dict) -> str:
    """A short stable id of a report's content (the records API names it)."""
    digest = hashlib.sha256(json.dumps(report, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:16]
