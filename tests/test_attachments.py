"""Photos, recordings and files: cleaned and kept on the hub, sent in resumable pieces after
their record, kept once on the server, shown and exported with their record's rules.

Real hub database and data folder, a real server on loopback, the fault-injecting proxy
between them. Until the form pages take media questions, a `text` question holding the
stored file's name stands for one (the answer is the same: ``<sha256>.<ext>``)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import socket
import stat
import threading
import types
import uuid
import zipfile
from pathlib import Path

import pytest
import requests
from PIL import ExifTags, Image, ImageDraw

from collector import attachments, protocol
from collector.attachments import AttachmentError, store_attachment
from collector.db import open_database, write_transaction
from collector.forms import load_form
from collector.passwords import hash_secret
from collector.purge import purge
from collector.records import finalize_whole
from collector.settings import DEFAULTS
from collector.sync_client import SyncClient, SyncError, SyncReport, enroll
from collector.users import add_user
from faultproxy import FaultProxy
from support import Browser, database_bytes, import_forms, query
from sync_server.forms import publish
from sync_server.store import Store

# About the hub, the link and the files; the server's storage is SQL both engines speak.
SERVER_ENGINES = ("sqlite",)
MB = 1024 * 1024
PASSWORD = "a long enough passphrase"
FORM = {
    "form_id": "site_visit",
    "version": "1",
    "title": {"en": "Site visit"},
    "sections": [
        {
            "name": "main",
            "label": {"en": "Main"},
            "questions": [
                {
                    "name": "place",
                    "type": "select_one",
                    "choices": "places",
                    "label": {"en": "Place"},
                },
                {"name": "photo", "type": "text", "privacy": "keep", "label": {"en": "Photo"}},
                {
                    "name": "recording",
                    "type": "text",
                    "privacy": "keep",
                    "label": {"en": "Recording"},
                },
                {"name": "face", "type": "text", "privacy": "drop", "label": {"en": "Face photo"}},
            ],
        }
    ],
    "choices": {
        "places": [
            {"name": "clinic", "label": {"en": "Clinic"}},
            {"name": "school", "label": {"en": "School"}},
        ]
    },
}


# -- set-up ------------------------------------------------------------------------------------


@pytest.fixture
def hub_db(app, data_dir):
    import_forms(app.config["DATABASE"], FORM)
    db = open_database(app.config["DATABASE"])
    add_user(db, "amina", "4821")
    db.user_id = db.execute("SELECT id FROM users WHERE name = 'amina'").fetchone()[0]
    db.path = app.config["DATABASE"]
    yield db
    db.close()


@pytest.fixture
def server(central):
    store = Store(central.database)
    publish(store, json.dumps(FORM), "admin")
    for role in ("admin", "analyst"):
        store.add_user(f"{role}1", role, hash_secret(PASSWORD))
    store.close()
    return central


@pytest.fixture
def link(server):
    proxy = FaultProxy(upstream=("127.0.0.1", int(server.url.rsplit(":", 1)[1])))
    proxy.start()
    yield proxy
    proxy.stop()


@pytest.fixture
def client(hub_db, data_dir, server, link):
    credentials = enroll(hub_db, data_dir, link.url, server.enrollment_code())
    return SyncClient(hub_db, credentials, timeout=(2, 5))


def new_record(db, data_dir, files: dict, place: str = "clinic", **settings) -> str:
    """A finalized record of FORM whose questions hold the stored files:
    {question: (file name, bytes, media type)}."""
    record_uuid = str(uuid.uuid4())
    answers = {"place": place}
    for question, (name, data, media_type) in files.items():
        stored = store_attachment(
            db,
            data_dir,
            record_uuid,
            question,
            name,
            data,
            media_type,
            settings=dict(DEFAULTS, **settings) if settings else None,
        )
        answers[question] = stored["name"]
    finalize_whole(db, record_uuid, load_form(FORM), "en", db.user_id, answers)
    return record_uuid


def camera_photo(seed: int = 1) -> bytes:
    """A 12-megapixel camera JPEG of about 3 MB, turned on its side by its EXIF
    orientation, carrying GPS position, camera make, model and serial, and XMP."""
    rnd, (w, h) = random.Random(seed), (4000, 3000)
    scene = Image.linear_gradient("L").resize((w // 8, h // 8)).convert("RGB")
    draw = ImageDraw.Draw(scene)
    for _ in range(80):
        x, y = rnd.randrange(w // 8), rnd.randrange(h // 8)
        draw.ellipse(
            [x, y, x + rnd.randrange(5, 80), y + rnd.randrange(5, 80)],
            fill=(rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)),
        )
    grain = Image.frombytes("L", (w, h), rnd.randbytes(w * h)).convert("RGB")
    image = Image.blend(scene.resize((w, h), Image.Resampling.BILINEAR), grain, 0.1)
    exif = Image.Exif()
    exif[ExifTags.Base.Make], exif[ExifTags.Base.Model] = "Tecno", "Spark 10 Pro"
    exif[ExifTags.Base.Orientation] = 6  # taken upright: the pixels are on their side
    exif[ExifTags.Base.BodySerialNumber] = "SN-77312-XQ"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps.update({1: "N", 2: (1.0, 17.0, 30.5), 3: "E", 4: (36.0, 49.0, 12.25)})
    out = io.BytesIO()
    image.save(
        out,
        "JPEG",
        quality=88,
        exif=exif,
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">GPSLatitude 1,17.5083N</x:xmpmeta>',
    )
    return out.getvalue()


def server_files(central) -> dict[str, bytes]:
    """Every file under the server's attachments folder, by its path there."""
    root = Path(central.app.config["DATA_DIR"]) / "attachments"
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def every_server_byte(central) -> bytes:
    """Everything the server keeps: its data folder's files and its database."""
    root = Path(central.app.config["DATA_DIR"])
    return b"".join(p.read_bytes() for p in root.rglob("*") if p.is_file()) + database_bytes(
        central.database
    )


