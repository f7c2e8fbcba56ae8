"""Templates, rendering, and small helpers shared by the page routes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2_fragments.fastapi import Jinja2Blocks

from location_ops import i18n
from location_ops.config import PROJECT_ROOT
from location_ops.formatting import FILTERS, fmt_cents, fmt_date, fmt_datetime, fmt_time  # noqa: F401 (re-exported)

TEMPLATES_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"

templates = Jinja2Blocks(directory=str(TEMPLATES_DIR))
_env = templates.env
_env.add_extension("jinja2.ext.i18n")
_env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)
_env.policies["ext.i18n.trimmed"] = True
_env.filters.update(FILTERS)


def field_id(text: str) -> str:
    """An HTML id for a form field from its form's action and its name ("/admin/rooms-number" → "f-admin-rooms-number")."""
    return "f-" + re.sub(r"[^A-Za-z0-9]+", "-", str(text)).strip("-")


def options(items, value: str = "id", text: str = "name") -> list[tuple[Any, Any]]:
    """(value, text) pairs for ``forms.select`` from objects: ``rooms|options("id", "number")``."""
    return [(getattr(item, value), getattr(item, text)) for item in items]


_env.filters.update(field_id=field_id, options=options)


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
