"""Bytes on the wire for a record with one phone photo (docs/benchmarks.md, attachments).

A real hub database and data folder, a real sync server on loopback and the tests' FaultProxy
between them, counting every byte each way. Each photo is a 12-megapixel camera JPEG made
with Pillow (EXIF with GPS, camera make, model and serial, XMP), stored through
collector.attachments (cleaned, upright, 1024 px, JPEG quality 80) and synced with its
record by the real SyncClient. The last row is the worst case for JPEG: pure colour noise
(larger than the hub's 10 MB limit; the limit is raised for it here).

    python benchmarks/photo_bench.py [--photos 5]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from PIL import Image  # noqa: E402

from collector import create_app  # noqa: E402
from collector.attachments import attachments_of  # noqa: E402
from collector.db import open_database  # noqa: E402
from collector.sync_client import SyncClient, enroll  # noqa: E402
from collector.users import add_user  # noqa: E402
from conftest import Central, import_forms, install_key  # noqa: E402
from faultproxy import FaultProxy  # noqa: E402
from sync_server.forms import publish  # noqa: E402
from sync_server.store import Store  # noqa: E402
from test_attachments import FORM, camera_photo, new_record  # noqa: E402


def noise_photo() -> bytes:
    """4000 x 3000 pixels of random colour: nothing for JPEG to compress."""
    image = Image.frombytes("RGB", (4000, 3000), os.urandom(4000 * 3000 * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        hub_dir = install_key(root / "hub")
        app = create_app({}, data_dir=hub_dir)
        import_forms(app.config["DATABASE"], FORM)
        central = Central(root / "central")
        store = Store(central.database)
        publish(store, json.dumps(FORM), "admin")
        store.close()
        proxy = FaultProxy(upstream=("127.0.0.1", int(central.url.rsplit(":", 1)[1]))).start()
        db = open_database(app.config["DATABASE"])
        add_user(db, "amina", "4821")
        db.user_id = db.execute("SELECT id FROM users").fetchone()[0]
        client = SyncClient(db, enroll(db, hub_dir, proxy.url, central.enrollment_code()))
        try:
            client.sync()  # the first sync's forms and replies are not a photo's cost
            print(
                "| photo | taken (bytes) | stored and sent (bytes) | pixels | cleaning (s) "
                "| up (bytes) | down (bytes) |"
            )
            print("|---|---:|---:|---|---:|---:|---:|")
            base = measure(client, db, hub_dir, proxy, None)
            print(f"| none (the record alone) | | | | | {base[3]} | {base[4]} |")
            photos = [(f"camera {n}", camera_photo(seed=n)) for n in range(1, args.photos + 1)]
            for name, data in [*photos, ("pure noise", noise_photo())]:
                stored, size, seconds, up, down = measure(client, db, hub_dir, proxy, data)
                print(
                    f"| {name} | {len(data):,} | {stored:,} | {size[0]} x {size[1]} "
                    f"| {seconds:.2f} | {up:,} | {down:,} |"
                )
        finally:
            db.close()
            proxy.stop()
            central.stop()


def measure(client, db, hub_dir, proxy, photo: bytes | None):
    """(stored bytes, pixels, cleaning seconds, bytes up, bytes down) of one record."""
    started = time.perf_counter()
    files = {} if photo is None else {"photo": ("IMG_0001.jpg", photo, "image/jpeg")}
    # The noise photo is larger than the hub takes by default (10 MB): allowed here.
    record_uuid = new_record(db, hub_dir, files, attachment_max_file_mb=64)
    seconds = time.perf_counter() - started
    rows = attachments_of(db, record_uuid)
    stored, size = 0, (0, 0)
    if rows:
        from collector.attachments import read_attachment

        data = read_attachment(db, hub_dir, rows[0]["sha256"])
        stored, size = len(data), Image.open(io.BytesIO(data)).size
    before = proxy.stats
    report = client.sync()
    assert report.reconcile["agree"]
    after = proxy.stats
    return (
        stored,
        size,
        seconds,
        after["bytes_up"] - before["bytes_up"],
        after["bytes_down"] - before["bytes_down"],
    )


if __name__ == "__main__":
    main()