def api_token(central, name: str) -> str:
    from sync_server import api_tokens

    store = Store(central.database)
    try:
        return api_tokens.create(store.db, store.user_by_name(name)["id"], "tests")[1]
    finally:
        store.close()


def signed_in(central, role: str) -> Browser:
    person = Browser(central.url, "en")
    person.get("/signin")
    response = person.post("/signin", {"name": f"{role}1", "password": PASSWORD})
    assert response.status_code == 200, response.text[:300]
    return person


# -- the hub -------------------------------------------------------------------------------------


def test_a_camera_photo_is_stored_cleaned_and_leaves_small(hub_db, data_dir, client, link, server):
    original = camera_photo()
    assert len(original) > 2.5 * MB
    assert b"SN-77312-XQ" in original and b"GPSLatitude" in original
    record_uuid = new_record(
        hub_db, data_dir, {"photo": ("IMG_20240312_Kakuma.jpg", original, "image/jpeg")}
    )
    (row,) = attachments.attachments_of(hub_db, record_uuid)
    stored = attachments.read_attachment(hub_db, data_dir, row["sha256"])
    image = Image.open(io.BytesIO(stored))
    # Orientation applied, then cut to 1024 px: the upright photo is 768 x 1024.
    assert image.size == (768, 1024) and image.format == "JPEG"
    assert not image.getexif() and "xmp" not in image.info and "exif" not in image.info
    for secret in (b"SN-77312-XQ", b"Tecno", b"Spark", b"GPS", b"xmpmeta", b"Kakuma"):
        assert secret not in stored
    assert row["extension"] == "jpg" and hashlib.sha256(stored).hexdigest() == row["sha256"]
    assert "Kakuma" not in json.dumps(query(hub_db.path, "SELECT * FROM attachments"))
    path = attachments.file_path(data_dir, row["sha256"])
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700

    before = link.stats["bytes_up"]
    report = client.sync()
    on_the_wire = link.stats["bytes_up"] - before
    assert report.attachments_sent == 1 and report.reconcile["agree"]
    assert report.reconcile["attachments"]["server_count"] == 1
    on_server = server_files(server)
    assert list(on_server.values()) == [stored]  # the same cleaned bytes, once
    assert len(stored) <= 300 * 1024 and on_the_wire <= 300 * 1024
    print(
        f"\nphone photo: {len(original)} bytes taken, {len(stored)} stored, "
        f"{on_the_wire} bytes sent for the record and its photo"
    )


