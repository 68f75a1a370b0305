"""A survey design per form: how its records were drawn, and the PSU totals it needs.

The central team declares, per form, which question (or the record's device) is the
stratum, which the cluster (primary sampling unit), where the weights come from (a weight
question, population totals to post-stratify or rake to, or both), the number of clusters
in each stratum's population (finite population correction) and the lonely-PSU rule.

Each record's stratum, cluster and base weight are kept in `survey_units`, refreshed with
the facts (indicators.refresh_facts), so an estimate is one aggregate query over facts
joined to units: sums per (group, stratum, cluster), never a pass over answers. The
statistics are in survey_design; this module is the storage and the SQL.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re

import numpy as np

from . import survey_design as sd
from .database import ddl

__all__ = [
    "CALIBRATION_VARIABLES",
    "DEVICE",
    "DesignError",
    "ExportDesign",
    "clear_design",
    "build_design",
    "describe",
    "export_design",
    "clear_step",
    "unfinished_builds",
    "unfinished_clears",
    "design_of",
    "design_psus",
    "parse_design",
    "read_totals",
    "rebuild_units",
    "refresh_units",
    "save_design",
    "weight_factors",
]

DEVICE = "_device"  # the laptop that sent the record: a team or an enumerator's cluster
# Population totals are entered for these record dimensions (as the indicators define them).
CALIBRATION_VARIABLES = ("gender", "age_band", "area", "migration_status", "disability")
POSTSTRATIFY, RAKE = "poststratify", "rake"
_NUMERIC = ("integer", "decimal", "calculate", "range")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


class DesignError(ValueError):
    """A design that cannot be declared as given: nothing was changed."""


# -- Declaring a design -----------------------------------------------------------------


def parse_design(
    form,
    *,
    stratum=None,
    cluster=None,
    weight=None,
    fpc=None,
    calibration=None,
    lonely_psu=sd.ADJUST,
) -> dict:
    """A checked design definition for `form` (a FormDefinition), or DesignError.

    `fpc`: the number of clusters in the population, one number (no strata) or
    {stratum: number}. `calibration`: {"method": "poststratify"|"rake", "totals":
    {variable: {category: population total}}}.
    """
    for role, name in (("stratum", stratum), ("cluster", cluster)):
        if name is not None:
            _check_variable(form, role, name, numeric=False)
    if weight is not None:
        if weight == DEVICE:
            raise DesignError("The weight must be a number question, not the device.")
        _check_variable(form, "weight", weight, numeric=True)
    if lonely_psu not in sd.LONELY_RULES:
        raise DesignError(f"The lonely-PSU rule must be one of {', '.join(sd.LONELY_RULES)}.")
    definition = {
        "stratum": stratum,
        "cluster": cluster,
        "weight": weight,
        "fpc": _check_fpc(fpc, stratum),
        "lonely_psu": lonely_psu,
        "calibration": _check_calibration(calibration),
    }
    if not any(definition[key] for key in ("stratum", "cluster", "weight", "calibration")):
        raise DesignError(
            "A design needs at least a stratum, a cluster, a weight or population totals."
        )
    if definition["fpc"] is not None and cluster is None and stratum is None:
        raise DesignError("A finite population correction needs a cluster or a stratum.")
    return definition


def _check_variable(form, role: str, name: str, numeric: bool) -> None:
    if name == DEVICE:
        return
    question = form.questions.get(name) if _NAME.fullmatch(name or "") else None
    if question is None:
        raise DesignError(
            f"The {role} {name!r} is not a question of {form.form_id} (nor "
            f"{DEVICE}, the device that sent the record)."
        )
    if question.repeat is not None:
        raise DesignError(
            f"The {role} {name!r} is asked in a repeat; a design variable is asked once per record."
        )
    spec = question.spec
    if spec.get("identifying") or spec.get("privacy", "").startswith("drop"):
        raise DesignError(f"The {role} {name!r} never reaches the server (it is identifying).")
    if numeric and spec["type"] not in _NUMERIC:
        raise DesignError(f"The weight {name!r} must be a number question, not {spec['type']}.")
    if not numeric and spec["type"] in ("select_multiple", "rank", "text") and role == "stratum":
        raise DesignError(f"The stratum {name!r} must have one value per record.")


def _positive(value, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise DesignError(f"{what} must be a number, not {value!r}.") from None
    if not math.isfinite(number) or number <= 0:
        raise DesignError(f"{what} must be more than 0, not {value!r}.")
    return number


def _check_fpc(fpc, stratum):
    if fpc is None:
        return None
    if isinstance(fpc, dict):
        if stratum is None:
            raise DesignError("Population sizes per stratum need a stratum.")
        if not fpc:
            raise DesignError("Give at least one stratum's population size.")
        return {
            str(k): _positive(v, f"The population size of stratum {k!r}") for k, v in fpc.items()
        }
    return _positive(fpc, "The population size")


def _check_calibration(calibration):
    if calibration is None:
        return None
    method, totals = calibration.get("method"), calibration.get("totals")
    if method not in (POSTSTRATIFY, RAKE):
        raise DesignError(f"Weights from totals are {POSTSTRATIFY} or {RAKE}, not {method!r}.")
    if not isinstance(totals, dict) or not totals:
        raise DesignError("Population totals are missing.")
    unknown = [name for name in totals if name not in CALIBRATION_VARIABLES]
    if unknown:
        raise DesignError(
            f"Population totals can be given for "
            f"{', '.join(CALIBRATION_VARIABLES)}, not {', '.join(unknown)}."
        )
    if method == POSTSTRATIFY and len(totals) != 1:
        raise DesignError(
            "Post-stratification takes the totals of one variable; use raking for several."
        )
    checked = {}
    for name, categories in totals.items():
        if not isinstance(categories, dict) or not categories:
            raise DesignError(f"The totals of {name} are missing.")
        checked[name] = {
            str(c): _positive(v, f"The total of {name} = {c}") for c, v in categories.items()
        }
    sums = [sum(values.values()) for values in checked.values()]
    if max(sums) - min(sums) > 1e-6 * max(sums):
        raise DesignError(
            "The totals of each variable must add up to the same population "
            f"(they add up to {', '.join(f'{s:g}' for s in sums)})."
        )
    return {"method": method, "totals": checked}


def read_totals(text: str) -> dict:
    """Population totals from a file's text: JSON {variable: {category: total}}, or CSV
    with the columns variable, category, total."""
    stripped = text.lstrip("\ufeff").strip()
    if stripped.startswith("{"):
        try:
            parsed = json.loads(stripped)
        except ValueError as error:
            raise DesignError(f"The totals file is not valid JSON: {error}.") from None
        if not isinstance(parsed, dict):
            raise DesignError("The totals file must hold {variable: {category: total}}.")
        return parsed
    rows = list(csv.DictReader(io.StringIO(stripped)))
    if not rows or not {"variable", "category", "total"} <= set(rows[0]):
        raise DesignError(
            "The totals file must be JSON, or CSV with the columns variable, category, total."
        )
    totals: dict = {}
    for line, row in enumerate(rows, start=2):
        variable, category = (row["variable"] or "").strip(), (row["category"] or "").strip()
        if not variable or not category:
            raise DesignError(f"Line {line} of the totals file has no variable or category.")
        if category in totals.setdefault(variable, {}):
            raise DesignError(f"Line {line}: {variable} = {category} is given twice.")
        totals[variable][category] = row["total"]
    return totals


# Records whose units and design sums are computed per transaction when a design is
# declared: as many as a batch received, so a step holds the write lock about as long as a
# batch does (a fraction of a second) and ingest and other writers go on meanwhile. Smaller
# steps cost no more in all: each record adds its sums to a few rows of the cube anyway.
BUILD_CHUNK = 500


def save_design(
    db,
    form_id: str,
    definition: dict,
    actor: str,
    chunk: int = BUILD_CHUNK,
    steps: int | None = None,
) -> None:
    """Store a form's design, then compute its units and design sums `chunk` records per
    transaction (`build_design`), so the write lock is never held for long; `steps`: at
    most that many transactions now, the rest later (None: until done).

    Until the last chunk is done the form's estimates use no design (design_of is None):
    never a design over part of the records. Interrupted, the build goes on where it
    stopped: at each batch received (ingest), or when the same design is saved again.
    """
    from collector.clock import now_iso

    from .indicators import FACTS_LOCK, _touch

    text = json.dumps(definition, sort_keys=True)
    with db.transaction():
        db.lock(FACTS_LOCK)  # alone: no batch adds to the form's design sums meanwhile
        row = db.execute(
            "SELECT definition, built_through FROM survey_designs WHERE form_id = ?", [form_id]
        ).fetchone()
        if row is None or row[0] != text or row[1] is None:  # else: resume the same build
            db.execute(
                "INSERT INTO survey_designs (form_id, definition, updated_at, updated_by,"
                " built_through) VALUES (?, ?, ?, ?, '') ON CONFLICT (form_id) DO UPDATE"
                " SET definition = excluded.definition, updated_at = excluded.updated_at,"
                " updated_by = excluded.updated_by, built_through = ''",
                [form_id, text, now_iso(), actor],
            )
            db.execute("DELETE FROM design_cube WHERE form_id = ?", [form_id])
            # A clear under way ends here: the build rewrites every unit of the form.
            db.execute("DELETE FROM design_clears WHERE form_id = ?", [form_id])
            _touch(db)
            _audit(db, actor, "design_set", f"{form_id}: {text}")
    done = 0
    while (steps is None or done < steps) and build_design(db, form_id, chunk):
        done += 1


def build_design(db, form_id: str, chunk: int = BUILD_CHUNK) -> bool:
    """One step of a design's build, in its own transaction: the units and design sums of
    the next `chunk` records in uuid order. True while records remain.

    Each step is whole or nothing, and starts after the last uuid done (`built_through`),
    so a build stopped anywhere goes on correctly. Ingest keeps the sums of the records
    already done; the others are counted when their step comes."""
    from .indicators import FACTS_LOCK, _design_cube_add, _touch

    with db.transaction():
        # Alone (the exclusive side): ingest takes the shared side for the same tables.
        db.lock(FACTS_LOCK)
        row = db.execute(
            "SELECT definition, built_through FROM survey_designs WHERE form_id = ?", [form_id]
        ).fetchone()
        if row is None or row[1] is None:
            return False
        definition, done = json.loads(row[0]), row[1]
        # The facts hold one row per newest revision, keyed (form, uuid): the next records
        # in uuid order are a range of that key, however many the form has.
        uuids = [
            found[0]
            for found in db.execute(
                "SELECT uuid FROM facts WHERE form_id = ? AND uuid > ? ORDER BY uuid LIMIT ?",
                [form_id, done, chunk],
            ).fetchall()
        ]
        last = uuids[-1] if uuids else done
        if uuids:
            span = [done, last]
            db.execute(
                "DELETE FROM survey_units WHERE form_id = ? AND uuid > ? AND uuid <= ?",
                [form_id, *span],
            )
            _insert_units(
                db,
                definition,
                db.execute(
                    "SELECT uuid, form_id, device_id, coalesce(answers_current, answers)"
                    f" FROM records WHERE uuid IN ({', '.join('?' * len(uuids))})"
                    " AND is_latest = 1",
                    uuids,
                ).fetchall(),
            )
            _design_cube_add(db, {form_id: definition}, "f.uuid > ? AND f.uuid <= ?", span, +1)
        if len(uuids) < chunk:  # every record done: units of records gone since are dropped
            db.execute("DELETE FROM survey_units WHERE form_id = ? AND uuid > ?", [form_id, last])
            db.execute(
                "UPDATE survey_designs SET built_through = NULL WHERE form_id = ?", [form_id]
            )
            _touch(db)
            return False
        db.execute("UPDATE survey_designs SET built_through = ? WHERE form_id = ?", [last, form_id])
    return True


def unfinished_builds(db) -> list[str]:
    """The forms whose design is still being built (save_design was interrupted)."""
    return [
        row[0]
        for row in db.execute(
            "SELECT form_id FROM survey_designs WHERE built_through IS NOT NULL ORDER BY form_id"
        )
    ]


# Rows deleted per transaction when a design is cleared (units, then design sums).
CLEAR_CHUNK = 10_000


def clear_design(
    db, form_id: str, actor: str, chunk: int = CLEAR_CHUNK, steps: int | None = None
) -> bool:
    """Forget a form's design: its estimates assume SRS again from the first transaction
    on. Its units and design sums are then deleted `chunk` rows per transaction
    (`clear_step`), so the write lock is never held for long; `steps`: at most that many
    of those now, the rest later (None: until done). An interrupted clear goes on at each
    batch received (ingest), or when the form is cleared again.

    False when the form had no design and nothing of one was left to delete."""
    from .indicators import FACTS_LOCK, _touch

    with db.transaction():
        db.lock(FACTS_LOCK)  # alone, as a build step
        found = db.execute("DELETE FROM survey_designs WHERE form_id = ?", [form_id]).rowcount
        if found:
            db.execute(
                "INSERT INTO design_clears (form_id) VALUES (?) ON CONFLICT (form_id) DO NOTHING",
                [form_id],
            )
            _touch(db)
            _audit(db, actor, "design_cleared", form_id)
    done, pending = 0, False
    while (steps is None or done < steps) and clear_step(db, form_id, chunk):
        done, pending = done + 1, True
    return bool(found) or pending


def clear_step(db, form_id: str, chunk: int = CLEAR_CHUNK) -> bool:
    """One step of clearing a form's design, in its own transaction: the first `chunk` of
    its units, or when none is left, of its design sums. True while rows remain (False:
    the clear is done, or none was under way)."""
    from .indicators import FACTS_LOCK

    with db.transaction():
        db.lock(FACTS_LOCK)  # alone, as a build step
        pending = db.execute("SELECT 1 FROM design_clears WHERE form_id = ?", [form_id])
        if pending.fetchone() is None:
            return False
        for table, key in (("survey_units", "uuid"), ("design_cube", _CUBE_KEY)):
            # The last key of the first `chunk` rows: the step deletes one range of the key.
            last = db.execute(
                f"SELECT {key} FROM {table} WHERE form_id = ? ORDER BY {key} LIMIT 1 OFFSET ?",
                [form_id, chunk - 1],
            ).fetchone()
            if last is None:  # fewer than `chunk` rows left: all of them
                if db.execute(f"DELETE FROM {table} WHERE form_id = ?", [form_id]).rowcount:
                    return True
                continue
            marks = ", ".join("?" * len(last))
            db.execute(
                f"DELETE FROM {table} WHERE form_id = ? AND ({key}) <= ({marks})",
                [form_id, *last],
            )
            return True
        db.execute("DELETE FROM design_clears WHERE form_id = ?", [form_id])
        return False


_CUBE_KEY = "dim, cell, grp, stratum, psu"  # after form_id, as the design cube's key


def unfinished_clears(db) -> list[str]:
    """The forms whose design is still being cleared (clear_design was interrupted)."""
    return [row[0] for row in db.execute("SELECT form_id FROM design_clears ORDER BY form_id")]


def _audit(db, actor: str, action: str, detail: str) -> None:
    from collector.clock import now_iso

    db.execute(
        "INSERT INTO audit (at, actor, action, detail) VALUES (?, ?, ?, ?)",
        [now_iso(), actor, action, detail],
    )


def design_of(db, form_id: str, building: bool = False) -> dict | None:
    """A form's design; while it is being built (save_design), None, unless `building`."""
    row = db.execute(
        "SELECT definition, built_through FROM survey_designs WHERE form_id = ?", [form_id]
    ).fetchone()
    if row is None or (row[1] is not None and not building):
        return None
    return json.loads(row[0])


