"""Who sees which records on a real central server: access classes decided at ingest.

Sensitive community feedback (reports of discrimination) is for admins only: it must be
absent, for an analyst, from every page, count, menu, export and API answer, and no
correction may move a record from one class to the other.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile

import pytest
import requests

from collector import protocol
from collector.forms import FormError, load_form
from support import Central, query
from sync_server import access, api_tokens
from sync_server.exports import FORMATS
from sync_server.forms import publish
from sync_server.store import Store
from test_forms import minimal_form
from test_workspace import PASSWORD, feedback_record, signed_in, team  # noqa: F401 - fixture


class Device:
    """A laptop enrolled on the central server that pushes batches as the collector does."""

    def __init__(self, central, label="laptop"):
        answer = requests.post(
            central.url + "/api/v1/enroll",
            json={
                "protocol": "1.0",
                "code": central.enrollment_code(label),
                "enrollment_id": str(uuid.uuid4()),
            },
            timeout=10,
        ).json()
        self.url, self.id, self.token = central.url, answer["device_id"], answer["device_token"]

    def push(self, records) -> requests.Response:
        body = protocol.compress(
            protocol.dumps(protocol.batch_message(str(uuid.uuid4()), records, 0, "test"))
        )
        return requests.post(
            self.url + "/api/v1/records",
            data=body,
            timeout=30,
            headers={
                protocol.VERSION_HEADER: "1.0",
                "Authorization": f"Bearer {self.token}",
                "Content-Encoding": "gzip",
                "Content-Type": "application/json",
            },
        )

    def stored(self, records) -> None:
        response = self.push(records)
        assert response.status_code == 200, response.text
        assert {r["status"] for r in response.json()["results"]} == {"stored"}, response.text


def api_token(central, name: str) -> str:
    store = Store(central.database)
    try:
        user = store.user_by_name(name)
        return api_tokens.create(store.db, user["id"], "tests")[1]
    finally:
        store.close()


def export_text(response, fmt: str, folder) -> str:
    """An export's cells as searchable text, whatever its format: xlsx is a zip of XML,
    Stata and SPSS files are read back by ReadStat."""
    import pyreadstat

    assert response.status_code == 200, response.status_code
    if fmt == "xlsx":
        with zipfile.ZipFile(io.BytesIO(response.content)) as book:
            return "".join(book.read(name).decode("utf-8", "replace") for name in book.namelist())
    if fmt in ("dta", "sav"):
        path = folder / f"export.{fmt}"
        path.write_bytes(response.content)
        frame, _ = (pyreadstat.read_dta if fmt == "dta" else pyreadstat.read_sav)(str(path))
        return frame.to_csv()
    if fmt == "parquet":  # a ZIP of Parquet files, one per table
        import pyarrow.parquet as pq

        with zipfile.ZipFile(io.BytesIO(response.content)) as bundle:
            return "".join(
                pq.read_table(io.BytesIO(bundle.read(name))).to_pandas().to_csv()
                for name in bundle.namelist()
            )
    return response.content.decode("utf-8")


def classes(central) -> dict:
    return {
        row["uuid"]: row["access_class"]
        for row in query(central.database, "SELECT DISTINCT uuid, access_class FROM records")
    }


@pytest.fixture
def reports(team):  # noqa: F811 - the fixture imported above
    """A question from one laptop, a report of discrimination from another, in another
    language and month: every filter menu has a value only the report gives."""
    normal = feedback_record(message="When does the clinic open?", locale="sw")
    sensitive = dict(
        feedback_record(
            kind="discrimination", locale="ha", message="They refused my child at school."
        ),
        collected="2026-10-05",
    )
    first, second = Device(team, "zone A"), Device(team, "zone B")
    first.stored([normal])
    second.stored([sensitive])
    return {"normal": normal, "sensitive": sensitive, "report_device": second.id}


def test_the_form_decides_the_class_at_ingest(team, reports):
    assert classes(team) == {
        reports["normal"]["uuid"]: "standard",
        reports["sensitive"]["uuid"]: "sensitive",
    }


def test_an_analyst_never_sees_a_sensitive_report(team, reports, tmp_path):
    normal, sensitive = reports["normal"], reports["sensitive"]
    secret = sensitive["answers"]["message"]
    analyst = signed_in(team, "analyst")

    page = analyst.get("/data/community_feedback").text
    assert "1 record" in page and normal["uuid"][:8] in page
    assert sensitive["uuid"][:8] not in page
    # The menus offer no value that only the report has: its language, month, laptop.
    assert 'value="ha"' not in page and 'value="2026-10"' not in page
    assert reports["report_device"] not in page
    # Analysts filter by form version and review only: key variables would count small groups.
    assert 'name="language"' not in page and 'name="month"' not in page

    for fmt in FORMATS:
        # The one standard record is alone in its group, so the release leaves it out too.
        text = export_text(analyst.get(f"/data/community_feedback/export.{fmt}"), fmt, tmp_path)
        assert sensitive["uuid"] not in text and secret not in text, fmt

    assert analyst.get(f"/data/record/{sensitive['uuid']}").status_code == 404
    assert analyst.get(f"/data/record/{uuid.uuid4()}").status_code == 404  # the same answer
    response = analyst.post(
        f"/data/record/{sensitive['uuid']}/review", {"review": "flagged", "note": "seen"}
    )
    assert response.status_code == 404
    response = analyst.post(
        f"/data/record/{sensitive['uuid']}/correct",
        {"field": "topic", "value": "education"},
        csrf_from=analyst.get("/data/community_feedback").text,
    )
    assert response.status_code == 404

    queue = analyst.get("/feedback").text
    assert normal["uuid"] in queue and sensitive["uuid"] not in queue
    assert analyst.get("/feedback?queue=sensitive").status_code == 403
    assert analyst.get(f"/feedback/{sensitive['uuid']}").status_code == 404
    response = analyst.post(
        f"/feedback/{sensitive['uuid']}",
        {"message": "We hear you.", "locale": "ha", "status": "answered"},
        csrf_from=queue,
    )
    assert response.status_code == 404

    url = team.url + "/api/v1/data/community_feedback"
    records = requests.get(
        url, headers={"Authorization": f"Bearer {api_token(team, 'analyst1')}"}, timeout=10
    ).json()["records"]
    assert sensitive["uuid"] not in [r["_uuid"] for r in records]

    # Nothing was changed by the refused requests.
    assert query(
        team.database,
        "SELECT review, answers_current FROM records WHERE uuid = ?",
        [sensitive["uuid"]],
    ) == [{"review": "new", "answers_current": None}]
    assert query(team.database, "SELECT count(*) AS n FROM replies") == [{"n": 0}]
    assert query(team.database, "SELECT count(*) AS n FROM feedback_cases") == [{"n": 0}]


def test_an_admin_sees_every_class(team, reports, tmp_path):
    normal, sensitive = reports["normal"], reports["sensitive"]
    admin = signed_in(team, "admin")
    page = admin.get("/data/community_feedback").text
    assert "2 records" in page and sensitive["uuid"][:8] in page and 'value="ha"' in page
    assert "1 record" in admin.get("/data/community_feedback?language=ha").text
    for fmt in FORMATS:
        text = export_text(
            admin.get(f"/data/community_feedback/export.{fmt}?release=raw&reason=class+check"),
            fmt,
            tmp_path,
        )
        assert normal["uuid"] in text and sensitive["uuid"] in text, fmt
    assert sensitive["answers"]["message"] in admin.get(f"/data/record/{sensitive['uuid']}").text
    assert sensitive["uuid"] in admin.get("/feedback?queue=sensitive").text
    assert sensitive["uuid"] not in admin.get("/feedback").text  # each class its own queue
    assert admin.get(f"/feedback/{sensitive['uuid']}").status_code == 200
    url = team.url + "/api/v1/data/community_feedback"
    records = requests.get(
        url,
        headers={"Authorization": f"Bearer {api_token(team, 'admin1')}"},
        params={"release": "raw", "reason": "class check"},
        timeout=10,
    ).json()["records"]
    assert {r["_uuid"] for r in records} == {normal["uuid"], sensitive["uuid"]}


def test_the_command_line_exports_every_class_unless_asked(team, reports, tmp_path):
    from click.testing import CliRunner

    from sync_server.cli import cli

    normal, sensitive = reports["normal"], reports["sensitive"]
    everything, standard = tmp_path / "all.csv", tmp_path / "standard.csv"
    base = [
        "export",
        "--form",
        "community_feedback",
        "--format",
        "csv",
        "--data-dir",
        team.app.config["DATA_DIR"],
        "--raw-records",
        "--reason",
        "check",
    ]
    result = CliRunner().invoke(cli, base + ["--output", str(everything)])
    assert result.exit_code == 0 and "Wrote 2 records" in result.output, result.output
    result = CliRunner().invoke(cli, base + ["--output", str(standard), "--access", "standard"])
    assert result.exit_code == 0 and "Wrote 1 records" in result.output, result.output
    assert sensitive["uuid"] in everything.read_text("utf-8-sig")
    text = standard.read_text("utf-8-sig")
    assert normal["uuid"] in text and sensitive["uuid"] not in text
    assert [
        r["detail"]
        for r in query(
            team.database, "SELECT detail FROM audit WHERE action = 'export' ORDER BY id"
        )
    ] == [
        "community_feedback csv records as stored, reason: check",
        "community_feedback csv access standard records as stored, reason: check",
    ]
    result = CliRunner().invoke(cli, base + ["--output", str(standard), "--access", "secret"])
    assert result.exit_code != 0 and "secret" in result.output


def correct(person, record_uuid, field, value):
    page = person.get(f"/data/record/{record_uuid}").text
    return person.post(
        f"/data/record/{record_uuid}/correct", {"field": field, "value": value}, csrf_from=page
    )


def test_a_correction_cannot_move_a_record_between_classes(team, reports):
    normal, sensitive = reports["normal"]["uuid"], reports["sensitive"]["uuid"]
    admin, analyst = signed_in(team, "admin"), signed_in(team, "analyst")
    refused = "This correction would change who may see the record"

    # Out of the sensitive class, to show the report to analysts: refused, even by an admin.
    for value in ("complaint", '"question"', ""):
        assert refused in correct(admin, sensitive, "feedback_type", value).text
    # Into it, which would hide a record from the analysts' own team: refused too.
    # (feedback_type is a sensitive variable: only admins correct it.)
    assert refused in correct(admin, normal, "feedback_type", '"discrimination"').text
    assert query(team.database, "SELECT answers_current FROM records") == [
        {"answers_current": None},
        {"answers_current": None},
    ]
    assert query(team.database, "SELECT count(*) AS n FROM corrections") == [{"n": 0}]

    # Other answers are corrected as before, and the class stays what ingest decided.
    assert "Correction saved" in correct(admin, normal, "feedback_type", "complaint").text
    assert "Correction saved" in correct(admin, sensitive, "topic", "education").text
    assert classes(team) == {normal: "standard", sensitive: "sensitive"}
    assert analyst.get(f"/data/record/{sensitive}").status_code == 404


def survey_like(form_id="household_visit", version="2", size=3, revision=1, record_uuid=None):
    return {
        "uuid": record_uuid or str(uuid.uuid4()),
        "revision": revision,
        "form_id": form_id,
        "form_version": version,
        "locale": "en",
        "collected": "2026-11-20",
        "enumerator": None,
        "answers": {"size": size, "water": "tap"},
    }


def test_a_sensitive_revision_makes_the_whole_record_sensitive(team):  # noqa: F811
    device = Device(team)
    record = feedback_record()
    device.stored([record])
    analyst = signed_in(team, "analyst")
    assert signed_in(team, "admin").get(f"/data/record/{record['uuid']}").status_code == 200
    # The laptop edits the record into a report of discrimination: revision 2 is sensitive.
    report = dict(
        record, revision=2, answers=dict(record["answers"], feedback_type="discrimination")
    )
    device.stored([report])
    assert classes(team) == {record["uuid"]: "sensitive"}
    assert analyst.get(f"/data/record/{record['uuid']}").status_code == 404
    # A later standard revision does not make the earlier report visible (fail closed).
    device.stored([dict(record, revision=3)])
    assert classes(team) == {record["uuid"]: "sensitive"}
    assert "0 records" in analyst.get("/data/community_feedback").text

    # Revisions arriving out of order: the older, sensitive one still counts.
    late = feedback_record()
    device.stored([dict(late, revision=2)])
    assert classes(team)[late["uuid"]] == "standard"
    device.stored([dict(late, answers=dict(late["answers"], feedback_type="discrimination"))])
    assert classes(team)[late["uuid"]] == "sensitive"
    assert analyst.get(f"/data/record/{late['uuid']}").status_code == 404


def test_published_forms_declare_their_access(team):  # noqa: F811
    store = Store(team.database)
    publish(store, json.dumps(minimal_form(access={"class": "sensitive"})), "admin")
    publish(
        store,
        json.dumps(minimal_form(form_id="water_visit", access={"sensitive_if": "${size} > 5"})),
        "admin",
    )
    publish(store, json.dumps(minimal_form(form_id="open_visit")), "admin")
    store.close()
    device = Device(team)
    whole = survey_like()
    small, large = survey_like("water_visit", size=2), survey_like("water_visit", size=9)
    # A number too large for the expression's arithmetic: it cannot be evaluated.
    odd = survey_like("water_visit", size=10**400)
    plain = survey_like("open_visit", size=40)
    device.stored([whole, small, large, odd, plain])
    assert classes(team) == {
        whole["uuid"]: "sensitive",
        small["uuid"]: "standard",
        large["uuid"]: "sensitive",
        odd["uuid"]: "sensitive",
        plain["uuid"]: "standard",
    }
    analyst = signed_in(team, "analyst")
    assert "0 records" in analyst.get("/data/household_visit").text
    page = analyst.get("/data/water_visit").text
    assert "1 record" in page and small["uuid"][:8] in page
    assert "1 record" in analyst.get("/data/open_visit").text
    admin = signed_in(team, "admin")
    assert "3 records" in admin.get("/data/water_visit").text


@pytest.mark.parametrize(
    "rule,message",
    [
        ({"class": "secret"}, "Must be one of: standard, sensitive"),
        ({"sensitive_if": "${nowhere} = 1"}, "refers to 'nowhere'"),
        ({"sensitive_if": "${size} >"}, "access.sensitive_if"),
        ({"who": "admins"}, "Unknown field"),
    ],
)
def test_a_wrong_access_rule_is_refused(rule, message):
    with pytest.raises(FormError) as error:
        load_form(minimal_form(access=rule))
    assert message in str(error.value)


def test_the_rule_survives_publishing_and_the_builtin_feedback_form_has_it():
    from collector.forms import builtin_forms, load_form_json

    form = load_form(minimal_form(access={"class": "sensitive", "sensitive_if": "${size} > 1"}))
    assert load_form_json(form.to_json()).data["access"] == {
        "class": "sensitive",
        "sensitive_if": "${size} > 1",
    }
    feedback = builtin_forms()["community_feedback"]
    assert access.classify(feedback, {"feedback_type": "discrimination"}) == "sensitive"
    assert access.classify(feedback, {"feedback_type": "complaint"}) == "standard"
    assert access.classify(None, {"feedback_type": "complaint"}) == "sensitive"
    assert access.visible_classes({"role": "analyst"}) == ("standard",)
    assert access.visible_classes({"role": "viewer"}) == ()
    assert access.visible_classes(None) == ()
    assert access.can_see({"role": "admin"}, {"access_class": "sensitive"})
    assert not access.can_see({"role": "analyst"}, {"access_class": "sensitive"})
    assert not access.can_see({"role": "analyst"}, {"access_class": None})


def test_a_new_version_of_a_builtin_form_cannot_drop_its_rule(team):  # noqa: F811
    """A community_feedback version published without the `access` rule still keeps
    discrimination reports from analysts: the shipped form's rule holds for every version."""
    from collector.forms import builtin_forms

    shipped = json.loads(builtin_forms()["community_feedback"].to_json())
    shipped.pop("access")
    store = Store(team.database)
    publish(store, json.dumps(dict(shipped, version="2")), "admin")
    store.close()
    question = dict(feedback_record(message="Opening hours?"), form_version="2")
    report = dict(
        feedback_record(kind="discrimination", message="Refused at the well."), form_version="2"
    )
    Device(team).stored([question, report])
    assert classes(team) == {question["uuid"]: "standard", report["uuid"]: "sensitive"}
    analyst = signed_in(team, "analyst")
    page = analyst.get("/data/community_feedback").text
    assert question["uuid"][:8] in page and report["uuid"][:8] not in page
    assert analyst.get(f"/data/record/{report['uuid']}").status_code == 404


