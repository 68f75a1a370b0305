"""The streaming .dta writer: real files read back by pandas and pyreadstat, two readers
written independently of each other and of ours."""

from __future__ import annotations

import math
import struct
import tracemalloc

import pandas as pd
import pyreadstat
import pytest

from sync_server.stata import write_dta
from sync_server.variables import Variable

ARABIC = "السلام عليكم، كيف حالك؟ "
SWAHILI = "Habari za asubuhi, mama! Ninashukuru sana."
ACCENTS = "Ça déjà vu, naïve façade — Ñandú über Ærø"
SECTIONS = (
    "stata_dta",
    "map",
    "variable_types",
    "varnames",
    "sortlist",
    "formats",
    "value_label_names",
    "variable_labels",
    "characteristics",
    "data",
    "strls",
    "value_labels",
    "/stata_dta",
)


def write(tmp_path, variables, rows, count=None, label="", name="out.dta"):
    rows = list(rows)
    path = tmp_path / name
    with open(path, "wb") as out:
        write_dta(out, variables, iter(rows), len(rows) if count is None else count, label)
    return path


def read_both(path):
    """(pandas frame without categoricals, pyreadstat frame, pyreadstat metadata)."""
    by_pandas = pd.read_stata(path, convert_categoricals=False)
    by_pyreadstat, meta = pyreadstat.read_dta(str(path))
    return by_pandas, by_pyreadstat, meta


def column(frame, name):
    return [None if isinstance(v, float) and math.isnan(v) else v for v in frame[name]]


def sections(path) -> dict[str, bytes]:
    """Each section's bytes as the <map> locates them, checking each offset lands on
    its opening tag: the map is the part of the file no reader above must trust."""
    data = path.read_bytes()
    start = data.index(b"<map>") + len(b"<map>")
    offsets = struct.unpack("<14Q", data[start : start + 14 * 8])
    assert offsets[-1] == len(data)
    found = {}
    for tag, at, following in zip(SECTIONS, offsets, offsets[1:], strict=False):
        opening = f"<{tag}>".encode()
        assert data[at : at + len(opening)] == opening, tag
        found[tag] = data[at:following]
    return found


def strip_tags(tag: str, section: bytes) -> bytes:
    opening, closing = f"<{tag}>".encode(), f"</{tag}>".encode()
    assert section.startswith(opening) and section.endswith(closing)
    return section[len(opening) : -len(closing)]


# -- values ------------------------------------------------------------------------------


def test_numbers_round_trip_with_none_nan_and_infinity_as_missing(tmp_path):
    variables = [Variable("count", "A count", integer=True), Variable("amount", "Amount")]
    # 2**1023 and up is Stata's range of missing codes: such numbers are missing too
    rows = [
        [0, 0.5],
        [42, -3.25],
        [-7, 1e300],
        [None, None],
        [2**40, float("nan")],
        [True, float("inf")],
        [-1, float("-inf")],
        [2**1024, 2.0**1023],
    ]
    path = write(tmp_path, variables, rows)
    for frame in read_both(path)[:2]:
        assert column(frame, "count") == [0, 42, -7, None, 2**40, 1, -1, None]
        assert column(frame, "amount") == [0.5, -3.25, 1e300, None, None, None, None, None]


def test_missing_is_written_as_stata_system_missing(tmp_path):
    path = write(tmp_path, [Variable("x", "")], [[None], [float("nan")], [1.0]])
    data = strip_tags("data", sections(path)["data"])
    dot = struct.pack("<Q", 0x7FE0000000000000)
    assert data == dot + dot + struct.pack("<d", 1.0)


def test_strings_in_many_scripts_empty_and_none(tmp_path):
    values = ["plain ascii", ARABIC, SWAHILI, ACCENTS, "", None, "日本語 ✓"]
    width = max(len((v or "").encode("utf-8")) for v in values)
    variables = [Variable("answer", "Answer", width=width), Variable("n", "", integer=True)]
    path = write(tmp_path, variables, [[v, i] for i, v in enumerate(values)])
    for frame in read_both(path)[:2]:
        assert list(frame["answer"]) == [v or "" for v in values]
        assert column(frame, "n") == list(range(len(values)))


