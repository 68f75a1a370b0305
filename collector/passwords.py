"""Hashing of the hub's PINs and the server's passwords: one rule for both apps.

Werkzeug's scrypt (N=32768, r=8, p=1) unless the environment variable named by
`METHOD_ENV` names another werkzeug method. Each hash carries its own method, so hashes made
under one cost still verify after it changes. A server with memory to spare may raise the
cost; lowering it makes stolen hashes cheaper to guess and is meant only for the test
suite, which signs in thousands of times.
"""

from __future__ import annotations

import os
import re
from functools import cache

import click
from werkzeug.security import check_password_hash, generate_password_hash

METHOD_ENV = "COLLECTOR_PASSWORD_HASH"
DEFAULT_METHOD = "scrypt:32768:8:1"
# The methods werkzeug knows and we accept: scrypt:N:r:p with N a power of two, and
# pbkdf2 with a hash name and an iteration count.
_METHOD = re.compile(r"^(scrypt:(?P<n>[0-9]+):[0-9]+:[0-9]+|pbkdf2:sha(256|512):[0-9]+)$")


class PasswordMethodError(ValueError):
    """A hashing method werkzeug cannot use, named in the environment."""


def method() -> str:
    """The werkzeug method new hashes use (checked: a typo must not reach a stored hash)."""
    chosen = os.environ.get(METHOD_ENV, "").strip() or DEFAULT_METHOD
    found = _METHOD.match(chosen)
    n = int(found.group("n") or 2) if found else 0
    if not found or n < 2 or n & (n - 1):
        raise PasswordMethodError(
            f"{METHOD_ENV}={chosen!r}: use scrypt:N:r:p with N a power of two "
            f"(default {DEFAULT_METHOD}) or pbkdf2:sha256:ITERATIONS."
        )
    return chosen


def check_method_for_command_line() -> None:
    """`method()` for a command: its mistake said in one line, with no traceback."""
    try:
        method()
    except PasswordMethodError as error:
        raise click.ClickException(str(error)) from None


def hash_secret(secret: str) -> str:
    """A salted hash of a PIN or password, for storing."""
    return generate_password_hash(secret, method=method())


def matches(stored_hash: str, secret: str) -> bool:
    return check_password_hash(stored_hash, secret)


@cache
def _dummy_hash(chosen_method: str) -> str:
    return generate_password_hash("not a secret", method=chosen_method)


def check_nobody(secret: str) -> None:
    """Spend what checking a real account costs, for a name that has none, so that a wrong
    name and a wrong secret take as long. Made on first use, not at import: every command
    line start would otherwise pay for one hash."""
    check_password_hash(_dummy_hash(method()), secret)
