"""Event streams end with their session: logout, expiry, a role change, a password reset.

Each test holds a live stream open, changes the session, and requires the stream to END
(the server closes it). Without that, the stream would stay open until its next keepalive
(15 s) and then go on: the read timeout below would fail the test.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import httpx
import pytest
from sqlalchemy import update

from location_ops.accounts import service as accounts_service
from location_ops.accounts.models import AuthSession, Role, User
from location_ops.clock import utcnow
from tests.alarms.conftest import LiveApp
from tests.conftest import PASSWORD

#: Longer than "within a second", far shorter than the 15 s keepalive.
READ_TIMEOUT = 5.0


class Stream:
    """An SSE stream read line by line; ``ended()`` is True once the server closed it."""

    def __init__(self, client: httpx.Client, url: str, **kwargs) -> None:
        self._context = client.stream("GET", url, timeout=httpx.Timeout(5, read=READ_TIMEOUT), **kwargs)
        self.response = self._context.__enter__()
        assert self.response.status_code == 200, self.response.status_code
        self._lines = self.response.iter_lines()

    def next_event(self) -> tuple[str, dict]:
        kind = "message"
        for line in self._lines:
            if line.startswith("event:"):
                kind = line[6:].strip()
            elif line.startswith("data:"):
                return kind, json.loads(line[5:])
        raise EOFError("the stream ended")

    def wait_end(self) -> None:
        """Read until the server ends the stream; a read timeout (still open) fails the test."""
        try:
            while True:
                self.next_event()
        except EOFError:
            return

    def close(self) -> None:
        self._context.__exit__(None, None, None)


@pytest.fixture
def live(app):
    with LiveApp(app) as server:
        yield server


def _token(live, username: str) -> dict:
    response = httpx.post(f"{live.url}/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _browser_login(live, username: str) -> httpx.Client:
    client = httpx.Client(base_url=live.url)
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code in (200, 303), response.text
    return client


def test_logout_ends_the_stream_of_that_session_only(live, make_user):
    host = make_user("host")
    browser = _browser_login(live, host.username)
    other_device = httpx.Client(base_url=live.url)
    try:
        stream = Stream(browser, "/api/v1/events")
        other = Stream(other_device, "/api/v1/events", headers=_token(live, host.username))
        assert stream.next_event()[0] == "hello" and other.next_event()[0] == "hello"
        page = browser.get("/alarms").text
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        assert browser.post("/logout", data={"csrf_token": csrf}).status_code in (200, 303)
        stream.wait_end()
        # The same person's other session (a token on another device) keeps its stream.
        with pytest.raises(httpx.ReadTimeout):
            other.next_event()
        stream.close()
        other.close()
    finally:
        browser.close()
        other_device.close()


def test_role_change_ends_the_stream(live, app, make_user):
    host = make_user("host")
    with httpx.Client(base_url=live.url) as client:
        stream = Stream(client, "/api/v1/events", headers=_token(live, host.username))
        assert stream.next_event()[0] == "hello"
        with app.state.sessionmaker() as db_session:
            user = db_session.get(User, host.id)
            accounts_service.change_role(db_session=db_session, user=user, role=Role.WORKER,
                                         actor_id=None)
            db_session.commit()
        stream.wait_end()
        stream.close()
        # Reconnecting with the old token is refused: the role change ended the session.
        assert client.get("/api/v1/events", headers=_token_headers_of(stream)).status_code == 401


def _token_headers_of(stream: Stream) -> dict:
    return {"Authorization": stream.response.request.headers["Authorization"]}


def test_password_reset_by_an_operator_ends_the_stream(live, app, make_user):
    host = make_user("host")
    with httpx.Client(base_url=live.url) as client:
        stream = Stream(client, "/api/v1/events", headers=_token(live, host.username))
        assert stream.next_event()[0] == "hello"
        with app.state.sessionmaker() as db_session:
            accounts_service.reset_password(db_session=db_session, settings=app.state.settings,
                                            user=db_session.get(User, host.id), new="another-long-password",
                                            actor_id=None)
            db_session.commit()
        stream.wait_end()
        stream.close()


def test_an_expiring_session_ends_its_stream(live, app, make_user):
    host = make_user("host")
    headers = _token(live, host.username)
    with app.state.sessionmaker() as db_session:
        # The token lapses two seconds from now (as if it were issued an hour ago).
        db_session.execute(update(AuthSession).where(AuthSession.user_id == host.id)
                           .values(expires_at=utcnow() + dt.timedelta(seconds=2)))
        db_session.commit()
    with httpx.Client(base_url=live.url) as client:
        stream = Stream(client, "/api/v1/events", headers=headers)
        assert stream.next_event()[0] == "hello"
        stream.wait_end()
        stream.close()
        assert client.get("/api/v1/events", headers=headers).status_code == 401