def test_string_filling_its_width_exactly_has_no_terminator_and_reads_back(tmp_path):
    variables = [Variable("code", "", width=6), Variable("after", "", width=3)]
    path = write(tmp_path, variables, [["éàü", "abc"], ["abcdef", "x"]])
    assert strip_tags("data", sections(path)["data"]) == (
        "éàü".encode() + b"abc" + b"abcdef" + b"x\0\0"
    )
    for frame in read_both(path)[:2]:
        assert list(frame["code"]) == ["éàü", "abcdef"]
        assert list(frame["after"]) == ["abc", "x"]


# -- strLs -------------------------------------------------------------------------------


def test_long_strings_are_strls_read_back_exactly_beside_short_ones(tmp_path):
    long_3000 = (ARABIC * 200).encode("utf-8")[:3000].decode("utf-8", "ignore")
    long_10000 = (ARABIC * 500).encode("utf-8")[:10000].decode("utf-8", "ignore")
    short_width = len(ACCENTS[:20].encode("utf-8"))
    variables = [
        Variable("id", "", integer=True),
        Variable("short", "", width=short_width),
        Variable("story", "Story", width=len(long_10000.encode("utf-8"))),
        Variable("note", "Note", width=3000),
        Variable("after", ""),
    ]
    rows = [
        [1, "first", long_3000, "n" * 3000, 1.5],
        [2, "", "", None, None],
        [3, ACCENTS[:20], long_10000, "بعد", -2.0],
        [4, None, None, "", 4.0],
        [5, "last", SWAHILI, long_3000, 5.0],
    ]
    path = write(tmp_path, variables, rows)
    for frame in read_both(path)[:2]:
        assert column(frame, "id") == [1, 2, 3, 4, 5]
        assert list(frame["short"]) == ["first", "", ACCENTS[:20], "", "last"]
        assert list(frame["story"]) == [long_3000, "", long_10000, "", SWAHILI]
        assert list(frame["note"]) == ["n" * 3000, "", "بعد", "", long_3000]
        assert column(frame, "after") == [1.5, None, -2.0, 4.0, 5.0]


def test_strl_data_holds_v_o_references_and_empty_strings_are_zero(tmp_path):
    variables = [Variable("x", ""), Variable("long", "", width=5000)]
    path = write(tmp_path, variables, [[1.0, "a"], [2.0, ""], [3.0, "bc"]])
    found = sections(path)
    data = strip_tags("data", found["data"])
    references = [data[i + 8 : i + 16] for i in range(0, len(data), 16)]
    # 118: v in 2 bytes, then o in 6 bytes; (0, 0) for "" with no GSO
    assert references == [
        struct.pack("<H", 2) + (1).to_bytes(6, "little"),
        bytes(8),
        struct.pack("<H", 2) + (3).to_bytes(6, "little"),
    ]
    gsos = strip_tags("strls", found["strls"])
    assert gsos == (
        b"GSO"
        + struct.pack("<IQBI", 2, 1, 130, 2)
        + b"a\0"
        + b"GSO"
        + struct.pack("<IQBI", 2, 3, 130, 3)
        + b"bc\0"
    )


def test_widest_fixed_string_is_str2045_and_wider_is_strl(tmp_path):
    variables = [Variable("fixed", "", width=2045), Variable("long", "", width=2046)]
    path = write(tmp_path, variables, [["f" * 2045, "l" * 2046]])
    types = strip_tags("variable_types", sections(path)["variable_types"])
    assert struct.unpack("<2H", types) == (2045, 32768)
    for frame in read_both(path)[:2]:
        assert list(frame["fixed"]) == ["f" * 2045]
        assert list(frame["long"]) == ["l" * 2046]


# -- labels ------------------------------------------------------------------------------