def test_bad_files_are_refused_with_nothing_stored(hub_db, data_dir):
    record_uuid = str(uuid.uuid4())
    folder = Path(data_dir) / attachments.FOLDER

    def refused(code, *args, kind="any", **settings):
        with pytest.raises(AttachmentError) as caught:
            store_attachment(
                hub_db, data_dir, record_uuid, *args, kind=kind, settings=dict(DEFAULTS, **settings)
            )
        assert caught.value.code == code and caught.value.message

    refused(
        "file_too_large",
        "recording",
        "a.ogg",
        os.urandom(MB + 1),
        "audio/ogg",
        attachment_max_file_mb=1,
    )
    refused("media_type_refused", "photo", "a.exe", b"MZ\x90\x00", "application/x-msdownload")
    refused("media_type_refused", "photo", "a.ogg", b"OggS", "audio/ogg", kind="image")
    refused("not_an_image", "photo", "a.jpg", b"not a photo at all", "image/jpeg")
    refused("empty_file", "recording", "a.ogg", b"", "audio/ogg")
    # The record's files together: 3 x 0.4 MB passes 1 MB at the third.
    for number in range(2):
        store_attachment(
            hub_db,
            data_dir,
            record_uuid,
            f"recording{number}",
            "a.ogg",
            os.urandom(400 * 1024),
            "audio/ogg",
            settings=dict(DEFAULTS, attachment_max_record_mb=1),
        )
    held = set(server_like_listing(folder))
    refused(
        "record_too_large",
        "recording2",
        "a.ogg",
        os.urandom(400 * 1024),
        "audio/ogg",
        attachment_max_record_mb=1,
    )
    assert set(server_like_listing(folder)) == held and len(held) == 2
    assert hub_db.execute("SELECT count(*) FROM attachments").fetchone()[0] == 2


def server_like_listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file())


def test_a_protected_hub_keeps_its_files_encrypted(tmp_path):
    from collector import create_app, protection

    data_dir = tmp_path / "protected"
    data_dir.mkdir()
    vault = protection.turn_on(data_dir, "a long passphrase for the laptop")
    app = create_app({}, data_dir=data_dir)
    db = open_database(app.config["DATABASE"], vault)
    try:
        secret = b"ID3" + os.urandom(64) + b"my name is Halima"
        stored = store_attachment(
            db, data_dir, str(uuid.uuid4()), "recording", "r.mp3", secret, "audio/mpeg"
        )
        on_disk = attachments.file_path(data_dir, stored["sha256"]).read_bytes()
        assert b"Halima" not in on_disk and on_disk.startswith(b"enc1:")
        assert attachments.read_attachment(db, data_dir, stored["sha256"]) == secret
    finally:
        db.close()
        protection.forget(data_dir)


def test_what_leaves_follows_the_question_rule_and_the_sensitive_forms():
    form = load_form(FORM)
    assert attachments.leaves(form.questions["photo"], form)
    assert not attachments.leaves(form.questions["face"], form)
    assert not attachments.leaves(None, form)
    # In the discrimination report and the kiosk: only where the question itself says keep.
    for form_id in attachments.SENSITIVE_FORMS:
        sensitive = types.SimpleNamespace(form_id=form_id)
        assert not attachments.leaves({"name": "photo", "type": "image"}, sensitive)
        assert attachments.leaves({"name": "photo", "type": "image", "privacy": "keep"}, sensitive)


# -- sync ----------------------------------------------------------------------------------------


