"""Interface languages: which we ship, how a request picks one, and text direction.

The choice follows ``?lang=CODE``, then the ``lang`` cookie, then Accept-Language.
"""

from __future__ import annotations

from babel import Locale
from flask import current_app, g, request
from flask_babel import Babel, get_locale, ngettext

import translations

LOCALES = ("en", "fr", "es", "ar", "sw", "ha")
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600

babel = Babel()


def supported_locales() -> tuple[str, ...]:
    return tuple(current_app.config["LOCALES"])


def select_locale() -> str:
    supported = supported_locales()
    asked = request.args.get("lang")
    if asked in supported:
        g.set_lang_cookie = asked
        return asked
    cookie = request.cookies.get(COOKIE)
    if cookie in supported:
        return cookie
    return request.accept_languages.best_match(supported) or current_app.config["DEFAULT_LOCALE"]


def remember_choice(response):
    """Keep a language picked with ?lang= for the next pages; not when the phone's service
    worker fetches a page in each language to keep for offline use (X-Hub-Prefetch)."""
    lang = g.pop("set_lang_cookie", None)
    if request.headers.get("X-Hub-Prefetch"):
        return response
    if lang and request.cookies.get(COOKIE) != lang:
        response.set_cookie(COOKIE, lang, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True)
    return response


def current_locale() -> str:
    return str(get_locale())


def posted_locale() -> str:
    """The language of the page the answers were typed on: numbers are read its way. A
    phone may send a record later, or from a copy of the page kept in another language
    than the one its cookie says."""
    asked = request.form.get("_locale")
    return asked if asked in supported_locales() else current_locale()


def text_direction(locale: str | None = None) -> str:
    order = Locale.parse(locale or current_locale()).character_order
    return order == "right-to-left" and "rtl" or "ltr"


def language_choices() -> list[tuple[str, str]]:
    """Each shipped language named in itself, for the switcher."""
    choices = []
    for code in supported_locales():
        name = Locale.parse(code).get_display_name(code)
        assert name is not None  # CLDR names every language we ship
        choices.append((code, name.capitalize()))
    return choices


def init_app(app) -> None:
    app.config.setdefault("LOCALES", LOCALES)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(translations.DIRECTORY))
    babel.init_app(app, locale_selector=select_locale, default_locale=app.config["DEFAULT_LOCALE"])
    app.after_request(remember_choice)
    app.jinja_env.globals.update(
        current_locale=current_locale,
        text_direction=text_direction,
        language_choices=language_choices,
    )


def wait_message(seconds: int) -> str:
    """What a person is told while their next sign-in attempt must wait (both apps)."""
    return ngettext(
        "Too many attempts. Try again in %(num)d second.",
        "Too many attempts. Try again in %(num)d seconds.",
        seconds,
    )
