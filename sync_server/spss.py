"""A streaming writer of SPSS system files (.sav), standard library only.

`write_sav` writes the dictionary (header and variable records), then the rows as they
come, so memory stays flat however many rows there are: rows are compressed into a
buffer that is written out every few hundred rows (fewer for very wide rows) and
emptied. The format follows the "System File Format" appendix of the PSPP developers'
guide, the best public description of what SPSS itself writes.

Choices:
- UTF-8 throughout: the machine integer info record says code page 65001 and the
  character encoding record says "UTF-8", so SPSS (in Unicode mode), PSPP, ReadStat and
  pandas read Arabic, Swahili or accented text as written. Widths are UTF-8 bytes.
- Bytecode compression (compression 1, bias 100), as SPSS writes by default: every
  8-byte unit of a case becomes one opcode (a small whole number, an all-spaces
  string unit, system missing) or opcode 253 followed by the raw 8 bytes, opcodes in
  groups of 8 each followed by its raw units. Survey data (codes 1..n, 0/1 dummies,
  short texts, blanks) shrinks to a fraction of its uncompressed size. The opcode
  stream runs on across cases, as SPSS writes it; the last group is padded with 0.
- Names: every variable record needs a unique 8-byte upper-case short name; the long
  variable names record maps each back to its name as given (up to 64 characters,
  case kept). Short names are the name's first 8 characters, upper-cased, with a
  numeric suffix on a clash.
- Very long strings (wider than 255 bytes) are, as SPSS stores them, a chain of
  segment variables: every segment but the last is 255 wide, the last
  `width - 252 * (segments - 1)` wide, one segment per 252 bytes of width. The value
  is packed 255 bytes to a segment; the very long string record tells readers to glue
  the segments back into one variable of the true width.
- A string's trailing spaces cannot be told from its padding: readers strip them.
- Errors (a row of the wrong length, a value that does not fit its variable, fewer or
  more rows than `count`) raise ValueError naming the row and variable; the file is
  then incomplete and should be discarded.
"""

from __future__ import annotations

import math
import numbers
import struct
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO, NamedTuple

from .variables import Variable

__all__ = ["write_sav"]

PRODUCT = b"@(#) SPSS DATA FILE - community-feedback-collector sync_server"
BIAS = 100
SYSMIS = -sys.float_info.max
HIGHEST = sys.float_info.max
LOWEST = math.nextafter(-sys.float_info.max, 0.0)  # -max itself is SYSMIS
UTF8_CODE_PAGE = 65001

# Compression opcodes (PSPP guide, "Data Record").
PAD, RAW, SPACES, MISSING = 0, 253, 254, 255
SMALLEST, LARGEST = 1 - BIAS, 251 - BIAS  # whole numbers an opcode can hold

MAX_SHORT_STRING = 255  # widest string one variable record can describe
SEGMENT_WIDTH = 252  # width each segment of a very long string accounts for
SEGMENT_DATA = 255  # bytes of the value each full segment actually holds
MAX_STRING = 32_767

# Print/write formats: (type << 16) | (width << 8) | decimals; type 5 is F, 1 is A.
FORMAT_F, FORMAT_A = 5, 1
INTEGER_FORMAT = (11, 0)  # F11.0: any 32-bit integer (phone numbers, ids) shows whole
DECIMAL_FORMAT = (11, 2)  # F11.2
MEASURE_NOMINAL, MEASURE_SCALE = 1, 3
ALIGN_LEFT, ALIGN_RIGHT = 0, 1
MAX_DISPLAY_COLUMNS = 50  # a 20,000-byte answer should not make a screen-wide column

ROW_CHUNK = 1000  # rows compressed before each write
CHUNK_UNITS = 1 << 17  # ... fewer when rows are wide: ~1 MB of case data at most

RESERVED = {
    "ALL",
    "AND",
    "BY",
    "EQ",
    "GE",
    "GT",
    "LE",
    "LT",
    "NE",
    "NOT",
    "OR",
    "TO",
    "WITH",
}  # SPSS keywords that can never be variable names