class Flapper:
    """Cuts every open connection through the proxy each time `every` more bytes went up,
    and refuses new ones for a moment: a link that keeps dropping mid-transfer, as often
    on a fast machine as on a slow one."""

    def __init__(self, proxy: FaultProxy, every: int = 3 * MB, down: float = 0.05):
        self.proxy, self.every, self.down = proxy, every, down
        self.cuts = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        next_cut = self.proxy.stats["bytes_up"] + self.every
        while not self.stop.wait(0.005):
            if self.proxy.stats["bytes_up"] < next_cut:
                continue
            with self.proxy._lock:  # the proxy's own open sockets, as a dropped link does
                open_now = list(self.proxy._sockets)
            for sock in open_now:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self.cuts += bool(open_now)
            self.proxy.set_mode("refuse")
            self.stop.wait(self.down)
            self.proxy.set_mode("pass")
            next_cut = self.proxy.stats["bytes_up"] + self.every

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(5)
        self.proxy.set_mode("pass")


@pytest.mark.slow  # 20 MB through a link cut every 3 MB: about 5 s
def test_twenty_megabytes_over_a_flapping_link_arrive_once(hub_db, data_dir, client, link, server):
    recordings = [os.urandom(4 * MB) for _ in range(5)]  # like compressed audio: no pattern
    for number, data in enumerate(recordings):
        new_record(hub_db, data_dir, {"recording": (f"voice{number}.ogg", data, "audio/ogg")})
    before = link.stats["bytes_up"]
    with Flapper(link) as flapper:
        # urllib3 retries a cut piece at once; a sync that still fails is simply run again,
        # as the hub's background loop does, and resumes from the server's offset.
        for _ in range(30):
            try:
                client.sync()
                break
            except SyncError:
                continue
        else:
            pytest.fail("the sync never finished over the flapping link")
    assert flapper.cuts >= 2  # the link dropped while the files were on their way
    # Resumed, never started again from the beginning: little more than 20 MB went up.
    assert link.stats["bytes_up"] - before < 1.25 * sum(map(len, recordings))
    print(
        f"\n20 MB over a flapping link: {flapper.cuts} cuts, "
        f"{link.stats['bytes_up'] - before} bytes sent for {sum(map(len, recordings))}"
    )
    report = client.sync()
    assert report.reconcile["agree"] and report.reconcile["attachments"]["agree"]
    # Every file whole, once, by its hash; nothing half-sent left behind.
    files = server_files(server)
    assert sorted(files.values()) == sorted(recordings)
    assert all(
        name.split("/")[-1] == hashlib.sha256(data).hexdigest() for name, data in files.items()
    )
    assert (
        query(
            server.database,
            "SELECT count(*) AS n FROM attachment_files WHERE completed_at IS NOT NULL",
        )[0]["n"]
        == 5
    )
    assert query(server.database, "SELECT count(*) AS n FROM attachment_links")[0]["n"] == 5
    assert query(
        hub_db.path, "SELECT state, count(*) AS n FROM attachment_outbox GROUP BY state"
    ) == [{"state": "sent", "n": 5}]


def test_a_dropped_question_file_never_reaches_the_server(hub_db, data_dir, client, server):
    face = b"RIFF" + os.urandom(256 * 1024) + b"FACE-OF-THE-PERSON"
    kept = b"OggS" + os.urandom(64 * 1024)
    record_uuid = new_record(
        hub_db,
        data_dir,
        {"face": ("face.wav", face, "audio/wav"), "recording": ("r.ogg", kept, "audio/ogg")},
    )
    report = client.sync()
    assert report.attachments_sent == 1 and report.reconcile["agree"]
    everything = every_server_byte(server)
    assert kept in everything
    assert face[4:4096] not in everything and b"FACE-OF-THE-PERSON" not in everything
    assert hashlib.sha256(face).hexdigest().encode() not in everything
    # The hub keeps it beside the record, for the enumerator's review.
    assert {row["question"] for row in attachments.attachments_of(hub_db, record_uuid)} == {
        "face",
        "recording",
    }


