"""Bad input gets a clear 4xx sentence and nothing else: never a 500, never a traceback."""

from __future__ import annotations

import pytest

from tests.accounts.helpers import attempt_count, session_count
from tests.conftest import PASSWORD, csrf_from, login, page_csrf


@pytest.fixture
def settings(settings):
    """Sentences are checked in English; the app's default language is Dutch."""
    return settings.model_copy(update={"default_language": "en"})


def assert_clean(response, status: int | tuple[int, ...]) -> None:
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, (response.status_code, response.text[:300])
    for leak in ("Traceback", "File \"/", "sqlalchemy", "pydantic", "Exception", "Internal Server Error"):
        assert leak not in response.text, leak


def api_detail(response) -> str:
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail.endswith("."), detail
    return detail


def test_api_login_bad_bodies(client):
    cases = {
        "malformed json": dict(content=b'{"username": "roos", "password":', headers={"Content-Type": "application/json"}),
        "not json at all": dict(content=b"\xff\xfe\x00garbage", headers={"Content-Type": "application/json"}),
        "empty body": dict(content=b"", headers={"Content-Type": "application/json"}),
        "a list": dict(json=["roos", "pw"]),
        "wrong types": dict(json={"username": 12, "password": ["x"]}),
        "missing password": dict(json={"username": "roos"}),
        "long username": dict(json={"username": "x" * 10_000, "password": PASSWORD}),
        "form instead of json": dict(data={"username": "roos", "password": PASSWORD}),
    }
    for name, kwargs in cases.items():
        response = client.post("/api/v1/auth/login", **kwargs)
        assert_clean(response, 422)
        detail = api_detail(response)
        if name == "malformed json":
            assert detail == "The request body is not valid JSON."
        if name == "missing password":
            assert detail == "The field 'password' is required."
        if name == "long username":
            assert detail == "The field 'username' is too long."
    assert attempt_count(client.app) == 0


