"""Timestamps as the collector stores them: UTC, ISO 8601, to the second."""

from datetime import UTC, datetime


def wall_clock() -> datetime:
    """The laptop's clock, often wrong in the field; tests set it wrong on purpose here."""
    return datetime.now(UTC)


def utcnow() -> datetime:
    return wall_clock().replace(microsecond=0)


def now_iso() -> str:
    return utcnow().isoformat().replace("+00:00", "Z")


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