def test_variable_value_and_dataset_labels(tmp_path):
    variables = [
        Variable(
            "gender",
            "Jinsia / الجنس",
            integer=True,
            value_labels={2: "Mwanamke", 1: "Mwanaume", 3: "آخر", 10: "Ça dépend"},
        ),
        Variable("age", "Âge du répondant" + "é" * 64, integer=True),
        Variable("trust", "Trust", integer=True, value_labels={-1: "Refused", 0: "None"}),
        Variable("comment", "Maoni", width=30),
    ]
    rows = [[1, 34, 0, "sawa"], [2, None, -1, ""], [3, 71, None, "نعم"], [10, 18, 0, None]]
    path = write(tmp_path, variables, rows, label="Utafiti — survey ✓")

    _, by_pyreadstat, meta = read_both(path)
    assert meta.column_names_to_labels == {v.name: v.label for v in variables}
    assert meta.variable_value_labels == {
        "gender": {1: "Mwanaume", 2: "Mwanamke", 3: "آخر", 10: "Ça dépend"},
        "trust": {-1: "Refused", 0: "None"},
    }
    assert meta.file_label == "Utafiti — survey ✓"
    assert column(by_pyreadstat, "gender") == [1, 2, 3, 10]

    with pd.io.stata.StataReader(path) as reader:
        assert reader.value_labels() == {
            "gender": {1: "Mwanaume", 2: "Mwanamke", 3: "آخر", 10: "Ça dépend"},
            "trust": {-1: "Refused", 0: "None"},
        }
        assert reader.variable_labels() == {v.name: v.label for v in variables}
        assert reader.data_label == "Utafiti — survey ✓"
    labelled = pd.read_stata(path, convert_categoricals=True)
    assert list(labelled["gender"]) == ["Mwanaume", "Mwanamke", "آخر", "Ça dépend"]
    assert list(labelled["trust"].astype(object).where(labelled["trust"].notna(), None)) == [
        "None",
        "Refused",
        None,
        "None",
    ]


def test_display_formats(tmp_path):
    variables = [
        Variable("whole", "", integer=True),
        Variable("real", ""),
        Variable("short", "", width=3),
        Variable("wide", "", width=40),
        Variable("long", "", width=4000),
    ]
    path = write(tmp_path, variables, [[1, 1.5, "a", "b", "c"]])
    _, _, meta = read_both(path)
    assert meta.original_variable_types == {
        "whole": "%12.0g",
        "real": "%10.0g",
        "short": "%9s",
        "wide": "%40s",
        "long": "%9s",
    }


# -- shapes ------------------------------------------------------------------------------


def test_zero_rows(tmp_path):
    variables = [
        Variable("n", "Number", integer=True, value_labels={1: "one"}),
        Variable("text", "Text", width=10),
        Variable("long", "Long", width=3000),
    ]
    path = write(tmp_path, variables, [])
    by_pandas, by_pyreadstat, meta = read_both(path)
    for frame in (by_pandas, by_pyreadstat):
        assert list(frame.columns) == ["n", "text", "long"]
        assert len(frame) == 0
    assert meta.number_rows == 0
    assert meta.variable_value_labels == {"n": {1: "one"}}


def test_one_row(tmp_path):
    variables = [Variable("n", "", integer=True), Variable("text", "", width=5)]
    path = write(tmp_path, variables, [[7, "seven"]])
    for frame in read_both(path)[:2]:
        assert column(frame, "n") == [7]
        assert list(frame["text"]) == ["seven"]


def test_three_hundred_variables(tmp_path):
    variables = [
        Variable(f"v{i}", f"Variable {i}", width=0 if i % 3 else 4, integer=True)
        for i in range(300)
    ]
    rows = [[(r * 1000 + i) if i % 3 else f"r{r}c" for i in range(300)] for r in range(3)]
    path = write(tmp_path, variables, rows)
    by_pandas, by_pyreadstat, meta = read_both(path)
    assert meta.number_columns == 300
    assert meta.column_names_to_labels["v299"] == "Variable 299"
    for frame in (by_pandas, by_pyreadstat):
        assert list(frame.columns) == [v.name for v in variables]
        for r, row in enumerate(rows):
            assert [frame[v.name][r] for v in variables] == row


