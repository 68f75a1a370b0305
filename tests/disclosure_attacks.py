"""An attacker on the central server, over HTTP: what an analyst or a viewer can learn
about single respondents from what the server releases.

Used by tests/test_disclosure_attacks.py (which asserts) and benchmarks/disclosure_audit.py
(which prints the figures). Everything here reads what a real served server sends; the
population (sync_server/demo_data.py) is only used as the truth to score an attack against.

- `TeamServer`: a real sync server on loopback with the population loaded, and an admin,
  an analyst and a viewer signed in.
- `Release`: one record-level output (CSV, XLSX, JSON Lines, Stata, SPSS, the records API)
  read back into {uuid: {column: text}}, suppressed values as "".
- `k_anonymity`, `l_diversity`, `suppression`, `disagreements`: the release's guarantees.
- `linkage`: reports matched to the survey of the person who told them, through metadata.
- `neighbour`: a person known to be in the data, found by what a neighbour knows.
- `indicator_attack`: every dashboard view, and each hidden cell solved for from all of
  them (numpy), checked against the true value.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import requests

from collector.passwords import hash_secret

K, L = 5, 2
SURVEY, REPORT = "community_survey", "discrimination_report"
PASSWORD = "a long enough passphrase for the audit"
ROLES = ("admin", "analyst", "viewer")
# What the issue names when a form declares no disclosure roles yet.
FALLBACK_KEYS = ("area", "age", "gender", "migration_status", "language_home", "urban_rural")
FALLBACK_SENSITIVE = ("discriminated", "discrimination_grounds")
# Record metadata that links records: key variables whatever the form says.
META_KEYS = ("_device", "_collected_at", "_received_at", "_locale", "_enumerator")
META_SOURCE = {
    "_uuid": "uuid",
    "_device": "device_id",
    "_collected_at": "collected",
    "_received_at": "received_at",
    "_locale": "locale",
    "_enumerator": "enumerator",
}
WG_ITEMS = (
    "wg_seeing",
    "wg_hearing",
    "wg_walking",
    "wg_remembering",
    "wg_selfcare",
    "wg_communicating",
)
DISABILITY = "disability"  # the Washington Group flag, derived from the six answers
FLAG_COLUMNS = ("wg_disability", "disability")  # the flag as a release may carry it
# How a release may write a suppressed value.
SUPPRESSED = {"", "*", "NA", "nan", "None", "."}
FORMATS = ("csv", "xlsx", "jsonl", "dta", "sav")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


# -- the server and its users ---------------------------------------------------------------


class Person:
    """A signed-in browser session (no JavaScript), as a user of the workspace."""

    def __init__(self, base: str, name: str):
        self.base, self.name = base, name
        self.session = requests.Session()
        self.session.headers["Accept-Language"] = "en"
        page = self.session.get(base + "/signin", timeout=30).text
        answer = self.session.post(
            base + "/signin",
            timeout=60,
            data={"name": name, "password": PASSWORD, "csrf_token": CSRF.search(page).group(1)},
        )
        if answer.status_code != 200 or "/signin" in answer.url:
            raise RuntimeError(f"{name} could not sign in: {answer.status_code}")

    def get(self, path: str, **params) -> requests.Response:
        return self.session.get(self.base + path, params=params or None, timeout=120)

    def close(self) -> None:
        self.session.close()


class TeamServer:
    """The population loaded into a fresh data folder, served on 127.0.0.1, with one user
    of each role signed in and an API token for the analyst."""

    def __init__(self, people, folder: Path):
        from support import LiveHub
        from sync_server import api_tokens, create_app, demo_data as population
        from sync_server.store import Store

        self.people = people
        self.database = population.load(people, folder)
        store = Store(self.database)
        try:
            for role in ROLES:
                store.add_user(f"{role}1", role, hash_secret(PASSWORD))
            self.analyst_token = api_tokens.create(
                store.db, store.user_by_name("analyst1")["id"], "audit"
            )[1]
        finally:
            store.close()
        self.app = create_app(data_dir=folder)
        self.live = LiveHub(self.app)
        self.url = self.live.url
        self.users = {role: Person(self.url, f"{role}1") for role in ROLES}

    def stop(self) -> None:
        for person in self.users.values():
            person.close()
        self.live.stop()


# -- reading releases back --------------------------------------------------------------------


def text(value) -> str:
    """A released cell as text: missing and suppressed values as ""."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return " ".join(map(str, value))
    value = str(value).strip()
    return "" if value in SUPPRESSED else value