def test_the_migration_classifies_records_stored_before_it(tmp_path):
    """A server database made before access classes: its records are classified when the
    server starts, as ingest would have done, and analysts no longer see the reports."""
    from sync_server.database import SQLiteDatabase
    from sync_server.store import migrations

    data_dir = tmp_path / "central-data"
    data_dir.mkdir()
    path = data_dir / "sync-server.db"
    db = SQLiteDatabase.open(path)
    migrations.apply(db, stop_before="m006_access_classes")
    db.execute(
        "INSERT INTO devices (id, label, token_hash, enrollment_id, enrolled_at)"
        " VALUES ('d1', 'old laptop', 'x', 'e1', '2026-01-01T00:00:00Z')"
    )
    db.execute("INSERT INTO batches VALUES ('b1', 'd1', '2026-06-01T00:00:00Z', 5, 'push')")
    old = {
        "question": feedback_record(),
        "report": feedback_record(kind="discrimination"),
        "edited": feedback_record(),
        "survey": survey_like("community_survey", "1"),
        "unknown": survey_like("gone_form", "9"),
    }
    rows = [
        (old["question"], 1, "2026-06-01"),
        (old["report"], 1, "2026-06-01"),
        (old["edited"], 1, "2026-06-01"),
        (old["survey"], 1, "2026-06-10"),
        (old["unknown"], 1, "2024-01-01"),
    ]
    rows.append(
        (
            dict(
                old["edited"],
                revision=2,
                answers=dict(old["edited"]["answers"], feedback_type="discrimination"),
            ),
            0,
            "2026-06-01",
        )
    )
    for record, latest, collected in rows:
        db.execute(
            "INSERT INTO records (uuid, revision, device_id, form_id, form_version,"
            " locale, collected, answers, received_at, batch_id, is_latest)"
            " VALUES (?, ?, 'd1', ?, ?, 'en', ?, ?, '2026-06-02T10:00:00Z', 'b1', ?)",
            [
                record["uuid"],
                record["revision"],
                record["form_id"],
                record["form_version"],
                collected,
                json.dumps(record["answers"]),
                latest,
            ],
        )
    db.conn.commit()
    db.close()

    central = Central(data_dir)
    try:
        assert classes(central) == {
            old["question"]["uuid"]: "standard",
            old["report"]["uuid"]: "sensitive",
            old["edited"]["uuid"]: "sensitive",
            old["survey"]["uuid"]: "standard",
            old["unknown"]["uuid"]: "sensitive",
        }
        flags = {
            row["uuid"]: row["clock_flag"]
            for row in query(central.database, "SELECT uuid, clock_flag FROM records")
        }
        assert flags[old["survey"]["uuid"]] == "future"  # 8 days after it was received
        assert flags[old["unknown"]["uuid"]] == "past"
        assert flags[old["question"]["uuid"]] is None
        from collector.passwords import hash_secret

        store = Store(central.database)
        store.add_user("analyst1", "analyst", hash_secret(PASSWORD))
        store.close()
        analyst = signed_in(central, "analyst")
        page = analyst.get("/data/community_feedback").text
        assert "1 record" in page and old["question"]["uuid"][:8] in page
        assert analyst.get(f"/data/record/{old['report']['uuid']}").status_code == 404
    finally:
        central.stop()
