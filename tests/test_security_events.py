"""Exports and revocations reach the central security log, naming accounts by id only."""

from __future__ import annotations

from click.testing import CliRunner

from support import query
from sync_server.cli import cli as server_cli
from test_access_matrix import enroll_device, feedback_record, push
from test_workspace import signed_in, team  # noqa: F401 - fixture


def events(central, event: str) -> list[dict]:
    return query(
        central.database,
        "SELECT account, detail FROM security_events WHERE event = ? ORDER BY id",
        [event],
    )


def user_id(central, name: str) -> int:
    return query(central.database, "SELECT id FROM users WHERE name = ?", [name])[0]["id"]


def test_exports_are_security_events_by_account_id(team, tmp_path):  # noqa: F811
    device = enroll_device(team, "zone A")
    push(team, device["device_token"], feedback_record())
    analyst = signed_in(team, "analyst")
    assert analyst.get("/data/community_feedback/export.csv").status_code == 200
    assert analyst.get("/data/community_feedback/export.jsonl?raw=1").status_code == 200
    result = CliRunner().invoke(
        server_cli,
        [
            "export",
            "--data-dir",
            team.app.config["DATA_DIR"],
            "--form",
            "community_feedback",
            "--format",
            "csv",
            "--output",
            str(tmp_path / "out.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert events(team, "export") == [
        {"account": f"user:{user_id(team, 'analyst1')}", "detail": "community_feedback csv"},
        {"account": f"user:{user_id(team, 'analyst1')}", "detail": "community_feedback jsonl raw"},
        {"account": None, "detail": "community_feedback csv"},
    ]


def test_revoked_devices_are_security_events(team):  # noqa: F811
    first, second = enroll_device(team, "zone A"), enroll_device(team, "zone B")
    admin = signed_in(team, "admin")
    admin.get("/devices")
    assert admin.post(f"/devices/{first['device_id']}/revoke", {}).status_code == 200
    result = CliRunner().invoke(
        server_cli,
        ["device", "revoke", "--data-dir", team.app.config["DATA_DIR"], second["device_id"]],
    )
    assert result.exit_code == 0, result.output
    assert events(team, "device_revoked") == [
        {"account": f"device:{first['device_id']}", "detail": f"by user:{user_id(team, 'admin1')}"},
        {"account": f"device:{second['device_id']}", "detail": "by the command line"},
    ]
    logged = str(query(team.database, "SELECT * FROM security_events"))
    assert "admin1" not in logged and "127.0.0.1" not in logged
