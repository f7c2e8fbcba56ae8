"""create_app(): the FastAPI application, its middleware, error pages and lifespan."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from urllib.parse import quote, urlsplit

from location_ops import i18n, openapi
from location_ops.accounts.deps import (
    CSRF_COOKIE, CsrfFailed, Forbidden, LoginRequired, MfaEnrolmentRequired, is_anon_csrf, is_api, new_anon_csrf,
)
from location_ops.clock import DateOutOfRange
from location_ops.config import Settings, get_settings
from location_ops.db import make_engine, make_sessionmaker
from location_ops import events, forms
from location_ops.i18n import _
from location_ops.limits import RequestLimits
from location_ops.migrate import check_migrated
from location_ops.models import CAPABILITIES, import_capability_module
from location_ops.web import STATIC_DIR, render

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def _hooks(app: FastAPI, name: str) -> list[Callable]:
    """Collect the ``name`` coroutines (startup/shutdown) from capabilities' lifecycle.py."""
    found = []
    for capability in CAPABILITIES:
        module = import_capability_module(capability, "lifecycle")
        if module is not None and hasattr(module, name):
            found.append(getattr(module, name))
    return found


@asynccontextmanager
async def lifespan(app: FastAPI):
    check_migrated(app.state.engine)
    app.state.hub.attach(asyncio.get_running_loop())
    listener = None
    if app.state.engine.dialect.name == "postgresql":
        # Other processes' events (an alarm another process ingested) reach this one's screens.
        listener = events.Listener(app.state.settings.database_url, app.state.hub, app.state.event_origin)
        listener.start()
        await asyncio.to_thread(listener.listening.wait, 10)
    else:
        log.info("SQLite: this app runs as one process (use PostgreSQL for several)")
    app.state.event_listener = listener
    for start in _hooks(app, "startup"):
        await start(app)
    try:
        yield
    finally:
        for stop in reversed(_hooks(app, "shutdown")):
            await stop(app)
        if listener is not None:
            await asyncio.to_thread(listener.stop)
        app.state.engine.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for these settings (the environment's when None)."""
    settings = settings or get_settings()
    app = FastAPI(
        title="location-ops",
        version="0.1.0",
        lifespan=lifespan,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # openapi.install serves the docs from the app's own files
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings.database_url)
    app.state.sessionmaker = make_sessionmaker(app.state.engine)
    app.state.hub = events.EventHub()
    app.state.event_origin = events.new_origin()
    # What sessions emit reaches the screens when (and only when) they commit.
    events.install(app.state.sessionmaker, app.state.hub, notify=app.state.engine.dialect.name == "postgresql",
                   origin=app.state.event_origin)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    #: (prefix, router) of every capability; the route × role test walks these.
    app.state.routers = []
    for capability in CAPABILITIES + ("health",):
        routes = import_capability_module(capability, "routes")
        if routes is None:
            continue
        for attribute, prefix in (("router", ""), ("api", "/api/v1")):
            if hasattr(routes, attribute):
                app.include_router(getattr(routes, attribute), prefix=prefix)
                app.state.routers.append((prefix, getattr(routes, attribute)))

    openapi.install(app)
    app.add_middleware(RequestLimits, settings=settings)  # inside the request context: language set
    _install_middleware(app)
    _install_error_handlers(app)
    return app


def _install_middleware(app: FastAPI) -> None:
    settings: Settings = app.state.settings
    secret = settings.secret()

    def request_context(inner):
        # Plain ASGI, not @app.middleware("http") (BaseHTTPMiddleware): that one copies every
        # chunk of a streaming response through an extra task and channel, which slowed the
        # alarm events on every connected screen.
        async def middleware(scope, receive, send):
            if scope["type"] != "http":
                await inner(scope, receive, send)
                return
            request = Request(scope)
            # Language: the user's (set once the principal is known), else the browser's.
            i18n.set_language(
                i18n.negotiate(request.cookies.get("lo_lang"), request.headers.get("accept-language"),
                               settings.default_language)
            )
            anon_csrf = request.cookies.get(CSRF_COOKIE)
            # Only a token this app signed counts: a cookie planted by someone else (a sibling
            # subdomain, a shared browser) is replaced, so its matching form field is refused.
            new_csrf = not is_anon_csrf(secret, anon_csrf)
            request.state.anon_csrf = new_anon_csrf(secret) if new_csrf else anon_csrf

            async def send_with_headers(message):
                if message["type"] == "http.response.start":
                    headers = MutableHeaders(scope=message)
                    if new_csrf and not is_api(request) and not request.url.path.startswith("/static/"):
                        cookie = Response()
                        cookie.set_cookie(CSRF_COOKIE, request.state.anon_csrf, httponly=True, samesite="lax",
                                          secure=settings.secure_cookies, path="/")
                        for value in cookie.headers.getlist("set-cookie"):
                            headers.append("set-cookie", value)
                    _set_secure_headers(request, headers)
                await send(message)

            await inner(scope, receive, send_with_headers)

        return middleware

    app.add_middleware(request_context)


def secure_headers(request: Request, response: Response) -> Response:
    """Set the security headers (CSP, nosniff, no referrer, no framing, no caching)."""
    _set_secure_headers(request, response.headers)
    return response


def _set_secure_headers(request: Request, headers: MutableHeaders) -> None:
    headers.setdefault("Content-Security-Policy", CSP)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    headers["X-Frame-Options"] = "DENY"
    if not request.url.path.startswith("/static/"):
        headers["Cache-Control"] = "no-store"
    if request.app.state.settings.secure_cookies:
        headers["Strict-Transport-Security"] = "max-age=31536000"


def _problem(request: Request, status: int, message: str) -> Response:
    if is_api(request):
        return JSONResponse({"detail": message}, status_code=status)
    return render(request, "errors/error.html", {"status": status, "message": message},
                  status_code=status)


def validation_sentence(error: RequestValidationError) -> str:
    """Turn the first validation error into a sentence a person can act on."""
    first = error.errors()[0] if error.errors() else {}
    kind = first.get("type", "")
    if kind == "json_invalid":
        return _("The request body is not valid JSON.")
    location = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path", "form")]
    field = ".".join(location)
    if not field and tuple(first.get("loc", ())) == ("body",):
        # The body as a whole: absent, or not the object the route reads.
        if kind == "missing":
            return _("The request has no body; send the fields as a JSON object.")
        if kind in ("model_attributes_type", "dict_type", "model_type"):
            return _("The request body is not a JSON object.")
    if kind == "missing":
        return _("The field '%(field)s' is required.") % {"field": field}
    if kind in ("string_too_long", "too_long"):
        return _("The field '%(field)s' is too long.") % {"field": field}
    if kind in ("string_too_short", "too_short"):
        return _("The field '%(field)s' is too short.") % {"field": field}
    if kind in ("enum", "literal_error"):
        return _("'%(value)s' is not one of the allowed values of the field '%(field)s' (the API document lists "
                 "them).") % {"field": field, "value": str(first.get("input", ""))[:40]}
    if kind in ("date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact", "date_type"):
        return _("The field '%(field)s' is not a date; write it as YYYY-MM-DD.") % {"field": field}
    if kind == "week":
        return _("The field '%(field)s' is not a week from 2000 to 2100; write it as YYYY-Www, for example "
                 "2026-W48.") % {"field": field}
    if kind == "month":
        return _("The field '%(field)s' is not a month; write it as YYYY-MM, for example 2026-11.") % {"field": field}
    if kind.startswith("time_"):
        return _("The field '%(field)s' is not a time; write it as HH:MM.") % {"field": field}
    if kind == "string_pattern_mismatch":
        return _("The field '%(field)s' is not written as it should be.") % {"field": field}
    bound = str(next(iter((first.get("ctx") or {}).values()), ""))
    if kind in ("greater_than_equal", "less_than_equal") and bound in (forms.FIRST_DAY.isoformat(),
                                                                       forms.LAST_DAY.isoformat()):
        return _("The field '%(field)s' must be a date from %(first)s to %(last)s.") % {
            "field": field, "first": forms.FIRST_DAY.isoformat(), "last": forms.LAST_DAY.isoformat()}
    message = first.get("msg", _("invalid value"))
    if field:
        return _("The field '%(field)s' is not valid: %(reason)s.") % {"field": field, "reason": message}
    return _("The request is not valid: %(reason)s.") % {"reason": message}


def body_error_sentence(cause: BaseException | None) -> str:
    """Name what was wrong with a request body that could not be decoded at all."""
    if isinstance(cause, UnicodeDecodeError):
        return _("The request body is not valid UTF-8 text.")
    if isinstance(cause, RecursionError):
        return _("The request body is nested too deeply.")
    return _("The request body could not be read.")


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired):
        if is_api(request):
            return JSONResponse({"detail": _("Log in first.")}, status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":
            # htmx sends the page's full URL; keep only its path, as a local target.
            current = urlsplit(request.headers.get("hx-current-url") or "/")
            target = (current.path or "/") + (f"?{current.query}" if current.query else "")
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": f"/login?next={quote(target)}"})
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(MfaEnrolmentRequired)
    async def mfa_enrolment(request: Request, _exc: MfaEnrolmentRequired):
        if is_api(request):
            return JSONResponse({"detail": _("Your role requires two-step login. Set it up in the web app first.")},
                                status_code=403)
        return RedirectResponse("/account/mfa", status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, _exc: Forbidden):
        return _problem(request, 403, _("You do not have access to this page."))

    @app.exception_handler(CsrfFailed)
    async def csrf_failed(request: Request, _exc: CsrfFailed):
        return _problem(request, 403, _("This form has expired. Go back, reload the page and try again."))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        if not is_api(request):
            if (page := await forms.redisplay(request, exc)) is not None:
                return page
            return _problem(request, 400, forms.first_sentence(request, exc) or validation_sentence(exc))
        return _problem(request, 422, validation_sentence(exc))

    @app.exception_handler(forms.FieldError)
    async def refused_field(request: Request, exc: forms.FieldError):
        # A service refused a value of a web form: the form again, the sentence at the field.
        if not is_api(request) and (page := await forms.redisplay_refusal(request, exc)) is not None:
            return page
        return _problem(request, 422 if is_api(request) else exc.status, exc.sentence)

    @app.exception_handler(DateOutOfRange)
    async def date_out_of_range(request: Request, exc: DateOutOfRange):
        return _problem(request, 422 if is_api(request) else 400, str(exc))

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    async def unstorable(request: Request, exc: Exception):
        # A value the database cannot hold or compare (a NUL character, a number beyond its
        # integer range): bad input, not a crash. Nothing was written: the session rolls back.
        log.warning("refused unstorable input on %s %s: %s", request.method, request.url.path, type(exc).__name__)
        return _problem(request, 422 if is_api(request) else 400,
                        _("A value in the request is not valid: too large, or with characters that are not allowed."))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
            # FastAPI's own refusal of a body it could not decode, with the cause attached.
            return _problem(request, 422 if is_api(request) else 400, body_error_sentence(exc.__cause__))
        message = exc.detail if isinstance(exc.detail, str) else _("The request could not be handled.")
        if exc.status_code == 404 and message == "Not Found":
            message = _("This page does not exist.")
        if exc.status_code == 405 and message == "Method Not Allowed":
            message = _("This action is not available here.")
        response = _problem(request, exc.status_code, message)
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        if exc.status_code == 405 and (methods := request.app.state.allowed_methods(request.url.path)):
            # The route that refused knows only its own methods; the path may have more routes.
            response.headers["Allow"] = ", ".join(sorted(methods))
        return response

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception):
        incident = uuid.uuid4().hex[:8]
        log.exception("unhandled error %s on %s %s", incident, request.method, request.url.path)
        # This handler runs outside the middleware stack: set the headers here too.
        return secure_headers(request, _problem(request, 500, _("Something went wrong on our side (reference "
                                                                "%(ref)s). Nothing was changed; please try again.")
                                                % {"ref": incident}))