def test_login_form_bad_input(client, make_user):
    make_user("host", "roos")
    token = page_csrf(client)
    long_name = login(client, "x" * 10_000, PASSWORD)
    assert_clean(long_name, 400)
    assert "Wrong username or password." in long_name.text
    assert "x" * 65 not in long_name.text  # not echoed back in full
    missing = client.post("/login", data={"csrf_token": token})
    assert_clean(missing, 400)
    too_long = client.post("/login", data={"username": "x" * 20_000, "password": "y", "csrf_token": token})
    assert_clean(too_long, 400)
    assert "too long" in too_long.text
    no_token = client.post("/login", data={"username": "roos", "password": PASSWORD})
    assert_clean(no_token, 403)
    assert "This form has expired" in no_token.text
    non_utf8 = client.post("/login", content=b"username=ro%FFos&password=%C3%28&csrf_token=" + token.encode(),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_clean(non_utf8, 400)
    raw_bytes = client.post("/login", content=b"username=\xff\xfe&password=\x80&csrf_token=" + token.encode(),
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_clean(raw_bytes, 400)
    control = login(client, "roos\x00\n", "pw\x00")
    assert_clean(control, 400)
    assert session_count(client.app) == 0


def test_bad_input_on_signed_in_forms(client, login_as):
    login_as("operator")
    token = csrf_from(client.get("/admin/users").text)
    cases = [
        ("/admin/users", {"username": "x" * 10_000, "password": "long-enough-password", "role": "worker"}, 400),
        ("/admin/users", {"username": "oddity", "password": "long-enough-password", "role": "x" * 100}, 400),
        ("/admin/users", {"username": "oddity\x00", "password": "long-enough-password", "role": "worker"}, 400),
        ("/admin/users", {"username": "oddity", "password": "long-enough-password", "role": "nope"}, 400),
        ("/admin/users/not-a-number/role", {"role": "host"}, 400),
        ("/admin/users/1/role", {}, 400),
        ("/admin/users/99999999999999999999999/role", {"role": "host"}, (400, 404)),
        ("/account/mfa", {"code": "x" * 1000}, (303, 400)),
        ("/language", {"language": "klingon", "next": "/"}, 400),
        ("/language", {}, 400),
    ]
    for path, data, status in cases:
        response = client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)
        assert_clean(response, status)
    assert "oddity" not in client.get("/admin/users").text.split("<tbody>", 1)[1]


def test_bad_json_on_signed_in_api(client, make_user):
    import pyotp

    from location_ops.clock import utcnow
    from tests.conftest import api_token

    secret = pyotp.random_base32()
    make_user("operator", "boss", mfa_secret=secret, mfa_enabled=True)
    headers = api_token(client, "boss", totp=pyotp.TOTP(secret).at(utcnow()))
    for kwargs in (
        dict(content=b"{not json", headers={**headers, "Content-Type": "application/json"}),
        dict(json={"username": 5, "password": 5, "role": 5}, headers=headers),
        dict(json={"username": "ok-name", "password": "long-enough-password", "role": "worker", "language": "x" * 50},
             headers=headers),
        dict(json={}, headers=headers),
        dict(json="just a string", headers=headers),
    ):
        response = client.post("/api/v1/users", **kwargs)
        assert_clean(response, 422)
        api_detail(response)


def test_unknown_paths_and_wrong_methods(client):
    page = client.get("/no/such/page")
    assert_clean(page, 404)
    assert "This page does not exist." in page.text and "text/html" in page.headers["content-type"]
    api = client.get("/api/v1/no/such/thing")
    assert_clean(api, 404)
    assert api.json() == {"detail": "This page does not exist."}
    method = client.get("/logout")
    assert_clean(method, 405)
    assert "This action is not available here." in method.text
    api_method = client.put("/api/v1/auth/login", json={})
    assert_clean(api_method, 405)
    assert api_method.json() == {"detail": "This action is not available here."}
    query = client.get("/login", params={"next": "x" * 10_000})
    assert_clean(query, 200)


ODD_HEADERS = [
    {"Authorization": "Bearer"}, {"Authorization": "Basic Zm9vOmJhcg=="}, {"Authorization": "Bearer " + "x" * 5000},
    {"Cookie": "lo_session=" + "x" * 3000}, {"Cookie": "lo_session=\x7f"}, {"Accept-Language": "x" * 5000},
]


def test_odd_headers(client):
    for header in ODD_HEADERS:
        response = client.get("/api/v1/me", headers=header)
        assert_clean(response, 401)
        page = client.get("/account", headers=header, follow_redirects=False)
        assert_clean(page, 303)



def test_values_the_database_cannot_hold_are_a_4xx_on_any_route(settings, make_user):
    """The safety net for every capability: a NUL character or a huge id is bad input, not a crash."""
    from fastapi import Depends
    from fastapi.testclient import TestClient

    from location_ops.access import PUBLIC
    from location_ops.accounts.deps import allow
    from location_ops.accounts.models import User
    from location_ops.app import create_app
    from location_ops.db import get_db

    app = create_app(settings)

    def lookup(user_id: int, name: str = "", db_session=Depends(get_db)):
        from sqlalchemy import select

        db_session.get(User, user_id)
        db_session.scalars(select(User).where(User.username == name)).all()
        return {"ok": True}

    app.add_api_route("/api/v1/lookup-for-test/{user_id}", lookup, dependencies=[allow(PUBLIC)])
    app.add_api_route("/lookup-for-test/{user_id}", lookup, dependencies=[allow(PUBLIC)])
    with TestClient(app) as client:
        assert client.get("/api/v1/lookup-for-test/1").json() == {"ok": True}
        for path, status in (("/api/v1/lookup-for-test", 422), ("/lookup-for-test", 400)):
            for query in ({}, {"name": "a\x00b"}):
                user_id = "99999999999999999999999" if not query else "1"
                response = client.get(f"{path}/{user_id}", params=query)
                if query:  # refused before any database sees it (location_ops.limits)
                    assert_clean(response, status)
                    assert "contains a control character (U+0000)" in response.text
                    continue
                assert_clean(response, status)
                assert "A value in the request is not valid" in response.text


def test_api_login_with_a_nul_character_is_refused_as_text(client, make_user):
    make_user("host", "roos")
    for username in ("roos\x00", "\x00"):
        response = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
        assert_clean(response, 422)  # refused as text before the login (location_ops.limits): it cannot succeed
        assert api_detail(response) == "The field 'username' contains a control character (U+0000), which is not allowed."
    assert attempt_count(client.app) == 0


def test_an_unknown_language_for_a_new_user_is_refused(client, make_user):
    import pyotp

    from location_ops.clock import utcnow
    from tests.conftest import api_token

    secret = pyotp.random_base32()
    make_user("operator", "boss", mfa_secret=secret, mfa_enabled=True)
    headers = api_token(client, "boss", totp=pyotp.TOTP(secret).at(utcnow()))
    for language, status, detail in (
        ("xx", 422, "'xx' is not one of the allowed values of the field 'language' (the API document lists them)."),
        ("nl\x00", 422, "The field 'language' contains a control character (U+0000), which is not allowed."),
    ):
        response = client.post("/api/v1/users", json={"username": "lang", "password": "long-enough-password",
                                                      "role": "worker", "language": language}, headers=headers)
        assert_clean(response, status)
        assert response.json() == {"detail": detail}
