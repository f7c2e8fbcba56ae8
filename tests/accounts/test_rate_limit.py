"""The login rate limit: per account and per address, doubling waits, capped, never a lock-out."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient

from location_ops.clock import clock
from tests.conftest import PASSWORD, login

MAX_DELAY = 16


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"login_max_delay_seconds": MAX_DELAY})


@pytest.fixture(autouse=True)
def frozen_clock():
    clock.freeze(dt.datetime(2026, 12, 1, 20, 0, tzinfo=dt.UTC))


def api_login(client, username, password=PASSWORD):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


def test_after_the_free_attempts_even_the_right_password_waits_and_the_wait_doubles_up_to_the_cap(
        client, make_user, settings):
    make_user("host", "roos")
    for _ in range(settings.login_free_attempts):
        assert api_login(client, "roos", "wrong-password").status_code == 401
    waits = []
    for _ in range(8):
        refused = api_login(client, "roos")  # the right password
        assert refused.status_code == 429, refused.text
        wait = int(refused.headers["retry-after"])
        unit = "second" if wait == 1 else "seconds"
        assert refused.json()["detail"] == f"Too many attempts. Wait {wait} {unit} and try again."
        waits.append(wait)
        clock.advance(dt.timedelta(seconds=wait))
        assert api_login(client, "roos", "wrong-password").status_code == 401  # the guesser goes on
    assert waits == [1, 2, 4, 8, 16, 16, 16, 16]
    assert max(waits) <= settings.login_max_delay_seconds
    # Nobody is locked out for long: after the longest wait the owner gets in.
    assert api_login(client, "roos").status_code == 429
    clock.advance(dt.timedelta(seconds=settings.login_max_delay_seconds))
    assert api_login(client, "roos").status_code == 200


def test_the_form_refuses_with_429_and_says_how_long_to_wait(client, make_user, settings):
    make_user("worker", "lila")
    for _ in range(settings.login_free_attempts):
        assert login(client, "lila", "wrong-password").status_code == 400
    refused = login(client, "lila", PASSWORD)
    assert refused.status_code == 429
    assert "Too many attempts. Wait 1 second and try again." in refused.text
    assert refused.headers["retry-after"] == "1"
    assert "lo_session" not in client.cookies
    clock.advance(dt.timedelta(seconds=1))
    assert login(client, "lila", PASSWORD).status_code == 303


def test_attempts_while_throttled_do_not_lengthen_the_wait(client, make_user, settings):
    make_user("host", "mira")
    for _ in range(settings.login_free_attempts):
        api_login(client, "mira", "wrong-password")
    for _ in range(20):  # hammering during the wait is refused without being counted
        assert api_login(client, "mira", "wrong-password").status_code == 429
    clock.advance(dt.timedelta(seconds=1))
    assert api_login(client, "mira").status_code == 200


def test_the_window_forgets_old_failures(client, make_user, settings):
    make_user("host", "sara")
    for _ in range(settings.login_free_attempts):
        api_login(client, "sara", "wrong-password")
    clock.advance(dt.timedelta(minutes=settings.login_window_minutes, seconds=1))
    assert api_login(client, "sara", "wrong-password").status_code == 401  # counted afresh, no wait
    assert api_login(client, "sara").status_code == 200


def test_one_address_trying_many_usernames_is_slowed_but_others_are_not(app, client, make_user, settings):
    make_user("host", "victim")
    per_address = settings.login_free_attempts * 4
    for n in range(per_address):
        assert api_login(client, f"guess-{n}", "wrong-password").status_code == 401
    # The next try from this address waits, whatever the account (no account had more than one failure).
    assert api_login(client, "victim").status_code == 429
    assert login(client, "victim").status_code == 429
    # The victim, from another address, is not held up by the guesser.
    elsewhere = TestClient(app, client=("192.0.2.7", 50000))  # no `with`: the app runs already
    assert api_login(elsewhere, "victim").status_code == 200


def test_parallel_guesses_do_not_slip_past_the_wait(client, make_user, settings):
    from concurrent.futures import ThreadPoolExecutor

    make_user("host", "target")
    for _ in range(settings.login_free_attempts):
        assert api_login(client, "target", "wrong-password").status_code == 401
    clock.advance(dt.timedelta(seconds=1))  # the first wait is over: one more guess is allowed
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda n: api_login(client, "target", f"guess-{n}").status_code, range(8)))
    assert sorted(statuses) == [401] + [429] * 7, statuses