def describe(definition: dict) -> list[tuple[str, str]]:
    """The design in words, line by line, for `design show` (English, for the command line)."""
    calibration = definition.get("calibration")
    fpc = definition.get("fpc")
    lines = [
        ("stratum", definition.get("stratum") or "none (one stratum)"),
        ("cluster", definition.get("cluster") or "none (each record is its own unit)"),
        ("weight", definition.get("weight") or "none (equal base weights)"),
        (
            "population clusters (fpc)",
            "unknown (clusters taken as drawn with replacement)"
            if fpc is None
            else json.dumps(fpc, sort_keys=True)
            if isinstance(fpc, dict)
            else f"{fpc:g}",
        ),
        ("lonely PSU rule", definition.get("lonely_psu", sd.ADJUST)),
    ]
    if calibration:
        for name, totals in calibration["totals"].items():
            lines.append(
                (
                    f"{calibration['method']} {name}",
                    ", ".join(f"{c} = {t:g}" for c, t in totals.items()),
                )
            )
    return lines


# -- Units: each record's stratum, cluster and base weight ------------------------------


def m004_survey_units(db) -> None:
    """The facts migration step that makes the units table (see indicators)."""
    ddl(
        db,
        "CREATE TABLE IF NOT EXISTS survey_units (form_id TEXT NOT NULL, uuid TEXT NOT NULL,"
        " stratum TEXT, psu TEXT, weight REAL, PRIMARY KEY (form_id, uuid)) WITHOUT ROWID",
    )


