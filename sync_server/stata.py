"""A streaming writer of Stata .dta files, format 118 (Stata 14 and later, UTF-8).

Written from the format's published description with the standard library only, so the
export needs neither pandas nor a C extension, and memory stays flat: rows are packed
and written in chunks of about a megabyte, whatever the number of rows.

Format choices:
- Byte order little-endian ("LSF"); every text (names, labels, values) is UTF-8.
- Every number is a `double` (type 65526): one type holds both the integer codes and
  the decimals of a survey without a first pass over the values to pick a smaller
  type. None, NaN, infinities and numbers too large for Stata (2**1023 and up is
  Stata's missing-value range) are written as Stata's system missing ".".
- A string variable whose widest value is at most 2,045 bytes is a fixed `str#`
  (type # = width, values padded with binary zeros). Wider ones are `strL`: the data
  section holds an 8-byte (v, o) reference (variable, observation) and the text goes
  in a GSO record in the <strls> section after <data>. An empty strL is (0, 0), which
  the format defines as "" without a GSO. GSOs are written to a temporary file while
  the rows are written, then copied in after </data>, so long texts never pile up in
  memory either.
- The <map> of section offsets is written as a placeholder first and filled in at the
  end, once every offset is known; hence `out` must be able to seek and tell.
"""

from __future__ import annotations

import shutil
import struct
import tempfile
import time
from collections.abc import Callable, Iterable
from operator import gt, itemgetter
from typing import BinaryIO

from .variables import Variable

__all__ = ["write_dta"]

MAX_VARIABLES = 32_767  # beyond that Stata writes format 119
MAX_STR_WIDTH = 2_045  # widest fixed str#; wider strings are strLs
TYPE_DOUBLE = 65_526
TYPE_STRL = 32_768
GSO_TEXT = 130  # GSO holding a null-terminated string; its length counts the null
MISSING = 2.0**1023  # bit pattern 0x7FE0000000000000: Stata's system missing "."
NEGATIVE_INFINITY = float("-inf")
LABEL_CODE_RANGE = (-2_147_483_647, 2_147_483_620)  # Stata's nonmissing 4-byte ints

# Field sizes of format 118, in bytes: 32 or 80 characters of up to 4 bytes, plus a null.
NAME_BYTES = 129
FORMAT_BYTES = 57
VARIABLE_LABEL_BYTES = 321
DATASET_LABEL_CHARS = 80
VALUE_LABEL_BYTES = 32_000  # Stata ignores longer value labels
CHUNK_BYTES = 1 << 20  # packed rows gathered before each write
CHUNK_MAX_ROWS = 1_000

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
GSO_HEADER = struct.Struct("<3sIQBI")  # "GSO", v, o, type, length
MAP_ENTRIES = 14


def write_dta(
    out: BinaryIO, variables: list[Variable], rows: Iterable[list], count: int, label: str = ""
) -> None:
    """Write a .dta (format 118) to `out`, a binary file opened for writing that can seek and tell.
    `rows` yields exactly `count` lists, each with one value per variable in order:
    numeric -> int | float | None (None = Stata's system missing "."), string -> str (None
    allowed, written as "").
    """
    layout = _Layout(variables)
    if not isinstance(count, int) or count < 0:
        raise ValueError(f"count must be a whole number of rows, not {count!r}")
    start = out.tell()
    offsets = [0]  # <stata_dta> opens the file

    def mark() -> None:
        offsets.append(out.tell() - start)

    out.write(b"<stata_dta>")
    out.write(_header(len(variables), count, label))
    mark()
    out.write(_tagged(b"map", bytes(8 * MAP_ENTRIES)))
    for tag, body in layout.descriptors():
        mark()
        out.write(_tagged(tag, body))
    mark()
    with tempfile.TemporaryFile() as strls:
        out.write(b"<data>")
        _RowWriter(layout, out, strls).write_all(rows, count)
        out.write(b"</data>")
        mark()
        out.write(b"<strls>")
        strls.seek(0)
        shutil.copyfileobj(strls, out)
        out.write(b"</strls>")
    mark()
    out.write(_tagged(b"value_labels", layout.value_labels()))
    mark()
    out.write(b"</stata_dta>")
    mark()
    end = out.tell()
    out.seek(start + offsets[1] + len(b"<map>"))
    out.write(struct.pack(f"<{MAP_ENTRIES}Q", *offsets))
    out.seek(end)


