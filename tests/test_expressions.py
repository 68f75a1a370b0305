"""The Python expression evaluator against the vectors it shares with the browser's copy."""

import ast
import json
import math
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest

from collector import expressions, repeats
from collector.expressions import (
    Context,
    ExpressionError,
    Nodeset,
    evaluate,
    parse,
    parse_choice_filter,
    to_boolean,
)

ROOT = Path(__file__).resolve().parent.parent
VECTORS = json.loads((ROOT / "tests" / "expression_vectors.json").read_text(encoding="utf-8"))
CASES = VECTORS["cases"]
SPECIAL_NUMBERS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def answer(value):
    """A vector's value; {"nodeset": [...]} is a repeat's answers seen from outside it."""
    if isinstance(value, dict) and set(value) == {"nodeset"}:
        return Nodeset(value["nodeset"])
    return value


def context_for(case: dict) -> Context:
    labels = case.get("choice_labels", {})
    if "record" in case:
        return record_context(case)
    return Context(
        values={name: answer(value) for name, value in case.get("values", {}).items()},
        current=answer(case.get("current")),
        now=datetime.fromisoformat(case.get("now", VECTORS["now"])),
        position=case.get("position"),
        choice_label=lambda field, choice: labels.get(field, {}).get(choice),
        choice=case.get("choice"),
        data=case.get("data"),  # pulldata()'s CSV files
        instances=case.get("instances"),  # instance('list')'s choice lists
        last_saved=case.get("last_saved"),  # ${last-saved#name}'s record
        nodesets={name: answer(value) for name, value in case["nodesets"].items()}
        if "nodesets" in case
        else None,
    )


def record_context(case: dict) -> Context:
    """A case standing in a record with repeats: {"answers", "lineages" (each repeat's and
    repeated question's chain of repeats, outermost first), "at" ([[repeat, position], ...])},
    names resolved as the hub resolves them (collector.repeats.Scope)."""
    record = case["record"]
    form = SimpleNamespace(lineages={k: tuple(v) for k, v in record["lineages"].items()})
    at = tuple(tuple(step) for step in record.get("at", []))
    whole = repeats.Scope(form, record["answers"])
    return Context(
        values=repeats.Scope(form, record["answers"], at=at),
        current=answer(case.get("current")),
        now=datetime.fromisoformat(case.get("now", VECTORS["now"])),
        position=at[-1][1] if at else None,
        nodesets=whole,
        indexed=whole.indexed,
    )


def assert_number(result, expected: float) -> None:
    assert isinstance(result, (int, float)) and not isinstance(result, bool), repr(result)
    if math.isnan(expected):
        assert math.isnan(result)
    elif math.isinf(expected):
        assert result == expected
    else:
        assert abs(result - expected) <= 1e-9 * max(1.0, abs(expected)), (result, expected)


def assert_matches(result, expected) -> None:
    if isinstance(expected, bool):
        assert result is expected
    elif isinstance(expected, (int, float)):
        assert_number(result, expected)
    elif isinstance(expected, str):
        assert isinstance(result, str) and result == expected, repr(result)
    elif "number" in expected:
        assert_number(result, SPECIAL_NUMBERS[expected["number"]])
    elif "date" in expected:
        assert type(result) is date and result.isoformat() == expected["date"], repr(result)
    else:
        assert isinstance(result, datetime), repr(result)
        assert result.isoformat(timespec="milliseconds") == expected["datetime"]


def test_there_are_enough_vectors():
    assert len(CASES) >= 1500
    assert sum(1 for case in CASES if case.get("error")) >= 100
    assert all(("expected" in case) != bool(case.get("error")) for case in CASES)
    # Errors carry the message both evaluators give, word for word (tests/js checks the phone's).
    assert all("error_message" in case for case in CASES if case.get("error"))
    # Computed lazily yet refused at import: both directions of and/or, if()'s branches.
    assert sum(1 for case in CASES if "refused" in case) >= 20
    assert all(case.get("source", "").strip() for case in CASES)  # where each case comes from


@pytest.mark.parametrize("case", CASES, ids=[f"{i}:{c['expr']!r}" for i, c in enumerate(CASES)])
def test_vector(case):
    parser = parse_choice_filter if "choice" in case else parse
    if case.get("error"):
        # Refused at import (check), and an error when computed: the same message and place.
        for attempt in (lambda: parser(case["expr"]).check(), lambda: evaluate_case(case)):
            with pytest.raises(ExpressionError) as raised:
                attempt()
            found = (raised.value.message, raised.value.position)
            assert found == (case["error_message"], case["error_position"])
        return
    assert_matches(evaluate_case(case), case["expected"])
    if "refused" in case:  # computed lazily as ODK's engines do, and still refused at import
        with pytest.raises(ExpressionError) as raised:
            parser(case["expr"]).check()
        refused = raised.value
        assert (refused.message, refused.position) == tuple(case["refused"])
    else:
        assert parser(case["expr"]).check() is parser(case["expr"])