@dataclass
class Release:
    """One record-level output: its rows by uuid, each {column: text}."""

    name: str
    rows: dict[str, dict[str, str]]
    columns: list[str] = field(default_factory=list)
    status: int = 200

    @property
    def records(self) -> list[dict[str, str]]:
        return list(self.rows.values())


def _by_uuid(name: str, rows: list[dict], status: int = 200) -> Release:
    columns = list(rows[0]) if rows else []
    cleaned = [{column: text(value) for column, value in row.items()} for row in rows]
    return Release(
        name,
        {row.get("_uuid") or f"row {n}": row for n, row in enumerate(cleaned)},
        columns,
        status,
    )


def read_export(person: Person, form_id: str, fmt: str, **params) -> Release:
    """The form's export in `fmt` as `person` downloads it; an empty release if refused."""
    answer = person.get(f"/data/{form_id}/export.{fmt}", **params)
    name = f"{fmt}" + "".join(f" {k}={v}" for k, v in params.items())
    if answer.status_code != 200:
        return Release(name, {}, [], answer.status_code)
    return _by_uuid(name, parse(fmt, answer.content, form_id))


def parse(fmt: str, content: bytes, form_id: str) -> list[dict]:
    """The rows of an export file, as {column: value}."""
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    if fmt == "jsonl":
        return [json.loads(line) for line in content.decode("utf-8").splitlines() if line.strip()]
    if fmt == "xlsx":
        import openpyxl

        sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
        header = [str(name) for name in rows[0]] if rows else []
        # A read-only sheet's row may stop at its last filled cell.
        return [dict(zip(header, row, strict=False)) for row in rows[1:]]
    return _read_stats(fmt, content, form_id)


def _read_stats(fmt: str, content: bytes, form_id: str) -> list[dict]:
    """A .dta or .sav file: codes back to choice names, meta_* back to _* columns."""
    import pyreadstat

    from collector.forms import builtin_forms

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"release.{fmt}"
        path.write_bytes(content)
        frame, meta = (pyreadstat.read_dta if fmt == "dta" else pyreadstat.read_sav)(str(path))
    form = builtin_forms()[form_id]
    names = {}
    for question in form.questions.values():
        if question.get("choices"):
            names[question.name] = {
                form.text(c["label"], "en"): c["name"] for c in form.choices(question)
            }
    rows = []
    for record in frame.to_dict("records"):
        row = {}
        for column, value in record.items():
            name = "_" + column[5:] if column.startswith("meta_") else column
            labels = meta.variable_value_labels.get(column)
            if labels and isinstance(value, float) and not math.isnan(value):
                label = labels.get(value, labels.get(int(value)))
                if label is not None:
                    value = names.get(name, {}).get(label, label)
            row[name] = value
        rows.append(row)
    return rows


def read_api(base: str, token: str, form_id: str, limit: int = 300) -> Release:
    """Every page of the records API, following its cursor."""
    rows, after, status = [], None, 200
    while True:
        params = {"limit": limit, **({"after": after} if after else {})}
        answer = requests.get(
            f"{base}/api/v1/data/{form_id}",
            params=params,
            timeout=60,
            headers={"Authorization": f"Bearer {token}"},
        )
        status = answer.status_code
        if status != 200:
            break
        page = answer.json()
        rows += page["records"]
        after = page.get("next")
        if not after:
            break
    return _by_uuid(f"api (pages of {limit})", rows, status)


