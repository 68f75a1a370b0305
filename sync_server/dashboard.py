"""Indicators dashboard: each indicator overall or disaggregated, with its n, a 95%
interval and small-cell suppression, as a chart, a table, a text alternative and downloads.

Every number shown comes from `compute` or `compare`, which hide small cells and their
complements; no request can pass filters to them, so the views are exactly the indicators,
overall and by each dimension, and the families side by side."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_babel import gettext

from collector.forms import SURVEY_FORM
from collector.i18n import current_locale, text_direction

from . import charts, maps
from .auth import role_required
from .data import _api_error, newest_form
from .indicators import (
    BY_DIMENSIONS,
    BY_ID,
    COUNT,
    FAMILIES,
    INDICATORS,
    change,
    compare,
    compute,
    gaps,
)
from .store import get_store

bp = Blueprint("dashboard", __name__)


def dimension_label(name: str | None) -> str:
    return {
        None: gettext("Everyone"),
        "area": gettext("Area"),
        "month": gettext("Month"),
        "gender": gettext("Gender"),
        "age_band": gettext("Age band"),
        "migration_status": gettext("Migration status"),
        "disability": gettext("Disability"),
    }[name]


def chart_labels() -> dict:
    """The words inside charts, translated; placeholders stay as charts expects them."""
    return {
        "suppressed": gettext("suppressed (n < %(k)s)"),
        "overall": gettext("Everyone"),
        "no_data": gettext("No data"),
        "cell": gettext("%(group)s: %(value)s (95%% CI %(low)s to %(high)s; n = %(n)s)"),
        "cell_no_ci": gettext("%(group)s: %(value)s (n = %(n)s)"),
        "cell_suppressed": gettext("%(group)s: suppressed (n < %(k)s)"),
        "complement": gettext("hidden to protect a small group"),
        "cell_complement": gettext("%(group)s: hidden to protect a small group"),
        "not_stated": gettext("Not stated"),
        "whiskers": gettext("Lines show the confidence intervals (95%)."),
        "band": gettext("The shaded band shows the confidence interval (95%)."),
        "gap": gettext("%(group)s: %(value)s (95%% CI %(low)s to %(high)s)"),
        "gap_significant": gettext(
            "%(group)s: %(value)s (95%% CI %(low)s to %(high)s), significant"
        ),
        "gap_too_few": gettext("%(group)s: too few respondents to compare"),
        "too_few": gettext("too few respondents to compare"),
        "gap_legend": gettext("Filled dots: significant after correcting for several comparisons."),
    }


def map_labels() -> dict:
    """The words of a map: the charts' and two of its own."""
    return {
        **chart_labels(),
        "cell_no_data": gettext("%(group)s: no data"),
        "not_on_map": gettext("Not on the map (no such area in the boundaries file): %(areas)s"),
    }


def current_boundaries(view: str, by: str | None):
    """(the published boundaries files, the one the map draws) for one indicator by area,
    else None. The map draws the file asked for (?boundaries=form/file), else the
    indicator's form's, else the first; a file asked for that is not published is a 404."""
    if by != "area" or view not in BY_ID:
        return None
    found = maps.published_boundaries(get_store())
    chosen = chosen_boundaries(found, view)
    if chosen is None and request.args.get("boundaries"):
        abort(404)
    return found, chosen


def chosen_boundaries(found: list, view: str):
    """The file asked for (?boundaries=form/file) among `found`, else the indicator's
    form's, else the first; None when the one asked for is not there, or there is none."""
    asked = request.args.get("boundaries")
    own = [b for b in found if b.form_id == BY_ID[view].form]
    wanted = [b for b in found if b.key == asked] if asked else own or found
    return wanted[0] if wanted else None


def map_svg(result, title, boundaries) -> str:
    return maps.map_svg(
        result,
        boundaries.geojson,
        title,
        map_labels(),
        boundaries=boundaries,
        group_labels=group_labels(result.by),
        rtl=text_direction() == "rtl",
    )


