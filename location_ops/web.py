"""Templates, rendering, and small helpers shared by the page routes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_currency
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2_fragments.fastapi import Jinja2Blocks

from location_ops import i18n
from location_ops.clock import LOCAL_TZ
from location_ops.config import PROJECT_ROOT

TEMPLATES_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"

templates = Jinja2Blocks(directory=str(TEMPLATES_DIR))
_env = templates.env
_env.add_extension("jinja2.ext.i18n")
_env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)
_env.policies["ext.i18n.trimmed"] = True


def _local(value: dt.datetime) -> dt.datetime:
    return value.astimezone(LOCAL_TZ)


def fmt_time(value: dt.datetime | None) -> str:
    return "" if value is None else format_time(_local(value), "HH:mm", locale=i18n.current_language())


def fmt_datetime(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return format_datetime(_local(value), "d MMM HH:mm", locale=i18n.current_language())


def fmt_date(value: dt.date | None, form: str = "medium") -> str:
    return "" if value is None else format_date(value, form, locale=i18n.current_language())


def fmt_cents(cents: int | None) -> str:
    """Format integer cents as euros in the current language (€ 80,00 / €80.00)."""
    return "" if cents is None else format_currency(cents / 100, "EUR", locale=i18n.current_language())


_env.filters.update(time=fmt_time, datetime=fmt_datetime, date=fmt_date, euros=fmt_cents)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    block_name: str | None = None,
) -> HTMLResponse:
    """Render a page (or one block of it, for an htmx swap) with the common context."""
    from location_ops.accounts.deps import csrf_token_for

    from location_ops import nav

    principal = getattr(request.state, "principal", None)
    full = {
        "nav_entries": lambda user: nav.for_role(user.role),
        "nav_groups": lambda user: nav.grouped_for_role(user.role),
        "quick_exit_url": request.app.state.settings.quick_exit_url,
        "request": request,
        "principal": principal,
        "user": principal.user if principal else None,
        "csrf_token": csrf_token_for(request),
        "lang": i18n.current_language(),
        "languages": i18n.available_languages(),
        "language_names": i18n.LANGUAGE_NAMES,
        # A form that did not validate, shown again (location_ops.forms.redisplay).
        "form": getattr(request.state, "form", None),
        **(context or {}),
    }
    return templates.TemplateResponse(
        request, name, full, status_code=status_code, block_name=block_name
    )
