"""Security headers on pages, the API and error pages; Secure cookies when configured."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from location_ops.access import PUBLIC
from location_ops.accounts.deps import allow
from location_ops.app import create_app
from tests.conftest import api_token, csrf_from, login


@pytest.fixture
def settings(settings):
    """Sentences are checked in English; the app's default language is Dutch."""
    return settings.model_copy(update={"default_language": "en"})


def assert_secure_headers(response, *, cached_ok: bool = False) -> None:
    csp = response.headers["content-security-policy"]
    directives = dict((part.strip().split(" ", 1) + [""])[:2] for part in csp.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    if not cached_ok:
        assert response.headers["cache-control"] == "no-store"


def test_pages_api_and_error_pages_carry_the_headers(client, make_user):
    make_user("host", "roos")
    responses = {
        "login page": client.get("/login"),
        "redirect to login": client.get("/account", follow_redirects=False),
        "404 page": client.get("/no-such-page"),
        "404 api": client.get("/api/v1/no-such-thing"),
        "401 api": client.get("/api/v1/me"),
        "422 api": client.post("/api/v1/auth/login", json={}),
        "405": client.get("/logout"),
        "healthz": client.get("/healthz"),
    }
    login(client, "roos")
    responses["start page"] = client.get("/")
    responses["account page"] = client.get("/account")
    responses["403 page"] = client.get("/admin/users")
    responses["api"] = client.get("/api/v1/me", headers=api_token(client, "roos"))
    for name, response in responses.items():
        assert response.status_code < 500, name
        assert_secure_headers(response)
    assert responses["404 page"].status_code == 404 and responses["403 page"].status_code == 403
    static = client.get("/static/app.css")
    assert static.status_code == 200
    assert_secure_headers(static, cached_ok=True)


@pytest.fixture
def crashing_app(settings):
    app = create_app(settings)

    def crash():
        raise RuntimeError("secret internals: pseudonym Roos")

    app.add_api_route("/crash-for-test", crash, dependencies=[allow(PUBLIC)])
    app.add_api_route("/api/v1/crash-for-test", crash, dependencies=[allow(PUBLIC)])
    return app


def test_a_crash_is_a_sentence_with_the_headers_and_no_traceback(crashing_app):
    with TestClient(crashing_app, raise_server_exceptions=False) as client:
        page = client.get("/crash-for-test")
        api = client.get("/api/v1/crash-for-test")
    assert page.status_code == api.status_code == 500
    for response in (page, api):
        assert "Traceback" not in response.text and "secret internals" not in response.text
        assert "Roos" not in response.text
        assert "Something went wrong on our side (reference" in response.text
        assert_secure_headers(response)
    assert api.json()["detail"].startswith("Something went wrong")


def test_cookies_are_secure_when_configured(settings, make_user):
    app = create_app(settings.model_copy(update={"secure_cookies": True}))
    with TestClient(app, base_url="https://testserver") as client:
        from location_ops.accounts import service

        with app.state.sessionmaker() as db_session:
            service.create_user(db_session=db_session, settings=app.state.settings, username="roos",
                                password="correct-horse-battery", role="host")
            db_session.commit()
        page = client.get("/login")
        assert "Secure" in page.headers["set-cookie"] and page.headers["set-cookie"].startswith("lo_csrf=")
        response = login(client, "roos")
        assert response.status_code == 303
        session_cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("lo_session="))
        assert "Secure" in session_cookie and "HttpOnly" in session_cookie and "SameSite=lax" in session_cookie
        assert response.headers["strict-transport-security"].startswith("max-age=")
        token = csrf_from(client.get("/account").text)
        logout = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
        cleared = next(c for c in logout.headers.get_list("set-cookie") if c.startswith("lo_session="))
        assert "Max-Age=0" in cleared and "Secure" in cleared


def test_cookies_are_not_marked_secure_by_default(client, make_user):
    make_user("host", "roos")
    response = login(client, "roos")
    session_cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("lo_session="))
    assert "Secure" not in session_cookie
    assert "strict-transport-security" not in response.headers