def current_result():
    """The indicator (or family of indicators) and disaggregation the request asks for."""
    view = request.args.get("view", INDICATORS[0].id)
    by = request.args.get("by") or None
    k = current_app.config["SUPPRESSION_K"]
    db = get_store().db
    if view in FAMILIES:
        return view, None, compare(db, view, k=k), str(FAMILIES[view])
    if view not in BY_ID or (by is not None and by not in BY_DIMENSIONS):
        abort(404)
    return view, by, compute(db, view, by=by, k=k), str(BY_ID[view].title)


def group_labels(by: str | None) -> dict:
    """Groups named in the reader's language: choice labels of the built-in survey."""
    if by == "disability":
        return {"yes": gettext("With a disability"), "no": gettext("Without a disability")}
    survey = newest_form(SURVEY_FORM)
    if by in ("gender", "migration_status"):
        question = survey.questions[by]
        return {
            c["name"]: survey.text(c["label"], current_locale()) for c in survey.choices(question)
        }
    return {}


def chart_svg(result, title) -> str:
    if result.by == "month":
        return charts.trend_chart_svg(result, title, chart_labels())
    return charts.bar_chart_svg(
        result,
        title,
        chart_labels(),
        group_labels=group_labels(result.by),
        rtl=text_direction() == "rtl",
    )


def design_rows(result, rows: list[dict]) -> list[dict]:
    """The table rows with each shown cell's design effect and effective sample size."""
    fmt = charts.default_format(result)
    for row, cell in zip(rows, result.cells, strict=True):
        shown = not cell.suppressed and cell.deff is not None
        row["deff"] = f"{cell.deff:.2f}" if shown else ""
        row["effective_n"] = f"{cell.effective_n:.0f}" if shown else ""
        row["se"] = fmt(cell.se) if not cell.suppressed and cell.se is not None else ""
    return rows


def current_gaps(view: str, by: str | None, result):
    """Each shown group against the rest, for a breakdown of a share or a mean (not months:
    those get `trend_change`); None where there is nothing to compare."""
    if by is None or by == "month" or view not in BY_ID or result.kind == COUNT:
        return None
    return gaps(get_store().db, view, by, k=result.k)


def gap_rows(found, result) -> list[dict]:
    if found is None:
        return []
    labels = group_labels(result.by)
    fmt = charts.default_format(result)
    rows = []
    for comparison in found.comparisons:
        if comparison.difference is None:
            continue
        rows.append(
            {
                "group": charts.group_label(result, comparison.group, chart_labels(), labels),
                "difference": fmt(comparison.difference),
                "interval": f"{fmt(comparison.ci_low)} – {fmt(comparison.ci_high)}",
                "significant": comparison.significant,
            }
        )
    return rows


def gap_title(title: str) -> str:
    return gettext("%(indicator)s: each group minus everyone else", indicator=title)


def gap_svg(found, title: str) -> str:
    return charts.gap_chart_svg(
        found,
        gap_title(title),
        chart_labels(),
        group_labels=group_labels(found.result.by),
        rtl=text_direction() == "rtl",
    )


def asked_change(result):
    """The two months whose change is asked (?from=&to=, else the first and last shown) and
    that change, tested; None when either month is not shown or they are the same."""
    months = [cell.group for cell in result.cells if not cell.suppressed]
    first = request.args.get("from") or (months[0] if months else None)
    last = request.args.get("to") or (months[-1] if months else None)
    if first is None or last is None or first not in months or last not in months or first == last:
        return None
    found = change(get_store().db, result.indicator, first, last, k=result.k)
    return None if found is None else (first, last, found)


def trend_change(view: str, by: str | None, result) -> dict | None:
    """The change between two months, as the page shows it."""
    if by != "month" or view not in BY_ID or result.kind == COUNT:
        return None
    asked = asked_change(result)
    if asked is None:
        return None
    first, last, found = asked
    fmt = charts.default_format(result)
    return {
        "first": first,
        "last": last,
        "difference": fmt(found.difference),
        "interval": f"{fmt(found.ci_low)} – {fmt(found.ci_high)}",
        "significant": found.significant,
    }


