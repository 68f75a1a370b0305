"""A batch is stored as its records would be one at a time: the same rows, facts and units.

Ingest reads a batch's stored revisions with one query and writes each table with one
statement (sync_server.store.RecordWriter); these tests hold it to the plain rule of
storing the records one after the other. Each test ingests the same records twice, on two
new databases of the same engine: as one batch, and as one batch per record. Everything
stored must be equal but the time of arrival and the batch's id.
"""

from __future__ import annotations

import copy
import uuid
from pathlib import Path

import pytest

from collector import protocol
from collector.forms import builtin_forms
from sync_server import designs, indicators as ind
from sync_server.ingest import ingest_batch
from sync_server.store import Store

DEVICE, OTHER = "laptop-1", "laptop-2"
NOT_COMPARED = {"received_at", "batch_id", "at"}  # when, and in which batch, differ by design
TABLES = {  # each table, in an order that is the same on both databases
    "records": "uuid, revision",
    "facts": "form_id, uuid",
    "facts_cube": "form_id, month, area, gender, age_band, migration_status, disability",
    "survey_units": "form_id, uuid",
    "design_cube": "form_id, dim, cell, grp, stratum, psu",
    "audit": "id",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def two_stores(request, tmp_path):
    """Two new, empty server databases of one engine, each with the same two laptops."""
    cluster, names = None, []
    if request.param == "sqlite":
        places = [tmp_path / "batch.db", tmp_path / "one-by-one.db"]
    else:
        cluster = request.getfixturevalue("postgresql_cluster")
        names = [cluster.create_database() for _ in range(2)]
        places = [cluster.url(name) for name in names]
    stores = [Store.create(place) for place in places]
    for store in stores:
        with store.transaction():
            for device in (DEVICE, OTHER):
                store.db.execute(
                    "INSERT INTO devices (id, label, token_hash, enrollment_id,"
                    " enrolled_at) VALUES (?, ?, ?, 'e', '2026-01-01T00:00:00Z')",
                    [device, device, f"hash-{device}"],
                )
    yield stores
    for store in stores:
        store.close()
    for name in names:
        cluster.drop_database(name)


def survey(n: int, revision: int = 1, record_uuid: str | None = None, **changes) -> dict:
    """A community_survey record as a laptop sends it, its answers varied by n."""
    answers = {
        "consent": "yes",
        "age": ["20-24", "30-34", "60-64"][n % 3],
        "gender": ["woman", "man", "another"][n % 3],
        "area": ["NR", "SR", "CE"][n % 3],
        "migration_status": ["host", "refugee", "idp", "returnee"][n % 4],
        "life_satisfaction": n % 11,
        "trust_people": (n * 3) % 11,
        "trust_police": (n * 7) % 11,
        "who5_spirits": str(n % 6),
        "who5_calm": "3",
        "who5_active": "2",
        "who5_rested": "4",
        "who5_interest": "1",
        "wg_seeing": ["none", "a_lot"][n % 2],
        "wg_hearing": "none",
        "wg_walking": "some",
        "wg_remembering": "none",
        "wg_selfcare": "none",
        "wg_communicating": "none",
        "safety_after_dark": ["safe", "unsafe"][n % 2],
        "incl_visibility": ["agree", "disagree", "neither"][n % 3],
        "incl_contact": ["daily", "never"][n % 2],
        "discriminated": ["yes", "no"][n % 2],
        "discrimination_grounds": ["religion", "age"][: 1 + n % 2],
        "reported_to": [["no_one"], ["police"]][n % 2],
        "comments": f"Note number {n}, with an accent: é.",
    }
    answers.update(changes)
    return {
        "uuid": record_uuid or str(uuid.UUID(int=n + 1, version=4)),
        "revision": revision,
        "form_id": "community_survey",
        "form_version": "1",
        "locale": ["en", "fr"][n % 2],
        "collected": ["2026-11-20", "2026-10-02", "2029-01-01", "2020-01-01"][n % 4],
        "enumerator": None if n % 5 == 0 else f"p_{n:020d}",
        "answers": answers,
    }


def feedback(n: int, kind: str, revision: int = 1, record_uuid: str | None = None) -> dict:
    """A community_feedback record: a discrimination report makes it sensitive."""
    return {
        "uuid": record_uuid or str(uuid.UUID(int=10_000 + n, version=4)),
        "revision": revision,
        "form_id": "community_feedback",
        "form_version": "1",
        "locale": "en",
        "collected": "2026-11-20",
        "enumerator": None,
        "answers": {
            "feedback_type": kind,
            "topic": "water",
            "message": f"Message {n}.",
            "wants_reply": "no",
        },
    }


def message(records: list[dict]) -> dict:
    """A batch as the API receives it (JSON types only)."""
    return protocol.loads_json(
        protocol.dumps(
            protocol.batch_message(str(uuid.uuid4()), copy.deepcopy(records), 3, "test")
        ).decode("utf-8")
    )


def ingest_both_ways(
    stores: list[Store], records: list[dict], device: str = DEVICE
) -> tuple[list, list]:
    """The records as one batch into the first store, one batch per record into the
    second; each record's result, both ways."""
    batch_store, single_store = stores
    whole = ingest_batch(batch_store, batch_store.device(device), message(records), "api")
    singles = [
        ingest_batch(single_store, single_store.device(device), message([record]), "api")[1][
            "results"
        ][0]
        for record in records
    ]
    return whole[1]["results"], singles


def contents(store: Store) -> dict:
    """Every row the ingest writes to, but the time and batch of arrival."""
    tables = {}
    for table, order in TABLES.items():
        rows = list(store.db.query(f"SELECT * FROM {table} ORDER BY {order}"))
        tables[table] = [
            {
                key: value
                for key, value in row.items()
                if key not in NOT_COMPARED and not (table == "audit" and key == "id")
            }
            for row in rows
        ]
    return tables


def history() -> list[list[dict]]:
    """Batches that exercise every rule of storing a record, in order.

    The first is stored before: the later ones meet its records in the database."""
    early = survey(1)
    sensitive_later = feedback(1, "question")
    other_device = feedback(2, "question")
    return [
        [early, sensitive_later, survey(2), feedback(3, "discrimination")],
        [
            *(survey(n) for n in range(10, 40)),  # new records
            survey(1, revision=2, record_uuid=early["uuid"], comments="Second thoughts."),
            survey(50, revision=3),
            survey(50, revision=2),  # newest first, then older
            survey(51, revision=1),
            survey(51, revision=2),  # older first, then newest
            survey(52),
            survey(52),  # the same twice: a duplicate
            survey(53),
            survey(53, comments="Changed."),  # the same uuid, other answers
            copy.deepcopy(early),  # already stored: a duplicate
            dict(survey(2), answers=dict(survey(2)["answers"], comments="Not the same.")),
            feedback(
                1,
                "discrimination",
                revision=2,  # makes stored rows sensitive
                record_uuid=sensitive_later["uuid"],
            ),
            feedback(4, "discrimination"),
            feedback(4, "question", revision=2),
            dict(survey(60), form_version="no-such-version"),  # rejected: unknown form
            survey(61, not_a_question="x"),  # rejected: unknown field
            survey(62, respondent_name="Amina"),  # rejected: identifying
        ],
        [other_device],
    ]


@pytest.mark.parametrize("with_design", [False, True], ids=["no design", "design"])
def test_a_batch_stores_what_its_records_store_one_at_a_time(two_stores, with_design):
    if with_design:
        form = builtin_forms()["community_survey"]
        definition = designs.parse_design(form, stratum="area", cluster=designs.DEVICE)
        for store in two_stores:
            designs.save_design(store.db, "community_survey", definition, "test")
    batches = history()
    for records in batches[:2]:
        whole, singles = ingest_both_ways(two_stores, records)
        assert whole == singles
    # Another laptop's revision of a record is refused, the same way in a batch.
    taken = feedback(2, "question", revision=2, record_uuid=batches[0][1]["uuid"])
    whole, singles = ingest_both_ways(two_stores, [*batches[2], taken], device=OTHER)
    assert whole == singles
    statuses = [r["status"] for r in whole]
    assert statuses == ["stored", "rejected"] and whole[1]["code"] == "not_your_record"

    batch_store, single_store = two_stores
    stored = contents(batch_store)
    assert stored == contents(single_store)
    # The history did what it says: every rule was met, not only agreed on.
    assert len(stored["records"]) == 4 + 30 + 1 + 2 + 2 + 1 + 1 + 1 + 2 + 1
    latest = {(r["uuid"], r["revision"]) for r in stored["records"] if r["is_latest"]}
    assert (survey(50)["uuid"], 3) in latest and (survey(50)["uuid"], 2) not in latest
    assert (batches[0][0]["uuid"], 2) in latest and (batches[0][0]["uuid"], 1) not in latest
    classes = {(r["uuid"], r["revision"]): r["access_class"] for r in stored["records"]}
    assert classes[(batches[0][1]["uuid"], 1)] == "sensitive"
    assert classes[(feedback(4, "x")["uuid"], 2)] == "sensitive"
    assert {r["clock_flag"] for r in stored["records"]} == {None, "future", "past"}
    assert len(stored["facts"]) == len(latest) and stored["facts_cube"]
    assert bool(stored["survey_units"]) == with_design == bool(stored["design_cube"])
    results = ingest_both_ways(two_stores, [survey(70)])  # the stores go on the same way
    assert results[0] == results[1] and contents(batch_store) == contents(single_store)


def test_the_rejections_of_a_batch_are_those_of_its_records(two_stores):
    whole, singles = ingest_both_ways(two_stores, [r for batch in history()[:2] for r in batch])
    assert whole == singles
    assert [r.get("code") for r in whole if r["status"] == "rejected"] == [
        "conflict",
        "conflict",
        "unknown_form",
        "unknown_field",
        "identifying_field",
    ]
    assert [r["status"] for r in whole].count("duplicate") == 2


def test_plainly_valid_records_load_as_the_schema_loads_them():
    """The quick way through a batch's records gives the schema's own result, and anything
    it does not vouch for goes through the schema (with the schema's messages)."""
    records = [message([survey(n)])["records"][0] for n in range(6)]
    records[1].pop("enumerator")
    odd = [
        dict(records[2], uuid=records[2]["uuid"].upper()),  # accepted, written otherwise
        dict(records[3], collected="20261120"),
        dict(records[4], collected="2026-W47-5"),
    ]
    for batch in (records, records + odd):
        loaded = protocol.load(protocol.BatchSchema(), message([]) | {"records": batch})
        expected = protocol.SyncRecordSchema(many=True).load(batch)
        assert loaded["records"] == expected
        assert [list(r) for r in loaded["records"]] == [list(r) for r in expected]
    for wrong, words in (
        (dict(records[0], revision=0), "records.0.revision"),
        (dict(records[0], revision=True), "records.0.revision"),
        (dict(records[0], extra=1), "records.0.extra: Unknown field"),
        (dict(records[0], collected="2026-02-30"), "records.0.collected"),
        (dict(records[0], answers={"x" * 101: 1}), "records.0.answers"),
    ):
        with pytest.raises(protocol.ProtocolError) as raised:
            protocol.load(protocol.BatchSchema(), message([]) | {"records": [wrong]})
        assert words in raised.value.message


def test_a_record_stored_meanwhile_by_another_writer_stops_the_batch(tmp_path):
    """The writer reads the stored revisions once; a row that appears after that (only a
    writer that ignores the records' locks could add one) makes the batch store nothing."""
    store = Store.create(Path(tmp_path) / "server.db")
    with store.transaction():
        store.db.execute(
            "INSERT INTO devices (id, label, token_hash, enrollment_id,"
            " enrolled_at) VALUES (?, 'l', 'h', 'e', '2026-01-01T00:00:00Z')",
            [DEVICE],
        )
        store.add_batch("first", DEVICE, 1, "api")
    record = message([survey(1)])["records"][0]
    with pytest.raises(RuntimeError, match="stored meanwhile"):
        with store.transaction():
            writer = store.record_writer(DEVICE, "first", [record["uuid"]])
            assert writer.add(record, "{}", "standard", None)
            store.add_record(record, DEVICE, "first")  # behind the writer's back
            writer.flush()
    assert store.count_records() == 0
    store.close()


def test_a_design_declared_in_steps_ends_as_one_declared_at_once(two_stores):
    """Declared over stored records, a design's units and sums are built a few records per
    transaction. Stopped half way, the form has no design (never one over part of its
    records); batches received meanwhile are counted and move the build on; saving the
    design again finishes it. The end is what declaring it at once gives."""
    stepped, at_once = two_stores
    definition = designs.parse_design(
        builtin_forms()["community_survey"], stratum="area", cluster=designs.DEVICE
    )
    batches = [[survey(n) for n in range(start, start + 20)] for start in (0, 20, 40)]
    later = [survey(n) for n in range(60, 75)] + [
        survey(3, revision=2, record_uuid=survey(3)["uuid"], area="CE"),
        survey(45, revision=2, record_uuid=survey(45)["uuid"], area="NR"),
    ]
    for store in two_stores:
        for records in batches:
            ingest_batch(store, store.device(DEVICE), message(records), "api")
    designs.save_design(stepped.db, "community_survey", definition, "test", chunk=7, steps=2)
    assert designs.unfinished_builds(stepped.db) == ["community_survey"]
    assert designs.design_of(stepped.db, "community_survey") is None  # not over 14 of 60
    assert stepped.survey_design("community_survey") == definition  # but it is declared
    # Saved again, the same design goes on from where it stopped (a third step)...
    designs.save_design(stepped.db, "community_survey", definition, "test", chunk=7, steps=1)
    assert (
        stepped.one("SELECT built_through FROM survey_designs")["built_through"]
        == sorted(r["uuid"] for batch in batches for r in batch)[20]
    )
    assert designs.design_of(stepped.db, "community_survey") is None
    # ...and a batch received meanwhile is counted, and finishes it (a step per batch).
    status, _answer = ingest_batch(stepped, stepped.device(DEVICE), message(later), "api")
    assert status == 200
    assert designs.unfinished_builds(stepped.db) == []
    assert designs.design_of(stepped.db, "community_survey") == definition

    ingest_batch(at_once, at_once.device(DEVICE), message(later), "api")
    designs.save_design(at_once.db, "community_survey", definition, "test")
    one, other = contents(stepped), contents(at_once)
    assert len(one["survey_units"]) == 75 and one["design_cube"]
    for table in ("survey_units", "design_cube", "facts", "facts_cube", "records"):
        assert one[table] == other[table], table
    # One audit line per declaration, however many steps it took.
    assert [row["action"] for row in one["audit"]].count("design_set") == 1


def varied(n: int, revision: int = 1, record_uuid: str | None = None, **changes) -> dict:
    """A survey record whose gender and age band vary apart from each other and its area."""
    answers = {"age": 18 + (n * 7) % 60, "gender": ["woman", "man"][(n // 3) % 2], **changes}
    return survey(n, revision, record_uuid, **answers)


def raked(records: list[dict]) -> dict:
    """Strata, clusters and weights raked to gender and age band, as a central team sets."""
    bands = sorted({ind.fact_row(r)["age_band"] for r in records})
    totals = {
        "gender": {"woman": 600, "man": 400},
        "age_band": {b: 1000 / len(bands) for b in bands},
    }
    return designs.parse_design(
        builtin_forms()["community_survey"],
        stratum="area",
        cluster=designs.DEVICE,
        calibration={"method": "rake", "totals": totals},
    )


def estimates(store: Store) -> list:
    """A share and two means overall and by area, with their design numbers, flat."""
    found: list = []
    for indicator in ("who5", "life_satisfaction", "safe_after_dark"):
        for by in (None, "area"):
            result = ind.compute(store.db, indicator, by=by, k=1)
            found += sorted((result.design or {}).items())
            for c in result.cells:
                found += [c.group, c.n, c.estimate, c.ci_low, c.ci_high, c.se, c.deff]
    return found


def test_a_raked_design_built_in_steps_estimates_as_one_declared_before_its_records(two_stores):
    """A raked design declared over stored records, its sums built a few records per
    transaction, estimates what the same design gives when declared on the empty form
    whose records then come in batch by batch; corrections received afterwards too."""
    stepped, first = two_stores
    batches = [[varied(n) for n in range(start, start + 25)] for start in (0, 25, 50)]
    later = [varied(n) for n in range(75, 85)] + [
        varied(4, revision=2, record_uuid=varied(4)["uuid"], area="CE", gender="man"),
        varied(61, revision=2, record_uuid=varied(61)["uuid"], age=70),
    ]
    definition = raked([r for batch in batches for r in batch] + later)
    designs.save_design(first.db, "community_survey", definition, "test")
    for store in two_stores:
        for i, records in enumerate(batches):  # two laptops: two clusters in each area
            ingest_batch(store, store.device((DEVICE, OTHER)[i % 2]), message(records), "api")
    designs.save_design(stepped.db, "community_survey", definition, "test", chunk=7)
    for store in two_stores:
        ingest_batch(store, store.device(DEVICE), message(later), "api")
    expected, found = estimates(first), estimates(stepped)
    assert ("records", 85) in expected and ("calibration", "rake") in expected
    assert len(found) == len(expected)
    for one, other in zip(found, expected, strict=True):  # sums added in another order
        assert one == (pytest.approx(other, rel=1e-9) if isinstance(other, float) else other)


def test_an_interrupted_clear_goes_on_and_ends_as_a_form_without_a_design(two_stores):
    """Clearing a design deletes its units and sums a few rows per transaction; from the
    first one on, the form's estimates are those of a form without a design. Stopped, the
    clear goes on at each batch received, or when it is asked again."""
    cleared, plain = two_stores
    records = [varied(n) for n in range(40)]
    for store in two_stores:
        ingest_batch(store, store.device(DEVICE), message(records), "api")
    designs.save_design(cleared.db, "community_survey", raked(records), "test")
    assert designs.clear_design(cleared.db, "community_survey", "test", chunk=5, steps=1)
    assert designs.unfinished_clears(cleared.db) == ["community_survey"]
    assert designs.design_of(cleared.db, "community_survey", building=True) is None
    assert cleared.one("SELECT count(*) AS n FROM survey_units")["n"] == 35
    assert estimates(cleared) == estimates(plain)
    # A batch received meanwhile takes the clear one step further (every unit left)...
    for store in two_stores:
        ingest_batch(store, store.device(DEVICE), message([varied(40)]), "api")
    assert cleared.one("SELECT count(*) AS n FROM survey_units")["n"] == 0
    assert cleared.one("SELECT count(*) AS n FROM design_cube")["n"] > 0
    # ...and clearing again finishes it.
    assert designs.clear_design(cleared.db, "community_survey", "test", chunk=5) is True
    assert designs.unfinished_clears(cleared.db) == []
    assert designs.clear_design(cleared.db, "community_survey", "test") is False
    one, other = contents(cleared), contents(plain)
    for table in ("survey_units", "design_cube", "facts", "facts_cube"):
        assert one[table] == other[table], table
    assert [row["action"] for row in one["audit"]].count("design_cleared") == 1