def test_map_offsets_point_at_every_section(tmp_path):
    variables = [Variable("n", "", value_labels={1: "a"}), Variable("long", "", width=3000)]
    found = sections(write(tmp_path, variables, [[1, "x" * 3000], [2, ""]]))
    assert found["value_labels"].startswith(b"<value_labels><lbl>")
    assert found["/stata_dta"] == b"</stata_dta>"


# -- errors ------------------------------------------------------------------------------


@pytest.mark.parametrize("yielded, announced", [(3, 2), (1, 2), (0, 1)])
def test_row_count_must_match(tmp_path, yielded, announced):
    rows = [[i] for i in range(yielded)]
    with pytest.raises(ValueError, match=f"{announced}"):
        write(tmp_path, [Variable("n", "")], rows, count=announced)


@pytest.mark.parametrize("width", [5, 3000])
def test_string_longer_than_its_width(tmp_path, width):
    variables = [Variable("n", ""), Variable("answer", "", width=width)]
    rows = [[1, "a" * width], [2, "é" * width]]
    with pytest.raises(ValueError, match=r"row 2, variable 'answer'.*longer"):
        write(tmp_path, variables, rows)


@pytest.mark.parametrize("row", [[1.0], [1.0, "a", "b"]])
def test_row_of_the_wrong_length(tmp_path, row):
    variables = [Variable("n", ""), Variable("text", "", width=3)]
    with pytest.raises(ValueError, match=r"row 2 has \d values for 2 variables"):
        write(tmp_path, variables, [[0.0, "ok"], row])


@pytest.mark.parametrize(
    "row, name", [(["7", "a", "b"], "n"), ([7, 8, "b"], "text"), ([7, "a", 9], "long")]
)
def test_value_of_the_wrong_kind(tmp_path, row, name):
    variables = [Variable("n", ""), Variable("text", "", width=3), Variable("long", "", width=3000)]
    with pytest.raises(ValueError, match=rf"row 1, variable '{name}'"):
        write(tmp_path, variables, [row])


@pytest.mark.parametrize("width", [5, 3000])
def test_text_that_cannot_be_utf8(tmp_path, width):
    variables = [Variable("text", "", width=width)]
    with pytest.raises(ValueError, match=r"row 1, variable 'text'.*UTF-8"):
        write(tmp_path, variables, [["\ud800"]])


def test_value_label_code_must_be_a_whole_number(tmp_path):
    variables = [Variable("n", "", value_labels={1.5: "half"})]
    with pytest.raises(ValueError, match="variable 'n': value label code 1.5"):
        write(tmp_path, variables, [[1]])


# -- memory ------------------------------------------------------------------------------


def peak_memory_writing(path, count: int) -> int:
    variables = [
        Variable("id", "", integer=True),
        Variable("score", ""),
        Variable("code", "", integer=True, value_labels={1: "yes", 2: "no"}),
        Variable("village", "Village", width=24),
        Variable("story", "Story", width=3000),
    ]

    def rows():
        for i in range(count):
            story = ARABIC * 60 if i % 100 == 0 else f"maoni {i} ✓"
            yield [i, i / 7 if i % 5 else None, 1 + i % 2, f"kijiji {i % 97} é", story]

    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        with open(path, "wb") as out:
            write_dta(out, variables, rows(), count)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_as_rows_grow(tmp_path):
    small = peak_memory_writing(tmp_path / "small.dta", 1_000)
    large = peak_memory_writing(tmp_path / "large.dta", 10_000)
    assert large < 2 * small + 256 * 1024, (small, large)
    _, meta = pyreadstat.read_dta(str(tmp_path / "large.dta"), metadataonly=True)
    assert meta.number_rows == 10_000