# The header's date is "dd Mon yy" in English whatever the locale, so no strftime %b.
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
SPACES8 = b" " * 8
_PADDING = [b" " * n for n in range(8)]  # spaces to fill a string's last unit
_pack_double = struct.Struct("<d").pack


@dataclass(frozen=True)
class _Segment:
    """One physical variable of the file: a whole variable, or one piece of a very
    long string. `width` 0 is numeric; `units` is its size in 8-byte case units."""

    short_name: str
    width: int

    @property
    def units(self) -> int:
        return 1 if self.width == 0 else (self.width + 7) // 8


@dataclass(frozen=True)
class _Column:
    """A variable as the file lays it out: its segments and where its records start."""

    variable: Variable
    segments: tuple[_Segment, ...]
    index: int  # 1-based dictionary index of its first variable record

    @property
    def units(self) -> int:
        return sum(segment.units for segment in self.segments)


def write_sav(
    out: BinaryIO, variables: list[Variable], rows: Iterable[list], count: int, label: str = ""
) -> None:
    """Write a .sav to `out` (binary, writable; may seek and tell).
    `rows` yields exactly `count` lists, one value per variable in order:
    numeric -> int | float | None (None = system missing), string -> str (None allowed,
    written as "").
    """
    columns = _layout(variables)
    case_units = sum(column.units for column in columns)
    out.write(_dictionary(columns, case_units, count, label))
    _write_data(out, columns, case_units, rows, count)


# -- Dictionary ---------------------------------------------------------------------


def _layout(variables: list[Variable]) -> list[_Column]:
    """Segments, short names and dictionary indices of every variable."""
    if not variables:
        raise ValueError("an SPSS file needs at least one variable")
    for variable in variables:
        if not 0 <= variable.width <= MAX_STRING:
            raise ValueError(
                f"variable {variable.name!r}: width {variable.width} is not "
                f"between 0 and {MAX_STRING} bytes"
            )
    names = _ShortNames()
    # Every variable's own short name first, so that segment names never take the
    # plain prefix a later variable would have had.
    shorts = [names.claim(_clip(variable.name.upper(), 8)) for variable in variables]
    columns, index = [], 1
    for variable, short in zip(variables, shorts, strict=True):
        widths = _segment_widths(variable.width)
        segment_names = [short] + [names.claim(short) for _ in widths[1:]]
        column = _Column(variable, tuple(map(_Segment, segment_names, widths)), index)
        columns.append(column)
        index += column.units
    return columns


def _segment_widths(width: int) -> list[int]:
    """The widths of the variables that store one of the given width (PSPP guide,
    "Very Long String Record")."""
    if width <= MAX_SHORT_STRING:
        return [width]
    count = (width + SEGMENT_WIDTH - 1) // SEGMENT_WIDTH
    return [MAX_SHORT_STRING] * (count - 1) + [width - SEGMENT_WIDTH * (count - 1)]


class _ShortNames:
    """Unique 8-byte short names: a stem itself, or on a clash the stem cut short and
    numbered. Remembers the last number tried per stem, so that a thousand names
    sharing their first 8 characters cost a thousand tries, not half a million."""

    def __init__(self):
        self.taken: set[str] = set()
        self.numbers: dict[str, int] = {}

    def claim(self, stem: str) -> str:
        name, number = stem, self.numbers.get(stem, 0)
        while name in self.taken or name in RESERVED:
            number += 1
            suffix = str(number)
            name = _clip(stem, 8 - len(suffix)) + suffix
        self.numbers[stem] = number
        self.taken.add(name)
        return name


def _clip(text: str, size: int) -> str:
    """`text` cut to `size` UTF-8 bytes, never inside a character."""
    return text.encode("utf-8")[:size].decode("utf-8", "ignore")


