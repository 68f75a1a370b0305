"""`sync-server demo`: a new demo shows a whole survey round, every indicator with a number."""

import csv
import io
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import requests

from support import query, serve_on_free_port
from sync_server import database_path
from sync_server.cli import DEMO_ADMIN, DEMO_PASSWORD, DEMO_REPORTS, DEMO_SURVEYS, fill_demo
from sync_server.demo_data import DEMO_HELP_CONTACTS
from sync_server.store import Store

ROOT = Path(__file__).parent.parent
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def start_demo(data_dir: Path, *options: str) -> tuple[subprocess.Popen, str]:
    return serve_on_free_port(
        lambda port: [
            sys.executable,
            "-m",
            "sync_server",
            "demo",
            "--data-dir",
            str(data_dir),
            "--port",
            "0",
            "--server-port",
            str(port),
            *options,
        ],
        "/signin",
        data_dir.with_suffix(".log"),
        seconds=180,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def records(data_dir: Path) -> dict:
    rows = query(
        database_path(None, data_dir), "SELECT form_id, count(*) AS n FROM records GROUP BY form_id"
    )
    return {row["form_id"]: row["n"] for row in rows}


def indicator_rows(session: requests.Session, url: str, view: str, by: str = "") -> list[dict]:
    answer = session.get(f"{url}/indicator.csv", params={"view": view, "by": by}, timeout=30)
    assert answer.ok, answer.text[:300]
    return list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))


def test_a_new_demo_holds_a_survey_round_and_every_indicator_shows(tmp_path):
    data_dir = tmp_path / "demo"
    process, url = start_demo(data_dir)
    try:
        session = requests.Session()
        page = session.get(url + "/signin", timeout=10)
        signed_in = session.post(
            url + "/signin",
            timeout=10,
            data={
                "name": DEMO_ADMIN,
                "password": DEMO_PASSWORD,
                "csrf_token": CSRF.search(page.text).group(1),
            },
        )
        assert signed_in.ok and "/signout" in signed_in.text
        for view in ("who5", "life_satisfaction", "trust_most", "discriminated"):
            [overall] = indicator_rows(session, url, view)
            assert overall["suppressed"] == "0" and int(overall["n"]) >= 100, overall
        by_gender = indicator_rows(session, url, "trust_most", "gender")
        assert sum(row["suppressed"] == "0" for row in by_gender) >= 2, by_gender
        # The districts are mapped from the invented outlines published with the survey.
        drawn = session.get(url + "/map.svg?view=life_satisfaction&by=area", timeout=30)
        assert drawn.ok and drawn.text.count('class="area"') == 3, drawn.text[:300]
        # Help contacts to show after a report, as the central team would set them.
        contacts = session.get(url + "/help-contacts", timeout=10)
        for contact in DEMO_HELP_CONTACTS:
            assert contact["name"] in contacts.text and contact["phone"] in contacts.text
    finally:
        stop(process)
    assert records(data_dir) == {
        "community_survey": DEMO_SURVEYS,
        "discrimination_report": DEMO_REPORTS,
    }
    # Started again, the demo keeps what it has: nothing is loaded twice.
    fill_demo(data_dir, database_path(None, data_dir))
    assert records(data_dir) == {
        "community_survey": DEMO_SURVEYS,
        "discrimination_report": DEMO_REPORTS,
    }
    store = Store(database_path(None, data_dir))
    try:
        assert len(store.help_contacts()) == len(DEMO_HELP_CONTACTS)
    finally:
        store.close()


def test_an_empty_demo_starts_with_no_records(tmp_path):
    data_dir = tmp_path / "demo"
    process, _url = start_demo(data_dir, "--empty")
    stop(process)
    assert records(data_dir) == {}
