"""Enrollment codes: short, typed by hand, used once, expiring; stored only as hashes."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from collector.clock import utcnow

# No 0/O, 1/I/L, U: a code is read over the phone and typed on a laptop.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12  # about 59 bits: far beyond guessing within a code's lifetime


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normalize_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def code_hash(code: str) -> str:
    return hashlib.sha256(normalize_code(code).encode("ascii", "ignore")).hexdigest()


def expiry(hours: float) -> str:
    return (utcnow() + timedelta(hours=hours)).isoformat().replace("+00:00", "Z")
