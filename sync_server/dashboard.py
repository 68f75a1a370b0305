"""Indicators dashboard: each indicator overall or disaggregated, with its n, a 95%
interval and small-cell suppression, as a chart, a table, a text alternative and downloads.

Every number shown comes from `compute` or `compare`, which hide small cells and their
complements; no request can pass filters to them, so the views are exactly the indicators,
overall and by each dimension, and the families side by side."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_babel import gettext

from collector.i18n import current_locale, text_direction

from . import charts
from .auth import role_required
from .data import newest_form
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
    return {None: gettext("Everyone"), "area": gettext("Area"), "month": gettext("Month"),
            "gender": gettext("Gender"), "age_band": gettext("Age band"),
            "migration_status": gettext("Migration status"),
            "disability": gettext("Disability")}[name]


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
    }


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
    survey = newest_form("community_survey")
    if by in ("gender", "migration_status"):
        question = survey.questions[by]
        return {c["name"]: survey.text(c["label"], current_locale())
                for c in survey.choices(question)}
    return {}


def chart_svg(result, title) -> str:
    if result.by == "month":
        return charts.trend_chart_svg(result, title, chart_labels())
    return charts.bar_chart_svg(result, title, chart_labels(), group_labels=group_labels(result.by),
                                rtl=text_direction() == "rtl")


def design_rows(result, rows: list[dict]) -> list[dict]:
    """The table rows with each shown cell's design effect and effective sample size."""
    fmt = charts.default_format(result)
    for row, cell in zip(rows, result.cells, strict=True):
        shown = not cell.suppressed and cell.deff is not None
        row["deff"] = f"{cell.deff:.2f}" if shown else ""
        row["effective_n"] = f"{cell.effective_n:.0f}" if shown else ""
        row["se"] = fmt(cell.se) if not cell.suppressed and cell.se is not None else ""
    return rows


def gap_rows(view: str, by: str | None, result) -> list[dict]:
    """Each shown group against the rest, for a breakdown of a share or a mean (not months:
    those get `trend_change`)."""
    if by is None or by == "month" or view not in BY_ID or result.kind == COUNT:
        return []
    found = gaps(get_store().db, view, by, k=result.k)
    labels = group_labels(by)
    fmt = charts.default_format(result)
    rows = []
    for comparison in found.comparisons:
        if comparison.difference is None:
            continue
        rows.append({"group": charts.group_label(result, comparison.group, chart_labels(),
                                                 labels),
                     "difference": fmt(comparison.difference),
                     "interval": f"{fmt(comparison.ci_low)} – {fmt(comparison.ci_high)}",
                     "significant": comparison.significant})
    return rows


def trend_change(view: str, by: str | None, result) -> dict | None:
    """The change between two months (?from=&to=, else the first and last shown), tested."""
    if by != "month" or view not in BY_ID or result.kind == COUNT:
        return None
    months = [cell.group for cell in result.cells if not cell.suppressed]
    first = request.args.get("from") or (months[0] if months else None)
    last = request.args.get("to") or (months[-1] if months else None)
    if (first is None or last is None or first not in months or last not in months
            or first == last):
        return None
    found = change(get_store().db, view, first, last, k=result.k)
    if found is None:
        return None
    fmt = charts.default_format(result)
    return {"first": first, "last": last, "difference": fmt(found.difference),
            "interval": f"{fmt(found.ci_low)} – {fmt(found.ci_high)}",
            "significant": found.significant}


@bp.route("/")
@role_required("viewer")
def index():
    view, by, result, title = current_result()
    singles = [i for i in INDICATORS if i.family is None]
    return render_template(
        "dashboard.html", view=view, by=by, result=result, title=title,
        svg=chart_svg(result, title),
        rows=design_rows(result, charts.table_rows(result, chart_labels(),
                                                   group_labels=group_labels(by))),
        gaps=gap_rows(view, by, result), trend=trend_change(view, by, result),
        singles=singles, families=FAMILIES, dimensions=BY_DIMENSIONS,
        dimension_label=dimension_label, unit=str(result.unit),
        downloads={fmt: url_for("dashboard.download", fmt=fmt, **request.args)
                   for fmt in ("svg", "png", "csv")})


@bp.route("/indicator.<any(svg, png, csv):fmt>")
@role_required("viewer")
def download(fmt: str):
    view, by, result, title = current_result()
    name = f"{view}-{by or 'all'}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "csv":
        return Response("\ufeff" + charts.to_csv(result), mimetype="text/csv", headers=headers)
    if fmt == "png":
        return Response(charts.bar_chart_png(result, title, chart_labels(),
                                             group_labels=group_labels(by), scale=2),
                        mimetype="image/png", headers=headers)
    return Response(chart_svg(result, title), mimetype="image/svg+xml", headers=headers)