# -- header and descriptors -------------------------------------------------------------


def _tagged(tag: bytes, body: bytes) -> bytes:
    return b"<" + tag + b">" + body + b"</" + tag + b">"


def _header(k: int, n: int, label: str) -> bytes:
    text = label[:DATASET_LABEL_CHARS].encode("utf-8")
    return _tagged(
        b"header",
        b"".join(
            (
                _tagged(b"release", b"118"),
                _tagged(b"byteorder", b"LSF"),
                _tagged(b"K", struct.pack("<H", k)),
                _tagged(b"N", struct.pack("<Q", n)),
                _tagged(b"label", struct.pack("<H", len(text)) + text),
                _tagged(b"timestamp", _timestamp()),
            )
        ),
    )


def _timestamp() -> bytes:
    """ "dd Mon yyyy hh:mm" with English months whatever the locale, length-prefixed."""
    now = time.localtime()
    text = (
        f"{now.tm_mday:02d} {MONTHS[now.tm_mon - 1]} {now.tm_year:04d} "
        f"{now.tm_hour:02d}:{now.tm_min:02d}"
    ).encode("ascii")
    return bytes([len(text)]) + text


def _field(text: str, size: int) -> bytes:
    """UTF-8 text null-padded to a fixed field, cut (never inside a character) so that
    at least one null terminates it."""
    data = _clip_utf8(text, size - 1)
    return data + bytes(size - len(data))


def _clip_utf8(text: str, limit: int) -> bytes:
    data = text.encode("utf-8")
    if len(data) > limit:
        data = data[:limit].decode("utf-8", "ignore").encode("utf-8")
    return data


def _display_format(variable: Variable) -> str:
    if variable.numeric:
        # %12.0g shows whole numbers up to 12 digits (ids, phone numbers) unrounded.
        return "%12.0g" if variable.integer else "%10.0g"
    if variable.width > MAX_STR_WIDTH:
        return "%9s"
    return f"%{max(9, variable.width)}s"


class _Layout:
    """What the variables decide once for the whole file: types, descriptors, row shape."""

    def __init__(self, variables: list[Variable]):
        if len(variables) > MAX_VARIABLES:
            raise ValueError(
                f"{len(variables)} variables: format 118 holds at most {MAX_VARIABLES}"
            )
        self.variables = list(variables)
        for variable in self.variables:
            _check_variable(variable)
        self.numeric = [i for i, v in enumerate(self.variables) if v.numeric]
        self.fixed = [i for i, v in enumerate(self.variables) if 0 < v.width <= MAX_STR_WIDTH]
        self.strl = [i for i, v in enumerate(self.variables) if v.width > MAX_STR_WIDTH]
        self.labelled = [v for v in self.variables if v.numeric and v.value_labels]

    def type_code(self, variable: Variable) -> int:
        if variable.numeric:
            return TYPE_DOUBLE
        return TYPE_STRL if variable.width > MAX_STR_WIDTH else variable.width

    def row_struct(self) -> struct.Struct:
        """One struct for a whole observation, in variable order: 8 bytes per double,
        # bytes per str#, and the (v, o) of a strL as one 8-byte integer (v in its low
        2 bytes, o in the 6 above: little-endian, that is v's 2 bytes then o's 6)."""
        parts = {TYPE_DOUBLE: "d", TYPE_STRL: "Q"}
        codes = (self.type_code(v) for v in self.variables)
        return struct.Struct("<" + "".join(parts.get(c) or f"{c}s" for c in codes))

    def descriptors(self) -> list[tuple[bytes, bytes]]:
        k = len(self.variables)
        return [
            (
                b"variable_types",
                struct.pack(f"<{k}H", *(self.type_code(v) for v in self.variables)),
            ),
            (b"varnames", b"".join(_name(v.name) for v in self.variables)),
            (b"sortlist", bytes(2 * (k + 1))),  # not sorted: K+1 zero entries
            (
                b"formats",
                b"".join(_field(_display_format(v), FORMAT_BYTES) for v in self.variables),
            ),
            (
                b"value_label_names",
                b"".join(
                    _name(v.name if v.numeric and v.value_labels else "") for v in self.variables
                ),
            ),
            (
                b"variable_labels",
                b"".join(_field(v.label, VARIABLE_LABEL_BYTES) for v in self.variables),
            ),
            (b"characteristics", b""),
        ]

    def value_labels(self) -> bytes:
        """One label set per labelled numeric variable, named after the variable."""
        return b"".join(_label_set(v) for v in self.labelled)


