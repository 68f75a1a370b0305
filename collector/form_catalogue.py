"""The form catalogue: which definition a (form id, version) means, parsed once.

Both apps ask here for their forms: the hub's pages, validation and anonymizer, the
server's ingest, data pages, exports and indicators. Where the definitions are kept (the
hub's `forms` table, the server's store) stays with each app; the catalogue holds the rules
and the parsed forms.

The rules, the same on the hub and on the server:

- **A version of a form** (`form_version`): the stored definition of that form id and
  version (imported on the hub, published on the server) if there is one, otherwise the
  built-in form when its version is that one, otherwise none.
- **The current version of a form** (`current_form`), the one new records start with: the
  most recently stored version (latest stored time; on the same second, the greater
  version in natural order, "10" after "9"), otherwise the built-in form. The order the
  storage lists versions in plays no part, so both apps and both database engines agree.

A stored version is immutable: publishing or importing a form id and version that exists
changes nothing. So a parsed, validated `FormDefinition` is kept in a bounded LRU keyed by
(form id, version, SHA-256 of the definition text), and every later lookup of that version
returns the same object without parsing again (a large form takes tens of milliseconds to
validate; ingest looks a form up for every record). Keying by the text's hash too means a
database replaced under a running process can never serve a stale form.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable

from .forms import FormDefinition, FormError, builtin_forms, load_form_json

# Parsed versions kept per process: many more than a deployment publishes in practice,
# few enough that a long-running server never grows without bound.
CATALOGUE_SIZE = 256

# (version, stored_at) of one stored version: when it was imported or published.
StoredVersion = tuple[str, str]


class FormCatalogue:
    """Parsed form versions in a thread-safe, bounded LRU, with counters (`stats`)."""

    def __init__(self, size: int = CATALOGUE_SIZE):
        if size < 1:
            raise ValueError("A form catalogue holds at least one form.")
        self.size = size
        self._forms: OrderedDict[tuple[str, str, str], FormDefinition] = OrderedDict()
        self._lock = threading.Lock()
        self._counts = {"hits": 0, "parses": 0, "evictions": 0}

    def parsed(self, form_id: str, version: str, definition: str) -> FormDefinition:
        """The stored `definition` of that form version as a validated FormDefinition,
        parsed on first use only. FormError when it is not a valid definition, or not
        one of that form id and version."""
        key = (form_id, version, hashlib.sha256(definition.encode("utf-8")).hexdigest())
        with self._lock:
            form = self._forms.get(key)
            if form is not None:
                self._forms.move_to_end(key)
                self._counts["hits"] += 1
                return form
        # Parsed outside the lock: other forms are served meanwhile.
        form = load_form_json(definition)
        if (form.form_id, form.version) != (form_id, version):
            raise FormError(
                {
                    "_schema": [
                        f"The definition stored as {form_id} version {version}"
                        f" is {form.form_id} version {form.version}."
                    ]
                }
            )
        with self._lock:
            self._counts["parses"] += 1
            # Two threads may parse the same version at once: the first one kept wins, so
            # every caller gets the same object.
            form = self._forms.setdefault(key, form)
            self._forms.move_to_end(key)
            while len(self._forms) > self.size:
                self._forms.popitem(last=False)
                self._counts["evictions"] += 1
        return form

    def form_version(
        self,
        form_id: str,
        version: str,
        stored: str | None,
        builtins: dict[str, FormDefinition] | None = None,
    ) -> FormDefinition | None:
        """The rule for "which form is (form_id, version)": the `stored` definition of that
        version when there is one, else the built-in of that exact version, else None."""
        if stored is not None:
            return self.parsed(form_id, version, stored)
        builtin = (builtin_forms() if builtins is None else builtins).get(form_id)
        return builtin if builtin is not None and builtin.version == version else None

    def current_form(
        self,
        form_id: str,
        stored: Iterable[StoredVersion],
        definition: Callable[[str], str | None],
        builtins: dict[str, FormDefinition] | None = None,
    ) -> FormDefinition | None:
        """The rule for "the current version of a form": the newest of the `stored`
        versions (`newest_version`), its text read with `definition(version)`; else the
        built-in form; else None."""
        version = newest_version(stored)
        if version is not None:
            text = definition(version)
            if text is not None:
                return self.parsed(form_id, version, text)
        return (builtin_forms() if builtins is None else builtins).get(form_id)

    def stats(self) -> dict[str, int]:
        """Counters since start (or `clear`): lookups served from memory, parses, evictions,
        and how many forms are held now."""
        with self._lock:
            return dict(self._counts, size=len(self._forms), capacity=self.size)

    def clear(self) -> None:
        """Forget every parsed form and reset the counters."""
        with self._lock:
            self._forms.clear()
            self._counts = dict.fromkeys(self._counts, 0)


def newest_version(stored: Iterable[StoredVersion]) -> str | None:
    """The version stored last: the latest stored time; on the same time (both apps store
    it to the second), the greater version in natural order ("10" after "9")."""
    newest = max(stored, key=lambda item: (item[1], version_order(item[0])), default=None)
    return newest[0] if newest is not None else None


def version_order(version: str) -> tuple:
    """A sort key comparing versions part by part, numbers as numbers: 2 < 10 < 10a."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in re.findall(r"\d+|\D+", version)
    )


# The one catalogue of this process, shared by every page, thread and command.
CATALOGUE = FormCatalogue()
form_version = CATALOGUE.form_version
current_form = CATALOGUE.current_form
stats = CATALOGUE.stats