_RECORDS_SQL = (
    "SELECT uuid, form_id, device_id, coalesce(answers_current, answers)"
    " FROM records WHERE is_latest = 1 AND form_id = ?"
)


def rebuild_units(db, form_id: str) -> None:
    """Every unit of a form, and its design cube (indicators), from its records."""
    from .indicators import rebuild_design_cube

    db.execute("DELETE FROM survey_units WHERE form_id = ?", [form_id])
    definition = design_of(db, form_id, building=True)
    if definition is not None:
        _insert_units(db, definition, db.execute(_RECORDS_SQL, [form_id]))
        # Every unit is done: a build that was under way is finished too.
        db.execute("UPDATE survey_designs SET built_through = NULL WHERE form_id = ?", [form_id])
    rebuild_design_cube(db, form_id)


def refresh_units(db, uuids: list, designs: dict | None = None, parsed: dict | None = None) -> None:
    """Recompute the units of these records (inside the caller's transaction); `designs`:
    {form: its design} of every form that has one, when the caller has read them;
    `parsed`: {uuid: answers} of newest revisions the caller has read already."""
    if designs is None:
        designs = {
            row[0]: json.loads(row[1])
            for row in db.execute("SELECT form_id, definition FROM survey_designs")
        }
    marks = ", ".join("?" * len(uuids))
    db.execute(f"DELETE FROM survey_units WHERE uuid IN ({marks})", uuids)
    if not designs:
        return
    parsed = parsed or {}
    rows = db.execute(
        f"SELECT uuid, form_id, device_id FROM records WHERE is_latest = 1 AND uuid IN ({marks})",
        uuids,
    ).fetchall()
    unread = [row[0] for row in rows if row[0] not in parsed]
    texts = (
        dict(
            db.execute(
                "SELECT uuid, coalesce(answers_current, answers) FROM records WHERE is_latest = 1"
                f" AND uuid IN ({', '.join('?' * len(unread))})",
                unread,
            ).fetchall()
        )
        if unread
        else {}
    )
    rows = [
        (uuid, form_id, device_id, parsed[uuid] if uuid in parsed else texts[uuid])
        for uuid, form_id, device_id in rows
    ]
    for form_id, group in _by_form(rows).items():
        if form_id in designs:
            _insert_units(db, designs[form_id], group)


