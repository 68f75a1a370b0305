"""The streaming SPSS writer: real .sav files read back by pyreadstat (ReadStat) and pandas.

No mocks: every test writes a file in tmp_path and reads it with an independent reader.
"""

from __future__ import annotations

import math
import struct
import tracemalloc

import pandas as pd
import pyreadstat
import pytest

from sync_server.spss import write_sav
from sync_server.variables import Variable

ARABIC = "نحتاج إلى مدرسة أقرب، والطريق غير آمن ليلاً"
SWAHILI = "Tunahitaji maji safi kijijini; barabara ni mbovu"
ACCENTS = "Enquête: élève, señora, Ærø, Übermaß, ça"


def write(path, variables, rows, count=None, label=""):
    """Write `rows` through a generator (as the export does), return the path."""
    rows = list(rows) if count is None else rows
    count = len(rows) if count is None else count
    with open(path, "wb") as out:
        write_sav(out, variables, (list(row) for row in rows), count, label=label)
    return path


def roundtrip(tmp_path, variables, rows, label=""):
    path = write(tmp_path / "out.sav", variables, rows, label=label)
    return pyreadstat.read_sav(str(path))


def width_of(*values: str) -> int:
    return max(1, *(len(v.encode("utf-8")) for v in values))


def same_number(expected, got) -> bool:
    if expected is None or (isinstance(expected, float) and math.isnan(expected)):
        return isinstance(got, float) and math.isnan(got)
    return got == expected


