"""Sync benchmark: protocol v1 against the OpenRosa way (ODK Collect's HEAD + POST per record).

    . .venv/bin/activate
    python benchmarks/sync_bench.py                  # 10,000 records, then the slow link
    python benchmarks/sync_bench.py --records 2000 --skip-slow

It also measures the ways a batch can be written and compressed (part 3) on the records the
slow-link part sent, and scores each by what it costs on that link: compression time plus
bytes over the bandwidth.

Everything runs in this process on 127.0.0.1: a real sync server (create_app, cheroot) with a
real SQLite store, a real collector database, the real SyncClient, and the tests' FaultProxy
in front of each server to count the bytes on the wire (HTTP headers included) and, for the
slow-link part, to throttle the link. A second, minimal OpenRosa submission endpoint (also
Flask behind cheroot, committing each submission to SQLite before answering, as our server
commits each batch) receives the same anonymized records as XForm instances, one HEAD and one
POST per record over one keep-alive session, as ODK Collect sends them.

Results are described in docs/benchmarks.md. Every loop is bounded and a watchdog ends the
run if it ever hangs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import faulthandler
import gzip
import os
import platform
import random
import sqlite3
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import brotli  # noqa: E402  (installed with Flask-Compress)
import requests  # noqa: E402
from flask import Flask, Response, request  # noqa: E402

from collector import keyfile, records as records_module  # noqa: E402
from collector.datadir import ensure_data_dir  # noqa: E402
from collector.db import open_database  # noqa: E402
from collector.forms import builtin_forms  # noqa: E402
from collector.protocol import zstd  # noqa: E402
from collector.serving import make_server  # noqa: E402
from collector.sync_client import REVISION_SQL, SyncClient, enroll  # noqa: E402
from collector.users import add_user  # noqa: E402
from faultproxy import FaultProxy  # noqa: E402  (tests/faultproxy.py)
from filling import SURVEY_ANSWERS  # noqa: E402  (tests/filling.py)
from sync_server import create_app as create_sync_server  # noqa: E402
from sync_server.enrollment import code_hash, expiry, new_code  # noqa: E402
from sync_server.store import Store  # noqa: E402

FORM = builtin_forms()["community_survey"]
SLOW_LINK = {"bytes_per_second": 50_000, "latency": 1.0}  # 400 kbit/s, 2 s round trip
OPENROSA_SLOW_SAMPLE = 20
WATCHDOG_SECONDS = 45 * 60
GOALS = {
    "bytes_ratio": 10.0,
    "round_trip_ratio": 50.0,
    "slow_seconds": 15.0,
    "openrosa_slow_minutes": 30.0,
    "slow_over_bound": 1.5,
    "bytes_up_per_record": 40.0,
}


# -- servers ------------------------------------------------------------------------------


class RequestCounter:
    """WSGI middleware: counts the HTTP requests that reach the app, by method."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.lock = threading.Lock()
        self.by_method: dict[str, int] = {}

    def __call__(self, environ, start_response):
        with self.lock:
            method = environ.get("REQUEST_METHOD", "?")
            self.by_method[method] = self.by_method.get(method, 0) + 1
        return self.wsgi_app(environ, start_response)

    @property
    def total(self) -> int:
        with self.lock:
            return sum(self.by_method.values())

    def snapshot(self) -> dict:
        with self.lock:
            return dict(self.by_method)


class Served:
    """A Flask app served by cheroot on 127.0.0.1:<free port>, with a FaultProxy in front."""

    def __init__(self, app: Flask, threads: int = 8):
        self.app = app
        self.counter = RequestCounter(app.wsgi_app)
        app.wsgi_app = self.counter
        self.server = make_server(app, "127.0.0.1", 0, threads=threads)
        self.server.prepare()
        self.port = self.server.bind_addr[1]
        self.thread = threading.Thread(
            target=self.server.serve, daemon=True, name=f"bench-server:{self.port}"
        )
        self.thread.start()
        self.proxy = FaultProxy(upstream=("127.0.0.1", self.port), idle_timeout=120.0).start()

    @property
    def url(self) -> str:
        return self.proxy.url

    def stop(self) -> None:
        self.proxy.stop()
        self.server.stop()
        self.thread.join(timeout=10)


