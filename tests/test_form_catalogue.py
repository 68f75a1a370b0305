"""The form catalogue: a published version is parsed once, the hub and the server pick the
same definition for a (form id, version) and the same current version, and a 500-record
batch of a published survey is checked against one parse of its form."""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import UTC, datetime, timezone

import pytest
import requests

from collector import clock, form_catalogue, keyfile, protocol
from collector.anonymizer import anonymize
from collector.datadir import ensure_data_dir
from collector.db import open_database
from collector.form_catalogue import FormCatalogue
from collector.form_library import form_version, import_form, newest_form
from collector.forms import FormError, builtin_forms, load_form
from filling import SURVEY_ANSWERS
from support import query
from sync_server.data import newest_form as server_newest_form
from sync_server.forms import VersionExists, publish
from sync_server.ingest import known_form
from sync_server.store import Store

HEADERS = {protocol.VERSION_HEADER: protocol.PROTOCOL_VERSION}


def definition(
    version: str, title: str = "Household visit", form_id: str = "household_visit"
) -> str:
    """A small valid form definition, as text."""
    return json.dumps(
        {
            "form_id": form_id,
            "version": version,
            "title": {"en": title},
            "sections": [
                {
                    "name": "main",
                    "label": {"en": "Main"},
                    "questions": [
                        {"name": "size", "type": "integer", "label": {"en": "Household size"}}
                    ],
                }
            ],
        }
    )


@pytest.fixture
def store(tmp_path):
    server = Store.create(tmp_path / "central.db")
    yield server
    server.close()


@pytest.fixture
def hub_db(tmp_path):
    db = open_database(ensure_data_dir(tmp_path / "hub") / "collector.db")
    yield db
    db.close()


@pytest.fixture
def frozen_clock(monkeypatch):
    """Both apps' clock stopped on one second, so versions stored in a row tie on time."""
    moment = datetime(2026, 11, 20, 9, 0, 0, tzinfo=UTC)
    monkeypatch.setattr(clock, "wall_clock", lambda: moment)
    return moment


def test_a_published_version_is_parsed_once_and_shared(store):
    text = definition("7", title=f"Visit {uuid.uuid4()}")  # no other test parsed this one
    publish(store, text, "admin")
    before = form_catalogue.stats()
    first = known_form(store, "household_visit", "7")
    again = known_form(store, "household_visit", "7")
    after = form_catalogue.stats()
    assert first is again
    assert first.version == "7"
    assert after["parses"] - before["parses"] == 1
    assert after["hits"] - before["hits"] >= 1


def test_a_new_version_is_a_new_entry_and_the_old_one_stays(store):
    publish(store, definition("1", title="First"), "admin")
    first = known_form(store, "household_visit", "1")
    publish(store, definition("2", title="Second"), "admin")
    second = known_form(store, "household_visit", "2")
    assert first is not second
    assert (first.data["title"], second.data["title"]) == ({"en": "First"}, {"en": "Second"})
    assert known_form(store, "household_visit", "1") is first
    # Publishing that version again with other content is refused: versions are immutable.
    with pytest.raises(VersionExists):
        publish(store, definition("1", title="Changed"), "admin")
    assert publish(store, definition("1", title="First"), "admin")[1] is False
    assert known_form(store, "household_visit", "1").data["title"] == {"en": "First"}


def test_the_catalogue_keeps_at_most_its_size_most_recently_used_first():
    catalogue = FormCatalogue(size=2)
    one = catalogue.parsed("household_visit", "1", definition("1"))
    catalogue.parsed("household_visit", "2", definition("2"))
    assert catalogue.parsed("household_visit", "1", definition("1")) is one  # now the newest use
    catalogue.parsed("household_visit", "3", definition("3"))  # evicts version 2
    assert catalogue.stats() == {"hits": 1, "parses": 3, "evictions": 1, "size": 2, "capacity": 2}
    assert catalogue.parsed("household_visit", "1", definition("1")) is one
    catalogue.parsed("household_visit", "2", definition("2"))
    assert catalogue.stats()["parses"] == 4 and catalogue.stats()["size"] == 2


def test_different_text_under_one_version_is_another_entry():
    """A database restored from another server may hold other text under a version: the
    text's hash is part of the key, so the stale form is never served."""
    catalogue = FormCatalogue()
    old = catalogue.parsed("household_visit", "1", definition("1", title="Old"))
    new = catalogue.parsed("household_visit", "1", definition("1", title="New"))
    assert old is not new and new.data["title"] == {"en": "New"}


def test_a_definition_stored_under_another_version_is_refused():
    catalogue = FormCatalogue()
    with pytest.raises(
        FormError, match="stored as household_visit version 1 is household_visit version 2"
    ):
        catalogue.parsed("household_visit", "1", definition("2"))
    with pytest.raises(FormError, match="Not valid JSON"):
        catalogue.parsed("household_visit", "1", "{ not json")
    assert catalogue.stats()["size"] == 0


