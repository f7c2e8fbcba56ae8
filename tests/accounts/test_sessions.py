"""Sessions: a new id at login, server-side end, idle and absolute timeouts, and where login leads."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

from location_ops.accounts.models import AuthSession
from location_ops.accounts.service import _hash_token
from location_ops.clock import clock
from tests.accounts.helpers import read, session_count
from tests.conftest import PASSWORD, csrf_from, login


def _row_for(app, token: str):
    return read(app, lambda s: s.query(AuthSession).filter_by(token_hash=_hash_token(token)).one_or_none())


def test_a_planted_cookie_is_not_the_session_used_after_login(client, make_user):
    make_user("host", "roos")
    client.cookies.set("lo_session", "planted-by-someone-else", domain="testserver.local")
    response = login(client, "roos")
    assert response.status_code == 303
    new = response.cookies["lo_session"]
    assert new != "planted-by-someone-else"
    assert _row_for(client.app, "planted-by-someone-else") is None and _row_for(client.app, new) is not None


def test_logging_in_again_gives_a_new_session_and_ends_the_old_one(app, client, make_user):
    make_user("host", "roos")
    make_user("host", "noor")
    assert login(client, "roos").status_code == 303
    first = client.cookies["lo_session"]
    assert login(client, "noor").status_code == 303
    second = client.cookies["lo_session"]
    assert second != first
    assert _row_for(app, first) is None
    assert session_count(app) == 1
    client.cookies.set("lo_session", first, domain="testserver.local")
    assert client.get("/account", follow_redirects=False).status_code == 303


def test_logout_without_its_token_changes_nothing_and_with_it_ends_the_session(client, make_user):
    make_user("worker", "lila")
    login(client, "lila")
    cookie = client.cookies["lo_session"]
    assert client.post("/logout", follow_redirects=False).status_code == 403
    assert _row_for(client.app, cookie) is not None
    token = csrf_from(client.get("/account").text)
    assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert _row_for(client.app, cookie) is None


START = dt.datetime(2026, 12, 1, 18, 0, tzinfo=dt.UTC)


def test_idle_timeout_per_role(client, make_user):
    clock.freeze(START)
    for role, idle_minutes in (("worker", 30), ("host", 720), ("caseworker", 60)):
        make_user(role, f"person-{role}")
        login(client, f"person-{role}")
        clock.advance(dt.timedelta(minutes=idle_minutes - 1))
        assert client.get("/account").status_code == 200  # activity keeps it alive
        clock.advance(dt.timedelta(minutes=idle_minutes - 1))
        assert client.get("/account").status_code == 200
        clock.advance(dt.timedelta(minutes=idle_minutes + 1))
        gone = client.get("/account", follow_redirects=False)
        assert gone.status_code == 303 and gone.headers["location"] == "/login?next=/account", role
        assert session_count(client.app) == 0


def test_a_host_session_outlives_a_worker_idle_limit_but_not_its_absolute_limit(client, make_user, settings):
    clock.freeze(START)
    make_user("host", "tablet")
    login(client, "tablet")
    for _ in range(settings.session_absolute_hours_host * 2 - 1):  # busy all shift, every half hour
        clock.advance(dt.timedelta(minutes=30))
        assert client.get("/account").status_code == 200
    clock.advance(dt.timedelta(minutes=31))
    assert client.get("/account", follow_redirects=False).status_code == 303


def test_worker_absolute_limit(client, make_user, settings):
    clock.freeze(START)
    make_user("worker", "phone")
    login(client, "phone")
    for _ in range(settings.session_absolute_hours_other * 3):
        clock.advance(dt.timedelta(minutes=20))
        assert client.get("/account").status_code == 200
    clock.advance(dt.timedelta(minutes=1))
    assert client.get("/account", follow_redirects=False).status_code == 303


def test_after_an_expired_session_login_lands_on_the_page_wanted(client, make_user):
    clock.freeze(START)
    make_user("worker", "lila")
    login(client, "lila")
    clock.advance(dt.timedelta(hours=2))
    redirect = client.get("/account?tab=language", follow_redirects=False)
    assert redirect.status_code == 303
    location = redirect.headers["location"]
    assert urlsplit(location).path == "/login"
    assert parse_qs(urlsplit(location).query)["next"] == ["/account?tab=language"]
    page = client.get(location)
    token = csrf_from(page.text)
    login_form = page.text.split('action="/login"', 1)[1]
    next_field = login_form.split('name="next" value="', 1)[1].split('"', 1)[0]
    response = client.post("/login", data={"username": "lila", "password": PASSWORD, "csrf_token": token,
                                           "next": next_field.replace("&amp;", "&")}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/account?tab=language"


def test_an_htmx_request_with_an_expired_session_is_told_where_to_log_in(client, make_user):
    clock.freeze(START)
    make_user("worker", "lila")
    login(client, "lila")
    clock.advance(dt.timedelta(hours=2))
    response = client.post("/logout", headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/account"},
                           follow_redirects=False)
    assert response.status_code == 204
    assert response.headers["hx-redirect"] == "/login?next=/account"


OPEN_REDIRECTS = [
    "//evil.example", "https://evil.example", "http://evil.example/login", "/\\evil.example",
    "\\\\evil.example", "/\t/evil.example", "javascript:alert(1)", "evil.example",
]


def test_open_redirect_attempts_land_on_the_start_page(client, make_user):
    make_user("host", "roos")
    for target in OPEN_REDIRECTS:
        page = client.get("/login", params={"next": target})
        assert "evil.example" not in page.text, target
        response = login(client, "roos", next=target)
        if "\t" in target:  # a control character: refused before the route sees it (location_ops.limits)
            assert response.status_code == 400, target
            continue
        assert response.status_code == 303 and response.headers["location"] == "/", target


def test_purge_removes_expired_sessions_and_old_attempts_only(app, client, make_user, settings):
    from location_ops.accounts.models import LoginAttempt
    from location_ops.privacy.retention import purge

    clock.freeze(START)
    make_user("worker", "lila")
    login(client, "lila")
    login(client, "lila", "wrong-password")
    clock.advance(dt.timedelta(hours=settings.session_absolute_hours_other, minutes=1))
    make_user("host", "fresh")
    from fastapi.testclient import TestClient

    tablet = TestClient(app)  # another browser (no `with`: the app runs already)
    login(tablet, "fresh")  # a live session and a recent failure stay
    login(tablet, "fresh", "wrong-password")
    with app.state.sessionmaker() as db_session:
        counts = purge(db_session=db_session, settings=settings)
    assert counts["auth_sessions"] + counts["login_attempts"] == 2
    assert session_count(app) == 1
    assert read(app, lambda s: s.query(LoginAttempt).count()) == 1