def test_a_lost_file_on_the_server_is_sent_again(hub_db, data_dir, client, server):
    data = os.urandom(300 * 1024)
    new_record(hub_db, data_dir, {"recording": ("r.ogg", data, "audio/ogg")})
    client.sync()
    sha256 = hashlib.sha256(data).hexdigest()
    # A restore from an old backup: the server lost the file and its link.
    from support import change

    change(server.database, "DELETE FROM attachment_links")
    change(server.database, "DELETE FROM attachment_files")
    (Path(server.app.config["DATA_DIR"]) / "attachments" / sha256[:2] / sha256).unlink()
    report = client.sync()
    assert report.reconcile["requeued"] == 1 and report.reconcile["agree"]
    assert report.attachments_sent == 1
    assert list(server_files(server).values()) == [data]


def test_server_limits_and_checks_refuse_with_nothing_stored(hub_db, data_dir, client, server):
    server.app.config["ATTACHMENT_MAX_FILE_BYTES"] = 100 * 1024
    new_record(hub_db, data_dir, {"recording": ("r.ogg", os.urandom(200 * 1024), "audio/ogg")})
    report = client.sync()
    assert report.attachments_sent == 0
    refused = query(hub_db.path, "SELECT state, error_code FROM attachment_outbox")
    assert refused == [{"state": "refused", "error_code": "file_too_large"}]
    assert query(server.database, "SELECT count(*) AS n FROM attachment_files")[0]["n"] == 0
    assert server_files(server) == {}
    # A day's allowance used up: the file waits on the hub for another day.
    server.app.config.update(
        ATTACHMENT_MAX_FILE_BYTES=10 * MB, ATTACHMENT_DEVICE_DAILY_BYTES=50 * 1024
    )
    new_record(hub_db, data_dir, {"recording": ("s.ogg", os.urandom(60 * 1024), "audio/ogg")})
    report = client.sync()
    assert report.attachments_sent == 0 and report.attachments_waiting == 1
    assert server_files(server) == {}


def test_pieces_out_of_order_or_damaged_are_refused(hub_db, data_dir, client, server):
    """The server keeps only what follows its offset, and a whole file only with its hash."""
    data = os.urandom(100 * 1024)
    record_uuid = new_record(hub_db, data_dir, {"recording": ("r.ogg", data, "audio/ogg")})
    sha256 = hashlib.sha256(data).hexdigest()
    headers = {
        "Authorization": f"Bearer {client.creds.token}",
        protocol.VERSION_HEADER: protocol.PROTOCOL_VERSION,
    }
    base = server.url + "/api/v1/attachments"
    client.push(SyncReport())  # the record only: its file is queued, not sent
    answer = requests.post(
        base,
        headers=headers,
        timeout=10,
        json={
            "attachments": [
                {
                    "uuid": record_uuid,
                    "revision": 1,
                    "question": "recording",
                    "sha256": sha256,
                    "size": len(data),
                    "media_type": "audio/ogg",
                }
            ]
        },
    ).json()
    assert answer["attachments"][0]["status"] == "partial"
    ahead = requests.put(
        f"{base}/{sha256}?offset=5000", data=data[5000:9000], headers=headers, timeout=10
    )
    assert ahead.status_code == 409 and ahead.json()["offset"] == 0
    first = requests.put(
        f"{base}/{sha256}?offset=0", data=data[:60000], headers=headers, timeout=10
    )
    assert first.json() == {
        "protocol": protocol.PROTOCOL_VERSION,
        "sha256": sha256,
        "offset": 60000,
        "size": len(data),
        "complete": False,
    }
    status = requests.head(f"{base}/{sha256}", headers=headers, timeout=10)
    assert status.headers[protocol.OFFSET_HEADER] == "60000"
    damaged = requests.put(
        f"{base}/{sha256}?offset=60000", data=bytes(len(data) - 60000), headers=headers, timeout=10
    )
    assert damaged.status_code == 422 and damaged.json()["error"]["code"] == "hash_mismatch"
    assert server_files(server) == {}  # the damaged copy was thrown away
    # Another device's token cannot touch the file; a file no record names is refused.
    other = requests.post(
        server.url + "/api/v1/enroll",
        json={
            "protocol": "1.0",
            "code": server.enrollment_code("other"),
            "enrollment_id": str(uuid.uuid4()),
        },
        timeout=10,
    ).json()
    stranger = dict(headers, Authorization=f"Bearer {other['device_token']}")
    assert (
        requests.put(
            f"{base}/{sha256}?offset=0", data=data, headers=stranger, timeout=10
        ).status_code
        == 404
    )
    answer = requests.post(
        base,
        headers=headers,
        timeout=10,
        json={
            "attachments": [
                {
                    "uuid": record_uuid,
                    "revision": 1,
                    "question": "photo",
                    "sha256": "ab" * 32,
                    "size": 10,
                    "media_type": "image/jpeg",
                }
            ]
        },
    ).json()
    assert answer["attachments"][0]["code"] == "not_allowed"
    # The sync client resumes and finishes the file from the server's offset.
    assert client.sync().attachments_sent == 1
    assert list(server_files(server).values()) == [data]