def _by_form(rows) -> dict:
    grouped: dict = {}
    for row in rows:
        grouped.setdefault(row[1], []).append(row)
    return grouped


def _insert_units(db, definition: dict, rows) -> None:
    batch = []
    for uuid, form_id, device_id, answers in rows:  # answers: JSON text, or read already
        read = answers if isinstance(answers, dict) else _loads(answers)
        batch.append([form_id, uuid, *unit_values(definition, device_id, read)])
        if len(batch) >= 1000:
            _write(db, batch)
            batch = []
    if batch:
        _write(db, batch)


def _write(db, batch) -> None:
    db.executemany(
        "INSERT INTO survey_units (form_id, uuid, stratum, psu, weight)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (form_id, uuid) DO UPDATE SET"
        " stratum = excluded.stratum, psu = excluded.psu, weight = excluded.weight",
        batch,
    )


def _loads(text):
    from .indicators import _loads as loads  # orjson first, as the facts read answers

    value = loads(text)
    return value if isinstance(value, dict) else {}


def unit_values(definition: dict, device_id, answers: dict) -> tuple:
    """(stratum, cluster, base weight) of one record; None where it cannot be known.

    Without a stratum every record is in stratum ''; without a cluster each record is its
    own cluster (its uuid is filled in by the query); without a weight question the base
    weight is 1. A record with a missing or unusable value is left out of the estimates
    (and counted as left out), never guessed.
    """
    stratum = _label(definition.get("stratum"), device_id, answers, "")
    psu = _label(definition.get("cluster"), device_id, answers, "")
    weight: float | None = 1.0
    if definition.get("weight"):
        weight = _weight(answers.get(definition["weight"]))
    return stratum, psu, weight


