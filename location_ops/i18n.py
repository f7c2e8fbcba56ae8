"""Translations through gettext catalogs (Babel), and choosing a language.

The catalogs are the ``.po`` files under ``location_ops/locale``; they are compiled
in memory when first used, so there is no build step and no binary file to commit.
Adding a language is adding a catalog: ``pybabel init -l es`` and translating.
"""

from __future__ import annotations

import contextvars
import io
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent / "locale"


def available_languages() -> list[str]:
    """Return the languages that ship a catalog, e.g. ['en', 'nl'] (and any installed by a test)."""
    return sorted(_shipped_languages() | set(_installed))


@lru_cache
def _shipped_languages() -> frozenset[str]:
    return frozenset(p.parent.parent.name for p in LOCALE_DIR.glob("*/LC_MESSAGES/messages.po"))


#: Catalogs installed at run time (a test's pseudo locale): language -> (translations, Babel locale).
_installed: dict[str, tuple[NullTranslations, str]] = {}


def install(language: str, catalog: NullTranslations, *, formatting_locale: str = "en") -> None:
    """Make a catalog that does not ship available as ``language`` (for tests: a pseudo locale).

    ``formatting_locale`` is the Babel locale its numbers and dates are written in.
    """
    _installed[language] = (catalog, formatting_locale)


def uninstall(language: str) -> None:
    _installed.pop(language, None)


def formatting_locale() -> str:
    """The Babel locale for numbers, money and dates in the current language."""
    language = _current.get()
    return _installed[language][1] if language in _installed else language


LANGUAGE_NAMES = {"nl": "Nederlands", "en": "English", "es": "Español", "ro": "Română",
                  "bg": "Български", "hu": "Magyar"}


def translations(language: str) -> NullTranslations:
    """Return the compiled catalog for a language (an empty one if it has none)."""
    if language in _installed:
        return _installed[language][0]
    return _shipped_translations(language)


@lru_cache
def _shipped_translations(language: str) -> NullTranslations:
    po_path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return NullTranslations()
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


_current = contextvars.ContextVar("language", default="nl")


def set_language(language: str) -> None:
    _current.set(language)


def current_language() -> str:
    return _current.get()


def gettext(message: str) -> str:
    """Translate a message into the current request's language."""
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


_ = gettext


def lazy(message: str) -> str:
    """Mark a message for extraction where it cannot be translated yet (module level)."""
    return message


def _by_preference(accept_language: str) -> list[str]:
    """Language tags of an Accept-Language header, most wanted first."""
    weighted = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, position, tag.strip().lower()))
    return [tag for _q, _p, tag in sorted(weighted)]


def negotiate(user_language: str | None, accept_language: str | None, default: str) -> str:
    """Choose the user's language, else the browser's, else the default."""
    shipped = available_languages()
    if user_language in shipped:
        return user_language
    for tag in _by_preference(accept_language or ""):
        for candidate in (tag, tag.split("-")[0]):
            if candidate in shipped:
                return candidate
    return default if default in shipped else (shipped[0] if shipped else "en")