def _dictionary(columns: list[_Column], case_units: int, count: int, label: str) -> bytes:
    out = bytearray(_header(case_units, count, label))
    for column in columns:
        out += _variable_records(column)
    for column in columns:
        out += _value_label_records(column)
    out += _integer_info() + _float_info() + _display_parameters(columns)
    out += _long_names(columns) + _very_long_strings(columns)
    out += _extension(16, 8, struct.pack("<qq", 1, count))  # 64-bit case count
    out += _extension(20, 1, b"UTF-8")
    out += struct.pack("<ii", 999, 0)  # dictionary termination
    return bytes(out)


def _header(case_units: int, count: int, label: str) -> bytes:
    now = time.localtime()
    return b"".join(
        [
            b"$FL2",
            PRODUCT[:60].ljust(60),
            struct.pack("<iiiii", 2, case_units, 1, 0, count if count < 2**31 else -1),
            struct.pack("<d", BIAS),
            f"{now.tm_mday:02d} {MONTHS[now.tm_mon - 1]} {now.tm_year % 100:02d}".encode(),
            time.strftime("%H:%M:%S", now).encode("ascii"),
            _padded(label, 64),
            b"\0" * 3,
        ]
    )


def _padded(text: str, size: int) -> bytes:
    return _clip(text, size).encode("utf-8").ljust(size)


