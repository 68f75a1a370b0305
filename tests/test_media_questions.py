"""Photos, recordings, files and signatures as questions: imported from XLSForms, taken on
the phone's page (plain form posts, no script), stored cleaned beside the record, shown in
review to the enumerator whose record it is only, and sent only where the form says keep.

A real hub on loopback (cheroot), its real SQLite file and data folder, Pillow-made photos,
and a real central server for what leaves."""

from __future__ import annotations

import hashlib
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import ExifTags, Image

from collector import attachments
from collector.anonymizer import rule_for
from collector.app import create_app
from collector.cli import cli as collector_cli
from collector.db import open_database
from collector.forms import FormError, load_form
from collector.sync_client import SyncClient, enroll
from collector.xlsform import read_xlsform, to_xlsform
from support import LiveHub, import_forms, install_key, query
from sync_server.cli import cli as server_cli
from sync_server.forms import publish
from sync_server.store import Store
from workbooks import write_workbook

SERVER_ENGINES = ("sqlite",)  # the subject is the hub and what leaves it
SECRET_MAKE = "Tecno-SN-99812"
FORM = {
    "form_id": "site_visit",
    "version": "1",
    "title": {"en": "Site visit"},
    "sections": [
        {
            "name": "main",
            "label": {"en": "Main"},
            "questions": [
                {"name": "place", "type": "text", "label": {"en": "Place"}},
                {
                    "name": "building",
                    "type": "image",
                    "label": {"en": "Photo of the building"},
                    "privacy": "keep",
                    "max_pixels": 640,
                    "required": True,
                },
                {"name": "face", "type": "image", "label": {"en": "Photo of the person"}},
                {"name": "voice", "type": "audio", "label": {"en": "Voice note"}},
                {
                    "name": "signature",
                    "type": "image",
                    "appearance": "signature",
                    "label": {"en": "Signature"},
                    "constraint": "regex(., '^[0-9a-f]{64}[.]png$')",
                    "constraint_message": {"en": "Sign on the pad."},
                },
            ],
        }
    ],
    "choices": {},
}


def photo_with_gps(size=(1600, 1200), grain=False) -> bytes:
    """A camera JPEG with EXIF camera make and GPS position; with `grain`, of noise, so that
    it stays large (a 1200 x 900 one is about 400 kB)."""
    if grain:
        image = Image.merge("RGB", [Image.effect_noise(size, 40) for _ in range(3)])
    else:
        image = Image.linear_gradient("L").resize(size).convert("RGB")
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = SECRET_MAKE
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps.update({1: "N", 2: (1.0, 17.0, 30.5), 3: "E", 4: (36.0, 49.0, 12.25)})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70 if grain else 85, exif=exif)
    return out.getvalue()


def png(size=(300, 120), colour=(0, 0, 0, 255)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, colour).save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """One hub for the module (a start costs a second): each test makes its own records."""
    data_dir = install_key(tmp_path_factory.mktemp("media") / "hub-data")
    app = create_app(
        {"HUB_SETTINGS": {"feedback_rate_limit": "1000 per minute", "attachment_max_file_mb": 1}},
        data_dir=data_dir,
    )
    import_forms(app.config["DATABASE"], FORM)
    hub = LiveHub(app)
    hub.add_enumerator()
    hub.add_enumerator("baraka", "7310")
    yield hub
    hub.stop()


@pytest.fixture(scope="module")
def phone(live):
    browser = live.browser("en")
    browser.signin()
    return browser


def start(phone) -> tuple[str, str]:
    """A new record's first page: (its address, the page's HTML)."""
    page = phone.get("/forms/site_visit")
    assert 'enctype="multipart/form-data"' in page.text
    action = re.search(r'action="(/records/[^"]+/0)"', page.text).group(1)
    return action, page.text


def post(phone, action, fields: dict, files: dict | None = None, html=None):
    data = [("form_id", "site_visit"), ("_locale", "en"), ("_action", "next")]
    data += [("_shown", name) for name in ("place", "building", "face", "voice", "signature")]
    data += list(fields.items()) if isinstance(fields, dict) else list(fields)
    return phone.post(action, data, csrf_from=html, files=files or {}, allow_redirects=False)


def stored_answers(live, record_uuid: str) -> dict:
    [row] = query(
        live.app.config["DATABASE"], "SELECT answers FROM records WHERE uuid = ?", [record_uuid]
    )
    return json.loads(row["answers"])


