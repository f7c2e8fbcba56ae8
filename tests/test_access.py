"""The route × role walk: every registered route declares a rule, and the server enforces it.

A route added without ``allow(RULE)`` fails ``test_every_route_declares_exactly_one_rule``;
a rule that lets the wrong role in, or keeps the right one out, fails the walk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx
import pyotp
import pytest
from fastapi.routing import APIRoute

from location_ops.access import Rule
from location_ops.accounts.models import Role, User
from tests.conftest import PASSWORD
from tests.e2e.conftest import LiveServer

DENIED = "You do not have access to this page."


def _rules(dependant) -> list[Rule]:
    found = []
    for sub in dependant.dependencies:
        rule = getattr(sub.call, "access_rule", None)
        if rule is not None:
            found.append(rule)
        found.extend(_rules(sub))
    return found


@dataclass(frozen=True)
class Endpoint:
    path: str
    route: APIRoute


def api_routes(app) -> list[Endpoint]:
    """Every route of every capability's routers, with its full path."""
    found = []
    for prefix, router in app.state.routers:
        for route in router.routes:
            assert isinstance(route, APIRoute), f"{route!r} is not an APIRoute: it escapes the walk"
            found.append(Endpoint(prefix + route.path, route))
    return found


def test_only_framework_routes_sit_outside_the_capability_routers(app):
    outside = {getattr(route, "path", None) for route in app.routes
               if type(route).__name__ != "_IncludedRouter"}
    assert outside <= {"/api/v1/openapi.json", "/api/v1/docs", "/docs/oauth2-redirect", "/static"}, outside


def rule_of(endpoint: Endpoint) -> Rule:
    rules = _rules(endpoint.route.dependant)
    assert len(rules) == 1, f"{endpoint.route.methods} {endpoint.path} declares {len(rules)} access rules"
    return rules[0]


def test_every_route_declares_exactly_one_rule(app):
    endpoints = api_routes(app)
    assert any(e.path == "/api/v1/users" for e in endpoints) and any(e.path == "/login" for e in endpoints)
    missing = [f"{sorted(e.route.methods)} {e.path}" for e in endpoints if len(_rules(e.route.dependant)) != 1]
    assert not missing, f"routes without exactly one allow(RULE): {missing}"


def test_a_route_without_a_rule_is_caught():
    from fastapi import APIRouter

    router = APIRouter()

    @router.get("/undeclared-for-test")
    def undeclared():
        return {}

    assert _rules(router.routes[0].dependant) == []


def _concrete_path(endpoint: Endpoint) -> str:
    path = endpoint.path
    for param in endpoint.route.dependant.path_params:
        annotation = param.field_info.annotation
        value = "999999" if annotation is int else "unknown-value"
        path = re.sub(r"\{" + param.name + r"(:[^}]*)?\}", value, path)
    return path


def _session_for(server: LiveServer, role: Role | None) -> httpx.Client:
    """An httpx client logged in through the real login form (MFA where the role needs it)."""
    # English, so that the refusal sentence below is recognised whatever the default language.
    http = httpx.Client(base_url=server.url, follow_redirects=False, timeout=10, headers={"Accept-Language": "en"})
    if role is None:
        return http
    settings = server.app.state.settings
    from location_ops.accounts import service

    with server.app.state.sessionmaker() as db_session:
        user = service.create_user(db_session=db_session, settings=settings, username=f"walk-{role}",
                                   password=PASSWORD, role=role)
        secret = None
        if service.mfa_required(user):
            secret = pyotp.random_base32()
            user.mfa_secret, user.mfa_enabled = secret, True
        db_session.commit()
    token = re.search(r'name="csrf_token" value="([^"]+)"', http.get("/login").text).group(1)
    response = http.post("/login", data={"username": f"walk-{role}", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303, response.text
    if secret:
        token = re.search(r'name="csrf_token" value="([^"]+)"', http.get("/login/mfa").text).group(1)
        response = http.post("/login/mfa", data={"code": pyotp.TOTP(secret).now(), "csrf_token": token})
        assert response.status_code == 303, response.text
    page = http.get("/account")
    assert page.status_code == 200, f"{role} could not open /account: {page.status_code}"
    http.headers["X-CSRF-Token"] = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    return http


def _call(http: httpx.Client, method: str, path: str) -> httpx.Response:
    kwargs = {} if method in ("GET", "DELETE") else {"json": {}}
    # Stream so that a live event stream answers with its headers and is then closed.
    with http.stream(method, path, **kwargs) as response:
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            return response
        response.read()
        return response


@pytest.fixture
def server(app):
    live = LiveServer(app)
    live.start()
    yield live
    live.stop()


def test_route_role_walk(server):
    routes = [(endpoint, rule_of(endpoint)) for endpoint in api_routes(server.app)]
    assert len(routes) > 10
    failures = []
    for role in [None, *Role]:
        http = _session_for(server, role)
        for endpoint, rule in routes:
            path = _concrete_path(endpoint)
            for method in sorted(endpoint.route.methods - {"HEAD"}):
                if method == "POST" and path == "/logout":
                    continue  # would end the session the walk goes on with
                try:
                    response = _call(http, method, path)
                except httpx.TransportError as error:
                    failures.append(f"{role or 'anonymous'} {method} {path}: connection failed ({error!r})")
                    continue
                streaming = response.headers.get("content-type", "").startswith("text/event-stream")
                status, body = response.status_code, "" if streaming else response.text
                label = f"{role or 'anonymous'} {method} {path} [{rule.name}] -> {status}"
                if status >= 500 and not (path == "/readyz" and status == 503):
                    failures.append(f"{label}: server error")
                elif rule.public:
                    continue
                elif role is None:
                    expected = 401 if path.startswith("/api/") else 303
                    if status != expected or (status == 303 and not response.headers["location"].startswith("/login")):
                        failures.append(f"{label}: anonymous not sent to log in")
                elif role in rule.roles:
                    if status == 401 or (status == 403 and DENIED in body):
                        failures.append(f"{label}: allowed role was refused")
                elif not (status == 403 and DENIED in body):
                    failures.append(f"{label}: role should have been refused")
        http.close()
    assert not failures, "\n".join(failures)


def test_session_of_a_user_whose_role_changed_loses_the_old_rights(client, login_as, db):
    from location_ops.accounts import service

    user = login_as(Role.HOST)
    with client.app.state.sessionmaker() as db_session:
        stored = db_session.get(User, user.id)
        service.change_role(db_session=db_session, user=stored, role=Role.WORKER, actor_id=stored.id)
        db_session.commit()
    response = client.get("/account", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