# A record page's answer row: the answer's key in its heading's title, its stored value (the
# code the label stands for) in its cell's title.
RECORD_ROW = re.compile(
    r'<th scope="row" title="([^"]+)" translate="no">.*?</th>\s*'
    r'<td title="([^"]*)" translate="no">',
    re.S,
)


def record_page(person: Person, record_uuid: str) -> tuple[int, dict[str, str], str]:
    """A record page: (status, {answer key: shown value}, the page's HTML)."""
    import html

    answer = person.get(f"/data/record/{record_uuid}")
    if answer.status_code != 200:
        return answer.status_code, {}, ""
    shown = {
        key: _page_value(html.unescape(value)) for key, value in RECORD_ROW.findall(answer.text)
    }
    return 200, shown, answer.text


def _page_value(value: str) -> str:
    """A value as the record page writes it (lists and numbers as JSON), as export text."""
    try:
        return text(json.loads(value)) if value[:1] in "[0123456789-" else text(value)
    except ValueError:
        return text(value)


# -- declared roles ---------------------------------------------------------------------------


@dataclass
class Roles:
    keys: list[str]  # question columns
    sensitive: list[str]
    declared: bool  # False: the form declares none yet, the list stands in


def roles(form_id: str) -> Roles:
    """Key and sensitive variables as the form declares them (`"disclosure"`), else the
    issue's list."""
    from collector.forms import builtin_forms

    form = builtin_forms()[form_id]
    keys = [q.name for q in form.questions.values() if q.get("disclosure") == "key"]
    sensitive = [q.name for q in form.questions.values() if q.get("disclosure") == "sensitive"]
    if keys or sensitive:
        return Roles(keys, sensitive, True)
    fallback = [name for name in FALLBACK_KEYS if name in form.questions]
    if form_id == REPORT:
        fallback = ["incident_area", "incident_month"]
        return Roles(fallback, ["incident_grounds", "incident_setting"], False)
    return Roles(fallback, [n for n in FALLBACK_SENSITIVE if n in form.questions], False)


def disability(row: dict[str, str]) -> str:
    """The Washington Group flag from the six released answers (or a released flag)."""
    for column in FLAG_COLUMNS:
        if row.get(column):
            return row[column]
    values = [row.get(item, "") for item in WG_ITEMS]
    if any(v in ("a_lot", "cannot") for v in values):
        return "yes"
    return "no" if all(v in ("none", "some") for v in values) else ""


def key_of(row: dict[str, str], release: Release, keys: list[str]) -> tuple:
    """The record's combination of key values; a suppressed value is its own category."""
    columns = [c for c in keys if c in release.columns or c in row]
    columns += [c for c in META_KEYS if c in release.columns]
    values = tuple(row.get(c, "") for c in columns)
    if any(item in release.columns for item in (*WG_ITEMS, *FLAG_COLUMNS)):
        values += (disability(row),)
    return values


# -- measures on a release ---------------------------------------------------------------------


def k_anonymity(release: Release, keys: list[str], k: int = K, exact: bool = False) -> dict:
    """Records in groups smaller than k, and unique ones, on all key variables together
    (with the linking metadata and the disability flag; `exact`: on `keys` alone, where
    DISABILITY is the flag)."""
    if exact:
        combos = [
            tuple(disability(row) if c == DISABILITY else row.get(c, "") for c in keys)
            for row in release.records
        ]
    else:
        combos = [key_of(row, release, keys) for row in release.records]
    sizes = Counter(combos)
    total = len(combos)
    small = sum(1 for combo in combos if sizes[combo] < k)
    unique = sum(1 for combo in combos if sizes[combo] == 1)
    return {
        "records": total,
        "groups": len(sizes),
        "unique": unique,
        "small": small,
        "unique_pct": 100 * unique / total if total else 0.0,
        "small_pct": 100 * small / total if total else 0.0,
        "smallest": min(sizes.values()) if sizes else 0,
    }


