"""Parquet exports for analysts (pandas, R's arrow, DuckDB, Spark): typed columns, labels kept.

The columns are the export's columns (`sync_server.exports.columns_for`): the same names, in
the same order, as CSV and Stata. What Parquet adds is a type per column and the labels
inside the file:

- `_revision`, `_index`, repeat counts, integer and range questions: int64; decimal
  questions and calculations that give fractions: float64 (a calculation starts as int64);
- `_collected_at` and date questions kept as they are: date32; datetime questions:
  timestamp (milliseconds, no time zone, as the interview gave it); `_received_at`:
  timestamp in UTC;
- select_one: dictionary-encoded strings holding the choice code (pandas reads a
  Categorical, R a factor); the dictionary lists every choice of every version, in the
  Stata code order, so a choice nobody picked is still a category;
- a select_multiple's space-separated column is a string, each of its choice columns
  (`grounds/religion`) a boolean;
- everything else (text, times of day "HH:MM", generalized values) a string.

A column whose stored values do not fit its type becomes the next wider type for the whole
file: int64 -> float64 -> string, and a date or timestamp -> string. This is what a
disclosure-checked release does to a key variable it generalizes (an age band "30-34", a
month "2026-11") and what an old form version's text does to a number column; nothing is
lost or turned into a missing value.

Labels: every column carries field metadata `label` (in the export's language), `labels`
(JSON: language -> label) and `kind`; a select_one column also `value_labels` (JSON:
language -> {choice code -> label}) and a choice column `choice`. The schema metadata
`form` (JSON) holds the whole table's labels: form id, title, versions, table, languages
and each column's labels.

Memory stays flat: rows are converted BATCH_ROWS at a time into Arrow arrays, and written as
row groups of ROW_GROUP_ROWS rows. Each table is written to an anonymous temporary file
first (so that a widened column can rewrite what is already written) and then copied out.
A form's download is a ZIP of `<form>.parquet` plus `<form>-<repeat>.parquet` per repeat,
all written in one pass over the records; a single repeat's table is one .parquet file.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from itertools import islice
from typing import IO, BinaryIO, cast

import pyarrow as pa
import pyarrow.parquet as pq

from .exports import Column, _cells, _Flushable, _label_text, instances, kind_name

__all__ = ["write_table", "write_zip"]

BATCH_ROWS = 5_000  # rows converted to Arrow at a time
ROW_GROUP_ROWS = 50_000  # rows per Parquet row group
COMPRESSION = "zstd"
MISFITS = (
    pa.ArrowInvalid,
    pa.ArrowTypeError,
    pa.ArrowNotImplementedError,
    TypeError,
    ValueError,
    OverflowError,
)


# -- Column types ------------------------------------------------------------------------


class _Kind:
    """An Arrow type and how a batch of stored values becomes an array of it."""

    wider: str | None = None  # the kind a misfit value turns the column into

    def __init__(self, arrow_type: pa.DataType):
        self.type = arrow_type

    def array(self, values) -> pa.Array:
        return pa.array(values, self.type)


class _Text(_Kind):
    def __init__(self):
        super().__init__(pa.string())

    def array(self, values) -> pa.Array:
        try:
            return pa.array(values, pa.string())
        except MISFITS:  # a number or a list in a text column: written as CSV writes it
            return pa.array(
                [v if v is None or v.__class__ is str else str(v) for v in values], pa.string()
            )


class _Integer(_Kind):
    """int64, strictly: Arrow would cut 6.5 to 6 when told the type, so the type of the
    values is inferred and anything but whole numbers is a misfit."""

    wider = "float"

    def __init__(self):
        super().__init__(pa.int64())

    def array(self, values) -> pa.Array:
        found = pa.array(values)
        if not (pa.types.is_integer(found.type) or pa.types.is_null(found.type)):
            raise TypeError(f"not whole numbers: {found.type}")
        return found.cast(pa.int64())


class _Float(_Kind):
    """float64 from numbers only (Arrow, told the type, would take True as 1.0)."""

    wider = "text"

    def __init__(self):
        super().__init__(pa.float64())

    def array(self, values) -> pa.Array:
        found = pa.array(values)
        if not (
            pa.types.is_integer(found.type)
            or pa.types.is_floating(found.type)
            or pa.types.is_null(found.type)
        ):
            raise TypeError(f"not numbers: {found.type}")
        return found.cast(pa.float64())


class _Parsed(_Kind):
    """Dates and timestamps, parsed from their stored ISO text by Arrow."""

    wider = "text"

    def array(self, values) -> pa.Array:
        return pa.array(values, pa.string()).cast(self.type)


class _Boolean(_Kind):
    """A select_multiple's choice column: exports give 0/1, or None when unanswered."""

    def __init__(self):
        super().__init__(pa.bool_())

    def array(self, values) -> pa.Array:
        return pa.array([None if v is None else v == 1 for v in values], pa.bool_())


