"""Login, logout, MFA, own account, user administration; pages and JSON API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import quote, urlsplit

import segno
from fastapi import APIRouter, Form, HTTPException, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from location_ops import i18n, nav
from location_ops.access import ADMIN, MFA_ENROLMENT, PUBLIC, SIGNED_IN
from location_ops.accounts import service
from location_ops.accounts.deps import SESSION_COOKIE, CurrentPrincipal, allow
from location_ops.accounts.models import Role, User
from location_ops.accounts.schemas import LoginIn, TokenOut, UserIn, UserOut
from location_ops.db import SessionDep
from location_ops.forms import FieldError, form_page, refuse
from location_ops.i18n import _, ngettext
from location_ops.privacy.service import audit
from location_ops.web import render

router = APIRouter(include_in_schema=False)
api = APIRouter(tags=["accounts"])

nav.add("/", "Start", SIGNED_IN, order=0, group="account")
nav.add("/admin/users", "Users", ADMIN, order=80, group="admin")
nav.add("/account", "My account", SIGNED_IN, order=99, group="account")


def client_address(request: Request) -> str:
    # At most 64 characters: the columns that keep it (attempts, audit) are that wide.
    return (request.client.host if request.client else "unknown")[:64]


def safe_next(target: str | None) -> str:
    """Only follow a local path after login, never another site."""
    if not target or len(target) > 2000 or not target.startswith("/") or target.startswith("//"):
        return "/"
    # Browsers read "/\\host" as "//host" and drop tabs and line breaks: refuse both.
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


def _set_session_cookie(request: Request, response: Response, token: str, max_age: int | None = None) -> None:
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="lax", path="/", max_age=max_age,
        secure=request.app.state.settings.secure_cookies,
    )


def _login_failed_message(exc: Exception) -> str:
    if isinstance(exc, service.LoginThrottled):
        return ngettext("Too many attempts. Wait %(n)d second and try again.",
                        "Too many attempts. Wait %(n)d seconds and try again.", exc.wait_seconds) % {"n": exc.wait_seconds}
    return _("Wrong username or password.")


# --- pages: login and logout ---------------------------------------------------------


@router.get("/login", dependencies=[allow(PUBLIC)])
def login_page(request: Request, next: str = "/"):
    return render(request, "accounts/login.html", {"next": safe_next(next)})


@router.post("/login", dependencies=[allow(PUBLIC)])
def login_submit(
    request: Request,
    db_session: SessionDep,
    username: Annotated[str, Form(max_length=10_000)] = "",
    password: Annotated[str, Form(max_length=10_000)] = "",
    next: Annotated[str, Form()] = "/",
):
    settings = request.app.state.settings
    address = client_address(request)
    try:
        user = service.authenticate(db_session=db_session, settings=settings, username=username,
                                    password=password, address=address)
    except (service.LoginFailed, service.LoginThrottled) as exc:
        throttled = isinstance(exc, service.LoginThrottled)
        # Not said which of the two was wrong: the sentence is the form's, the username is kept.
        shown = {"action": "/login", "errors": {"": _login_failed_message(exc)}, "values": {"username": username[:64]}}
        response = render(request, "accounts/login.html", {"next": safe_next(next), "form": shown},
                          status_code=429 if throttled else 400)
        if throttled:
            response.headers["Retry-After"] = str(exc.wait_seconds)
        return response
    # A new session id at every login; any session the browser had is ended.
    if old := request.cookies.get(SESSION_COOKIE):
        if previous := service.load_session(db_session=db_session, settings=settings, token=old, kind="web"):
            service.end_session(db_session=db_session, auth_session=previous)
    token, _s = service.start_session(db_session=db_session, settings=settings, user=user,
                                      mfa_passed=not user.mfa_enabled)
    audit(db_session=db_session, action="login.password_ok" if user.mfa_enabled else "login.success",
          actor_id=user.id, address=address)
    db_session.commit()
    target = f"/login/mfa?next={quote(safe_next(next))}" if user.mfa_enabled else safe_next(next)
    response = RedirectResponse(target, status_code=303)
    _set_session_cookie(request, response, token)
    if user.language:
        response.set_cookie("lo_lang", user.language, httponly=True, samesite="lax", path="/",
                            secure=settings.secure_cookies)
    return response


def _pending_session(request: Request, db_session: Session):
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    pending = service.load_session(db_session=db_session, settings=request.app.state.settings, token=token, kind="web")
    return pending if pending is not None and not pending.mfa_passed else None


@router.get("/login/mfa", dependencies=[allow(PUBLIC)])
def mfa_page(request: Request, db_session: SessionDep, next: str = "/"):
    if _pending_session(request, db_session) is None:
        return RedirectResponse("/login", status_code=303)
    return render(request, "accounts/login_mfa.html", {"next": safe_next(next)})


@router.post("/login/mfa", dependencies=[allow(PUBLIC)])
def mfa_submit(
    request: Request,
    db_session: SessionDep,
    code: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form()] = "/",
):
    settings = request.app.state.settings
    pending = _pending_session(request, db_session)
    if pending is None:
        return RedirectResponse("/login", status_code=303)
    user = pending.user
    address = client_address(request)
    throttle = service.login_throttle(db_session=db_session, settings=settings, username=user.username, address=address)
    if throttle.wait_seconds or not service.verify_totp(user, code):
        if not throttle.wait_seconds:
            service.record_failure(db_session=db_session, username=user.username, address=address, user=user)
            db_session.commit()
        message = (_login_failed_message(service.LoginThrottled(throttle.wait_seconds)) if throttle.wait_seconds
                   else _("That code is not right. Try the newest code from your app."))
        shown = {"action": "/login/mfa", "errors": {"code": message}, "values": {}}
        response = render(request, "accounts/login_mfa.html", {"next": safe_next(next), "form": shown},
                          status_code=429 if throttle.wait_seconds else 400)
        if throttle.wait_seconds:
            response.headers["Retry-After"] = str(throttle.wait_seconds)
        return response
    service.end_session(db_session=db_session, auth_session=pending)
    token, _s = service.start_session(db_session=db_session, settings=settings, user=user, mfa_passed=True)
    audit(db_session=db_session, action="login.success", actor_id=user.id, address=address)
    db_session.commit()
    response = RedirectResponse(safe_next(next), status_code=303)
    _set_session_cookie(request, response, token)
    return response


@router.post("/logout", dependencies=[allow(MFA_ENROLMENT)])
def logout(request: Request, db_session: SessionDep, principal: CurrentPrincipal):
    service.end_session(db_session=db_session, auth_session=principal.auth_session)
    audit(db_session=db_session, action="logout", actor_id=principal.id, address=client_address(request))
    db_session.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=request.app.state.settings.secure_cookies)
    return response


@router.post("/language", dependencies=[allow(PUBLIC)])
def choose_language(request: Request, db_session: SessionDep,
                    language: Annotated[str, Form(max_length=8)], next: Annotated[str, Form()] = "/"):
    if language not in i18n.available_languages():
        raise HTTPException(400, _("That language is not available."))
    principal = request.state.principal
    if principal is not None:
        service.set_language(db_session=db_session, user=principal.user, language=language)
        db_session.commit()
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie("lo_lang", language, httponly=True, samesite="lax", path="/",
                        secure=request.app.state.settings.secure_cookies, max_age=365 * 86400)
    return response


# --- pages: start and own account -------------------------------------------------------


#: Staff whose whole job is one screen start there.
ROLE_HOME = {Role.HOST: "/reception", Role.SECURITY: "/alarms"}


@router.get("/", dependencies=[allow(SIGNED_IN)])
def start_page(request: Request, db_session: SessionDep, principal: CurrentPrincipal):
    if home := ROLE_HOME.get(principal.role):
        return RedirectResponse(home, status_code=303)
    context = {"entries": nav.for_role(principal.role)}
    if principal.role == Role.WORKER:
        context.update(service.worker_start(db_session=db_session, worker_id=principal.id))
        # Workers may do their own room's round after a shift only where the operator allows it.
        context["hygiene_link"] = request.app.state.settings.hygiene_worker_rounds
    return render(request, "accounts/start.html", context)


@router.get("/account", dependencies=[allow(SIGNED_IN)])
def account_page(request: Request, principal: CurrentPrincipal):
    return render(request, "accounts/account.html", {"mfa_required": service.mfa_required(principal.user)})


def _mfa_context(request: Request, user: User) -> dict:
    uri = service.provisioning_uri(user, request.app.state.settings)
    return {"secret": user.mfa_secret, "qr_svg": segno.make(uri, error="m").svg_inline(scale=5),
            "mfa_required": service.mfa_required(user)}


@router.get("/account/mfa", dependencies=[allow(MFA_ENROLMENT)])
def mfa_enrol_page(request: Request, db_session: SessionDep, principal: CurrentPrincipal):
    user = principal.user
    if user.mfa_enabled:
        return RedirectResponse("/account", status_code=303)
    if not user.mfa_secret:
        service.begin_mfa_enrolment(db_session=db_session, user=user)
        db_session.commit()
    return render(request, "accounts/mfa_enrol.html", _mfa_context(request, user))


@router.post("/account/mfa", dependencies=[allow(MFA_ENROLMENT)])
def mfa_enrol_confirm(request: Request, db_session: SessionDep, principal: CurrentPrincipal,
                      code: Annotated[str, Form(max_length=100)] = ""):
    user = principal.user
    try:
        service.confirm_mfa_enrolment(db_session=db_session, user=user, code=code)
    except service.AccountError as exc:
        if not user.mfa_secret:
            return RedirectResponse("/account/mfa", status_code=303)
        refuse(db_session, "code", exc)
    db_session.commit()
    return RedirectResponse("/account?mfa=on", status_code=303)


@router.post("/account/mfa/disable", dependencies=[allow(SIGNED_IN)])
def mfa_disable(request: Request, db_session: SessionDep, principal: CurrentPrincipal):
    try:
        service.disable_mfa(db_session=db_session, user=principal.user, actor_id=principal.id)
    except service.AccountError as exc:
        raise HTTPException(400, str(exc)) from None
    db_session.commit()
    return RedirectResponse("/account", status_code=303)


@router.post("/account/password", dependencies=[allow(SIGNED_IN), form_page("/account")])
def password_change(request: Request, db_session: SessionDep, principal: CurrentPrincipal,
                    current: Annotated[str, Form(max_length=1024)] = "",
                    new: Annotated[str, Form(max_length=1024)] = "",
                    repeat: Annotated[str, Form(max_length=1024)] = ""):
    user = principal.user
    try:
        if new != repeat:
            raise service.AccountError(_("The two new passwords differ."), field="repeat")
        service.change_own_password(db_session=db_session, settings=request.app.state.settings, user=user,
                                    current=current, new=new, keep_session_id=principal.auth_session.id)
    except service.AccountError as exc:
        refuse(db_session, "new" if exc.field == "password" else exc.field, exc)
    db_session.commit()
    return RedirectResponse("/account?password=changed", status_code=303)


# --- pages: user administration (operator) ------------------------------------------


#: The new-user form lists the roles from the least to the most privileged and starts with the first.
NEW_USER_ROLES = [Role.WORKER, Role.SECURITY, Role.CASEWORKER, Role.HOST, Role.OPERATOR]


def _users_context(db_session, **extra) -> dict:
    return {"users": service.list_users(db_session=db_session), "roles": list(Role), "new_roles": NEW_USER_ROLES,
            "username_rule": service.username_rule(), **extra}


@router.get("/admin/users", dependencies=[allow(ADMIN)])
def users_page(request: Request, db_session: SessionDep):
    return render(request, "accounts/users.html", _users_context(db_session))


@router.post("/admin/users", dependencies=[allow(ADMIN)])
def users_create(
    request: Request, db_session: SessionDep, principal: CurrentPrincipal,
    username: Annotated[str, Form(max_length=10_000)] = "",
    password: Annotated[str, Form(max_length=10_000)] = "",
    role: Annotated[str, Form(max_length=32)] = "",
    confirm_operator: Annotated[bool, Form()] = False,
):
    try:
        if role == Role.OPERATOR and not confirm_operator:
            # An operator sees and changes everything: asked once more, with the form kept.
            raise service.AccountError(_("An operator can see and change everything, every worker's "
                                         "contract included. Tick the confirmation to create an operator."),
                                       field="confirm_operator")
        service.create_user(db_session=db_session, settings=request.app.state.settings, username=username,
                            password=password, role=role, actor_id=principal.id)
    except service.AccountError as exc:
        refuse(db_session, exc.field, exc)
    db_session.commit()
    return RedirectResponse("/admin/users", status_code=303)


#: A user id in a path: a positive 32-bit integer (anything else cannot be a user).
UserId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _user_or_404(db_session: Session, user_id: int) -> User:
    user = db_session.get(User, user_id)
    if user is None:
        raise HTTPException(404, _("That user does not exist."))
    return user


@router.post("/admin/users/{user_id}/role", dependencies=[allow(ADMIN), form_page("/admin/users")])
def users_change_role(db_session: SessionDep, principal: CurrentPrincipal, user_id: UserId,
                      role: Annotated[str, Form(max_length=32)]):
    user = _user_or_404(db_session, user_id)
    try:
        new_role = Role(role)
    except ValueError:
        raise FieldError("role", _("Unknown role.")) from None
    if user.id == principal.id:
        raise FieldError("role", _("You cannot change your own role."))
    service.change_role(db_session=db_session, user=user, role=new_role, actor_id=principal.id)
    db_session.commit()
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{user_id}/mfa-reset", dependencies=[allow(ADMIN), form_page("/admin/users")])
def users_reset_mfa(db_session: SessionDep, principal: CurrentPrincipal, user_id: UserId):
    user = _user_or_404(db_session, user_id)
    try:
        service.disable_mfa(db_session=db_session, user=user, actor_id=principal.id)
    except service.AccountError as exc:
        raise HTTPException(400, str(exc)) from None
    service.end_all_sessions(db_session=db_session, user_id=user.id)
    db_session.commit()
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{user_id}/password", dependencies=[allow(ADMIN), form_page("/admin/users")])
def users_reset_password(request: Request, db_session: SessionDep, principal: CurrentPrincipal, user_id: UserId,
                         password: Annotated[str, Form(max_length=1024)] = ""):
    user = _user_or_404(db_session, user_id)
    try:
        service.reset_password(db_session=db_session, settings=request.app.state.settings, user=user,
                               new=password, actor_id=principal.id)
    except service.AccountError as exc:
        refuse(db_session, "password", exc)
    db_session.commit()
    return RedirectResponse("/admin/users?password=reset", status_code=303)


# --- JSON API ---------------------------------------------------------------------------


@api.post("/auth/login", response_model=TokenOut, dependencies=[allow(PUBLIC)],
          responses={401: {"description": "Wrong username, password or code"}, 429: {"description": "Too many attempts"}})
def api_login(request: Request, db_session: SessionDep, body: LoginIn) -> TokenOut:
    """Exchange a username and password (and a TOTP code where MFA is on) for a bearer token."""
    settings = request.app.state.settings
    address = client_address(request)
    try:
        user = service.authenticate(db_session=db_session, settings=settings, username=body.username,
                                    password=body.password, address=address)
    except service.LoginThrottled as exc:
        raise HTTPException(429, _login_failed_message(exc), headers={"Retry-After": str(exc.wait_seconds)}) from None
    except service.LoginFailed:
        raise HTTPException(401, _("Wrong username or password.")) from None
    if service.mfa_enrolment_needed(user):
        raise HTTPException(403, _("Your role requires two-step login. Set it up in the web app first."))
    if user.mfa_enabled and not service.verify_totp(user, body.totp or ""):
        service.record_failure(db_session=db_session, username=user.username, address=address, user=user)
        db_session.commit()
        raise HTTPException(401, _("A valid one-time code (totp) is required for this account."))
    token, auth_session = service.start_session(db_session=db_session, settings=settings, user=user,
                                                kind="api", mfa_passed=True)
    audit(db_session=db_session, action="login.api", actor_id=user.id, address=address)
    db_session.commit()
    expires_in = int((auth_session.expires_at - auth_session.created_at) / dt.timedelta(seconds=1))
    return TokenOut(access_token=token, expires_in=expires_in)


@api.get("/me", response_model=UserOut, dependencies=[allow(SIGNED_IN)])
def api_me(principal: CurrentPrincipal) -> User:
    """Return the account behind the token."""
    return principal.user


@api.get("/users", response_model=list[UserOut], dependencies=[allow(ADMIN)])
def api_users(db_session: SessionDep) -> list[User]:
    """List all accounts (operators only)."""
    return service.list_users(db_session=db_session)


@api.post("/users", response_model=UserOut, status_code=201, dependencies=[allow(ADMIN)],
          responses={400: {"description": "A rule was broken"}, 409: {"description": "Username taken"}})
def api_create_user(request: Request, db_session: SessionDep, principal: CurrentPrincipal, body: UserIn) -> User:
    """Create an account (operators only)."""
    if service.get_by_username(db_session=db_session, username=body.username) is not None:
        raise HTTPException(409, _("That username is taken."))
    try:
        user = service.create_user(db_session=db_session, settings=request.app.state.settings,
                                   username=body.username, password=body.password, role=body.role,
                                   language=body.language, actor_id=principal.id)
    except service.AccountError as exc:
        db_session.rollback()
        raise HTTPException(400, str(exc)) from None
    db_session.commit()
    return user