def l_diversity(release: Release, keys: list[str], sensitive: list[str], l: int = L) -> dict:
    """Per sensitive variable: groups (on all key variables) whose known values take fewer
    than l distinct values, and the records in them. A group where nobody has a value
    (not asked, or all suppressed) tells nothing and is not counted."""
    groups = defaultdict(list)
    for row in release.records:
        groups[key_of(row, release, keys)].append(row)
    found = {}
    for name in sensitive:
        if name not in release.columns:
            continue
        bad = [
            rows
            for rows in groups.values()
            if 0 < len({row[name] for row in rows if row.get(name)}) < l
        ]
        found[name] = {"groups": len(bad), "records": sum(map(len, bad))}
    return found


def truth_value(record: dict, column: str) -> str:
    """What the server stores for this column of a record (before any release step)."""
    if column in META_SOURCE:
        return text(record.get(META_SOURCE[column]))
    if column == DISABILITY or column in FLAG_COLUMNS:
        return disability({item: text(record["answers"].get(item)) for item in WG_ITEMS})
    return text(record["answers"].get(column))


def suppression(release: Release, stored: dict[str, dict], keys: list[str]) -> dict:
    """Key values the release blanked (suppressed) or changed (generalized), against the
    stored values, over the key columns it carries; key columns it leaves out entirely.
    A record left out of the release counts as all its key values suppressed. The six
    Washington Group answers released as the disability flag count as one value."""
    columns = [c for c in [*keys, *META_KEYS] if c in release.columns]
    flag = next((c for c in FLAG_COLUMNS if c in release.columns), None)
    if flag:
        columns = [c for c in columns if c not in WG_ITEMS and c != flag] + [flag]
    kept = suppressed = generalized = 0
    per_column, answers = Counter(), Counter()
    for record_uuid, record in stored.items():
        row = release.rows.get(record_uuid, {})
        for column in columns:
            true = truth_value(record, column)
            if not true:
                continue
            kept += 1
            answers["values"] += column not in META_KEYS
            if not row.get(column):
                suppressed += 1
                per_column[column] += 1
                answers["suppressed"] += column not in META_KEYS
            elif row[column] != true:
                generalized += 1
    dropped = [c for c in keys if c not in release.columns]
    left_out = sum(1 for record_uuid in stored if record_uuid not in release.rows)
    return {
        "values": kept,
        "suppressed": suppressed,
        "generalized": generalized,
        "left_out": left_out,
        "suppressed_pct": 100 * suppressed / kept if kept else 0.0,
        "answers_suppressed_pct": 100 * answers["suppressed"] / answers["values"]
        if answers["values"]
        else 0.0,
        "per_column": dict(per_column),
        "dropped_columns": dropped,
    }


def disagreements(releases: list[Release], columns: list[str]) -> list[str]:
    """Where two outputs of the same release carry different values for a record."""
    problems = []
    first = releases[0]
    for other in releases[1:]:
        if set(other.rows) != set(first.rows):
            problems.append(
                f"{other.name}: {len(other.rows)} records, {first.name}: "
                f"{len(first.rows)}, not the same ones"
            )
            continue
        for column in columns:
            if (column in first.columns) != (column in other.columns):
                only_in = first.name if column in first.columns else other.name
                problems.append(f"{column}: in {only_in} only")
                continue
            differ = _differing(first, other, column) if column in first.columns else []
            if differ:
                problems.append(
                    f"{column}: {len(differ)} records differ between {first.name} "
                    f"and {other.name} (e.g. {first.rows[differ[0]].get(column)!r} vs "
                    f"{other.rows[differ[0]].get(column)!r})"
                )
    return problems