class _Codes(_Kind):
    """select_one: dictionary-encoded choice codes; values outside the list are appended."""

    def __init__(self, choices: Iterable[str]):
        super().__init__(pa.dictionary(pa.int32(), pa.string()))
        self.codes = {name: index for index, name in enumerate(choices)}

    def array(self, values) -> pa.Array:
        codes = self.codes
        indices: list[int | None] = []
        for value in values:
            if value is None:
                indices.append(None)
                continue
            key = value if value.__class__ is str else str(value)
            index = codes.get(key)
            if index is None:
                index = codes[key] = len(codes)
            indices.append(index)
        return pa.DictionaryArray.from_arrays(
            pa.array(indices, pa.int32()), pa.array(list(codes), pa.string())
        )


def _kind(name: str, choices=()) -> _Kind:
    if name == "int":
        return _Integer()
    if name == "float":
        return _Float()
    if name == "date":
        return _Parsed(pa.date32())
    if name == "datetime":
        return _Parsed(pa.timestamp("ms"))
    if name == "utc":
        return _Parsed(pa.timestamp("ms", tz="UTC"))
    if name == "bool":
        return _Boolean()
    if name == "codes":
        return _Codes(choices)
    return _Text()


# -- Labels --------------------------------------------------------------------------------


def languages(forms) -> list[str]:
    """Every language a text of the form is given in, over its versions."""
    found = {code for form in forms for text in form.texts() for code in text}
    return sorted(found) or ["en"]


def _labels(label: dict, langs: list[str]) -> dict:
    return {code: _label_text(label, code) for code in langs}


def column_labels(column: Column, langs: list[str]) -> dict:
    """A column's labels as the metadata holds them."""
    found = {"name": column.name, "kind": column.kind, "label": _labels(column.label, langs)}
    if column.kind == "code":
        found["value_labels"] = {
            code: {name: _label_text(label, code) for name, label in column.choices}
            for code in langs
        }
    if column.choice is not None:
        found["choice"] = column.choice
    return found


def _field_metadata(labels: dict, lang: str) -> dict:
    meta = {
        b"label": _label_text(labels["label"], lang).encode("utf-8"),
        b"labels": json.dumps(labels["label"], ensure_ascii=False).encode("utf-8"),
        b"kind": labels["kind"].encode("utf-8"),
    }
    if "value_labels" in labels:
        meta[b"value_labels"] = json.dumps(labels["value_labels"], ensure_ascii=False).encode(
            "utf-8"
        )
    if "choice" in labels:
        meta[b"choice"] = labels["choice"].encode("utf-8")
    return meta


# -- Writing -------------------------------------------------------------------------------