def _check_variable(variable: Variable) -> None:
    if not isinstance(variable.width, int) or variable.width < 0:
        raise ValueError(
            f"variable {variable.name!r}: width must be 0 (numeric) or a "
            f"number of bytes, not {variable.width!r}"
        )
    if not variable.name or len(variable.name.encode("utf-8")) >= NAME_BYTES:
        raise ValueError(f"variable name {variable.name!r} does not fit a Stata name")


def _name(name: str) -> bytes:
    return _field(name, NAME_BYTES)


def _label_set(variable: Variable) -> bytes:
    """<lbl>: table length, name, 3 padding bytes, then n, txtlen, off[], val[], txt[]
    with val[] in ascending order as Stata requires."""
    entries = sorted(
        (_label_code(variable, code), _clip_utf8(str(text), VALUE_LABEL_BYTES))
        for code, text in variable.value_labels.items()
    )
    offsets, position = [], 0
    for _, text in entries:
        offsets.append(position)
        position += len(text) + 1
    n = len(entries)
    table = struct.pack(f"<ii{n}i{n}i", n, position, *offsets, *(c for c, _ in entries)) + b"".join(
        text + b"\0" for _, text in entries
    )
    return _tagged(b"lbl", struct.pack("<i", len(table)) + _name(variable.name) + bytes(3) + table)


def _label_code(variable: Variable, code) -> int:
    low, high = LABEL_CODE_RANGE
    if isinstance(code, bool) or not isinstance(code, int) or not low <= code <= high:
        raise ValueError(
            f"variable {variable.name!r}: value label code {code!r} is not "
            f"a whole number from {low} to {high}"
        )
    return code


# -- data and strLs --------------------------------------------------------------------


def _picker(indexes: list[int]) -> Callable[[list], tuple]:
    """itemgetter that always returns a tuple, even for zero or one index."""
    if not indexes:
        return lambda row: ()
    if len(indexes) == 1:
        index = indexes[0]
        return lambda row: (row[index],)
    return itemgetter(*indexes)