def _differing(first: Release, other: Release, column: str) -> list[str]:
    """Records whose value differs between two outputs. A coded format may write a label
    where text writes the name ("Yes" for "yes"): values agree when one maps to the other
    one-to-one over the whole column, and a blank only to a blank."""
    forward, backward, differ = {}, {}, []
    for record_uuid, row in first.rows.items():
        mine, theirs = row.get(column, ""), other.rows[record_uuid].get(column, "")
        if (not mine or not theirs) and mine != theirs:
            differ.append(record_uuid)
        elif (
            forward.setdefault(mine, theirs) != theirs or backward.setdefault(theirs, mine) != mine
        ):
            differ.append(record_uuid)
    return differ


# -- linkage: reports back to the survey of the person who told them ---------------------------


def _day_match(a: str, b: str) -> bool:
    """Dates match at the coarser of the two precisions (day, month, year); unknown matches."""
    if not a or not b:
        return True
    size = min(len(a), len(b))
    return a[:size] == b[:size]


def _same(a: str, b: str) -> bool:
    return not a or not b or a == b


def linkage(reports: Release, surveys: Release, links: dict[str, str], k: int = K) -> dict:
    """For each released report, the released surveys that agree with it on everything an
    analyst sees in both: laptop, day, interview language, district, enumerator, and at
    least one ground in common. A suppressed value matches anything."""
    by_device = defaultdict(list)
    for survey_uuid, survey in surveys.rows.items():
        by_device[survey.get("_device", "")].append((survey_uuid, survey))
    unique = unique_right = fewer = 0
    for report_uuid, report in reports.rows.items():
        pool = (
            surveys.rows.items()
            if not report.get("_device")
            else by_device[report["_device"]] + by_device[""]
        )
        grounds = set(report.get("incident_grounds", "").split())
        candidates = [
            survey_uuid
            for survey_uuid, survey in pool
            if _same(report.get("_device", ""), survey.get("_device", ""))
            and _day_match(report.get("_collected_at", ""), survey.get("_collected_at", ""))
            and _same(report.get("_locale", ""), survey.get("_locale", ""))
            and _same(report.get("_enumerator", ""), survey.get("_enumerator", ""))
            and _same(report.get("incident_area", ""), survey.get("area", ""))
            and (
                not grounds
                or not survey.get("discrimination_grounds")
                or grounds & set(survey["discrimination_grounds"].split())
            )
        ]
        if len(candidates) == 1:
            unique += 1
            unique_right += candidates[0] == links.get(report_uuid)
        if 0 < len(candidates) < k:
            fewer += 1
    return {
        "reports": len(reports.rows),
        "surveys": len(surveys.rows),
        "unique": unique,
        "unique_right": unique_right,
        "fewer_than_k": fewer,
    }


# -- the neighbour: someone known to be in the data ------------------------------------------

AGE = re.compile(r"^(\d+)\s*(?:-\s*(\d+)|\+)$")


def _age_fits(shown: str, band: str) -> bool:
    """A released age (band, wider band, top-coded "75+") can hold the true 5-year band."""
    if not shown or shown == band:
        return True
    low, high = AGE.match(shown), AGE.match(band)
    if not low or not high:
        return False
    shown_low, shown_high = int(low.group(1)), int(low.group(2) or 999)
    true_low, true_high = int(high.group(1)), int(high.group(2) or 999)
    return shown_low <= true_low and true_high <= shown_high


def _fits(shown: str, true: str, column: str, known_values: set) -> bool:
    """Could the released value be this person's? Blank, equal, a wider age band, or a
    category the form does not have (a merged "other", a region) all could."""
    if column == "age":
        return _age_fits(shown, true)
    return not shown or shown == true or shown not in known_values


NEIGHBOUR_KNOWS = {
    "age, gender, district": ("age", "gender", "area"),
    "+ migration status and a visible disability": (
        "age",
        "gender",
        "area",
        "migration_status",
        DISABILITY,
    ),
}