class TableWriter:
    """One table's Parquet file, written batch by batch to a temporary file."""

    def __init__(self, columns: list[Column], forms, lang: str, table: str | None, released: bool):
        langs = languages(forms)
        self.columns = columns
        self.kinds = [_kind(kind_name(c, forms), [name for name, _ in c.choices]) for c in columns]
        labels = [column_labels(c, langs) for c in columns]
        self.field_meta = [_field_metadata(item, lang) for item in labels]
        newest = forms[-1]
        self.schema_meta = {
            b"form": json.dumps(
                {
                    "form_id": newest.form_id,
                    "title": _labels(newest.data["title"], langs),
                    "versions": [form.version for form in forms],
                    "table": table or "records",
                    "language": lang,
                    "languages": langs,
                    "disclosure_checked": released,
                    "columns": labels,
                },
                ensure_ascii=False,
            ).encode("utf-8")
        }
        self.file = tempfile.TemporaryFile(prefix="export-", suffix=".parquet")
        self.writer: pq.ParquetWriter | None = None
        self._schema: pa.Schema | None = None
        self.pending: list[pa.RecordBatch] = []
        self.pending_rows = 0
        self.count = 0

    def schema(self) -> pa.Schema:
        if self._schema is None:
            self._schema = pa.schema(
                [
                    pa.field(c.name, kind.type, metadata=meta)
                    for c, kind, meta in zip(self.columns, self.kinds, self.field_meta, strict=True)
                ],
                metadata=self.schema_meta,
            )
        return self._schema

    def add(self, rows: list[dict]) -> None:
        """Convert a batch of stored rows (of this table) and queue it for a row group."""
        cells = list(_cells(rows, self.columns))
        if not cells:
            return
        self.count += len(cells)
        arrays = []
        for i, values in enumerate(zip(*cells, strict=True)):
            while True:
                try:
                    arrays.append(self.kinds[i].array(values))
                    break
                except MISFITS:
                    self._widen(i)
        self.pending.append(pa.RecordBatch.from_arrays(arrays, schema=self.schema()))
        self.pending_rows += len(cells)
        if self.pending_rows >= ROW_GROUP_ROWS:
            self._flush()

    def _widen(self, i: int) -> None:
        """A value does not fit column i: the whole column takes the wider type."""
        wider = self.kinds[i].wider
        if wider is None:
            raise ValueError(f"column {self.columns[i].name!r}: a value fits no type")
        self.kinds[i] = _kind(wider)
        self._schema = None
        schema = self.schema()
        self.pending = [batch.cast(schema) for batch in self.pending]
        if self.writer is not None:
            self._rewrite(schema)

    def _rewrite(self, schema: pa.Schema) -> None:
        """Rewrite the row groups already written with the new schema (rare: a misfit
        value met after the first ROW_GROUP_ROWS rows)."""
        assert self.writer is not None  # _widen rewrites only once something was written
        self.writer.close()
        old, self.file = self.file, tempfile.TemporaryFile(prefix="export-", suffix=".parquet")
        try:
            old.seek(0)
            reader = pq.ParquetFile(old)
            self.writer = self._open(schema)
            for index in range(reader.num_row_groups):
                self.writer.write_table(
                    reader.read_row_group(index).cast(schema), row_group_size=ROW_GROUP_ROWS
                )
        finally:
            old.close()

    def _open(self, schema: pa.Schema) -> pq.ParquetWriter:
        return pq.ParquetWriter(self.file, schema, compression=COMPRESSION)

    def _flush(self) -> None:
        schema = self.schema()
        if self.writer is None:
            self.writer = self._open(schema)
        if self.pending:
            self.writer.write_table(
                pa.Table.from_batches(self.pending, schema), row_group_size=ROW_GROUP_ROWS
            )
        self.pending, self.pending_rows = [], 0

    def finish(self, out: IO[bytes]) -> int:
        """Write the rest, close the file and copy it to `out`; the number of rows."""
        self._flush()
        assert self.writer is not None  # _flush has opened it
        self.writer.close()
        self.file.seek(0)
        shutil.copyfileobj(self.file, out)
        return self.count

    def close(self) -> None:
        if self.writer is not None and self.writer.is_open:
            self.writer.close()
        self.file.close()


def _batches(rows: Iterable[dict]):
    rows = iter(rows)
    while batch := list(islice(rows, BATCH_ROWS)):
        yield batch


def write_table(
    rows: Iterable[dict],
    columns: list[Column],
    out: BinaryIO,
    lang: str,
    *,
    forms,
    table: str | None = None,
    released: bool = False,
) -> int:
    """One table (the records, or a repeat's instances as `exports.instances` gives them)
    as one Parquet file written to `out`; the number of rows."""
    writer = TableWriter(columns, forms, lang, table, released)
    try:
        for batch in _batches(rows):
            writer.add(batch)
        return writer.finish(out)
    finally:
        writer.close()


def write_zip(
    rows: Iterable[dict],
    tables: list[tuple],
    out: BinaryIO,
    lang: str,
    *,
    forms,
    released: bool = False,
) -> int:
    """Every table of a form in one pass over `rows`, as a ZIP of Parquet files.

    `tables`: (file name, columns, repeat name or None for the records), records first.
    Returns the number of records. Parquet is compressed already: the ZIP only stores."""
    writers = [
        (name, repeat, TableWriter(columns, forms, lang, repeat, released))
        for name, columns, repeat in tables
    ]
    try:
        for batch in _batches(rows):
            for _, repeat, writer in writers:
                writer.add(batch if repeat is None else list(instances(batch, repeat, forms)))
        # cast: typeshed also asks for close(), which ZipFile never calls on a file it is given.
        sink = out if hasattr(out, "flush") else cast(BinaryIO, _Flushable(out))
        with zipfile.ZipFile(sink, "w", zipfile.ZIP_STORED) as bundle:
            for name, _, writer in writers:
                with bundle.open(name, "w", force_zip64=True) as member:
                    writer.finish(member)
        return writers[0][2].count
    finally:
        for _, _, writer in writers:
            writer.close()
