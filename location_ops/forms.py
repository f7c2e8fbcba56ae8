"""Declared form input: shared field types, and a form shown again with its errors.

Every form field and query parameter is declared (a typed parameter or a form model) and
FastAPI parses it. When a web form does not validate, :func:`redisplay` answers 400 with
the form's page rendered again: ``form.errors`` maps each field to a sentence naming its
label and ``form.values`` keeps what was typed. The page is the GET route at the same path,
or the one a route declares with :func:`form_page`. Labels come from each field's
``title`` (marked with ``lazy()`` so that it is translated).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, get_args
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from location_ops.i18n import _

#: The database's integer range: every id the server looks up fits in it.
MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]

#: Dates a person means: anything outside is a typing error, not a plan.
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2100, 12, 31)
#: JSON Schema has no date range: the document says the years with a pattern next to ``format: date``.
DAY_PATTERN = r"^(20[0-9]{2}|2100)-"
Day = Annotated[dt.date, Field(ge=FIRST_DAY, le=LAST_DAY, json_schema_extra={"pattern": DAY_PATTERN})]


def blank_is_none(value: Any) -> Any:
    """Read an empty text field (a select's "all" option) as no value."""
    return None if isinstance(value, str) and value.strip() == "" else value


OptionalId = Annotated[Id | None, BeforeValidator(blank_is_none)]


def integral(value: Any) -> Any:
    """A JSON number that is whole (``80`` or ``80.0``, as JSON Schema's ``integer`` allows) as an int.

    Booleans and strings are left for the strict check to refuse: a boolean is not a number.
    """
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def blank_is_false(value: Any) -> Any:
    """Read an absent or empty checkbox value as unchecked."""
    return False if value is None or (isinstance(value, str) and value.strip() == "") else value


#: A checkbox: checked when sent as on/1/true/yes, unchecked when empty; anything else is refused.
Checkbox = Annotated[bool, BeforeValidator(blank_is_false)]
OptionalDay = Annotated[Day | None, BeforeValidator(blank_is_none)]

def _week_pattern(first: int = FIRST_DAY.year, last: int = LAST_DAY.year) -> str:
    """YYYY-Www for the years a person plans in; W53 only in the years that have one."""
    long_years = [year for year in range(first, last + 1) if dt.date(year, 12, 28).isocalendar()[1] == 53]
    return (rf"^(?:(?:20[0-9]{{2}}|2100)-W(?:0[1-9]|[1-4][0-9]|5[0-2])"
            rf"|(?:{'|'.join(map(str, long_years))})-W53)$")


#: An ISO week (2026-W48) in the years 2000–2100; the OpenAPI document shows the same pattern.
WEEK_PATTERN = _week_pattern()
_WEEK = re.compile(r"([0-9]{4})-W([0-9]{2})")
#: A month (2026-11); years outside 2000–2100 are refused by the date range after parsing.
MONTH_PATTERN = r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])$"
_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")


def week_to_monday(value: Any) -> Any:
    """An ISO week written as YYYY-Www as the date of its Monday."""
    if isinstance(value, dt.date):
        return value
    match = _WEEK.fullmatch(value) if isinstance(value, str) and re.fullmatch(WEEK_PATTERN, value) else None
    if match is None:
        raise PydanticCustomError("week", "not a week written as YYYY-Www")
    return dt.date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)


def month_to_first(value: Any) -> Any:
    """A month written as YYYY-MM as the date of its first day (the date range checks the year)."""
    if isinstance(value, dt.date):
        return value.replace(day=1)
    match = _MONTH.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise PydanticCustomError("month", "not a month written as YYYY-MM")
    try:
        return dt.date(int(match.group(1)), int(match.group(2)), 1)
    except ValueError:  # year 0000
        raise PydanticCustomError("month", "not a month written as YYYY-MM") from None


#: The Monday of an ISO week given as YYYY-Www.
Week = Annotated[dt.date, BeforeValidator(week_to_monday),
                 WithJsonSchema({"type": "string", "pattern": WEEK_PATTERN, "examples": ["2026-W48"]})]
