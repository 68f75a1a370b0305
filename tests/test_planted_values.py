"""Issue 12, "How it is proven", first bullet, for the built-in forms: distinctive values
planted in every identifying and every free-text field of each built-in form, filled and
finalized on a real hub, synced to a real Central server and written to a USB bundle, are
found nowhere: not in any byte of the server's data folder, not in any export format, not in
the records API, not on the record or feedback pages, and not in the bundle."""

from __future__ import annotations

import gzip
import html
import io
import json
import zipfile
from pathlib import Path

import requests

from filling import FEEDBACK_ANSWERS, REPORT_ANSWERS, SURVEY_ANSWERS, fill_form
from support import query
from sync_server.exports import FORMATS
from test_feedback import release_reviewed, send_feedback
from test_hub_operator import all_bytes, collector, signed_in
from test_sync import opened_bundle, server_command
from test_workspace import api_token, signed_in as central_signed_in, team  # noqa: F401 - the fixture

LATIN_NAME = "Nyokabi Wairimu"
ARABIC_NAME = "خديجة المنصوري"
PHONE_SPACED = "0733 482 916"
PHONE_INTERNATIONAL = "+254 (733) 482-916"
EMAIL = "nyokabi.wairimu@example.org"
ID_NUMBER = "A7294816"
BIRTH_DATE = "14/07/1989"
ADDRESS = "27 Ngong Road"

PLANTED = [
    LATIN_NAME,
    ARABIC_NAME,
    PHONE_SPACED,
    PHONE_INTERNATIONAL,
    EMAIL,
    ID_NUMBER,
    BIRTH_DATE,
    ADDRESS,
]
# The parts a value could leave in: each name alone, the phone's digits in any layout.
PARTS = [
    *LATIN_NAME.split(),
    *ARABIC_NAME.split(),
    "0733482916",
    "254733482916",
    "733482916",
    "482-916",
    "nyokabi.wairimu",
    "Ngong Road",
]

# Every identifier at once, in words the scrubber is meant to read, for every free-text field.
FREE_TEXT = (
    f"My name is {LATIN_NAME}, اسمي {ARABIC_NAME}. Call {PHONE_SPACED} or "
    f"{PHONE_INTERNATIONAL}, write {EMAIL}. My ID is {ID_NUMBER}. Born {BIRTH_DATE}. "
    f"I live at {ADDRESS}."
)
NAMES_FIELD = f"{LATIN_NAME} {ARABIC_NAME}"
CONTACT_FIELD = f"{EMAIL} {PHONE_INTERNATIONAL} {ADDRESS} {ID_NUMBER} {BIRTH_DATE}"

SURVEY = dict(
    SURVEY_ANSWERS,
    respondent_name=NAMES_FIELD,
    respondent_phone=PHONE_SPACED,
    language_home_other=f"Tigrinya: اسمي {ARABIC_NAME}, {PHONE_SPACED}, {ID_NUMBER}",
    comments=FREE_TEXT,
)  # that language question takes at most 60 characters
LATER_SURVEY = dict(
    SURVEY,
    respondent_phone=PHONE_INTERNATIONAL,
    language_home_other=f"Tigrinya, I am {LATIN_NAME}, born {BIRTH_DATE}",
)
REPORT = dict(
    REPORT_ANSWERS,
    reporter_name=NAMES_FIELD,
    reporter_contact=CONTACT_FIELD,
    incident_description=FREE_TEXT,
)
KIOSK = dict(FEEDBACK_ANSWERS, message=FREE_TEXT, wants_reply="yes", contact=CONTACT_FIELD)
KIOSK_SENSITIVE = dict(KIOSK, feedback_type="discrimination")
FORM_IDS = ("community_survey", "discrimination_report", "community_feedback")


def needles() -> set[str]:
    """Each planted value as written, without spaces and JSON-escaped (Arabic as \\uXXXX)."""
    found = set()
    for value in PLANTED + PARTS:
        for form in (value, value.replace(" ", "")):
            found |= {form, json.dumps(form)[1:-1], html.escape(form)}
    return {needle.lower() for needle in found}


NEEDLES = needles()


def leaks(where: str, haystack: bytes | str) -> list[str]:
    text = haystack.decode("utf-8", "replace") if isinstance(haystack, bytes) else haystack
    raw = haystack if isinstance(haystack, bytes) else haystack.encode("utf-8")
    text, raw = text.lower(), raw.lower()
    return [
        f"{needle!r} in {where}"
        for needle in sorted(NEEDLES)
        if needle in text or needle.encode("utf-8") in raw
    ]


def export_contents(response, fmt: str, folder: Path) -> list[bytes | str]:
    """What an export holds, searchable: its bytes, the unzipped members of an xlsx book,
    and a Stata or SPSS file read back by ReadStat."""
    import pyreadstat

    assert response.status_code == 200, (fmt, response.status_code)
    contents: list[bytes | str] = [response.content]
    if fmt == "xlsx":
        with zipfile.ZipFile(io.BytesIO(response.content)) as book:
            contents += [book.read(name) for name in book.namelist()]
    if fmt in ("dta", "sav"):
        path = folder / f"export.{fmt}"
        path.write_bytes(response.content)
        frame, meta = (pyreadstat.read_dta if fmt == "dta" else pyreadstat.read_sav)(str(path))
        contents += [
            frame.to_csv(),
            json.dumps(meta.column_names_to_labels, ensure_ascii=False),
            json.dumps(meta.variable_value_labels, ensure_ascii=False, default=str),
        ]
    if fmt == "parquet":  # a ZIP of Parquet files: each table's cells and its metadata
        import pyarrow.parquet as pq

        with zipfile.ZipFile(io.BytesIO(response.content)) as bundle:
            for name in bundle.namelist():
                table = pq.read_table(io.BytesIO(bundle.read(name)))
                contents += [table.to_pandas().to_csv(), str(table.schema.metadata)]
    return contents