class Meter:
    """Requests, TCP connections and bytes (both directions) between two moments."""

    def __init__(self, served: Served):
        self.served = served

    def __enter__(self):
        self.stats0 = self.served.proxy.stats
        self.requests0 = self.served.counter.snapshot()
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.started
        stats = self.served.proxy.stats
        after = self.served.counter.snapshot()
        self.bytes_up = stats["bytes_up"] - self.stats0["bytes_up"]
        self.bytes_down = stats["bytes_down"] - self.stats0["bytes_down"]
        self.connections = stats["connections"] - self.stats0["connections"]
        self.proxy_requests = stats["requests_forwarded"] - self.stats0["requests_forwarded"]
        self.by_method = {
            m: after.get(m, 0) - self.requests0.get(m, 0)
            for m in after
            if after.get(m, 0) - self.requests0.get(m, 0)
        }
        self.requests = sum(self.by_method.values())
        return False


def openrosa_app(database: Path) -> Flask:
    """A minimal OpenRosa form submission endpoint (HEAD, then multipart POST).

    Each submission is committed to SQLite (WAL, synchronous=FULL) before the 201, as our sync
    server commits each batch before answering; a repeated instanceID is answered as a
    duplicate without storing it again.
    """
    app = Flask("openrosa_bench")
    conn = sqlite3.connect(str(database), check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS submissions (instance_id TEXT PRIMARY KEY,"
        " xml BLOB NOT NULL, received_at TEXT NOT NULL)"
    )
    lock = threading.Lock()
    app.extensions["openrosa_db"] = conn
    openrosa = {"X-OpenRosa-Version": "1.0"}

    def answer(message: str, status: int) -> Response:
        body = (
            '<OpenRosaResponse xmlns="http://openrosa.org/http/response">'
            f'<message nature="submit_success">{escape(message)}</message>'
            "</OpenRosaResponse>"
        )
        return Response(
            body, status=status, headers=openrosa, content_type="text/xml; charset=utf-8"
        )

    @app.route("/submission", methods=["HEAD", "POST"])
    def submission():
        if request.method == "HEAD":
            return Response(
                status=204,
                headers={**openrosa, "X-OpenRosa-Accept-Content-Length": str(10 * 1024 * 1024)},
            )
        if request.headers.get("X-OpenRosa-Version") != "1.0":
            return answer("Send X-OpenRosa-Version: 1.0.", 400)
        part = request.files.get("xml_submission_file")
        if part is None:
            return answer("No xml_submission_file part.", 400)
        xml = part.read()
        start = xml.find(b"<instanceID>")
        end = xml.find(b"</instanceID>", start)
        if start < 0 or end < 0:
            return answer("No instanceID.", 400)
        instance_id = xml[start + len(b"<instanceID>") : end].decode("utf-8")
        with lock:
            conn.execute("BEGIN IMMEDIATE")
            stored = conn.execute(
                "INSERT OR IGNORE INTO submissions VALUES (?, ?, ?)",
                [instance_id, xml, dt.datetime.now(dt.UTC).isoformat()],
            ).rowcount
            conn.execute("COMMIT")
        return answer(
            "Form Received!" if stored else "Duplicate submission.", 201 if stored else 202
        )

    return app


# -- data ---------------------------------------------------------------------------------


def typed_base_answers() -> dict:
    """tests/filling.py's answers as the hub stores them: ints for integer and range questions."""
    typed = {}
    for name, value in SURVEY_ANSWERS.items():
        kind = FORM.questions[name].type
        typed[name] = int(value) if kind in ("integer", "range") else value
    return typed


BASE = typed_base_answers()
NAMES = [
    "Halima Yusuf",
    "Amina Bello",
    "Musa Ibrahim",
    "Fatuma Ali",
    "Jean Mugisha",
    "Grace Achieng",
    "Omar Hassan",
    "Maria Lopez",
    "Abdi Warsame",
    "Esther Njeri",
]
COMMENTS = [
    "The water point near block C is often broken.",
    "Call me on +254 712 345678 about the clinic queue.",
    "Nothing to add.",
    "Street lights in zone B have been off for two weeks; women avoid the market path.",
    "The registration office asked for a document I cannot get, ref A1234567.",
    "",
]


def choice_names(list_name: str) -> list[str]:
    return [c["name"] for c in FORM.data["choices"][list_name]]


def varied_answers(rng: random.Random) -> dict:
    """A realistic record: the sample answers with a few values changed, skip logic respected."""
    answers = dict(BASE)
    answers["age"] = rng.randint(18, 85)
    answers["gender"] = rng.choice(["woman", "man", "woman", "man", "another", "prefer_not"])
    answers["migration_status"] = rng.choice(choice_names("migration_status"))
    answers["area"] = rng.choice(choice_names("areas"))
    answers["urban_rural"] = rng.choice(["urban", "rural"])
    answers["respondent_name"] = rng.choice(NAMES)
    answers["respondent_phone"] = f"+254 7{rng.randint(10, 99)} {rng.randint(100000, 999999)}"
    language = rng.choice(choice_names("languages"))
    answers["language_home"] = language
    if language != "other":
        answers.pop("language_home_other")
    for name in ("who5_spirits", "who5_calm", "who5_active", "who5_rested", "who5_interest"):
        answers[name] = str(rng.randint(0, 5))
    answers["life_satisfaction"] = rng.randint(0, 10)
    for name in ("trust_people", "trust_police", "trust_humanitarian", "trust_local_authorities"):
        answers[name] = rng.randint(0, 10)
    answers["safety_after_dark"] = rng.choice(choice_names("safety"))
    answers["incl_contact"] = rng.choice(choice_names("contact_frequency"))
    answers["discriminated"] = rng.choice(["yes", "no", "no", "prefer_not"])
    if answers["discriminated"] != "yes":
        for name in (
            "discrimination_grounds",
            "discrimination_settings",
            "discrimination_frequency",
            "reported_to",
            "not_reported_why",
        ):
            answers.pop(name)
    else:
        answers["discrimination_grounds"] = sorted(
            rng.sample(choice_names("grounds"), rng.randint(1, 3))
        )
        reported = rng.choice([["no_one"], ["police"], ["ngo", "family"], ["no_one"]])
        answers["reported_to"] = reported
        if "no_one" not in reported:
            answers.pop("not_reported_why")
    comment = rng.choice(COMMENTS)
    if comment:
        answers["comments"] = comment
    else:
        answers.pop("comments")
    return answers


def fill_collector(data_dir: Path, count: int, seed: int) -> tuple[Path, float]:
    """A collector database with `count` finalized, queued community_survey records."""
    ensure_data_dir(data_dir)  # owner-only, with its secrets folder, as the hub makes it
    db_path = data_dir / "collector.db"
    db = open_database(db_path)
    # Setup only: the sync itself runs on a connection with the shipped synchronous=FULL.
    db.execute("PRAGMA synchronous = OFF")
    started = time.perf_counter()
    try:
        enumerators = [add_user(db, name, "4821") for name in ("amina", "joseph", "fatima")]
        rng = random.Random(seed)
        locales = ["en", "en", "fr", "sw", "ar", "ha", "es"]
        for _ in range(count):
            record_uuid = records_module.new_uuid()
            answers = varied_answers(rng)
            records_module.save_answers(
                db, record_uuid, FORM, rng.choice(locales), rng.choice(enumerators), answers
            )
            records_module.finalize(db, record_uuid, FORM, answers)
    finally:
        db.close()
    return db_path, time.perf_counter() - started


def enrollment_code(database: str, label: str) -> str:
    code = new_code()
    store = Store(database)
    try:
        store.add_enrollment_code(code_hash(code), label, expiry(24.0))
    finally:
        store.close()
    return code


# -- OpenRosa instances -------------------------------------------------------------------


def xform_instance(record: dict) -> bytes:
    """The XForm instance of one anonymized record, as ODK Collect would submit it."""
    parts = [
        f'<data id="{record["form_id"]}" version="{record["form_version"]}">',
        f"<meta><instanceID>uuid:{record['uuid']}</instanceID></meta>",
    ]
    for name, value in record["answers"].items():
        text = " ".join(map(str, value)) if isinstance(value, list) else str(value)
        parts.append(f"<{name}>{escape(text)}</{name}>")
    parts.append("</data>")
    return ("<?xml version='1.0' encoding='UTF-8' ?>" + "".join(parts)).encode("utf-8")


def submit_openrosa(url: str, instances: list[bytes]) -> None:
    """One HEAD and one multipart POST per instance, in order, over one keep-alive session."""
    session = requests.Session()
    session.headers["X-OpenRosa-Version"] = "1.0"
    target = url + "/submission?deviceID=collect%3AbenchDevice0001"
    try:
        for xml in instances:
            head = session.head(target, timeout=(10, 60))
            if head.status_code != 204:
                raise RuntimeError(f"HEAD /submission answered {head.status_code}")
            post = session.post(
                target,
                timeout=(10, 60),
                files={"xml_submission_file": ("submission.xml", xml, "text/xml")},
            )
            if post.status_code != 201:
                raise RuntimeError(
                    f"POST /submission answered {post.status_code}: {post.text[:200]}"
                )
    finally:
        session.close()


# -- the runs -----------------------------------------------------------------------------


def enrolled_client(served: Served, data_dir: Path, db_path: Path, label: str):
    """Enroll through the proxy (not metered), then a SyncClient on a fresh connection."""
    db = open_database(db_path)
    keyfile.install(data_dir, keyfile.new_key())  # the custodian's key, carried to the hub
    code = enrollment_code(served.app.config["DATABASE"], label)
    credentials = enroll(db, data_dir, served.url, code)
    return db, SyncClient(db, credentials)


def sync_counted(client: SyncClient, served: Served, count: int) -> tuple[Meter, object]:
    with Meter(served) as meter:
        report = client.sync()
    if report.stored != count or report.rejected or not report.reconcile["agree"]:
        raise RuntimeError(f"sync did not store every record: {report}")
    return meter, report


def anonymized_records(client: SyncClient) -> list[dict]:
    """Exactly what the client sent: the same rows through the same anonymizer and key."""
    rows = client.db.query(REVISION_SQL + " ORDER BY o.queued_at, o.uuid, o.revision")
    return [client.sync_form(row) for row in rows]


def row(name: str, meter: Meter, count: int) -> dict:
    total = meter.bytes_up + meter.bytes_down
    return {
        "name": name,
        "records": count,
        "seconds": meter.seconds,
        "rate": count / meter.seconds,
        "bytes_up": meter.bytes_up,
        "bytes_down": meter.bytes_down,
        "bytes_per_record": total / count,
        "requests": meter.requests,
        "requests_per_record": meter.requests / count,
        "connections": meter.connections,
        "by_method": meter.by_method,
        "proxy_requests": meter.proxy_requests,
    }


def machine() -> list[str]:
    return [
        f"date:     {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M UTC}",
        f"platform: {platform.platform()}",
        f"cpus:     {os.cpu_count()} ({platform.machine()}, {platform.processor() or '?'})",
        f"python:   {platform.python_implementation()} {platform.python_version()}",
        f"sqlite:   {sqlite3.sqlite_version}",
    ]


def print_table(rows: list[dict]) -> None:
    header = (
        f"{'':<24}{'records':>9}{'seconds':>10}{'records/s':>11}{'bytes up':>12}"
        f"{'bytes down':>12}{'bytes/rec':>11}{'requests':>10}{'req/rec':>9}{'TCP conn':>10}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['name']:<24}{r['records']:>9,}{r['seconds']:>10.2f}{r['rate']:>11,.0f}"
            f"{r['bytes_up']:>12,}{r['bytes_down']:>12,}{r['bytes_per_record']:>11,.1f}"
            f"{r['requests']:>10,}{r['requests_per_record']:>9.4f}{r['connections']:>10,}"
        )


def verdict(ok: bool) -> str:
    return "goal met" if ok else "GOAL NOT MET"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--records", type=int, default=10_000, help="records synced over loopback (default 10000)"
    )
    parser.add_argument(
        "--slow-records",
        type=int,
        default=500,
        help="records synced over the slow link (default 500)",
    )
    parser.add_argument("--skip-slow", action="store_true", help="skip the slow-link part")
    parser.add_argument("--seed", type=int, default=20261122, help="random seed for answers")
    args = parser.parse_args(argv)
    if args.records < 1 or args.slow_records < 1:
        parser.error("record counts must be at least 1")
    # A hang anywhere (it should not happen: every wait is bounded) still ends the run.
    faulthandler.dump_traceback_later(WATCHDOG_SECONDS, exit=True)

    print("Sync benchmark: protocol v1 against the OpenRosa way")
    print("\n".join(machine()))
    print()

    with tempfile.TemporaryDirectory(prefix="sync-bench-") as tmp:
        tmp = Path(tmp)
        central = Served(create_sync_server(data_dir=tmp / "central"))
        openrosa = Served(openrosa_app(tmp / "openrosa.db"))
        try:
            results = run(args, tmp, central, openrosa)
        finally:
            openrosa.app.extensions["openrosa_db"].close()
            openrosa.stop()
            central.stop()
    faulthandler.cancel_dump_traceback_later()
    return 0 if results else 1


