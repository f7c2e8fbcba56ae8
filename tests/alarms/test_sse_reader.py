"""The tests' SSE reader reports a refused or ended stream at once, never as "no matching event"."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.alarms.conftest import LiveApp, SSEReader


@pytest.mark.parametrize("backend", ["sqlite"])  # about the test helper, not the database
def test_wrong_token_makes_wait_for_fail_fast_with_the_401(app):
    with LiveApp(app) as live:
        screen = SSEReader(f"{live.url}/api/v1/events", {"Authorization": "Bearer not-a-token"})
        try:
            started = time.monotonic()
            with pytest.raises(AssertionError, match="401") as failure:
                screen.wait_for(lambda kind, data: kind == "hello", timeout=30)
            assert time.monotonic() - started < 5, "wait_for waited out its timeout instead of failing at once"
            assert "no matching SSE event" not in str(failure.value)
            assert screen.status == 401
        finally:
            screen.close()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_stream_the_server_ends_makes_wait_for_fail_fast(app, make_user):
    host = make_user("host")
    with LiveApp(app) as live:
        login = httpx.post(f"{live.url}/api/v1/auth/login",
                           json={"username": host.username, "password": "correct-horse-battery"})
        screen = SSEReader(f"{live.url}/api/v1/events", {"Authorization": f"Bearer {login.json()['access_token']}"})
        try:
            screen.wait_for(lambda kind, data: kind == "hello")
            assert screen.status == 200
            app.state.hub.close()  # ends every stream of this app
            started = time.monotonic()
            with pytest.raises(AssertionError, match="ended the stream"):
                screen.wait_for(lambda kind, data: kind == "alarm", timeout=30)
            assert time.monotonic() - started < 5
        finally:
            screen.close()