def evaluate_case(case: dict):
    parser = parse_choice_filter if "choice" in case else parse
    return parser(case["expr"]).evaluate(context_for(case))


def test_every_function_has_a_vector():
    used = " ".join(case["expr"] for case in CASES if not case.get("error"))
    missing = [
        name for name in expressions.FUNCTIONS if not re.search(re.escape(name) + r"\s*\(", used)
    ]
    assert missing == []


# --- parse errors ---------------------------------------------------------------------------


def test_an_error_reads_as_its_message_and_position():
    """The message and position of every parse error are in the shared vectors (both
    evaluators give them word for word); printed, an error says both."""
    with pytest.raises(ExpressionError) as raised:
        parse("${consent} = yes")
    assert str(raised.value) == "unknown name 'yes' (put text in quotes) at position 13"


def test_expression_error_is_a_value_error():
    with pytest.raises(ValueError):
        parse("1 +")


def test_parse_rejects_non_strings():
    with pytest.raises(TypeError):
        parse(None)


# --- references() -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source, names",
    [
        ("${age} >= 18 and selected(${grounds}, 'religion')", {"age", "grounds"}),
        ("1 + 2", set()),
        ("${a} + ${a} * -${b}", {"a", "b"}),
        ("if(${x} = '', coalesce(${y}, .), concat(${z}))", {"x", "y", "z"}),
        ("jr:choice-name(${g}, '${region}')", {"g", "region"}),
        ("'${not_a_reference}'", set()),
        ("${h\u00e9_name.2}", {"h\u00e9_name.2"}),
        ("sum(${member_age}) div count(${members})", {"member_age", "members"}),
        (
            "indexed-repeat(${member_name}, ${members}, position(..) - 1)",
            {"member_name", "members"},
        ),
    ],
)
def test_references(source, names):
    assert parse(source).references() == names


def test_references_returns_a_fresh_set_each_time():
    expression = parse("${a}")
    expression.references().add("b")
    assert expression.references() == {"a"}


# --- contexts and values ------------------------------------------------------------------------


def test_convenience_evaluate():
    assert (
        evaluate(
            "${age} >= 18 and selected(${grounds}, 'religion')",
            {"age": "20", "grounds": ["ethnicity", "religion"]},
        )
        is True
    )
    assert evaluate(". * 2", {}, current=4) == 8
    assert evaluate("position()", {}, position=3) == 3
    assert evaluate("jr:choice-name('b', '${f}')", {}, choice_label=lambda f, c: f + c) == "fb"


def test_context_may_be_a_dict_of_context_fields_or_of_answers():
    expression = parse("${age} + . + position()")
    assert expression.evaluate({"values": {"age": 1}, "current": 2, "position": 3}) == 6
    assert parse("${age} * 2").evaluate({"age": 21}) == 42
    assert parse("${values} = 'x'").evaluate({"values": "x"}) is True


def test_parsed_expressions_are_cached_and_reusable():
    assert parse("${n} + 1") is parse("${n} + 1")
    expression = parse("${n} + 1")
    assert expression.evaluate(Context(values={"n": 1})) == 2
    assert expression.evaluate(Context(values={"n": 5})) == 6


def test_now_defaults_to_the_local_clock():
    before = date.today()
    assert evaluate("today()") in (before, before + timedelta(days=1))
    assert isinstance(evaluate("now()"), datetime)


def test_now_accepts_a_timezone_aware_datetime_or_a_string():
    aware = datetime(2024, 3, 15, 1, 0, tzinfo=timezone(timedelta(hours=3)))
    assert evaluate("today()", now=aware) == date(2024, 3, 15)
    assert evaluate("now()", now=aware) is aware
    assert evaluate("decimal-date-time(now())", now=aware) == pytest.approx(19797 + 1 / 24)
    assert evaluate("format-date(now(), '%H:%M')", now="2024-03-15T10:30:00") == "10:30"
    assert evaluate("today()", now=date(2024, 2, 29)) == date(2024, 2, 29)