def test_planted_values_reach_no_byte_export_page_api_answer_or_bundle(
    hub, team, data_dir, tmp_path
):  # noqa: F811 - the fixture imported above
    central = team
    assert (
        collector(
            "enroll",
            "--yes",
            "--server",
            central.url,
            "--code",
            central.enrollment_code(),
            data_dir=data_dir,
        ).exit_code
        == 0
    )

    # A phone fills each built-in form; the kiosk takes two messages (one sensitive).
    phone = signed_in(hub)
    fill_form(phone, "community_survey", SURVEY)
    fill_form(phone, "discrimination_report", REPORT)
    for answers in (KIOSK, KIOSK_SENSITIVE):
        response = send_feedback(hub.browser("en"), answers)
        assert response.url.endswith("/feedback/thanks"), response.text[:2000]
    hub_answers = [
        json.loads(row["answers"])
        for row in query(hub.app.config["DATABASE"], "SELECT answers FROM records")
    ]
    assert len(hub_answers) == 4
    assert all(FREE_TEXT in json.dumps(a, ensure_ascii=False) for a in hub_answers)  # planted
    assert release_reviewed(hub) == 2  # the kiosk messages, read and released as written
    result = collector("sync", data_dir=data_dir)
    assert result.exit_code == 0, result.output

    # A further record leaves on a USB stick, and the server imports the bundle.
    fill_form(phone, "community_survey", LATER_SURVEY)
    bundle = tmp_path / "usb" / "zone-b.bundle"
    bundle.parent.mkdir()
    result = collector("export-bundle", bundle, data_dir=data_dir)
    assert result.exit_code == 0 and "Wrote 1 records" in result.output, result.output
    bundle_text = gzip.decompress(opened_bundle(central, bundle))  # as the server opens it
    imported = server_command("import-bundle", bundle, central=central)
    assert imported.exit_code == 0 and "1 stored" in imported.output, imported.output

    stored = query(central.database, "SELECT DISTINCT uuid, form_id, answers FROM records")
    uuids = {row["uuid"]: row["form_id"] for row in stored}
    assert sorted(uuids.values()) == sorted(
        ["community_survey"] * 2 + ["discrimination_report"] + ["community_feedback"] * 2
    )
    # The free text arrived, with its identifiers replaced (not merely dropped).
    for row in stored:
        answers = json.loads(row["answers"])
        field = {
            "community_survey": "comments",
            "discrimination_report": "incident_description",
            "community_feedback": "message",
        }[row["form_id"]]
        assert all(
            f"[{kind}]" in answers[field]
            for kind in ("name", "phone", "email", "id", "date", "address")
        ), answers[field]

    # The search itself finds what the hub keeps, and Arabic written as JSON escapes.
    assert leaks("the hub", all_bytes(data_dir))
    escaped = json.dumps(ARABIC_NAME)[1:-1]
    assert "\\u" in escaped and leaks("an escaped answer", f'{{"name": "{escaped}"}}')

    found: list[str] = []
    found += leaks("the USB bundle", bundle_text)
    found += leaks("the server's data folder", all_bytes(Path(central.app.config["DATA_DIR"])))

    admin = central_signed_in(central, "admin")
    for form_id in FORM_IDS:
        page = admin.get(f"/data/{form_id}")
        assert page.status_code == 200
        found += leaks(f"/data/{form_id}", page.text)
        for fmt in FORMATS:
            url = f"/data/{form_id}/export.{fmt}?release=raw&reason=leak+check"
            contents = export_contents(admin.get(url), fmt, tmp_path)
            own = [u for u, f in uuids.items() if f == form_id]
            assert all(
                any(
                    u in (c if isinstance(c, str) else c.decode("utf-8", "replace"))
                    for c in contents
                )
                for u in own
            ), (form_id, fmt)
            for content in contents:
                found += leaks(f"/data/{form_id}/export.{fmt}", content)

    token = api_token(central, "admin1")
    for form_id in FORM_IDS:
        url, seen, after = f"{central.url}/api/v1/data/{form_id}", 0, None
        while True:
            answer = requests.get(
                url,
                params={
                    "limit": 1,
                    "release": "raw",
                    "reason": "leak check",
                    **({"after": after} if after else {}),
                },
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )
            assert answer.status_code == 200, answer.text
            found += leaks(f"the records API for {form_id}", answer.content)
            seen += len(answer.json()["records"])
            after = answer.json()["next"]
            if not after:
                break
        assert seen == list(uuids.values()).count(form_id), form_id

    for record_uuid, form_id in uuids.items():
        page = admin.get(f"/data/record/{record_uuid}")
        assert page.status_code == 200 and record_uuid in page.text
        found += leaks(f"/data/record/{record_uuid} ({form_id})", page.text)
        if form_id == "community_feedback":
            case = admin.get(f"/feedback/{record_uuid}")
            assert case.status_code == 200
            found += leaks(f"/feedback/{record_uuid}", case.text)
    for path in ("/feedback", "/feedback?queue=sensitive"):
        queue = admin.get(path)
        assert queue.status_code == 200
        assert any(u in queue.text for u, f in uuids.items() if f == "community_feedback")
        found += leaks(path, queue.text)

    assert found == [], "\n".join(found)