def files_on_disk(live) -> list[Path]:
    root = Path(live.app.config["DATA_DIR"]) / attachments.FOLDER
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_the_schema_takes_media_questions_with_their_rules():
    form = load_form(FORM)
    building, face = form.questions["building"], form.questions["face"]
    assert rule_for(face, form) == "drop" and rule_for(building, form) == "keep"
    assert form.has_media and form.max_pixels(building) == 640 and form.max_pixels(face) == 1024
    bad = [
        ({"privacy": "scrub"}, "dropped or kept"),
        ({"appearance": "likert"}, "not an appearance of a image question"),
        ({"max_pixels": 10}, "max_pixels"),
    ]
    for change, message in bad:
        definition = json.loads(json.dumps(FORM))
        definition["sections"][0]["questions"][2].update(change)
        with pytest.raises(FormError, match=message):
            load_form(definition)
    definition = json.loads(json.dumps(FORM))
    definition["sections"][0]["questions"][3]["max_pixels"] = 800  # audio
    with pytest.raises(FormError, match="Only a photo question has max_pixels"):
        load_form(definition)


def test_an_xlsform_with_media_imports_and_exports_again(tmp_path):
    path = write_workbook(
        tmp_path / "media.xlsx",
        [
            ["type", "name", "label", "appearance", "parameters", "privacy"],
            ["image", "house", "House", "new", "max-pixels=800", "keep"],
            ["photo", "face", "Face", "selfie", None, None],
            ["audio", "voice", "Voice", None, None, None],
            ["video", "clip", "Clip", None, None, None],
            ["file", "doc", "Document", None, None, None],
            ["image", "sig", "Signature", "signature", None, None],
            ["image", "sketch", "Map of the camp", "draw", None, None],
            ["image", "marked", "Mark the damage", "annotate", None, None],
        ],
        settings=[["form_id", "version"], ["media_visit", "1"]],
    )
    result = read_xlsform(path)
    assert result.errors == [] and result.warnings == []
    questions = {q["name"]: q for q in result.form.data["sections"][0]["questions"]}
    assert {name: q["type"] for name, q in questions.items()} == {
        "house": "image",
        "face": "image",
        "voice": "audio",
        "clip": "video",
        "doc": "file",
        "sig": "image",
        "sketch": "image",
        "marked": "image",
    }
    assert questions["house"]["max_pixels"] == 800 and questions["sig"]["appearance"] == "signature"
    [written] = to_xlsform(result.form, tmp_path / "media-out.xlsx")
    again = read_xlsform(written)
    assert again.errors == [] and again.form.data["sections"] == result.form.data["sections"]

    refused = write_workbook(
        tmp_path / "refused.xlsx",
        [
            ["type", "name", "label", "parameters"],
            ["background-audio", "bg", "Room sound", None],
            ["image", "big", "Big", "max-pixels=lots"],
        ],
        settings=[["form_id", "version"], ["media_visit", "1"]],
    )
    problems = {(p.key, p.row) for p in read_xlsform(refused).errors}
    assert problems == {("unsupported_type/background", 2), ("bad_value/max_pixels", 3)}


