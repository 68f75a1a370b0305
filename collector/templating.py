"""Template filters and globals every page uses: numbers and dates through Flask-Babel."""

from __future__ import annotations

from flask import current_app
from flask_babel import format_date, format_datetime, format_decimal, gettext

from . import validation
from .forms import MAX_INSTANCES
from .clock import parse_iso


def status_label(status: str) -> str:
    return {
        "draft": gettext("Draft"),
        "finalized": gettext("Finalized"),
        "queued": gettext("Queued"),
        "synced": gettext("Synced"),
        "rejected": gettext("Rejected"),
    }.get(status, status)


def hub_name() -> str:
    # A name set by the deployment is shown as set; the default one is translated.
    hub = current_app.config["HUB"]
    if hub.get("hub_name"):
        return hub["hub_name"]
    return gettext("Central workspace") if hub.get("central") else gettext("Community feedback hub")


def init_app(app) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters.update(
        number=lambda value: format_decimal(value),
        datetime=lambda value: format_datetime(parse_iso(value), "short") if value else "",
        date=lambda value: format_date(parse_iso(value), "medium") if value else "",
    )
    app.jinja_env.globals.update(status_label=status_label, hub_name=hub_name,
                                  client_rules=validation.client_rules,
                                  allowed_choices=validation.allowed_choices,
                                  max_instances=MAX_INSTANCES,
                                  template_values=validation.template_values)