def run(args, tmp: Path, central: Served, openrosa: Served) -> bool:
    n = args.records
    print(f"1. Loopback, {n:,} records")
    db_path, setup = fill_collector(tmp / "hub", n, args.seed)
    print(
        f"   setup: {n:,} records saved and finalized in {setup:.1f} s "
        "(setup connection with PRAGMA synchronous=OFF; the sync runs with the shipped "
        "synchronous=FULL)"
    )
    db, client = enrolled_client(central, tmp / "hub", db_path, "bench laptop")
    ours, report = sync_counted(client, central, n)
    print(
        f"   protocol v1: stored {report.stored:,}, reconcile agree={report.reconcile['agree']};"
        f" requests by method {ours.by_method} (proxy counted {ours.proxy_requests})"
    )

    started = time.perf_counter()
    sent = anonymized_records(client)
    instances = [xform_instance(record) for record in sent]
    build = time.perf_counter() - started
    db.close()
    print(
        f"   OpenRosa: {len(instances):,} XForm instances built from the same anonymized "
        f"records in {build:.1f} s (not timed below; Collect has them on disk already), "
        f"mean {sum(map(len, instances)) / len(instances):,.0f} bytes of XML each"
    )
    with Meter(openrosa) as theirs:
        submit_openrosa(openrosa.url, instances)
    stored = (
        openrosa.app.extensions["openrosa_db"]
        .execute("SELECT count(*) FROM submissions")
        .fetchone()[0]
    )
    if stored != n:
        raise RuntimeError(f"OpenRosa endpoint stored {stored} of {n}")
    print(
        f"   OpenRosa: stored {stored:,}; requests by method {theirs.by_method} "
        f"(proxy counted {theirs.proxy_requests})"
    )
    print()

    rows = [row("protocol v1 (ours)", ours, n), row("OpenRosa (HEAD+POST)", theirs, n)]
    print_table(rows)
    bytes_ratio = rows[1]["bytes_per_record"] / rows[0]["bytes_per_record"]
    trips_ratio = rows[1]["requests_per_record"] / rows[0]["requests_per_record"]
    print()
    print(
        "Bytes on the wire = HTTP requests and responses, headers included, both directions "
        "(no TCP/IP or TLS overhead). Round trips = HTTP requests."
    )
    print(
        f"Ratio bytes/record, OpenRosa / ours:       {bytes_ratio:8.1f}x  "
        f"(goal >= {GOALS['bytes_ratio']:.0f}x: {verdict(bytes_ratio >= GOALS['bytes_ratio'])})"
    )
    print(
        f"Ratio round trips/record, OpenRosa / ours: {trips_ratio:8.1f}x  "
        f"(goal >= {GOALS['round_trip_ratio']:.0f}x: "
        f"{verdict(trips_ratio >= GOALS['round_trip_ratio'])})"
    )
    print(f"Records/second, ours / OpenRosa:           {rows[0]['rate'] / rows[1]['rate']:8.1f}x")
    print()

    if args.skip_slow:
        print("2. Slow link: skipped (--skip-slow)")
        return True
    m = args.slow_records
    link = (
        f"{SLOW_LINK['bytes_per_second'] * 8 // 1000} kbit/s, "
        f"{SLOW_LINK['latency'] * 2:g} s round trip"
    )
    print(
        f"2. Slow link ({link}; FaultProxy throttle bytes_per_second="
        f"{SLOW_LINK['bytes_per_second']}, latency={SLOW_LINK['latency']} s one-way)"
    )
    slow_path, setup = fill_collector(tmp / "slow-hub", m, args.seed + 1)
    print(f"   setup: {m:,} records in {setup:.1f} s (synchronous=OFF for setup only)")
    db, client = enrolled_client(central, tmp / "slow-hub", slow_path, "bench slow laptop")
    # A second laptop whose records were anonymized ahead, as a hub's background work does
    # while it has no link (SyncClient.prepare_payloads): not on the link, timed apart.
    ready_path, _ = fill_collector(tmp / "ready-hub", m, args.seed + 2)
    ready_db, ready = enrolled_client(central, tmp / "ready-hub", ready_path, "bench ready laptop")
    started = time.perf_counter()
    ready.prepare_payloads(limit=m)
    prepare_seconds = time.perf_counter() - started
    central.proxy.set_mode("throttle", **SLOW_LINK)  # the sync's new connection is throttled
    slow, _ = sync_counted(client, central, m)
    prepared, _ = sync_counted(ready, central, m)
    ready_db.close()
    sent_records = anonymized_records(client)
    sample = [xform_instance(record) for record in sent_records][:OPENROSA_SLOW_SAMPLE]
    db.close()
    openrosa.proxy.set_mode("throttle", **SLOW_LINK)
    with Meter(openrosa) as slow_theirs:
        submit_openrosa(openrosa.url, sample)
    per_record = slow_theirs.seconds / len(sample)
    extrapolated = per_record * m
    print(
        f"   protocol v1: {m:,} records in {slow.seconds:.1f} s wall time "
        f"({slow.requests} requests {slow.by_method}, "
        f"{slow.bytes_up + slow.bytes_down:,} bytes: {slow.bytes_up:,} up = "
        f"{slow.bytes_up / m:.1f} per record, {slow.bytes_down:,} down)  "
        f"(goal < {GOALS['slow_seconds']:.0f} s: "
        f"{verdict(slow.seconds < GOALS['slow_seconds'])})"
    )
    bound = (slow.bytes_up + slow.bytes_down) / SLOW_LINK["bytes_per_second"] + 2 * SLOW_LINK[
        "latency"
    ]
    print(
        f"   bound from its own bytes: {slow.bytes_up + slow.bytes_down:,} bytes / "
        f"{SLOW_LINK['bytes_per_second']:,} bytes/s + one {2 * SLOW_LINK['latency']:g} s round "
        f"trip = {bound:.2f} s; measured / bound = {slow.seconds / bound:.2f}x  (goal <= "
        f"{GOALS['slow_over_bound']}x: "
        f"{verdict(slow.seconds / bound <= GOALS['slow_over_bound'])})"
    )
    ready_bound = (prepared.bytes_up + prepared.bytes_down) / SLOW_LINK[
        "bytes_per_second"
    ] + 2 * SLOW_LINK["latency"]
    print(
        f"   records prepared ahead ({m:,} anonymized in {prepare_seconds:.1f} s on the laptop "
        f"before the link): {prepared.seconds:.1f} s wall time, bound {ready_bound:.2f} s, "
        f"measured / bound = {prepared.seconds / ready_bound:.2f}x  (goal <= "
        f"{GOALS['slow_over_bound']}x: "
        f"{verdict(prepared.seconds / ready_bound <= GOALS['slow_over_bound'])})"
    )
    print(
        f"   bytes up per record: {slow.bytes_up / m:.1f}  (goal <= "
        f"{GOALS['bytes_up_per_record']:.0f}: "
        f"{verdict(slow.bytes_up / m <= GOALS['bytes_up_per_record'])})"
    )
    print(
        f"   OpenRosa: {len(sample)} submissions measured in {slow_theirs.seconds:.1f} s "
        f"({per_record:.2f} s each, {slow_theirs.requests} requests); EXTRAPOLATED to "
        f"{m:,}: {extrapolated:.0f} s = {extrapolated / 60:.1f} min "
        f"(compare with 'over {GOALS['openrosa_slow_minutes']:.0f} minutes')"
    )
    print(f"   Ratio wall time, OpenRosa (extrapolated) / ours: {extrapolated / slow.seconds:.0f}x")
    formats(sent_records)
    return True