def test_usb_bundles_carry_the_files_that_may_leave(
    hub_db, data_dir, client, server, link, tmp_path
):
    from click.testing import CliRunner

    from collector.cli import cli as hub_cli
    from sync_server.cli import cli as server_cli
    from test_sync import opened_bundle

    kept, face = b"OggS" + os.urandom(40 * 1024), b"RIFF" + os.urandom(40 * 1024)
    new_record(
        hub_db,
        data_dir,
        {"recording": ("r.ogg", kept, "audio/ogg"), "face": ("f.wav", face, "audio/wav")},
    )
    bundle = tmp_path / "zone-b.bundle"
    result = CliRunner().invoke(
        hub_cli, ["export-bundle", str(bundle), "--data-dir", str(data_dir)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    beside = tmp_path / "zone-b.bundle.attachments.zip"
    assert not zipfile.is_zipfile(beside)  # sealed to the server, like the bundle
    with zipfile.ZipFile(io.BytesIO(opened_bundle(server, beside))) as archive:  # what may leave
        assert set(archive.namelist()) == {"manifest.json", hashlib.sha256(kept).hexdigest()}
    imported = CliRunner().invoke(
        server_cli,
        ["import-bundle", str(bundle), "--data-dir", server.app.config["DATA_DIR"]],
        catch_exceptions=False,
    )
    assert imported.exit_code == 0, imported.output
    assert "1 stored, 0 already here, 0 refused" in imported.output
    assert list(server_files(server).values()) == [kept]
    # The next sync confirms the record and finds its file there: its bytes do not go again.
    before = link.stats["bytes_up"]
    report = client.sync()
    assert report.attachments_sent == 1 and report.reconcile["agree"]
    assert link.stats["bytes_up"] - before < len(kept)
    assert query(server.database, "SELECT count(*) AS n FROM attachment_files")[0]["n"] == 1


# -- the central side ---------------------------------------------------------------------------


def test_record_page_file_route_and_zip_follow_the_record_rules(hub_db, data_dir, client, server):
    photo = camera_photo(seed=2)
    record_uuid = new_record(
        hub_db,
        data_dir,
        {
            "photo": ("p.jpg", photo, "image/jpeg"),
            "recording": ("r.ogg", b"OggS" + os.urandom(5000), "audio/ogg"),
        },
    )
    client.sync()
    links = query(
        server.database, "SELECT question, sha256 FROM attachment_links ORDER BY question"
    )
    by_question = {row["question"]: row["sha256"] for row in links}
    admin = signed_in(server, "admin")
    page = admin.get(f"/data/record/{record_uuid}").text
    photo_url = f"/data/record/{record_uuid}/file/photo/{by_question['photo']}"
    assert f'<img src="{photo_url}"' in page
    assert f"/data/record/{record_uuid}/file/recording/{by_question['recording']}" in page
    served = admin.get(photo_url)
    assert served.status_code == 200 and served.headers["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(served.content)).size == (768, 1024)
    assert admin.get(photo_url.replace("/photo/", "/recording/")).status_code == 404
    archive = zipfile.ZipFile(io.BytesIO(admin.get("/data/site_visit/attachments.zip").content))
    names = set(archive.namelist())
    assert names == {
        "attachments.csv",
        f"{by_question['photo']}.jpg",
        f"{by_question['recording']}.ogg",
    }
    # The data's column holds each file's path in the zip.
    export = admin.get("/data/site_visit/export.csv?release=raw&reason=check").text
    assert f"{by_question['photo']}.jpg" in export
    # An analyst sees the record as released: alone in its group, it is withheld, and
    # so are its files (page, file and zip alike).
    analyst = signed_in(server, "analyst")
    assert analyst.get(f"/data/record/{record_uuid}").status_code == 404
    assert analyst.get(photo_url).status_code == 404
    withheld = zipfile.ZipFile(io.BytesIO(analyst.get("/data/site_visit/attachments.zip").content))
    assert withheld.namelist() == ["attachments.csv"]
    anonymous = Browser(server.url).get(photo_url, allow_redirects=False)
    assert anonymous.status_code == 302 and "/signin" in anonymous.headers["Location"]
    # The records API gives each file's URL, read with a personal token, by the same rules.
    tokens = {role: api_token(server, f"{role}1") for role in ("admin", "analyst")}
    (row,) = requests.get(
        f"{server.url}/api/v1/data/site_visit?release=raw&reason=check",
        headers={"Authorization": f"Bearer {tokens['admin']}"},
        timeout=10,
    ).json()["records"]
    url = row["_files"]["photo"][0]
    assert row["photo"] == f"{by_question['photo']}.jpg" and by_question["photo"] in url
    by_token = requests.get(
        server.url + url, timeout=10, headers={"Authorization": f"Bearer {tokens['admin']}"}
    )
    assert by_token.status_code == 200 and by_token.content == served.content
    assert (
        requests.get(
            server.url + url, timeout=10, headers={"Authorization": f"Bearer {tokens['analyst']}"}
        ).status_code
        == 404
    )


def test_removing_a_record_on_the_server_removes_its_unused_files(hub_db, data_dir, client, server):
    from sync_server import attachments as server_attachments

    shared, own = os.urandom(20 * 1024), os.urandom(30 * 1024)
    first = new_record(
        hub_db,
        data_dir,
        {"recording": ("a.ogg", shared, "audio/ogg"), "photo": ("b.ogg", own, "audio/ogg")},
    )
    new_record(hub_db, data_dir, {"recording": ("c.ogg", shared, "audio/ogg")})
    client.sync()
    store = Store(server.database)
    try:
        with store.transaction():  # as retention removes a record, links first
            unused = server_attachments.remove_record(store, first)
            store.db.execute("DELETE FROM records WHERE uuid = ?", [first])
        server_attachments.remove_files(unused, server.app.config["DATA_DIR"])
    finally:
        store.close()
    assert unused == [hashlib.sha256(own).hexdigest()]
    assert list(server_files(server).values()) == [shared]  # the other record still uses it


# -- purge ----------------------------------------------------------------------------------------


def test_purge_removes_the_files_of_removed_answers(hub_db, data_dir, client):
    face, shared = b"RIFF" + os.urandom(50 * 1024), b"RIFF" + os.urandom(50 * 1024)
    first = new_record(
        hub_db,
        data_dir,
        {"face": ("f.wav", face, "audio/wav"), "recording": ("r.wav", shared, "audio/wav")},
    )
    second = new_record(hub_db, data_dir, {"face": ("g.wav", shared, "audio/wav")})
    client.sync()
    with write_transaction(hub_db):  # synced long ago
        hub_db.execute("UPDATE outbox SET sent_at = '2000-01-01T00:00:00Z'")
    assert purge(hub_db, after_days=30) == 2
    # The faces (dropped answers) are gone with their answers; the recording stays.
    assert [r["question"] for r in attachments.attachments_of(hub_db, first)] == ["recording"]
    assert attachments.attachments_of(hub_db, second) == []
    assert not attachments.file_path(data_dir, hashlib.sha256(face).hexdigest()).exists()
    # The second record's face had the same bytes as the first's recording: they stay.
    assert attachments.file_path(data_dir, hashlib.sha256(shared).hexdigest()).exists()
