"""Gettext catalogs for the interface of both apps, one folder per locale."""

from pathlib import Path

DIRECTORY = Path(__file__).parent