OptionalWeek = Annotated[Week | None, BeforeValidator(blank_is_none)]
#: The first day of a month given as YYYY-MM.
Month = Annotated[dt.date, BeforeValidator(month_to_first), Field(ge=FIRST_DAY, le=LAST_DAY),
                  WithJsonSchema({"type": "string", "pattern": MONTH_PATTERN, "examples": ["2026-11"]})]
OptionalMonth = Annotated[Month | None, BeforeValidator(blank_is_none)]
_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?")


def local_time(value: Any) -> Any:
    """A wall-clock time as a time field sends it (HH:MM, seconds allowed): no offset, no fractions."""
    if isinstance(value, str) and not _TIME.fullmatch(value.strip()):
        raise PydanticCustomError("time_parsing", "not a time written as HH:MM")
    return value.strip() if isinstance(value, str) else value


#: A time of day as typed in a time field (HH:MM), without a UTC offset.
Time = Annotated[dt.time, BeforeValidator(local_time)]
OptionalTime = Annotated[Time | None, BeforeValidator(blank_is_none)]


#: What :mod:`location_ops.limits` refuses in text: control characters (Cc) and bidi controls.
_REFUSED = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
#: One line of text: no control character at all (the document says so, for clients and fuzzers).
LINE_PATTERN = r"^[^\t\n\r" + _REFUSED + r"]*$"
#: Several lines: tab and line feed allowed, a carriage return only before a line feed.
LINES_PATTERN = r"^(?:[^\r" + _REFUSED + r"]|\r\n)*$"
Line = Annotated[str, Field(pattern=LINE_PATTERN)]
Lines = Annotated[str, Field(pattern=LINES_PATTERN)]

_EUROS = re.compile(r"[0-9]{1,5}([.,][0-9]{1,2})?")


def euros_to_cents(value: Any) -> Any:
    """An amount in euros as typed ("80", "€ 80,00", "12.5") as integer cents."""
    if not isinstance(value, str):
        raise PydanticCustomError("euros", "not an amount in euros")
    text = value.strip().replace("€", "").replace(" ", "")
    if not _EUROS.fullmatch(text):
        raise PydanticCustomError("euros", "not an amount in euros")
    try:
        return int(Decimal(text.replace(",", ".")) * 100)
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        raise PydanticCustomError("euros", "not an amount in euros") from None


#: An amount in euros, typed by a person, as cents (at most € 99 999,99).
Cents = Annotated[int, BeforeValidator(euros_to_cents)]
OptionalCents = Annotated[Cents | None, BeforeValidator(blank_is_none)]


def form_page(path: str, *, htmx_target: str | None = None):
    """Declare the page (a GET path; ``{name}`` from the path's parameters) that shows this route's form.

    The path may carry a query whose ``{name}`` placeholders take the submitted form's values
    (``"/statements?worker={worker}"``): the page that showed the form for that worker.

    ``htmx_target``: for a form in an htmx fragment (a sheet), the element an htmx submission's
    error answer replaces; the page is then rendered as htmx renders it, as the fragment alone.
    """

    def page() -> None:
        return None

    page.form_page = path
    page.htmx_target = htmx_target
    return Depends(page)


class FieldError(Exception):
    """A refusal that concerns one field of a web form: shown at that field, with what was typed kept.

    ``field`` is the form field's name (None: the form as a whole). Raise it from a route
    (after rolling the session back) when a service refuses a value; the app's handler shows
    the form's page again exactly as for a validation error.
    """

    def __init__(self, field: str | None, sentence: str, status: int = 400) -> None:
        super().__init__(sentence)
        self.field = field
        self.sentence = sentence
        self.status = status


def refuse(db_session, field: str | None, error: Exception | str, status: int = 400):
    """Roll back and raise :class:`FieldError` for ``field`` with the error's sentence."""
    db_session.rollback()
    raise FieldError(field, str(error), status)


# --- sentences ------------------------------------------------------------------------------


def _limits(field_info) -> tuple[Any, Any]:
    """The ge/le limits of a field, looking into ``X | None`` and annotated aliases."""
    low = high = None

    def visit(metadata) -> None:
        nonlocal low, high
        for item in metadata:
            low = getattr(item, "ge", None) if getattr(item, "ge", None) is not None else low
            high = getattr(item, "le", None) if getattr(item, "le", None) is not None else high
            visit(getattr(item, "metadata", ()))

    def visit_type(annotation) -> None:
        visit(getattr(annotation, "__metadata__", ()))
        for arg in get_args(annotation):
            if arg is not type(None):
                visit_type(arg)

    visit(getattr(field_info, "metadata", ()))
    visit_type(getattr(field_info, "annotation", None))
    return low, high