@bp.route("/")
@role_required("viewer")
def index():
    view, by, result, title = current_result()
    singles = [i for i in INDICATORS if i.family is None]
    found = current_gaps(view, by, result)
    boundaries = current_boundaries(view, by)
    return render_template(
        "dashboard.html",
        view=view,
        by=by,
        result=result,
        title=title,
        svg=chart_svg(result, title),
        rows=design_rows(
            result, charts.table_rows(result, chart_labels(), group_labels=group_labels(by))
        ),
        gaps=gap_rows(found, result),
        gap_svg=gap_svg(found, title) if found else None,
        gap_downloads={
            fmt: url_for("dashboard.gap_download", fmt=fmt, **request.args)
            for fmt in ("svg", "png", "csv")
        },
        trend=trend_change(view, by, result),
        boundaries=boundaries,
        map_svg=map_svg(result, title, boundaries[1]) if boundaries and boundaries[1] else None,
        map_downloads={
            fmt: url_for("dashboard.map_download", fmt=fmt, **request.args)
            for fmt in ("svg", "png")
        },
        singles=singles,
        families=FAMILIES,
        dimensions=BY_DIMENSIONS,
        dimension_label=dimension_label,
        unit=str(result.unit),
        downloads={
            fmt: url_for("dashboard.download", fmt=fmt, **request.args)
            for fmt in ("svg", "png", "csv")
        },
    )


@bp.route("/indicator.<any(svg, png, csv):fmt>")
@role_required("viewer")
def download(fmt: str):
    view, by, result, title = current_result()
    name = f"{view}-{by or 'all'}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "csv":
        return Response("\ufeff" + charts.to_csv(result), mimetype="text/csv", headers=headers)
    if fmt == "png":
        return Response(
            charts.bar_chart_png(
                result, title, chart_labels(), group_labels=group_labels(by), scale=2
            ),
            mimetype="image/png",
            headers=headers,
        )
    return Response(chart_svg(result, title), mimetype="image/svg+xml", headers=headers)


@bp.route("/gaps.<any(svg, png, csv):fmt>")
@role_required("viewer")
def gap_download(fmt: str):
    """The gap chart or its numbers, for the indicator and breakdown the page shows."""
    view, by, result, title = current_result()
    found = current_gaps(view, by, result)
    if found is None:
        abort(404)
    headers = {"Content-Disposition": f'attachment; filename="{view}-{by}-gaps.{fmt}"'}
    if fmt == "csv":
        return Response("\ufeff" + charts.gaps_csv(found), mimetype="text/csv", headers=headers)
    if fmt == "png":
        return Response(
            charts.gap_chart_png(
                found, gap_title(title), chart_labels(), group_labels=group_labels(by), scale=2
            ),
            mimetype="image/png",
            headers=headers,
        )
    return Response(gap_svg(found, title), mimetype="image/svg+xml", headers=headers)


@bp.route("/map.<any(svg, png):fmt>")
@role_required("viewer")
def map_download(fmt: str):
    """The map of the indicator by area the page shows; 404 without published boundaries."""
    view, by, result, title = current_result()
    boundaries = current_boundaries(view, by)
    if boundaries is None or boundaries[1] is None:
        abort(404)
    chosen = boundaries[1]
    headers = {"Content-Disposition": f'attachment; filename="{view}-map.{fmt}"'}
    if fmt == "png":
        return Response(
            maps.map_png(
                result,
                chosen.geojson,
                title,
                map_labels(),
                boundaries=chosen,
                group_labels=group_labels(by),
                scale=2,
            ),
            mimetype="image/png",
            headers=headers,
        )
    return Response(map_svg(result, title, chosen), mimetype="image/svg+xml", headers=headers)


# -- The same numbers as JSON, for scripts (a personal API token, as for records) ---------

api_bp = Blueprint("indicators_api", __name__, url_prefix="/api/v1/indicators")


@api_bp.route("")
def indicators_api():
    """Every indicator the dashboard shows, with the breakdowns each can take."""
    _user, refusal = _api_user()
    if refusal is not None:
        return refusal
    return {
        "indicators": [
            {
                "id": i.id,
                "kind": i.kind,
                "form": i.form,
                "title": str(i.title),
                "unit": str(i.unit),
                "family": i.family,
            }
            for i in INDICATORS
        ],
        "families": {family: str(title) for family, title in FAMILIES.items()},
        "breakdowns": list(BY_DIMENSIONS),
    }


