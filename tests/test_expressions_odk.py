"""ODK's function library, dates with zones, and no silent wrong answers: what the shared
vectors cannot show (import-time errors, answers given as Python objects, the hub's clock)."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from marshmallow import ValidationError

from collector import expressions
from collector.expressions import ExpressionError, evaluate, parse
from collector.forms import FormError, check_expression, load_form
from collector.xlsform import convert

PLUS_3 = timezone(timedelta(hours=3))


def sheets(calculation: str) -> dict:
    survey = [
        {"type": "text", "name": "name", "label": "Name"},
        {"type": "calculate", "name": "c", "calculation": calculation},
    ]
    return {"survey": survey, "settings": [{"form_id": "f", "version": "1"}]}


@pytest.mark.parametrize(
    "calculation, message",
    [
        ("format-date(today(), '%Y %Q')", "unknown date format code '%Q'"),
        ("format-date-time(now(), '%H:%')", "unknown date format code '%'"),
        ("median(1, 2)", "unknown function 'median'"),
        ("substring('abc')", "substring() takes 2 or 3 arguments, got 1"),
        (
            "weighted-checklist(1, 2, ${name})",
            "weighted-checklist() takes an even number of arguments",
        ),
        ("digest(${name}, 'SHA-3')", "unknown digest algorithm 'SHA-3'"),
        ("digest(${name}, 'MD5', 'base32')", "unknown digest encoding 'base32'"),
        ("distance()", "distance() takes at least 1 argument, got 0"),
        ("1 + area(${name}, ${name})", "area() takes 1 argument, got 2"),
        ("geofence(${name})", "geofence() takes 2 arguments, got 1"),
        # Never computed, and still refused: ODK's engines would fail only where it runs.
        ("false() and median(1)", "unknown function 'median'"),
        ("${name} = 'x' or substring()", "substring() takes 2 or 3 arguments, got 0"),
        ("if(true(), 1, today(1))", "today() takes 0 arguments, got 1"),
    ],
)
def test_an_xlsform_with_a_wrong_static_expression_is_refused_at_import(calculation, message):
    result = convert(sheets(calculation))
    assert result.form is None
    assert any(
        message in problem.message and problem.column == "calculation" for problem in result.errors
    ), [p.message for p in result.errors]
    with pytest.raises(ValidationError, match="at character"):
        check_expression(calculation)


@pytest.mark.parametrize(
    "key, source, message",
    [
        ("relevant", "false() and median(1)", "unknown function 'median' (at character 13)"),
        ("constraint", "if(true(), ., pow(.))", "pow() takes 2 arguments, got 1 (at character 15)"),
        ("choice_filter", "name = 'a' or median(1)", "unknown function 'median' (at character 15)"),
    ],
)
def test_a_form_definition_with_a_call_never_computed_is_refused(key, source, message):
    question = {"name": "q", "type": "select_one", "label": {"en": "Q"}, "choices": "c"}
    question[key] = source
    definition = {
        "form_id": "f",
        "version": "1",
        "title": {"en": "F"},
        "sections": [{"name": "main", "label": {"en": "Main"}, "questions": [question]}],
        "choices": {"c": [{"name": "a", "label": {"en": "A"}}]},
    }
    with pytest.raises(FormError) as raised:
        load_form(definition)
    assert message in str(raised.value)
    # The hub's evaluator computes it lazily, as ODK's engines do: the refusal is import's.
    parser = expressions.parse_choice_filter if key == "choice_filter" else parse
    context = expressions.Context(current="a", choice={"name": "a"})
    assert parser(source).evaluate(context) in ("a", True, False)


def test_the_evaluators_compute_and_or_and_if_lazily():
    assert evaluate("false() and substring()") is False
    assert evaluate("if(true(), 1, median(1))") == 1
    with pytest.raises(ExpressionError, match="unknown function 'median'"):
        evaluate("if(false(), 1, median(1))")
    with pytest.raises(ExpressionError, match=r"substring\(\) takes 2 or 3 arguments, got 0"):
        evaluate("true() and substring()")
    with pytest.raises(ExpressionError, match="unknown function 'median' at position 14"):
        expressions.check("if(true(), 1, median(1))")


def test_a_form_using_the_new_functions_imports():
    calculation = (
        "concat(format-date-time(now(), '%a %e %b %Y %H:%M:%S.%3'),"
        " substring(${name}, 1, 2),"
        " digest(${name}, 'SHA-256', 'hex'), boolean-from-string('1'), pow(2, 3), pi())"
    )
    result = convert(sheets(calculation))
    assert result.errors == [] and result.form is not None


def test_a_format_only_known_when_answered_is_checked_when_evaluated():
    expression = parse("format-date(today(), ${pattern})")
    now = "2024-03-15T10:00"
    assert expression.evaluate({"values": {"pattern": "%d/%m"}, "now": now}) == "15/03"
    with pytest.raises(ExpressionError, match="unknown date format code '%v'"):
        expression.evaluate({"values": {"pattern": "%v"}})


def test_digest_is_computed_by_the_hub():
    expected = base64.b64encode(hashlib.sha1(b"Ana").digest()).decode()
    assert evaluate("digest(${n}, 'sha-1')", {"n": "Ana"}) == expected
    assert evaluate("digest('', 'md5', 'HEX')") == hashlib.md5(b"").hexdigest()


def test_the_hub_clock_carries_its_zone():
    now = evaluate("now()")
    assert now.tzinfo is not None
    assert abs(now - datetime.now(UTC)) < timedelta(minutes=5)
    text = evaluate("string(now())")
    assert datetime.fromisoformat(text).utcoffset() == now.utcoffset()
    assert evaluate("today()") == now.date()


def test_an_aware_answer_is_moved_to_the_forms_clock_and_keeps_its_text():
    values = {"seen": datetime(2024, 3, 15, 6, 0, tzinfo=UTC)}
    now = datetime(2024, 3, 15, 12, 0, tzinfo=PLUS_3)
    assert evaluate("format-date-time(${seen}, '%H:%M')", values, now=now) == "09:00"
    assert evaluate("decimal-date-time(${seen})", values, now=now) == pytest.approx(19797.375)
    assert evaluate("string(${seen})", values, now=now) == "2024-03-15T06:00:00.000+00:00"
    assert evaluate("now() - ${seen}", values, now=now) == pytest.approx(0.125)


def test_results_keep_the_forms_offset_after_evaluation():
    now = datetime(2024, 3, 15, 1, 0, tzinfo=PLUS_3)
    result = evaluate("date-time(decimal-date-time(now()) + 0.5)", now=now)
    assert result == datetime(2024, 3, 15, 13, 0, tzinfo=PLUS_3)
    assert expressions.to_text(result) == "2024-03-15T13:00:00.000+03:00"
    assert expressions.to_text(evaluate("today()", now=now)) == "2024-03-15"
    assert evaluate("date('2024-03-15')", now=now) == date(2024, 3, 15)


def test_uuid_and_random_are_fresh_each_time():
    first, second = evaluate("uuid()"), evaluate("uuid()")
    assert first != second and len(first) == 36 and first[14] == "4"
    assert len({evaluate("random()") for _ in range(20)}) == 20


def test_every_function_of_the_odk_reference_is_known():
    odk = {
        "string",
        "concat",
        "join",
        "substr",
        "substring-before",
        "substring-after",
        "translate",
        "string-length",
        "normalize-space",
        "contains",
        "starts-with",
        "ends-with",
        "uuid",
        "digest",
        "if",
        "coalesce",
        "once",
        "true",
        "false",
        "boolean",
        "boolean-from-string",
        "not",
        "regex",
        "checklist",
        "weighted-checklist",
        "number",
        "random",
        "int",
        "sum",
        "max",
        "min",
        "round",
        "pow",
        "log",
        "log10",
        "abs",
        "sin",
        "cos",
        "tan",
        "asin",
        "acos",
        "atan",
        "atan2",
        "sqrt",
        "exp",
        "exp10",
        "pi",
        "count",
        "count-non-empty",
        "position",
        "today",
        "now",
        "format-date",
        "format-date-time",
        "date",
        "decimal-date-time",
        "decimal-time",
        "selected",
        "selected-at",
        "count-selected",
        "jr:choice-name",
        "indexed-repeat",
        "substring",
        "date-time",
        "base64-decode",
    }
    assert odk - set(expressions.FUNCTIONS) == set()