def _fields(route: APIRoute) -> dict[str, Any]:
    """Every declared input of a route by name: parameters and the fields of form models."""
    found: dict[str, Any] = {}
    dependant = route.dependant
    for param in (*dependant.path_params, *dependant.query_params, *dependant.body_params):
        annotation = param.field_info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            for name, info in annotation.model_fields.items():
                found[info.alias or name] = info
        found[param.alias] = param.field_info
    return found


def _shown(value: Any) -> str:
    if isinstance(value, dt.date):
        from location_ops.formatting import fmt_date

        return fmt_date(value)
    return str(value)


def field_sentence(error: dict, field_info) -> str:
    """One translated sentence for one field's error, naming the field's label."""
    name = str(error.get("loc", ("",))[-1])
    title = getattr(field_info, "title", None)
    label = _(title) if title else name.replace("_", " ")
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    low, high = _limits(field_info) if field_info is not None else (None, None)
    values = {"label": label, "low": _shown(low), "high": _shown(high), "max": ctx.get("max_length", "")}
    if kind == "missing":
        return _("Fill in “%(label)s”.") % values
    if kind in ("string_too_long", "too_long"):
        return _("“%(label)s” is too long: at most %(max)s characters.") % values
    if kind == "euros":
        return _("“%(label)s” is not an amount in euros; write it as 80,00.") % values
    if kind == "week":
        return _("“%(label)s” is not a week from 2000 to 2100; write it as YYYY-Www, for example 2026-W48.") % values
    if kind == "month":
        return _("“%(label)s” is not a month; write it as YYYY-MM, for example 2026-11.") % values
    if isinstance(low, dt.date) and kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        # ISO dates, as the services' range sentences write them.
        return _("“%(label)s” must be a date from %(low)s to %(high)s.") % {
            **values, "low": low.isoformat(), "high": high.isoformat() if high else ""}
    if kind.startswith("date") or kind.startswith("datetime"):
        if kind.startswith("datetime"):
            return _("“%(label)s” is not a date and time.") % values
        return _("“%(label)s” is not a date; write it as YYYY-MM-DD.") % values
    if kind.startswith("time"):
        return _("“%(label)s” is not a time; write it as HH:MM.") % values
    if kind.startswith("int") or kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        if high == MAX_ID:
            return _("“%(label)s” is not one of the choices.") % values
        if low is not None and high is not None:
            return _("“%(label)s” must be a whole number from %(low)s to %(high)s.") % values
        return _("“%(label)s” must be a whole number.") % values
    if kind in ("enum", "literal_error"):
        return _("Choose one of the options for “%(label)s”.") % values
    return _("“%(label)s” is not valid.") % values


def sentences(route: APIRoute | None, exc: RequestValidationError) -> dict[str, str]:
    """Field name → sentence for each failing field (the first error of each)."""
    fields = _fields(route) if route is not None else {}
    found: dict[str, str] = {}
    for error in exc.errors():
        loc = [part for part in error.get("loc", ()) if part not in ("body", "query", "path", "form")]
        if not loc:
            continue
        name = str(loc[0])
        found.setdefault(name, field_sentence(error, fields.get(name)))
    return found


def first_sentence(request: Request, exc: RequestValidationError) -> str | None:
    """The sentence for the first failing field of a web request, or None when no field is named."""
    route = request.scope.get("route")
    found = sentences(route if isinstance(route, APIRoute) else None, exc)
    return next(iter(found.values()), None)


# --- the form shown again -------------------------------------------------------------------


class _Blank(dict):
    """Format values where a missing one is empty."""

    def __missing__(self, key: str) -> str:
        return ""


#: A hidden field that tells two forms posting to the same path apart (``forms.key`` in templates).
FORM_KEY = "_form"


