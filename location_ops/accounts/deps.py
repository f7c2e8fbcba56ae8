"""Who is asking: the principal of a request, and ``allow(rule)`` per route."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from location_ops.access import Rule
from location_ops.accounts import service
from location_ops.accounts.models import AuthSession, Role, User
from location_ops.db import get_db
from location_ops.i18n import _, set_language

SESSION_COOKIE = "lo_session"
CSRF_COOKIE = "lo_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class LoginRequired(Exception):
    """No valid session: pages redirect to the login page, the API answers 401."""


class Forbidden(Exception):
    """Logged in, but this role may not do this."""


class MfaEnrolmentRequired(Exception):
    """The role needs MFA and the user has not set it up: send them to do that."""


class CsrfFailed(Exception):
    """An unsafe request with a cookie but without the matching CSRF token."""


@dataclass
class Principal:
    user: User
    auth_session: AuthSession
    via_cookie: bool

    @property
    def role(self) -> Role:
        return Role(self.user.role)

    @property
    def id(self) -> int:
        return self.user.id


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def resolve_principal(request: Request, db_session: Session) -> Principal | None:
    """Find the session behind a bearer token or the session cookie, once per request."""
    if "principal" in request.state._state:
        return request.state.principal
    principal = None
    settings = request.app.state.settings
    token = _bearer_token(request)
    if token is not None:
        auth_session = service.load_session(db_session=db_session, settings=settings, token=token, kind="api")
        if auth_session is not None:
            principal = Principal(auth_session.user, auth_session, via_cookie=False)
    elif cookie := request.cookies.get(SESSION_COOKIE):
        auth_session = service.load_session(db_session=db_session, settings=settings, token=cookie, kind="web")
        if auth_session is not None and auth_session.mfa_passed:
            principal = Principal(auth_session.user, auth_session, via_cookie=True)
    # End the read transaction: on SQLite every transaction holds the write lock
    # (BEGIN IMMEDIATE), and a request must not hold it while it does other work.
    db_session.commit()
    request.state.principal = principal
    return principal


def csrf_token_for(request: Request) -> str:
    """The token forms must send back: the session's, or the pre-login cookie's."""
    principal = getattr(request.state, "principal", None)
    if principal is not None and principal.via_cookie:
        return principal.auth_session.csrf_token
    return request.state.anon_csrf


def new_anon_csrf(secret: str) -> str:
    """Make a pre-login CSRF token: a random value and the app's HMAC of it."""
    nonce = secrets.token_urlsafe(32)
    return f"{nonce}.{_anon_csrf_mac(secret, nonce)}"


def is_anon_csrf(secret: str, token: str | None) -> bool:
    """Tell whether ``token`` is one ``new_anon_csrf`` made with this secret (not one a client chose)."""
    nonce, dot, mac = (token or "").partition(".")
    return bool(dot and len(nonce) >= 32) and hmac.compare_digest(mac, _anon_csrf_mac(secret, nonce))


def _anon_csrf_mac(secret: str, nonce: str) -> str:
    return hmac.new(secret.encode(), b"lo_csrf:" + nonce.encode(), hashlib.sha256).hexdigest()


async def check_csrf(request: Request, expected: str) -> None:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not sent or not expected or not hmac.compare_digest(sent, expected):
        raise CsrfFailed()


def allow(rule: Rule):
    """Declare who may call a route; use as ``dependencies=[allow(RULE)]``.

    Resolves the principal, enforces login, MFA enrolment, the role and — for unsafe
    requests that ride on the session cookie — the CSRF token.
    """

    async def dependency(request: Request, db_session: Annotated[Session, Depends(get_db)]) -> Principal | None:
        # The database work runs in the threadpool: the event loop also carries every
        # screen's alarm stream and must never wait on a busy database.
        principal = await run_in_threadpool(resolve_principal, request, db_session)
        if principal is not None and principal.user.language:
            set_language(principal.user.language)  # here, in the request's own context
        if rule.public:
            if request.method in UNSAFE_METHODS and not is_api(request):
                await check_csrf(request, csrf_token_for(request))
            return principal
        if principal is None:
            raise LoginRequired()
        if service.mfa_enrolment_needed(principal.user) and not rule.during_enrolment:
            raise MfaEnrolmentRequired()
        if principal.role not in rule.roles:
            raise Forbidden()
        if principal.via_cookie and request.method in UNSAFE_METHODS:
            await check_csrf(request, principal.auth_session.csrf_token)
        return principal

    dependency.access_rule = rule  # read by the route × role walk test
    return Depends(dependency)


def current_principal(request: Request) -> Principal:
    """The principal that ``allow`` resolved; use in routes that declared a rule."""
    principal = getattr(request.state, "principal", None)
    if principal is None:
        raise LoginRequired()
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def forbidden_message() -> str:
    return _("You do not have access to this page.")