def test_a_catalogue_holds_at_least_one_form():
    with pytest.raises(ValueError, match="at least one form"):
        FormCatalogue(size=0)


def test_versions_compare_number_by_number():
    assert form_catalogue.newest_version([("3", "t"), ("10", "t"), ("2", "t")]) == "10"
    assert form_catalogue.newest_version([("10", "2026-01-01"), ("2", "2026-01-02")]) == "2"
    assert form_catalogue.newest_version([]) is None
    assert sorted(["2024.10", "2024.9", "1.0a", "1.0"], key=form_catalogue.version_order) == [
        "1.0",
        "1.0a",
        "2024.9",
        "2024.10",
    ]


def put_on_both(hub_db, store, text: str) -> None:
    form = load_form(json.loads(text))
    import_form(hub_db, form, "test")
    publish(store, text, "admin")


def test_hub_and_server_pick_the_same_form(hub_db, store, frozen_clock):
    builtins = builtin_forms()
    feedback = builtins["community_feedback"]
    # Nothing stored: the built-in of that version, and no other version.
    for lookup in (
        lambda v: form_version(hub_db, builtins, "community_feedback", v),
        lambda v: known_form(store, "community_feedback", v),
    ):
        assert lookup(feedback.version) is feedback
        assert lookup("99") is None
    assert newest_form(hub_db, builtins, "community_feedback") is feedback
    assert server_newest_form("community_feedback", store) is feedback
    # A stored definition of the built-in's own version comes first.
    shipped = json.loads(feedback.to_json())
    shipped["title"] = {"en": "Feedback, as our programme asks it"}
    put_on_both(hub_db, store, json.dumps(shipped))
    on_hub = form_version(hub_db, builtins, "community_feedback", feedback.version)
    on_server = known_form(store, "community_feedback", feedback.version)
    assert on_hub is on_server  # one catalogue: the same parsed object in both apps
    assert on_hub.data["title"] == shipped["title"]
    # Versions stored in the same second, in this order: the greater version is current.
    for version in ("3", "10", "2"):
        put_on_both(hub_db, store, json.dumps(dict(shipped, version=version)))
    assert newest_form(hub_db, builtins, "community_feedback").version == "10"
    assert server_newest_form("community_feedback", store).version == "10"


def test_the_latest_stored_version_is_current_whatever_its_number(hub_db, store, monkeypatch):
    for second, version in ((1, "10"), (2, "9")):
        moment = datetime(2026, 11, 20, 9, 0, second, tzinfo=UTC)
        monkeypatch.setattr(clock, "wall_clock", lambda moment=moment: moment)
        put_on_both(hub_db, store, definition(version))
    assert newest_form(hub_db, builtin_forms(), "household_visit").version == "9"
    assert server_newest_form("household_visit", store).version == "9"
    with pytest.raises(KeyError):
        server_newest_form("no_such_form", store)
    assert newest_form(hub_db, builtin_forms(), "no_such_form") is None


def test_a_batch_of_a_published_survey_parses_its_form_once(central):
    survey = builtin_forms()["community_survey"]
    data = json.loads(survey.to_json())
    data.update(version="2", title={"en": f"Community survey {uuid.uuid4()}"})
    store = Store(central.database)
    try:
        published, created = publish(store, json.dumps(data), "admin")
    finally:
        store.close()
    assert created
    answer = requests.post(
        central.url + "/api/v1/enroll",
        headers=HEADERS,
        timeout=30,
        json={
            "protocol": protocol.PROTOCOL_VERSION,
            "code": central.enrollment_code(),
            "enrollment_id": str(uuid.uuid4()),
        },
    )
    token = answer.json()["device_token"]
    key = keyfile.new_key()
    answers = {
        name: int(value) if survey.questions[name].type in ("integer", "range") else value
        for name, value in SURVEY_ANSWERS.items()
    }
    records = [
        anonymize(
            {
                "uuid": str(uuid.uuid4()),
                "revision": 1,
                "form_id": "community_survey",
                "form_version": "2",
                "locale": "en",
                "finalized_at": "2026-11-20T10:00:00Z",
                "enumerator": "amina",
                "answers": dict(answers, age=18 + n % 60),
            },
            published,
            key,
        )
        for n in range(500)
    ]
    body = gzip.compress(
        protocol.dumps(protocol.batch_message(str(uuid.uuid4()), records, 0, "test"))
    )
    before = form_catalogue.stats()["parses"]
    pushed = requests.post(
        central.url + "/api/v1/records",
        data=body,
        timeout=120,
        headers=dict(
            HEADERS,
            Authorization=f"Bearer {token}",
            **{"Content-Type": "application/json", "Content-Encoding": "gzip"},
        ),
    )
    assert pushed.status_code == 200, pushed.text
    assert [r["status"] for r in pushed.json()["results"]] == ["stored"] * 500
    assert form_catalogue.stats()["parses"] - before == 1
    rows = query(
        central.database, "SELECT form_version, count(*) AS n FROM records GROUP BY form_version"
    )
    assert rows == [{"form_version": "2", "n": 500}]