def neighbour(release: Release, stored: dict[str, dict], knows: tuple[str, ...]) -> dict:
    """Each surveyed person, looked for by what a neighbour knows of them: how many are the
    only released record that fits (singled out), how many of those are right, and how
    many of those right ones said they were discriminated against."""
    known_values = {c: {truth_value(r, c) for r in stored.values()} for c in knows}
    # Released records by what they show of `knows`; the neighbour knows the person agreed
    # to the interview, so a refusal is not them.
    patterns = defaultdict(list)
    for record_uuid, row in release.rows.items():
        if row.get("consent") != "no":
            shown = tuple(disability(row) if c == DISABILITY else row.get(c, "") for c in knows)
            patterns[shown].append(record_uuid)
    fitting = {}  # what the neighbour knows -> the released records that fit it

    def fits(true: tuple) -> list[str]:
        if true not in fitting:
            fitting[true] = [
                u
                for shown, uuids in patterns.items()
                if all(
                    _fits(a, b, c, known_values[c])
                    for a, b, c in zip(shown, true, knows, strict=True)
                )
                for u in uuids
            ]
        return fitting[true]

    singled = right = told = people = 0
    for record_uuid, record in stored.items():
        if record["answers"].get("consent") != "yes":
            continue
        people += 1
        found = fits(tuple(truth_value(record, c) for c in knows))
        if len(found) == 1:
            singled += 1
            if found[0] == record_uuid:
                right += 1
                told += record["answers"].get("discriminated") == "yes"
    return {"people": people, "singled_out": singled, "right": right, "discriminated": told}


# -- indicators: every view the dashboard offers, and each hidden cell solved for -------------

SELECT = re.compile(r'<select id="(view|by)" name="\1">(.*?)</select>', re.S)
OPTION = re.compile(r'<option value="([^"]*)"')


def dashboard_menus(viewer: Person) -> tuple[list[str], list[str | None]]:
    """The indicator and disaggregation menus of the dashboard, as offered."""
    page = viewer.get("/").text
    menus = {name: OPTION.findall(body) for name, body in SELECT.findall(page)}
    return menus["view"], [value or None for value in menus["by"]]


def published_views(viewer: Person) -> list[dict]:
    """Every (view, by) the menus offer, as its CSV download: a list of cells."""
    views, dimensions = dashboard_menus(viewer)
    found = []
    for view in views:
        for by in dimensions:
            answer = viewer.get("/indicator.csv", view=view, **({"by": by} if by else {}))
            if answer.status_code != 200:
                continue
            cells = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
            found.append({"view": view, "by": by, "cells": cells})
    return found


# Quantities known to be equal record by record, from the questionnaire: grounds, settings
# and reporting are asked of exactly those who said "yes"; every scored survey item is
# asked of every consenting respondent.
def _alias(quantity: tuple[str, str]) -> tuple[str, str]:
    kind, column = quantity
    if kind == "n" and column.startswith(("ground_", "setting_")) or quantity == ("n", "reported"):
        return "s", "discriminated"
    if kind == "n" and column.startswith("reported_to_"):
        return "s", "reported"
    if kind == "n" and (
        column in ("who5", "life_satisfaction", "trust_most", "trust_host_newcomers")
        or (column.startswith("trust_"))
    ):
        return "n", "who5"
    return quantity


def _cells_of(view: dict) -> list[tuple[str, str | None, str | None, dict]]:
    """(indicator id, dimension, group, cell) for each cell of a published view."""
    from sync_server.indicators import BY_ID, FAMILIES

    items = []
    for cell in view["cells"]:
        group = cell.get("group") or None
        if view["view"] in FAMILIES:
            if group in BY_ID:  # a family lists its members overall
                items.append((group, None, None, cell))
        elif view["view"] in BY_ID:
            items.append((view["view"], view["by"] if group else None, group, cell))
    return items