def _label(name, device_id, answers: dict, default: str):
    if not name:
        return default
    value = device_id if name == DEVICE else answers.get(name)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return f"{value:g}" if math.isfinite(value) else None
    text = str(value).strip()
    return text or None


def _weight(value) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number > 0 else None


# -- What estimates need ----------------------------------------------------------------

COMPLETE = "u.stratum IS NOT NULL AND u.psu IS NOT NULL AND u.weight IS NOT NULL"
# A record without a cluster is its own cluster.
PSU_SQL = "CASE WHEN u.psu = '' THEN u.uuid ELSE u.psu END"


def design_psus(db, form_id: str, definition: dict) -> tuple[sd.Design, dict, int, int]:
    """The design over every usable unit of the form: (Design, {(stratum, psu): index},
    units used, units left out)."""
    rows = db.execute(
        f"SELECT u.stratum, {PSU_SQL}, count(*) FROM survey_units u"
        f" WHERE u.form_id = ? AND {COMPLETE} GROUP BY 1, 2 ORDER BY 1, 2",
        [form_id],
    ).fetchall()
    left_out = db.execute(
        f"SELECT count(*) FROM survey_units u WHERE u.form_id = ? AND NOT ({COMPLETE})", [form_id]
    ).fetchone()[0]
    strata = sorted({row[0] for row in rows})
    code = {name: i for i, name in enumerate(strata)}
    index = {(row[0], row[1]): i for i, row in enumerate(rows)}
    fpc = definition.get("fpc")
    sizes = np.array(
        [
            float(fpc.get(name, np.nan))
            if isinstance(fpc, dict)
            else (float(fpc) if fpc is not None else np.nan)
            for name in strata
        ]
    )
    design = sd.Design(
        np.array([code[row[0]] for row in rows], dtype=np.int64),
        sizes,
        definition.get("lonely_psu", sd.ADJUST),
    )
    return design, index, sum(row[2] for row in rows), int(left_out)


