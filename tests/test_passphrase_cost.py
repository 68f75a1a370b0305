"""Sealing with a passphrase (key files, protected data folders): scrypt at 2^17 unless the
environment names another cost within bounds (the test suite lowers it, see conftest.py);
each sealed file keeps its own cost, so files sealed at one cost open at any other."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from collector import create_app, keyfile, passphrase as sealing


@pytest.fixture
def default_cost(monkeypatch):
    monkeypatch.delenv(sealing.COST_ENV, raising=False)


def test_the_default_is_scrypt_at_two_to_the_seventeenth(default_cost):
    header = sealing.new_header(format="test", version=1)
    assert (header["kdf"]["n"], header["kdf"]["r"], header["kdf"]["p"]) == (2**17, 8, 1)
    sealed = sealing.seal(b"k" * 32, "a long enough passphrase", header)
    assert sealing.unseal(sealed, "a long enough passphrase", header) == b"k" * 32
    with pytest.raises(sealing.WrongPassphrase):
        sealing.unseal(sealed, "a long enough passphrasE", header)


def test_a_file_sealed_at_one_cost_opens_after_the_cost_changes(tmp_path, monkeypatch):
    key = os.urandom(32)
    monkeypatch.setenv(sealing.COST_ENV, str(2**15))
    path = tmp_path / "project.key"
    keyfile.write_key_file(path, key, "vingt-deux lettres ici")
    assert json.loads(path.read_text("utf-8"))["kdf"]["n"] == 2**15
    monkeypatch.setenv(sealing.COST_ENV, str(2**14))
    assert keyfile.read_key_file(path, "vingt-deux lettres ici") == key
    assert sealing.new_header()["kdf"]["n"] == 2**14


@pytest.mark.parametrize(
    "chosen", ["8192", "3000", "2097152", "fast", "-16384", "16384.0", "١٦٣٨٤", "2**14"]
)
def test_a_cost_out_of_bounds_or_mistyped_is_refused(chosen, tmp_path, monkeypatch):
    monkeypatch.setenv(sealing.COST_ENV, chosen)
    with pytest.raises(sealing.CostError, match="a power of two from 16384 to 1048576"):
        sealing.new_header()
    with pytest.raises(sealing.CostError):
        create_app(data_dir=tmp_path / "hub")
    assert not (tmp_path / "hub").exists()


def test_a_mistyped_cost_stops_the_command_line_with_one_line(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "collector", "status", "--data-dir", str(tmp_path / "hub")],
        env={**os.environ, sealing.COST_ENV: "1000"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"Error: {sealing.COST_ENV}='1000': use a power of two" in done.stderr
    assert not (tmp_path / "hub").exists()