def variable_records(path) -> list[tuple[int, str]]:
    """(type, short name) of every type 2 record, parsed by hand: an independent look at
    the dictionary ReadStat hides (short names, continuation records)."""
    data = path.read_bytes()
    at, records = 176, []
    while struct.unpack_from("<i", data, at)[0] == 2:
        kind, has_label, n_missing = struct.unpack_from("<iii", data, at + 4)
        records.append((kind, data[at + 24 : at + 32].decode("utf-8").rstrip()))
        at += 32
        if has_label:
            size = struct.unpack_from("<i", data, at)[0]
            at += 4 + -(-size // 4) * 4
        at += 8 * abs(n_missing)
    return records


# -- Values ------------------------------------------------------------------------

NUMBERS = [
    0,
    1,
    -1,
    7,
    -99,
    -100,
    151,
    152,
    255,
    2**31,
    -(2**31) - 1,
    2**53,
    10**15,
    -(10**15),
    0.5,
    -0.25,
    3.14159,
    1e-300,
    -1e300,
    1.7e308,
    123456.789,
    2.0,
    -99.0,
    151.0,
    151.5,
    None,
    float("nan"),
]


def test_numbers_read_back_exactly_and_none_is_missing(tmp_path):
    variables = [Variable("whole", "", integer=True), Variable("real", "")]
    rows = [[n if isinstance(n, int) else None, n] for n in NUMBERS]
    frame, _ = roundtrip(tmp_path, variables, rows)
    assert len(frame) == len(NUMBERS)
    for (whole, real), got_whole, got_real in zip(rows, frame["whole"], frame["real"], strict=True):
        assert same_number(whole, got_whole), (whole, got_whole)
        assert same_number(real, got_real), (real, got_real)


def test_booleans_are_numbers(tmp_path):
    frame, _ = roundtrip(tmp_path, [Variable("flag", "", integer=True)], [[True], [False]])
    assert list(frame["flag"]) == [1.0, 0.0]


STRINGS = {
    "ascii": "Nairobi",
    "arabic": ARABIC,
    "swahili": SWAHILI,
    "accents": ACCENTS,
    "eight_bytes": "12345678",
    "nine_bytes": "123456789",
    "eight_utf8_bytes": "éééé",
    "inner_spaces": "a" + " " * 20 + "b",
    "bytes_255": "x" * 254 + "z",
    "bytes_256": "y" * 255 + "z",
    "arabic_256": "ب" * 128,  # a two-byte letter straddles the 255-byte segment edge
    "bytes_3000": "".join(chr(ord("a") + i % 26) for i in range(3000)),
    "accents_3000": "é" * 1500,
    "spaced_3000": ("word " * 600)[:2999] + "!",
    "bytes_20000": " ".join([SWAHILI, ARABIC] * 160)[:19_990] + "mwisho",
    "bytes_32767": "q" * 32_766 + "!",
    "empty": "",
}


@pytest.mark.parametrize("name", STRINGS)
def test_each_string_reads_back_exactly(tmp_path, name):
    text = STRINGS[name]
    variables = [
        Variable("before", "", integer=True),
        Variable("text", "", width=width_of(text)),
        Variable("after", "", integer=True),
    ]
    frame, meta = roundtrip(tmp_path, variables, [[1, text, 2], [3, "", 4]])
    assert frame["text"][0] == text
    assert frame["text"][1] == ""
    assert list(frame["before"]) == [1, 3] and list(frame["after"]) == [2, 4]
    assert meta.original_variable_types["text"] == f"A{width_of(text)}"


def test_trailing_spaces_are_padding_to_readers(tmp_path):
    """The format pads strings with spaces, so readers strip them: a documented loss."""
    frame, _ = roundtrip(tmp_path, [Variable("s", "", width=12)], [["  two  "]])
    assert frame["s"][0] == "  two"


def test_rows_mixing_every_kind_of_value(tmp_path):
    texts = list(STRINGS.values())
    widths = {"short": 9, "wide": 255, "long": 3000, "huge": 20_000}
    variables = [Variable("id", "", integer=True), Variable("amount", "")]
    variables += [Variable(name, "", width=width) for name, width in widths.items()]
    rows = []
    for number in range(60):
        fitting = [t for t in texts if len(t.encode("utf-8")) <= 9]
        strings = [fitting[number % len(fitting)]]
        for width in (255, 3000, 20_000):
            candidates = [t for t in texts if len(t.encode("utf-8")) <= width]
            strings.append(candidates[(number * 7) % len(candidates)])
        amount = None if number % 5 == 0 else number * 1.25 - 30
        rows.append([number * 1000 - 7, amount] + strings)
    rows[3][3] = None  # None in a string variable is written as ""
    frame, _ = roundtrip(tmp_path, variables, rows)
    rows[3][3] = ""
    for row, (_, got) in zip(rows, frame.iterrows(), strict=True):
        assert same_number(row[0], got["id"]) and same_number(row[1], got["amount"])
        assert [got[name] for name in widths] == row[2:]


def test_opcode_groups_run_across_rows_and_write_chunks(tmp_path):
    """3 units a row and thousands of rows: groups of 8 opcodes straddle rows, and the
    writer's chunks, and must still line up."""
    variables = [Variable("n", "", integer=True), Variable("s", "", width=9)]
    rows = [
        [i if i % 3 else None, ("abcdefghi" if i % 2 else "é") * (i % 4 > 0)] for i in range(5_003)
    ]
    frame, _ = roundtrip(tmp_path, variables, rows)
    assert all(same_number(row[0], got) for row, got in zip(rows, frame["n"], strict=True))
    assert list(frame["s"]) == [row[1] for row in rows]


# -- Dictionary --------------------------------------------------------------------


def test_long_names_keep_their_case(tmp_path):
    names = ["Q" + "x" * 62 + "Z", "household_Members_Count", "a", "meta_uuid"]
    assert len(names[0]) == 64
    variables = [
        Variable(names[0], "", integer=True),
        Variable(names[1], "", integer=True),
        Variable(names[2], "", width=3),
        Variable(names[3], "", width=36),
    ]
    frame, meta = roundtrip(tmp_path, variables, [[1, 2, "abc", "u" * 36]])
    assert meta.column_names == names
    assert list(frame.columns) == names


def test_short_name_clashes_still_read_back_with_the_right_long_names(tmp_path):
    # 300 names sharing their first 8 (and first 20) characters, a name equal to a
    # clash's numbered form, very long strings whose segments need names too, and a
    # reserved word as a name's prefix.
    names = [f"question_about_household_{i}" for i in range(300)]
    names += ["QUESTIO1", "questio2_x", "to", "with_water", "long_text_a", "long_text_b"]
    variables = [Variable(name, f"label {name}", integer=True) for name in names[:-2]]
    variables += [Variable(name, "", width=700) for name in names[-2:]]
    row = list(range(len(names) - 2)) + ["A" * 700, "B" * 600]
    path = write(tmp_path / "clash.sav", variables, [row])
    frame, meta = pyreadstat.read_sav(str(path))
    assert meta.column_names == names
    assert list(frame.iloc[0]) == [float(v) for v in row[:-2]] + row[-2:]
    assert meta.column_names_to_labels["question_about_household_299"] == (
        "label question_about_household_299"
    )
    shorts = [name for kind, name in variable_records(path) if kind != -1]
    assert len(shorts) == len(names) - 2 + 2 * 3  # a 700-byte string has 3 segments
    assert len(set(shorts)) == len(shorts)
    assert all(len(s.encode()) <= 8 and s == s.upper() for s in shorts)
    assert "TO" not in shorts and "WITH" not in shorts


def test_variable_labels_value_labels_and_file_label(tmp_path):
    variables = [
        Variable(
            "gender",
            "Gender of the respondent",
            integer=True,
            value_labels={1: "Woman", 2: "Man", 3: "Prefer not to say"},
        ),
        Variable(
            "trust",
            "الثقة في المجتمع",
            integer=True,
            value_labels={1: "لا أثق", 2: "أثق قليلاً", 5: "Ninaamini sana", -1: "é" * 60},
        ),
        Variable("score", "Score (0–10), élevé", integer=False),
        Variable("comment", "Maoni ya mhojiwa: " + "ü" * 119, width=40),  # 256 bytes
        Variable("nolabel", "", integer=True),
    ]
    rows = [[1, 2, 7.5, "ok", 3], [3, -1, None, "", None], [None, 5, 0.0, ARABIC[:10], 4]]
    label = "Enquête communautaire — ménages 2024"
    frame, meta = roundtrip(tmp_path, variables, rows, label=label)
    assert meta.file_label == label
    assert meta.column_names_to_labels == {v.name: v.label or None for v in variables}
    assert len(variables[3].label.encode()) == 256
    assert meta.variable_value_labels == {
        "gender": {1.0: "Woman", 2.0: "Man", 3.0: "Prefer not to say"},
        "trust": {1.0: "لا أثق", 2.0: "أثق قليلاً", 5.0: "Ninaamini sana", -1.0: "é" * 60},
    }
    assert meta.variable_measure == {
        "gender": "nominal",
        "trust": "nominal",
        "score": "scale",
        "comment": "nominal",
        "nolabel": "scale",
    }
    assert meta.variable_alignment["gender"] == "right"
    assert meta.variable_alignment["comment"] == "left"
    assert meta.original_variable_types == {
        "gender": "F11.0",
        "trust": "F11.0",
        "score": "F11.2",
        "comment": "A40",
        "nolabel": "F11.0",
    }
    labelled = pd.read_spss(tmp_path / "out.sav")  # pandas applies the value labels
    assert list(labelled["gender"].astype(object)[:2]) == ["Woman", "Prefer not to say"]
    assert list(labelled["trust"].astype(object)) == ["أثق قليلاً", "é" * 60, "Ninaamini sana"]


def test_file_label_is_clipped_to_64_bytes_between_characters(tmp_path):
    _, meta = roundtrip(tmp_path, [Variable("n", "")], [[1]], label="é" * 40)
    assert meta.file_label == "é" * 32


def test_display_parameters_cover_very_long_string_segments(tmp_path):
    variables = [
        Variable("before", "", integer=True, value_labels={1: "one"}),
        Variable("essay", "", width=20_000),
        Variable("after", ""),
    ]
    frame, meta = roundtrip(tmp_path, variables, [[1, "x" * 20_000, 2.5]])
    assert meta.variable_measure == {"before": "nominal", "essay": "nominal", "after": "scale"}
    assert meta.variable_alignment == {"before": "right", "essay": "left", "after": "right"}
    assert frame["essay"][0] == "x" * 20_000
    assert meta.original_variable_types["essay"] == "A20000"


def test_header_says_compressed_utf8_and_the_case_count(tmp_path):
    variables = [Variable("code", "", integer=True), Variable("text", "", width=30)]
    rows = [[i % 5 + 1, "yes" if i % 2 else ""] for i in range(1_000)]
    path = write(tmp_path / "head.sav", variables, rows)
    data = path.read_bytes()
    assert data[:4] == b"$FL2"
    layout, case_units, compression, weight, cases = struct.unpack_from("<5i", data, 64)
    assert (layout, case_units, compression, weight, cases) == (2, 1 + 4, 1, 0, 1_000)
    assert struct.unpack_from("<d", data, 84)[0] == 100.0
    assert b"UTF-8" in data[:2_000]
    # Small codes and blank strings are one opcode each: far below 40 bytes a row.
    assert len(data) < 1_000 * 40 / 4
    _, meta = pyreadstat.read_sav(str(path), metadataonly=True)
    assert meta.file_encoding == "UTF-8" and meta.number_rows == 1_000


def test_zero_rows(tmp_path):
    variables = [
        Variable("n", "Number", integer=True, value_labels={1: "one"}),
        Variable("s", "Text", width=300),
    ]
    frame, meta = roundtrip(tmp_path, variables, [])
    assert len(frame) == 0
    assert meta.column_names == ["n", "s"]
    assert meta.variable_value_labels == {"n": {1.0: "one"}}


def test_one_row(tmp_path):
    frame, meta = roundtrip(
        tmp_path,
        [Variable("n", "", integer=True), Variable("s", "", width=5)],
        [[42, "habari"[:5]]],
    )
    assert meta.number_rows == 1
    assert frame.iloc[0].tolist() == [42.0, "habar"]


def test_three_hundred_variables(tmp_path):
    variables = [
        Variable(f"v{i}", f"Variable {i}", width=(i % 3) * 7, integer=i % 2 == 0)
        for i in range(300)
    ]
    rows = [
        [(f"r{r}c{i}" if v.width else r * 1000 + i) for i, v in enumerate(variables)]
        for r in range(20)
    ]
    frame, meta = roundtrip(tmp_path, variables, rows)
    assert meta.column_names == [v.name for v in variables]
    assert frame.shape == (20, 300)
    for row, (_, got) in zip(rows, frame.iterrows(), strict=True):
        assert list(got) == row


def test_pandas_reads_the_file(tmp_path):
    variables = [Variable("n", "", integer=True), Variable("s", "", width=width_of(ARABIC))]
    path = write(tmp_path / "p.sav", variables, [[1, ARABIC], [None, SWAHILI[:10]]])
    frame = pd.read_spss(path)
    assert frame["s"].tolist() == [ARABIC, SWAHILI[:10]]
    assert frame["n"][0] == 1 and math.isnan(frame["n"][1])


# -- Errors ------------------------------------------------------------------------


def test_fewer_rows_than_announced(tmp_path):
    with pytest.raises(ValueError, match="2 rows instead of the 3 announced"):
        write(tmp_path / "e.sav", [Variable("n", "")], [[1], [2]], count=3)


def test_more_rows_than_announced(tmp_path):
    with pytest.raises(ValueError, match="more than the 1 rows announced"):
        write(tmp_path / "e.sav", [Variable("n", "")], [[1], [2]], count=1)


def test_string_longer_than_its_width_names_variable_and_row(tmp_path):
    variables = [Variable("n", ""), Variable("village_name", "", width=4)]
    rows = [[1, "abcd"], [2, "abcé"]]  # "abcé" is 5 bytes of UTF-8
    with pytest.raises(ValueError, match=r"row 2, variable 'village_name'.*5 bytes.*width, 4"):
        write(tmp_path / "e.sav", variables, rows)


def test_very_long_string_longer_than_its_width(tmp_path):
    with pytest.raises(ValueError, match=r"row 1, variable 'essay'"):
        write(tmp_path / "e.sav", [Variable("essay", "", width=300)], [["x" * 301]])


def test_row_of_the_wrong_length(tmp_path):
    variables = [Variable("a", ""), Variable("b", "")]
    with pytest.raises(ValueError, match=r"row 3: 3 values for 2 variables"):
        write(tmp_path / "e.sav", variables, [[1, 2], [3, 4], [5, 6, 7]])


@pytest.mark.parametrize(
    "value", ["12", b"12", [1], 10**400], ids=["text", "bytes", "list", "beyond_double"]
)
def test_value_that_is_not_a_storable_number(tmp_path, value):
    with pytest.raises(ValueError, match=r"row 1, variable 'n'"):
        write(tmp_path / "e.sav", [Variable("s", "", width=3), Variable("n", "")], [["abc", value]])


def test_string_variable_given_a_number(tmp_path):
    with pytest.raises(ValueError, match=r"row 1, variable 's': 12 is not a string"):
        write(tmp_path / "e.sav", [Variable("s", "", width=3)], [[12]])


# -- Memory ------------------------------------------------------------------------


def peak_memory(tmp_path, rows: int) -> int:
    """Peak traced memory while writing `rows` rows made one at a time by a generator."""
    variables = [
        Variable(f"code{i}", "", integer=True, value_labels={1: "a", 2: "b"}) for i in range(10)
    ]
    variables += [
        Variable("amount", ""),
        Variable("town", "", width=40),
        Variable("note", "", width=600),
    ]

    def generate():
        for r in range(rows):
            yield [r % 3 or None] + [r % 2 + 1] * 9 + [r * 0.5, f"Kisumu {r}", "maoni " * (r % 90)]

    tracemalloc.start()
    try:
        with open(tmp_path / f"m{rows}.sav", "wb") as out:
            write_sav(out, variables, generate(), rows)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_however_many_rows(tmp_path):
    small = peak_memory(tmp_path, 1_000)
    large = peak_memory(tmp_path, 10_000)
    assert large < 2 * small + 64 * 1024, (small, large)
    _, meta = pyreadstat.read_sav(str(tmp_path / "m10000.sav"), metadataonly=True)
    assert meta.number_rows == 10_000