def weight_factors(db, form_id: str, definition: dict) -> tuple[list, list, int]:
    """Calibration of the base weights to population totals, as one factor per cell of the
    calibration variables: (variables, [(cell values..., factor)], records left out).

    Raking a table of cells is raking its records: every record of a cell gets the same
    factor. Records whose category has no population total (or is unknown) cannot be
    weighted to the population: they are left out, and counted. CalibrationError when the
    totals cannot be met (a category with a total but no records, no convergence).
    """
    calibration = definition.get("calibration")
    if not calibration:
        return [], [], 0
    names = list(calibration["totals"])
    keys = ", ".join(f"coalesce(f.{name}, '')" for name in names)
    cells = db.execute(
        f"SELECT {keys}, {db.dialect.total('u.weight')}, count(*) FROM facts f"
        f" JOIN survey_units u ON u.form_id = f.form_id AND u.uuid = f.uuid"
        f" WHERE f.form_id = ? AND {COMPLETE} GROUP BY {keys}",
        [form_id],
    ).fetchall()
    totals = calibration["totals"]
    usable = [c for c in cells if all(c[i] in totals[n] for i, n in enumerate(names))]
    left_out = sum(c[-1] for c in cells) - sum(c[-1] for c in usable)
    if not usable:
        raise sd.CalibrationError("no records in any category with a population total")
    base = np.array([c[-2] for c in usable], dtype=float)
    margins = {name: np.array([c[i] for c in usable]) for i, name in enumerate(names)}
    adjusted = sd.calibrate(base, margins, totals)
    factors = [(*c[:-2], float(a / b)) for c, a, b in zip(usable, adjusted, base, strict=True)]
    return names, factors, int(left_out)