def test_a_photo_is_stored_cleaned_and_its_name_is_the_answer(live, phone):
    action, html = start(phone)
    record_uuid = action.split("/")[2]
    taken = photo_with_gps((1200, 900), grain=True)
    # Larger than the hub's usual 256 kB a request: a page with photos may post more.
    assert SECRET_MAKE.encode() in taken and len(taken) > 300 * 1024
    response = post(
        phone,
        action,
        {"place": "Block C"},
        {"building": ("IMG_2024_Kakuma.jpg", taken, "image/jpeg")},
        html,
    )
    assert response.status_code == 302, response.text[:2000]
    answers = stored_answers(live, record_uuid)
    [row] = attachments.attachments_of(open_database(live.app.config["DATABASE"]), record_uuid)
    assert answers["building"] == row["name"] == f"{row['sha256']}.jpg"
    kept = attachments.file_path(live.app.config["DATA_DIR"], row["sha256"]).read_bytes()
    image = Image.open(io.BytesIO(kept))
    assert image.size == (640, 480)  # the form's max-pixels
    assert not image.getexif() and SECRET_MAKE.encode() not in kept and b"Kakuma" not in kept
    assert hashlib.sha256(kept).hexdigest() == row["sha256"]

    # Review shows the photo, served to this enumerator only, never cached.
    review = phone.get(f"/records/{record_uuid}/review").text
    src = re.search(r'<img class="media-thumb"[^>]* src="([^"]+)"', review).group(1)
    assert src == f"/records/{record_uuid}/files/{row['name']}"
    served = phone.get(src)
    assert served.status_code == 200 and served.content == kept
    assert served.headers["Content-Type"] == "image/jpeg"
    assert served.headers["Cache-Control"] == "private, no-store"
    other = live.browser("en")
    other.signin("baraka", "7310")
    assert other.get(src).status_code == 404
    assert live.browser("en").get(src, allow_redirects=False).status_code in (302, 401, 403)
    assert phone.get(f"/records/{record_uuid}/files/{'0' * 64}.jpg").status_code == 404
    # Only a signed-in session's photo page may post that much; anyone else gets the usual limit.
    stranger = live.browser("en")
    stranger.get("/signin")
    refused = stranger.post(
        action, {"place": "x"}, files={"building": ("b.jpg", taken, "image/jpeg")}
    )
    assert refused.status_code == 413

    # The page again: the photo is kept when no new file is chosen, removed when asked.
    page = phone.get(f"/records/{record_uuid}/0").text
    assert f'name="building" value="{row["name"]}"' in page and src in page
    kept_again = post(
        phone,
        f"/records/{record_uuid}/0",
        {"place": "Block C", "building": row["name"]},
        None,
        page,
    )
    assert (
        kept_again.status_code == 302
        and stored_answers(live, record_uuid)["building"] == row["name"]
    )
    forged = post(
        phone,
        f"/records/{record_uuid}/0",
        {"place": "Block C", "building": f"{'a' * 64}.jpg"},
        None,
        page,
    )
    assert (
        forged.status_code == 302 and stored_answers(live, record_uuid)["building"] == row["name"]
    )
    removed = post(
        phone,
        f"/records/{record_uuid}/0",
        {"place": "Block C", "building": row["name"], "_action": "draft"},
        None,
        page,
    )
    assert removed.status_code == 302
    gone = post(
        phone,
        f"/records/{record_uuid}/0",
        [("place", "Block C"), ("building", row["name"]), ("building", "_remove")],
        None,
        page,
    )
    # A required photo removed is an error like any required question.
    assert gone.status_code == 422 and "This question needs an answer." in gone.text
    assert stored_answers(live, record_uuid)["building"] == row["name"]


def test_wrong_or_too_large_files_are_refused_with_nothing_stored(live, phone):
    action, html = start(phone)
    record_uuid = action.split("/")[2]
    before = files_on_disk(live)
    cases = [
        ({"building": ("notes.txt", b"just some text", "text/plain")}, "are not accepted here"),
        ({"building": ("fake.jpg", b"\xff\xd8\xff not really", "image/jpeg")}, "not a photo"),
        (
            {"voice": ("big.ogg", b"OggS" + bytes(1024 * 1024 + 10), "audio/ogg")},
            "larger than 1 MB",
        ),
    ]
    for files, message in cases:
        response = post(phone, action, {"place": "Block C"}, files, html)
        assert response.status_code == 422 and message in response.text, response.text[:3000]
        html = response.text
    assert files_on_disk(live) == before
    database = live.app.config["DATABASE"]
    assert query(database, "SELECT * FROM attachments WHERE record_uuid = ?", [record_uuid]) == []
    assert query(database, "SELECT * FROM records WHERE uuid = ?", [record_uuid]) == []
    # A required photo left out is asked for; a constraint is checked on the stored name.
    missing = post(phone, action, {"place": "Block C"}, None, html)
    assert missing.status_code == 422 and "This question needs an answer." in missing.text
    signed = post(
        phone,
        action,
        {"place": "Block C"},
        {
            "building": ("b.png", png((50, 40), (200, 10, 10, 255)), "image/png"),
            "signature": ("s.jpg", photo_with_gps((200, 100)), "image/jpeg"),
        },
        missing.text,
    )
    assert signed.status_code == 422 and "Sign on the pad." in signed.text
    # The photo that was taken is kept on the page that asks again, and sent with it.
    kept = re.search(r'name="building" value="([0-9a-f]{64}\.png)"', signed.text).group(1)
    done = post(
        phone,
        action,
        {"place": "Block C", "building": kept},
        {"signature": ("s.png", png(), "image/png")},
        signed.text,
    )
    assert done.status_code == 302, done.text[:3000]
    answers = stored_answers(live, record_uuid)
    assert answers["building"] == kept and answers["signature"].endswith(".png")