def _quantities(indicator_id: str) -> tuple[tuple, tuple | None, float]:
    """The count quantity, the sum quantity (None for counts) and the estimate's scale."""
    from sync_server.indicators import BY_ID, COUNT, SHARE

    indicator = BY_ID[indicator_id]
    if indicator.kind == COUNT:
        name = (
            indicator.column
            if indicator.equals is None
            else f"{indicator.column}={indicator.equals}"
        )
        return ("n", f"{indicator.form}:{name}"), None, 1.0
    scale = 100.0 if indicator.kind == SHARE else 1.0
    return _alias(("n", indicator.column)), _alias(("s", indicator.column)), scale


def _space_of(indicator_id: str) -> str:
    """The form whose records an indicator counts: its cells share one cross-table."""
    from sync_server.indicators import BY_ID

    return BY_ID[indicator_id].form


def _number(value: str) -> float | None:
    try:
        return float(value) if value not in ("", None) else None
    except ValueError:
        return None


def indicator_attack(views: list[dict], truth) -> dict:
    """Solve for every hidden cell from every published cell of the same quantities.

    Each quantity (the count of answers to one measure, their sum) is an unknown vector
    over the cells of the full cross-table of the dimensions (month x area x gender x age
    band x migration status x disability); a published cell is the sum over the atoms of
    its group. A hidden cell is recovered when its vector lies in the span of the
    published ones (numpy's pseudo-inverse) and the solved value is the true one (`truth(indicator,
    by, group)` -> (n, sum)). Also counts the plain "total minus the shown groups".
    """
    equations = defaultdict(dict)  # quantity -> {(by, group): value}
    hidden = []  # (indicator, by, group)
    groups = defaultdict(lambda: defaultdict(set))  # quantity's form -> by -> groups
    listed = defaultdict(set)  # (indicator, by) -> the groups its view lists
    for view in views:
        for indicator_id, by, group, _cell in _cells_of(view):
            if by:
                groups[_space_of(indicator_id)][by].add(group)
                listed[(indicator_id, by)].add(group)
    for (indicator_id, by), present in listed.items():
        # A group a breakdown does not list at all has nobody in it for this indicator.
        count, total, _scale = _quantities(indicator_id)
        for group in groups[_space_of(indicator_id)][by] - present:
            equations[count][(by, group)] = 0.0
            if total is not None:
                equations[total][(by, group)] = 0.0
    for view in views:
        for indicator_id, by, group, cell in _cells_of(view):
            count, total, scale = _quantities(indicator_id)
            if cell.get("suppressed") == "1" or _number(cell.get("n")) is None:
                hidden.append((indicator_id, by, group))
                continue
            n = _number(cell["n"])
            equations[count][(by, group)] = n
            estimate = _number(cell.get("estimate"))
            if total is not None and estimate is not None:
                equations[total][(by, group)] = round(estimate * n / scale, 6)
    hidden = list(dict.fromkeys(hidden))
    systems = {}

    def solve(quantity, space, by, group):
        if quantity is None:
            return None
        if quantity not in systems:
            systems[quantity] = _System(equations[quantity], space)
        return systems[quantity].value(by, group)

    solved_n = solved_sum = plain = recovered = 0
    examples = []
    for indicator_id, by, group in hidden:
        count, total, _scale = _quantities(indicator_id)
        space = groups[_space_of(indicator_id)]
        true_n, true_sum = truth(indicator_id, by, group)
        got_n = solve(count, space, by, group)
        got_sum = solve(total, space, by, group)
        hit_n = got_n is not None and abs(got_n - true_n) < 0.5
        hit_sum = got_sum is not None and true_sum is not None and abs(got_sum - true_sum) < 0.5
        solved_n += hit_n
        solved_sum += hit_sum
        recovered += hit_n or hit_sum
        if by and _plain_difference(equations[count], space, by, group, true_n):
            plain += 1
        if (hit_n or hit_sum) and len(examples) < 5:
            examples.append(
                f"{indicator_id} by {by or 'everyone'} = {group}: n = {true_n}"
                + (f", sum = {true_sum:g}" if true_sum is not None else "")
            )
    return {
        "views": len(views),
        "cells": sum(len(v["cells"]) for v in views),
        "hidden": len(hidden),
        "n_recovered": solved_n,
        "sum_recovered": solved_sum,
        "recovered": recovered,
        "plain_difference": plain,
        "examples": examples,
    }


