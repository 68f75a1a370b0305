"""Template filters and globals every page uses: numbers and dates through Flask-Babel."""

from __future__ import annotations

import json
from collections.abc import Callable

from babel.dates import get_month_names
from babel.numbers import format_decimal as babel_format_decimal
from flask import current_app
from flask_babel import format_date, format_datetime, format_decimal, get_locale, gettext
from markupsafe import Markup

from . import repeats, validation
from .clock import parse_iso
from .forms import MAX_INSTANCES, in_groups


def status_label(status: str) -> str:
    return {
        "draft": gettext("Draft"),
        "finalized": gettext("Finalized"),
        "queued": gettext("Queued"),
        "synced": gettext("Synced"),
        "rejected": gettext("Rejected"),
    }.get(status, status)


def hub_name() -> str:
    """The name in every page's header, as the app says at each page (translated, or set
    by the operator)."""
    return current_app.extensions["site_name"]()


def typed_number(value) -> str:
    """A stored number as a person would type it in the page's language: every digit kept,
    no grouping ("2,75" in French), so that sending the page again reads it back the same."""
    return babel_format_decimal(
        value, format="0.###", locale=str(get_locale()), decimal_quantization=False
    )


def month_names() -> list[tuple[int, str]]:
    """The months by number and name in the page's language, for a date typed in parts."""
    names = get_month_names("wide", context="stand-alone", locale=str(get_locale()))
    return sorted(names.items())


def form_attributes(form) -> Markup:
    """What the page's script needs to check answers as the hub does: the symbols numbers
    are typed with in the page's language, and each repeat's questions (an expression may
    use a repeat filled on another page)."""
    decimal, group = validation.number_symbols(str(get_locale()))
    fields = {repeat: [q.name for q in questions] for repeat, questions in form.repeats.items()}
    # Each repeat's and repeated question's chain of repeats: how a name resolves in an
    # instance of a repeat inside another (FormExpressions.repeatScope).
    lineages = {name: list(chain) for name, chain in form.lineages.items()}
    return Markup('data-decimal="%s" data-group="%s" data-repeats="%s" data-lineages="%s"') % (
        decimal,
        group,
        json.dumps(fields),
        json.dumps(lineages),
    )


def required_now(form, question, answers) -> bool:
    """Whether the page marks the question required as it is drawn; a condition that
    cannot be worked out here is left to the hub's check when the page is sent."""
    try:
        return validation.is_required(form, question, answers or {})
    except (ValueError, KeyError, TypeError):  # an ExpressionError is a ValueError
        return False


def init_app(app, site_name: Callable[[], str]) -> None:
    """`site_name`: the name pages show in their header; each app passes its own."""
    app.extensions["site_name"] = site_name
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters.update(
        number=lambda value: format_decimal(value),
        typed_number=typed_number,
        datetime=lambda value: format_datetime(parse_iso(value), "short") if value else "",
        date=lambda value: format_date(parse_iso(value), "medium") if value else "",
    )
    app.jinja_env.globals.update(
        status_label=status_label,
        hub_name=hub_name,
        client_rules=validation.client_rules,
        allowed_choices=validation.allowed_choices,
        choice_order=validation.choice_order,
        max_instances=MAX_INSTANCES,
        template_values=validation.template_values,
        key_parts=repeats.key_parts,
        in_groups=in_groups,
        instance_count=lambda form, answers, repeat, outer: len(
            repeats.instances_at(form, answers or {}, repeat, outer)
        ),
        form_attributes=form_attributes,
        required_now=required_now,
        month_names=month_names,
    )