class _RowWriter:
    """Packs observations, writes them to `out` in chunks and their strLs to `strls`.

    Each row is taken apart by kind with C-speed itemgetters (numbers, str#, strL),
    each kind converted by one comprehension, and the parts put back in variable order
    by one more itemgetter, so one precompiled struct packs the whole observation."""

    def __init__(self, layout: _Layout, out: BinaryIO, strls: BinaryIO):
        self.layout, self.out, self.strls = layout, out, strls
        self.width = len(layout.variables)
        self.numbers = _picker(layout.numeric)
        self.fixed = _picker(layout.fixed)
        self.fixed_widths = [layout.variables[i].width for i in layout.fixed]
        self.strl = [(i, i + 1, layout.variables[i].width) for i in layout.strl]
        gathered = layout.numeric + layout.fixed + layout.strl
        position = {variable: at for at, variable in enumerate(gathered)}
        self.in_order = _picker([position[i] for i in range(self.width)])
        self.row_struct = layout.row_struct()
        # ~1 MB per write, so rows of many wide str# cannot make a chunk huge.
        per_chunk = CHUNK_BYTES // max(1, self.row_struct.size)
        self.chunk_rows = max(1, min(CHUNK_MAX_ROWS, per_chunk))

    def write_all(self, rows: Iterable[list], count: int) -> None:
        chunk: list[bytes] = []
        written = 0
        for written, row in enumerate(rows, 1):
            if written > count:
                raise ValueError(f"rows yielded more than the {count} rows announced")
            chunk.append(self.pack(row, written))
            if len(chunk) == self.chunk_rows:
                self.out.write(b"".join(chunk))
                chunk.clear()
        self.out.write(b"".join(chunk))
        if written != count:
            raise ValueError(f"rows yielded {written} rows, but {count} were announced")

    def pack(self, row: list, o: int) -> bytes:
        if len(row) != self.width:
            raise ValueError(f"row {o} has {len(row)} values for {self.width} variables")
        try:
            # Anything outside (-inf, 2**1023) -- None, NaN, infinities, numbers in
            # Stata's missing range -- becomes ".": one chained comparison covers all.
            numbers = [
                MISSING if x is None or not NEGATIVE_INFINITY < x < MISSING else x
                for x in self.numbers(row)
            ]
            texts = [b"" if x is None else x.encode("utf-8") for x in self.fixed(row)]
        except (TypeError, AttributeError, UnicodeEncodeError):
            raise self._diagnose(row, o) from None
        if any(map(gt, map(len, texts), self.fixed_widths)):
            raise self._diagnose(row, o)
        refs = [self._strl(row[i], v, o, width) for i, v, width in self.strl]
        try:
            return self.row_struct.pack(*self.in_order(numbers + texts + refs))
        except (struct.error, TypeError, ValueError, OverflowError):
            raise self._diagnose(row, o) from None

    def _strl(self, value: str | None, v: int, o: int, width: int) -> int:
        """Write the GSO of variable v, observation o; return its (v, o) as one integer."""
        if value is None or value == "":
            return 0  # (0, 0): the format's own "", no GSO
        if not isinstance(value, str):
            raise self._not_text(v - 1, value, o)
        try:
            data = value.encode("utf-8")
        except UnicodeEncodeError as error:
            raise self._not_utf8(v - 1, error, o) from None
        if len(data) > width:
            raise self._too_long(v - 1, len(data), o)
        self.strls.write(GSO_HEADER.pack(b"GSO", v, o, GSO_TEXT, len(data) + 1))
        self.strls.write(data)
        self.strls.write(b"\0")
        return v | o << 16

    def _diagnose(self, row: list, o: int) -> ValueError:
        """The precise error for a row the fast path refused, naming the variable."""
        for i, variable in enumerate(self.layout.variables):
            value = row[i]
            if value is None:
                continue
            if variable.numeric:
                if not _is_number(value):
                    return ValueError(
                        f"row {o}, variable {variable.name!r}: expected a "
                        f"number or None, got {value!r:.100}"
                    )
            elif not isinstance(value, str):
                return self._not_text(i, value, o)
            else:
                try:
                    size = len(value.encode("utf-8"))
                except UnicodeEncodeError as error:
                    return self._not_utf8(i, error, o)
                if size > variable.width:
                    return self._too_long(i, size, o)
        return ValueError(f"row {o}: values cannot be written: {row!r:.200}")

    def _not_text(self, i: int, value, o: int) -> ValueError:
        name = self.layout.variables[i].name
        return ValueError(
            f"row {o}, variable {name!r}: expected a string or None, got {value!r:.100}"
        )

    def _not_utf8(self, i: int, error: UnicodeEncodeError, o: int) -> ValueError:
        name = self.layout.variables[i].name
        return ValueError(
            f"row {o}, variable {name!r}: text that cannot be written as UTF-8 ({error.reason})"
        )

    def _too_long(self, i: int, size: int, o: int) -> ValueError:
        variable = self.layout.variables[i]
        return ValueError(
            f"row {o}, variable {variable.name!r}: a value of {size} bytes "
            f"is longer than the declared width of {variable.width}"
        )


def _is_number(value) -> bool:
    """What the fast path takes as a number: comparable with floats, packable as one."""
    try:
        return not NEGATIVE_INFINITY < value < MISSING or bool(struct.pack("<d", value))
    except (struct.error, TypeError, OverflowError):
        return False