def formats(records: list[dict]) -> None:
    """Part 3: each way of writing and compressing the same batch, scored on the slow link
    by compression time + bytes / bandwidth (decompression on the server is not counted)."""
    from collector import protocol

    message = protocol.batch_message("0f6c1f0e-3b1a-4c55-9d0e-2b7c1c1d7e55", records, 0, "0.1.0")
    rows = protocol.dumps(message)
    columns = protocol.dumps(protocol.columns_of(message))
    preset = _form_vocabulary()
    ways = [
        ("records, gzip 6 (1.0)", rows, lambda d: gzip.compress(d, 6, mtime=0)),
        ("records, gzip 9", rows, lambda d: gzip.compress(d, 9, mtime=0)),
        ("records, zlib 9 + form dictionary", rows, lambda d: _deflate(d, preset)),
        ("records, zstd 13", rows, lambda d: zstd.compress(d, level=13)),
        ("records, brotli 11", rows, lambda d: brotli.compress(d, quality=11)),
        ("columns, gzip 6", columns, lambda d: gzip.compress(d, 6, mtime=0)),
        ("columns, zlib 9 + form dictionary", columns, lambda d: _deflate(d, preset)),
        ("columns, zstd 3", columns, lambda d: zstd.compress(d, level=3)),
        ("columns, zstd 13 (1.1)", columns, lambda d: zstd.compress(d, level=13)),
        ("columns, zstd 19", columns, lambda d: zstd.compress(d, level=19)),
        ("columns, brotli 5", columns, lambda d: brotli.compress(d, quality=5)),
        ("columns, brotli 11", columns, lambda d: brotli.compress(d, quality=11)),
    ]
    n, rate = len(records), SLOW_LINK["bytes_per_second"]
    print(
        f"\n3. Batch formats, the same {n:,} records in one batch (JSON: records "
        f"{len(rows):,} bytes, columns {len(columns):,} bytes); link cost = compression time + "
        f"bytes / {rate:,} bytes/s"
    )
    print(f"   {'format':<36}{'bytes':>9}{'bytes/rec':>11}{'compress ms':>13}{'link cost s':>13}")
    for name, plain, squeeze in ways:
        size = len(squeeze(plain))
        spent = min(_timed(squeeze, plain) for _ in range(3))
        print(
            f"   {name:<36}{size:>9,}{size / n:>11.1f}{spent * 1000:>13.1f}"
            f"{spent + size / rate:>13.3f}"
        )


def _timed(squeeze, plain) -> float:
    started = time.perf_counter()
    squeeze(plain)
    return time.perf_counter() - started


def _form_vocabulary() -> bytes:
    """A preset dictionary from the form: its question and choice names, as JSON keys."""
    names = sorted(FORM.questions) + sorted(
        {c["name"] for choices in FORM.data["choices"].values() for c in choices}
    )
    return ",".join(f'"{name}"' for name in names).encode("utf-8")


def _deflate(data: bytes, preset: bytes) -> bytes:
    squeezer = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY, preset)
    return squeezer.compress(data) + squeezer.flush()


if __name__ == "__main__":
    sys.exit(main())