def _typed(body: Any) -> dict[str, Any]:
    if not isinstance(body, Mapping):
        return {}
    getlist = getattr(body, "getlist", None)
    values: dict[str, Any] = {}
    for key in body.keys():
        if key == "csrf_token":
            continue
        items = getlist(key) if getlist else [body[key]]
        texts = [item for item in items if isinstance(item, str)]
        if texts:
            values[key] = texts if len(texts) > 1 else texts[0]
    return values


def _page_path(request: Request, route: APIRoute, values: dict[str, Any]) -> tuple[str | None, str | None]:
    """The GET path (with its query) that shows the route's form, and the htmx target of its error answer."""
    for dependency in route.dependant.dependencies:
        declared = getattr(dependency.call, "form_page", None)
        if declared is not None:
            path, _sep, query = declared.partition("?")
            path = path.format(**request.path_params)
            if query:
                texts = {key: value if isinstance(value, str) else value[0] for key, value in values.items()}
                pairs = [pair.split("=", 1) for pair in query.split("&")]
                query = urlencode([(key, template.format_map(_Blank(texts))) for key, template in pairs])
                path = f"{path}?{query}"
            return path, getattr(dependency.call, "htmx_target", None)
    path = request.url.path
    for prefix, router in request.app.state.routers:
        for candidate in router.routes:
            if isinstance(candidate, APIRoute) and "GET" in candidate.methods and prefix + candidate.path == route.path:
                return path, None
    return None, None


async def _get(request: Request, path: str, state: dict, *, htmx: bool = False) -> tuple[int, list, bytes]:
    """Render ``path`` as a GET by the same person (same cookies), in-process (as htmx asks for it, or whole)."""
    dropped = {b"content-type", b"content-length", b"hx-target", b"hx-trigger"}
    if not htmx:
        dropped |= {b"hx-request"}
    scope = {
        **{key: request.scope[key] for key in ("type", "http_version", "scheme", "server", "client", "root_path")
           if key in request.scope},
        "method": "GET", "path": path.partition("?")[0], "raw_path": path.partition("?")[0].encode(),
        "query_string": path.partition("?")[2].encode(),
        "headers": [(k, v) for k, v in request.scope["headers"] if k.lower() not in dropped],
        "state": state,
    }
    if "app" in request.scope:
        scope["app"] = request.scope["app"]
    sent: dict[str, Any] = {"status": 500, "headers": [], "body": b""}

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        if message["type"] == "http.response.start":
            sent["status"], sent["headers"] = message["status"], message.get("headers", [])
        elif message["type"] == "http.response.body":
            sent["body"] += message.get("body", b"")

    await request.app(scope, receive, send)
    return sent["status"], sent["headers"], sent["body"]


async def show_again(request: Request, errors: dict[str, str], body: Any, status_code: int = 400) -> Response | None:
    """The form's page again with ``form`` (errors at the fields, values kept), or None when there is none."""
    route = request.scope.get("route")
    if request.method != "POST" or not isinstance(route, APIRoute):
        return None
    values = _typed(body)
    path, htmx_target = _page_path(request, route, values)
    if path is None:
        return None
    key = values.pop(FORM_KEY, None)
    action = request.url.path + (f"#{key}" if isinstance(key, str) and key else "")
    form = {"action": action, "errors": errors, "values": values}
    htmx = htmx_target is not None and request.headers.get("hx-request") == "true"
    status, headers, content = await _get(request, path, {"form": form}, htmx=htmx)
    if status != 200:
        return None
    kept = [(k, v) for k, v in headers if k.lower() == b"content-type"]
    response = Response(content, status_code=status_code)
    for name, value in kept:
        response.headers[name.decode()] = value.decode()
    if htmx:
        response.headers["HX-Retarget"] = htmx_target
        response.headers["HX-Reswap"] = "innerHTML"
    return response


async def redisplay(request: Request, exc: RequestValidationError) -> Response | None:
    """The form's page again after a validation error, or None when the route has no form page."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return None
    return await show_again(request, sentences(route, exc), exc.body)


async def redisplay_refusal(request: Request, exc: FieldError) -> Response | None:
    """The form's page again with a service's refusal at its field, or None when there is none."""
    try:
        body = await request.form()
    except Exception:  # noqa: BLE001 - a body that is not a form keeps no values
        body = {}
    return await show_again(request, {exc.field or "": exc.sentence}, body, exc.status)