def test_only_kept_files_reach_the_server(live, phone, central):
    data_dir = live.app.config["DATA_DIR"]
    store = Store(central.database)
    publish(store, json.dumps(FORM), "admin")
    store.close()
    action, html = start(phone)
    record_uuid = action.split("/")[2]
    face = photo_with_gps((900, 700))
    building = png((120, 90), (10, 120, 30, 255))
    response = post(
        phone,
        action,
        {"place": "Block C"},
        {
            "building": ("b.png", building, "image/png"),
            "face": ("face.jpg", face, "image/jpeg"),
            "voice": ("v.ogg", b"OggS" + b"VOICE-OF-THE-PERSON" * 100, "audio/ogg"),
        },
        html,
    )
    assert response.status_code == 302, response.text[:2000]
    preview = phone.get(f"/sync/preview/{record_uuid}").text
    assert "Photos, recordings and files" in preview
    assert preview.count("Not sent: it stays on this laptop.") == 2
    assert preview.count("Sent whole, after the record") == 1
    finalized = phone.post(f"/records/{record_uuid}/finalize", {}, csrf_from=phone.last.text)
    assert finalized.status_code == 200
    db = open_database(live.app.config["DATABASE"])
    central.app.config["ATTACHMENT_DEVICE_DAILY_BYTES"] = 10  # today's allowance is spent
    try:
        client = SyncClient(db, enroll(db, data_dir, central.url, central.enrollment_code()))
        first = client.sync()
        status = CliRunner().invoke(collector_cli, ["status", "--data-dir", str(data_dir)])
        central.app.config["ATTACHMENT_DEVICE_DAILY_BYTES"] = 10 * 1024 * 1024  # a new day
        report = client.sync()
    finally:
        db.close()
    assert first.attachments_sent == 0 and first.attachments_waiting == 1
    assert re.search(r"^files\s+1 waiting to be sent", status.output, re.M), status.output
    assert report.attachments_sent == 1 and report.reconcile["agree"]
    answers = stored_answers(live, record_uuid)
    root = Path(central.app.config["DATA_DIR"])
    everything = b"".join(p.read_bytes() for p in root.rglob("*") if p.is_file())
    kept_bytes = attachments.read_attachment(None, data_dir, answers["building"].split(".")[0])
    assert kept_bytes in everything  # the kept photo arrived whole
    face_bytes = attachments.read_attachment(None, data_dir, answers["face"].split(".")[0])
    assert face_bytes[200:1200] not in everything and b"VOICE-OF-THE-PERSON" not in everything
    assert answers["face"].split(".")[0].encode() not in everything
    [server_row] = query(central.database, "SELECT answers FROM records")
    sent = json.loads(server_row["answers"])
    assert sent["building"] == answers["building"] and "face" not in sent and "voice" not in sent
    # Every export format takes a form with media questions: the kept photo by its name.
    for fmt in ("csv", "jsonl", "xlsx", "dta", "sav", "parquet"):
        out = Path(central.app.config["DATA_DIR"]) / f"export.{'zip' if fmt == 'parquet' else fmt}"
        result = CliRunner().invoke(
            server_cli,
            ["export", "--form", "site_visit", "--format", fmt, "--output", str(out)]
            + ["--raw-records", "--reason", "media test"]
            + ["--data-dir", central.app.config["DATA_DIR"]],
            catch_exceptions=False,
        )
        assert result.exit_code == 0 and out.stat().st_size > 0, (fmt, result.output)
        if fmt in ("csv", "jsonl"):
            text = out.read_text("utf-8-sig")
            assert answers["building"] in text and answers["face"] not in text


def test_the_whole_form_page_posts_its_photo_with_the_record(live, phone):
    page = phone.get("/forms/site_visit/phone").text
    assert 'enctype="multipart/form-data"' in page and "js/media.js" in page
    record_uuid = re.search(r'name="_uuid" value="([^"]+)"', page).group(1)
    fields = {"_uuid": record_uuid, "form_version": "1", "_action": "finalize", "place": "Gate"}
    response = post(
        phone,
        "/forms/site_visit/submit",
        fields,
        {"building": ("b.jpg", photo_with_gps((800, 600)), "image/jpeg")},
        page,
    )
    assert response.status_code == 302, response.text[:2000]
    answers = stored_answers(live, record_uuid)
    [row] = attachments.attachments_of(open_database(live.app.config["DATABASE"]), record_uuid)
    assert answers["building"] == row["name"] and answers["place"] == "Gate"
    # A page without a media question stays light: no media script, a plain form post.
    plain = phone.get("/forms/community_survey").text
    assert "js/media.js" not in plain and "multipart/form-data" not in plain