def test_answers_may_be_python_dates_and_datetimes():
    values = {"dob": date(2024, 2, 29), "seen": datetime(2024, 3, 1, 18, 0)}
    now = datetime(2024, 3, 15, 10, 30)
    assert evaluate("today() - ${dob}", values, now=now) == 15
    assert evaluate("${seen} - ${dob}", values, now=now) == pytest.approx(1.75)
    assert evaluate("${dob} = '2024-02-29'", values, now=now) is True
    assert (
        evaluate("concat(${dob}, ' ', ${seen})", values, now=now)
        == "2024-02-29 2024-03-01T18:00:00.000+00:00"
    )


def test_other_numbers_and_unknown_types_are_converted():
    from decimal import Decimal

    assert evaluate("${n} + 1", {"n": Decimal("1.5")}) == 2.5
    assert evaluate("${t} = 'x'", {"t": type("T", (), {"__str__": lambda self: "x"})()}) is True


def test_choice_label_receives_the_field_and_the_choice():
    calls = []
    evaluate(
        "jr:choice-name(${g}, '${grounds}')",
        {"g": "religion"},
        choice_label=lambda field, choice: calls.append((field, choice)),
    )
    assert calls == [("grounds", "religion")]


def test_a_nodeset_answer_stays_a_nodeset():
    ages = Nodeset([34, None, 8])
    assert "Nodeset" in expressions.__all__
    assert isinstance(ages, tuple)
    assert expressions._field_value(ages) is ages
    assert evaluate("${member_age}", {"member_age": ages}) is ages
    assert evaluate(".", {}, current=ages) is ages
    assert evaluate("count(${member_age})", {"member_age": ages}) == 3
    # A plain list or tuple is still a select_multiple answer.
    assert evaluate("${grounds}", {"grounds": ("a", "b")}) == "a b"
    assert evaluate("count(${grounds})", {"grounds": ["a", "b"]}) == 1


def test_nodeset_conversions():
    assert expressions.to_text(Nodeset(["a", "b"])) == "a"
    assert expressions.to_text(Nodeset()) == ""
    assert expressions.to_number(Nodeset([2.5, 1])) == 2.5
    assert math.isnan(expressions.to_number(Nodeset([None])))
    assert to_boolean(Nodeset([None])) is True and to_boolean(Nodeset()) is False
    assert expressions.to_text({"name": "Ana", "age": 34, "skills": ["a", "b"]}) == "Ana34a b"


def test_sum_adds_in_order_like_javascript():
    amounts = Nodeset([1e16, 1.0, -1e16])
    assert evaluate("sum(${a})", {"a": amounts}) == (1e16 + 1.0) + -1e16


def test_to_boolean():
    assert [to_boolean(v) for v in (True, 1, 0, math.nan, "x", "", date(2024, 1, 1), None)] == [
        True,
        True,
        False,
        False,
        True,
        False,
        True,
        False,
    ]


def test_to_text_and_to_number():
    assert expressions.to_text(3.0) == "3"
    assert expressions.to_text(["a", "b"]) == "a b"
    assert expressions.to_number("2024-03-15") == 19797
    assert math.isnan(expressions.to_number(""))


def test_no_dynamic_code_execution():
    tree = ast.parse((ROOT / "collector" / "expressions.py").read_text(encoding="utf-8"))
    called = {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert not called & {"eval", "exec", "compile", "__import__"}
    script = ROOT / "collector" / "static" / "js" / "expressions.js"
    javascript = script.read_text(encoding="utf-8")
    assert not re.search(r"\beval\s*\(|\bFunction\s*\(", javascript)


# -- Typed numbers: read alike by the hub and the phone's script ------------------------

TYPED = json.loads((Path(__file__).parent / "typed_numbers.json").read_text("utf-8"))


@pytest.mark.parametrize("locale, symbols", TYPED["symbols"].items())
def test_the_vectors_use_the_symbols_babel_gives(locale, symbols):
    from collector.validation import number_symbols

    assert list(number_symbols(locale)) == symbols


@pytest.mark.parametrize(
    "case", TYPED["cases"], ids=lambda c: f"{c['kind']}-{c['locale']}-{c['text']!r}"
)
def test_a_typed_number_is_read_as_the_vectors_say(case):
    from collector.validation import read_decimal, read_integer

    if case["kind"] == "integer":
        assert read_integer(case["text"]) == case["expected"]
    else:
        result = read_decimal(case["text"], *TYPED["symbols"][case["locale"]])
        assert result == case["expected"] and (result is None or isinstance(result, float))