def _variable_records(column: _Column) -> bytes:
    """Type 2 records: one per segment, each followed by a continuation record per
    further 8 bytes of its width."""
    out = bytearray()
    variable = column.variable
    for number, segment in enumerate(column.segments):
        label = _clip(variable.label, 256).encode("utf-8") if number == 0 else b""
        out += struct.pack(
            "<iiiiii",
            2,
            segment.width,
            1 if label else 0,
            0,
            *[_format(variable, segment, number)] * 2,
        )
        out += segment.short_name.encode("utf-8").ljust(8)
        if label:
            out += struct.pack("<i", len(label)) + label.ljust(-(-len(label) // 4) * 4, b" ")
        continuation = struct.pack("<iiiiii", 2, -1, 0, 0, 0, 0) + SPACES8
        out += continuation * (segment.units - 1)
    return bytes(out)


def _format(variable: Variable, segment: _Segment, number: int) -> int:
    if segment.width == 0:
        width, decimals = INTEGER_FORMAT if variable.integer else DECIMAL_FORMAT
        return FORMAT_F << 16 | width << 8 | decimals
    # The format's width has 8 bits: a very long string's first segment says A255,
    # as SPSS writes it; the true width is in the very long string record.
    width = min(variable.width, MAX_SHORT_STRING) if number == 0 else segment.width
    return FORMAT_A << 16 | width << 8


def _value_label_records(column: _Column) -> bytes:
    """A type 3 record (value, label pairs) and the type 4 record naming the variable."""
    labels = column.variable.value_labels
    if not labels or column.variable.width:
        return b""
    out = bytearray(struct.pack("<ii", 3, len(labels)))
    for code, text in labels.items():
        encoded = _clip(str(text), 120).encode("utf-8")
        # The length byte and the label together fill a multiple of 8 bytes.
        out += _pack_double(float(code)) + bytes([len(encoded)])
        out += encoded.ljust(-(-(len(encoded) + 1) // 8) * 8 - 1, b" ")
    out += struct.pack("<iii", 4, 1, column.index)
    return bytes(out)


def _extension(subtype: int, size: int, data: bytes) -> bytes:
    """A type 7 record: `data` is a run of items `size` bytes each."""
    return struct.pack("<iiii", 7, subtype, size, len(data) // size) + data


def _integer_info() -> bytes:
    # version 1.0.0, machine -1 (unknown), IEEE 754, compression 1, little-endian (2).
    return _extension(3, 4, struct.pack("<8i", 1, 0, 0, -1, 1, 1, 2, UTF8_CODE_PAGE))


def _float_info() -> bytes:
    return _extension(4, 8, struct.pack("<3d", SYSMIS, HIGHEST, LOWEST))


def _display_parameters(columns: list[_Column]) -> bytes:
    """Measure, display width and alignment: one triple per segment, as SPSS counts
    them (the record predates very long strings)."""
    values = []
    for column in columns:
        values += _display(column.variable) * len(column.segments)
    return _extension(11, 4, struct.pack(f"<{len(values)}i", *values))


def _display(variable: Variable) -> list[int]:
    if variable.width:
        return [MEASURE_NOMINAL, min(variable.width, MAX_DISPLAY_COLUMNS), ALIGN_LEFT]
    width = (INTEGER_FORMAT if variable.integer else DECIMAL_FORMAT)[0]
    measure = MEASURE_NOMINAL if variable.value_labels else MEASURE_SCALE
    return [measure, width, ALIGN_RIGHT]


def _long_names(columns: list[_Column]) -> bytes:
    pairs = (f"{column.segments[0].short_name}={column.variable.name}" for column in columns)
    return _extension(13, 1, "\t".join(pairs).encode("utf-8"))


def _very_long_strings(columns: list[_Column]) -> bytes:
    entries = [
        f"{column.segments[0].short_name}={column.variable.width:05d}\0\t"
        for column in columns
        if len(column.segments) > 1
    ]
    return _extension(14, 1, "".join(entries).encode("utf-8")) if entries else b""


# -- Data ---------------------------------------------------------------------------


def _write_data(
    out: BinaryIO, columns: list[_Column], case_units: int, rows: Iterable[list], count: int
) -> None:
    """Compress the rows chunk by chunk; only the current chunk is ever in memory."""
    widths = [column.variable.width for column in columns]
    plans = [_string_plan(column) for column in columns]
    chunk_rows = max(1, min(ROW_CHUNK, CHUNK_UNITS // case_units))
    ops, raw = bytearray(), bytearray()
    number = 0
    for number, row in enumerate(rows, 1):
        if number > count:
            raise ValueError(f"rows: more than the {count} rows announced")
        if len(row) != len(columns):
            raise ValueError(f"row {number}: {len(row)} values for {len(columns)} variables")
        try:
            fits = _compress_row(row, widths, plans, ops, raw)
        except (OverflowError, struct.error):  # an int beyond any double
            fits = False
        if not fits:
            _explain(row, columns, number)
        if number % chunk_rows == 0:
            out.write(_groups(ops, raw))
    if number != count:
        raise ValueError(f"rows: {number} rows instead of the {count} announced")
    ops += bytes([PAD]) * (-len(ops) % 8)  # readers skip PAD opcodes
    out.write(_groups(ops, raw))


class _StringPlan(NamedTuple):
    """How a string variable's values become case units, worked out once.

    blank: the opcodes of an empty value.
    opcodes: for a variable of one segment, opcodes[n] are those of a value filling
      n units (n RAW then SPACES to the end): the usual value costs one lookup.
    pieces: (start, end, units) of each segment, to cut a very long value up.
    """

    blank: bytes
    opcodes: list[bytes] | None
    pieces: list[tuple[int, int, int]]


def _string_plan(column: _Column) -> _StringPlan | None:
    """None for a numeric variable."""
    if column.variable.width == 0:
        return None
    pieces, start = [], 0
    for segment in column.segments:
        end = start + min(SEGMENT_DATA, segment.width)
        pieces.append((start, end, segment.units))
        start = end
    units = column.units
    opcodes = None
    if len(pieces) == 1:
        opcodes = [
            bytes([RAW]) * used + bytes([SPACES]) * (units - used) for used in range(units + 1)
        ]
    return _StringPlan(bytes([SPACES]) * units, opcodes, pieces)


def _compress_row(
    row: list, widths: list[int], plans: list, ops: bytearray, raw: bytearray
) -> bool:
    """Append the row's opcodes to `ops` and its raw units to `raw`. False (leaving the
    buffers in disorder) on a value that does not fit: the caller raises.

    The hot loop of the writer: one branch per value type, and none of our own
    functions called for the usual value."""
    append = ops.append
    for value, width, plan in zip(row, widths, plans, strict=True):
        if width == 0:
            kind = type(value)
            if value is None:
                append(MISSING)
            elif kind is int:
                if SMALLEST <= value <= LARGEST:
                    append(value + BIAS)
                else:
                    append(RAW)
                    raw += _pack_double(value)
            elif kind is float:
                if value != value:  # NaN: SPSS has no NaN; the nearest is missing
                    append(MISSING)
                elif SMALLEST <= value <= LARGEST and value.is_integer():
                    append(int(value) + BIAS)
                else:
                    append(RAW)
                    raw += _pack_double(value)
            elif isinstance(value, numbers.Real):  # bool, numpy numbers, Fraction
                _compress_number(float(value), ops, raw)
            else:
                return False
        elif value is None or value == "":
            ops += plan.blank
        elif type(value) is not str:
            return False
        else:
            data = value.encode("utf-8")
            size = len(data)
            if size > width:
                return False
            if plan.opcodes is not None and SPACES8 not in data:
                ops += plan.opcodes[(size + 7) >> 3]
                raw += data
                raw += _PADDING[-size % 8]
            else:
                for start, end, units in plan.pieces:
                    _compress_text(data[start:end], units, ops, raw)
    return True


def _compress_number(value: float, ops: bytearray, raw: bytearray) -> None:
    if value != value:
        ops.append(MISSING)
    elif SMALLEST <= value <= LARGEST and value.is_integer():
        ops.append(int(value) + BIAS)
    else:
        ops.append(RAW)
        raw += _pack_double(value)


def _compress_text(data: bytes, units: int, ops: bytearray, raw: bytearray) -> None:
    """One string (or segment) of `units` 8-byte units holding `data`, space-padded."""
    used = (len(data) + 7) // 8
    if SPACES8 in data:  # rare: some unit may be all spaces, worth one opcode
        padded = data.ljust(used * 8)
        for start in range(0, used * 8, 8):
            unit = padded[start : start + 8]
            if unit == SPACES8:
                ops.append(SPACES)
            else:
                ops.append(RAW)
                raw += unit
    else:
        ops += _RAW_OPS[used]
        raw += data.ljust(used * 8)
    ops += _SPACE_OPS[units - used]


# Runs of n opcodes, n up to the 32 units of the widest segment, made once.
_SPACE_OPS = [bytes([SPACES]) * n for n in range(33)]
_RAW_OPS = [bytes([RAW]) * n for n in range(33)]


def _groups(ops: bytearray, raw: bytearray) -> bytes:
    """Every complete group of 8 opcodes, each followed by the raw units it announces;
    the groups written are removed from the buffers, a partial group stays.

    Runs of groups with no RAW opcode (codes, blanks, missing values) are copied in one
    slice: only groups with raw units cost a step of the loop."""
    out = bytearray()
    taken = 0
    end = len(ops) - len(ops) % 8
    start = 0
    while start < end:
        hit = ops.find(RAW, start, end)
        if hit < 0:
            out += ops[start:end]
            break
        group = hit - hit % 8
        out += ops[start : group + 8]
        n = ops.count(RAW, group, group + 8) * 8
        out += raw[taken : taken + n]
        taken += n
        start = group + 8
    del ops[:end]
    del raw[:taken]
    return bytes(out)


def _explain(row: list, columns: list[_Column], number: int) -> None:
    """Raise a ValueError naming the row and the variable whose value does not fit."""
    for value, column in zip(row, columns, strict=True):
        variable = column.variable
        if variable.width == 0:
            if value is not None and not _is_double(value):
                raise ValueError(
                    f"row {number}, variable {variable.name!r}: "
                    f"{value!r} is not a number SPSS can store"
                )
            continue
        if value is not None and not isinstance(value, str):
            raise ValueError(f"row {number}, variable {variable.name!r}: {value!r} is not a string")
        size = len((value or "").encode("utf-8"))
        if size > variable.width:
            raise ValueError(
                f"row {number}, variable {variable.name!r}: value of {size} "
                f"bytes is longer than the variable's width, {variable.width}"
            )
    raise ValueError(f"row {number}: a value does not fit its variable")


def _is_double(value) -> bool:
    if not isinstance(value, numbers.Real):
        return False
    try:
        float(value)
    except OverflowError:
        return False
    return True