@api_bp.route("/<indicator_id>")
def indicator_api(indicator_id: str):
    """One indicator, overall or by a breakdown (`by`), with the small-cell rules of the
    dashboard; with a breakdown, the gap of each group against the rest (or `reference`),
    and for months the change between `from` and `to` (default: the first and last shown)."""
    _user, refusal = _api_user()
    if refusal is not None:
        return refusal
    by = request.args.get("by") or None
    if indicator_id not in BY_ID:
        return _api_error(404, "unknown_indicator", f"No indicator {indicator_id}.")
    if by is not None and by not in BY_DIMENSIONS:
        return _api_error(
            400, "unknown_breakdown", f"by must be one of: {', '.join(BY_DIMENSIONS)}."
        )
    db = get_store().db
    result = compute(db, indicator_id, by=by, k=current_app.config["SUPPRESSION_K"])
    answer = {
        "indicator": indicator_id,
        "title": str(BY_ID[indicator_id].title),
        "kind": result.kind,
        "unit": str(result.unit),
        "k": result.k,
        "by": by,
        "design": result.design,
        "cells": [_cell_json(result, c) for c in result.cells],
    }
    if by == "month" and result.kind != COUNT:
        answer["change"] = _change_json(result)
    elif by is not None and result.kind != COUNT:
        reference = request.args.get("reference") or None
        try:
            found = gaps(db, indicator_id, by, k=result.k, reference=reference)
        except ValueError as error:
            return _api_error(400, "invalid_reference", str(error))
        answer["gaps"] = {
            "reference": reference,
            "comparisons": [_comparison_json(c) for c in found.comparisons],
        }
    return answer


@api_bp.route("/<indicator_id>/map")
def indicator_map_api(indicator_id: str):
    """The indicator by area as GeoJSON for a GIS: each area of the published boundaries
    (?boundaries=form/file, else the map's choice) with its cell as the JSON API gives it,
    so a suppressed area carries no number; areas with no respondent say `no_data`."""
    _user, refusal = _api_user()
    if refusal is not None:
        return refusal
    if indicator_id not in BY_ID:
        return _api_error(404, "unknown_indicator", f"No indicator {indicator_id}.")
    chosen = chosen_boundaries(maps.published_boundaries(get_store()), indicator_id)
    if chosen is None:
        return _api_error(404, "no_boundaries", "No published form carries that boundaries file.")
    result = compute(get_store().db, indicator_id, by="area", k=current_app.config["SUPPRESSION_K"])
    cells = {cell.group: _cell_json(result, cell) for cell in result.cells if cell.group}
    collection = maps.map_features(chosen.geojson, cells.get)
    drawn = {feature["properties"]["area"] for feature in collection["features"]}
    collection.update(
        indicator=indicator_id,
        title=str(BY_ID[indicator_id].title),
        unit=str(result.unit),
        k=result.k,
        boundaries=chosen.key,
        not_on_map=sorted(set(cells) - drawn),
    )
    return Response(json.dumps(collection), mimetype="application/geo+json")


def _cell_json(result, cell) -> dict:
    """A cell as the dashboard shows it: a hidden cell carries no number at all, n included."""
    name = charts.group_label(result, cell.group, chart_labels(), group_labels(result.by))
    shown = (
        {}
        if cell.suppressed
        else {
            "n": cell.n,
            "estimate": cell.estimate,
            "ci_low": cell.ci_low,
            "ci_high": cell.ci_high,
            "se": cell.se,
            "design_effect": cell.deff,
            "effective_n": cell.effective_n,
        }
    )
    return {
        "group": cell.group,
        "label": name,
        "suppressed": cell.suppressed,
        "reason": cell.reason,
        **shown,
    }


def _comparison_json(comparison) -> dict:
    return {
        "group": comparison.group,
        "reference": comparison.reference,
        "difference": comparison.difference,
        "se": comparison.se,
        "ci_low": comparison.ci_low,
        "ci_high": comparison.ci_high,
        "p_value": comparison.p_value,
        "p_adjusted": comparison.p_adjusted,
        "significant": comparison.significant,
    }


def _change_json(result) -> dict | None:
    asked = asked_change(result)
    if asked is None:
        return None
    first, last, found = asked
    return {"from": first, "to": last, **_comparison_json(found)}


def _api_user():
    """(the token's user, None), or (None, the refusal): analysts and admins, as for records."""
    from .api_tokens import request_user

    return request_user(get_store().db)