def _plain_difference(known: dict, space: dict, by: str, group: str, true_n: float) -> bool:
    """Total minus the shown groups of the same breakdown gives the one hidden group."""
    total = known.get((None, None))
    shown = [value for (dim, g), value in known.items() if dim == by]
    hidden = [g for g in space[by] if (by, g) not in known]
    return total is not None and hidden == [group] and abs(total - sum(shown) - true_n) < 0.5


class _System:
    """The published cells of one quantity as linear equations over the atoms of the
    cross-table: which further cells they determine, and their values."""

    def __init__(self, known: dict, space: dict):
        dims = sorted(space)
        self.levels = {d: sorted(space[d]) for d in dims}
        shape = [len(self.levels[d]) for d in dims]
        grid = np.indices(shape).reshape(len(dims), -1) if dims else np.zeros((0, 1), int)
        self.codes = {d: grid[i] for i, d in enumerate(dims)}
        self.size = grid.shape[1]
        items = list(known.items())
        self.matrix = np.array([self.vector(dim, g) for (dim, g), _ in items]) if items else None
        if self.matrix is not None:
            # Through the small Gram matrix (cells x cells), not the wide one (cells x atoms).
            values = np.array([value for _, value in items])
            self.inverse = np.linalg.pinv(self.matrix @ self.matrix.T, hermitian=True)
            self.solution = self.matrix.T @ (self.inverse @ values)  # the least-norm one

    def vector(self, dim, group):
        if dim is None:
            return np.ones(self.size)
        if dim not in self.codes or group not in self.levels[dim]:
            return np.zeros(self.size)
        return (self.codes[dim] == self.levels[dim].index(group)).astype(float)

    def value(self, dim, group) -> float | None:
        """The cell's value if the published cells determine it, else None."""
        target = self.vector(dim, group)
        if self.matrix is None or not target.any():
            return None
        # In the span of the published cells exactly when it is its own projection there.
        projected = self.matrix.T @ (self.inverse @ (self.matrix @ target))
        if np.abs(projected - target).max() > 1e-6:
            return None
        return float(target @ self.solution)


def truth_from(database: Path):
    """The true (n, sum) of any indicator cell: the server's own estimates without
    suppression, read from its database (what the attack is scored against)."""
    from sync_server.database import open_database
    from sync_server.indicators import BY_ID, COUNT, SHARE, compute

    conn = open_database(str(database))
    cache = {}

    def truth(indicator_id, by, group):
        if (indicator_id, by) not in cache:
            result = compute(conn, indicator_id, by=by, k=1)
            cache[(indicator_id, by)] = {cell.group: cell for cell in result.cells}
        cell = cache[(indicator_id, by)].get(group)
        if cell is None or cell.n is None:
            return 0, 0.0
        kind = BY_ID[indicator_id].kind
        if kind == COUNT:
            return cell.n, None
        return cell.n, cell.estimate * cell.n / (100.0 if kind == SHARE else 1.0)

    truth.close = conn.close
    return truth


# -- everything an analyst can take ------------------------------------------------------------


def analyst_releases(server: TeamServer, form_id: str) -> list[Release]:
    """Every record-level output of a form an analyst can download: each export format, the
    records API page by page, and the export asked for "raw" (which must not be raw)."""
    analyst = server.users["analyst"]
    releases = [read_export(analyst, form_id, fmt) for fmt in FORMATS]
    releases.append(read_api(server.url, server.analyst_token, form_id))
    releases.append(
        read_export(
            analyst, form_id, "csv", release="raw", reason="an analyst asking for the raw records"
        )
    )
    return releases