# -- Exports ----------------------------------------------------------------------------


class ExportDesign:
    """Adds each exported record's stratum number, cluster number and final weight.

    Numbers follow the order of the labels (strata) and of (stratum, cluster) pairs, as the
    indicators number them; a record left out of the estimates (a design value missing)
    has none. The weight is the base weight times its calibration cell's factor.
    """

    def __init__(self, db, form_id: str):
        self.definition = design_of(db, form_id)
        if self.definition is None:
            raise DesignError(f"{form_id} has no survey design")
        _design, index, _used, _left = design_psus(db, form_id, self.definition)
        self.psus = {key: i + 1 for i, key in enumerate(index)}
        self.strata = {name: i + 1 for i, name in enumerate(sorted({s for s, _p in index}))}
        try:
            self.names, factors, _left_out = weight_factors(db, form_id, self.definition)
        except sd.CalibrationError as error:
            raise DesignError(f"The weights cannot be calibrated: {error}") from None
        self.factors = {tuple(f[:-1]): f[-1] for f in factors}

    def rows(self, rows):
        from .indicators import _dimensions

        for row in rows:
            answers = row.get("answers") or {}
            stratum, psu, weight = unit_values(self.definition, row.get("device_id"), answers)
            key = (stratum, row.get("uuid") if psu == "" else psu)
            if weight is not None and self.names:
                dimensions = _dimensions(answers)
                cell = tuple(dimensions.get(name) or "" for name in self.names)
                factor = self.factors.get(cell)
                weight = None if factor is None else weight * factor
            known = None not in (stratum, psu, weight) and key in self.psus
            yield {
                **row,
                "design_stratum": self.strata.get(stratum) if known else None,
                "design_psu": self.psus[key] if known else None,
                "design_weight": weight if known else None,
            }


def export_design(db, form_id: str):
    """The ExportDesign of a form, or None when it has no design."""
    return ExportDesign(db, form_id) if design_of(db, form_id) is not None else None
