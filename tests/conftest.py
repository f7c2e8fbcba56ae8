"""Fixtures: real PostgreSQL and SQLite databases, a real Mosquitto, the app, logins.

Every test that asks for ``app``/``client``/``db`` runs twice: once on SQLite and
once on PostgreSQL (``backend`` is parametrised).
"""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text

from location_ops.accounts import service as accounts_service
from location_ops.accounts.models import Role, User
from location_ops.app import create_app
from location_ops.clock import clock
from location_ops.config import Settings
from location_ops.db import make_engine
from location_ops.migrate import upgrade
from tests.services import MosquittoBroker, PostgresServer

PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    server = PostgresServer.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def mosquitto() -> Iterator[MosquittoBroker]:
    broker = MosquittoBroker.start()
    yield broker
    broker.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite file, copied for each test."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite:///{path}")
    _remove_install_defaults(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_database(pg_server) -> str:
    """A migrated PostgreSQL database for the session; tests empty it after use."""
    url = pg_server.create_database(f"lo_test_{uuid.uuid4().hex[:8]}")
    upgrade(url)
    _remove_install_defaults(url)
    return url


def _remove_install_defaults(url: str) -> None:
    """Start tests from empty tables: without the default shifts a fresh install gets.

    Tests arrange the shifts they need (``ensure_default_shifts``); the defaults themselves
    are tested in tests/test_migrations.py.
    """
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM shift_templates"))
    finally:
        engine.dispose()


def _empty_tables(url: str) -> None:
    """Empty every table the migrations made (all but Alembic's own)."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            tables = [name for name in inspect(connection).get_table_names() if name != "alembic_version"]
            names = ", ".join(f'"{name}"' for name in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def database_url(backend, request, tmp_path) -> Iterator[str]:
    if backend == "sqlite":
        path = tmp_path / "test.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_database")
        yield url
        _empty_tables(url)


@pytest.fixture
def settings(database_url, tmp_path, mosquitto) -> Settings:
    # Every app runs its real alarm bridge against the session's Mosquitto, under a site
    # and client id of its own so that one test's session never meets another's.
    site = f"t{uuid.uuid4().hex[:10]}"
    return Settings(
        database_url=database_url,
        mqtt_url=mosquitto.url,
        site=site,
        mqtt_client_id=f"location-ops-{site}",
        mqtt_session_expiry_seconds=300,
        var_dir=tmp_path / "var",
        # Tests read English sentences; tests/test_i18n.py checks the Dutch default itself.
        default_language="en",
        secret_key="test-secret",
        argon2_time_cost=1,
        argon2_memory_kib=1024,
    )


@pytest.fixture(autouse=True)
def _english_outside_requests() -> None:
    """Service functions called directly by tests speak English (the request's language otherwise)."""
    from location_ops import i18n

    i18n.set_language("en")


@pytest.fixture(autouse=True)
def _reset_clock() -> Iterator[None]:
    clock.reset()
    yield
    clock.reset()


@pytest.fixture
def app(settings):
    return create_app(settings)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def db(app):
    """A session on the app's database, for arranging and checking state."""
    with app.state.sessionmaker() as db_session:
        yield db_session


@pytest.fixture
def make_user(app, settings):
    def make(role: Role | str, username: str | None = None, password: str = PASSWORD, **fields) -> User:
        with app.state.sessionmaker() as db_session:
            user = accounts_service.create_user(
                db_session=db_session, settings=settings, username=username or f"{role}-{uuid.uuid4().hex[:6]}",
                password=password, role=role,
            )
            for key, value in fields.items():
                setattr(user, key, value)
            db_session.commit()
            return user

    return make


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF field"
    return match.group(1)


def page_csrf(client: TestClient, path: str = "/login") -> str:
    return csrf_from(client.get(path).text)


def login(client: TestClient, username: str, password: str = PASSWORD, next: str = "/"):
    """Log in through the login form; return the response (a redirect on success)."""
    token = page_csrf(client, "/login")
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token,
                                       "next": next}, follow_redirects=False)


@pytest.fixture
def login_as(client, make_user):
    """Create a user of ``role`` and log the test client in as them (MFA set up where required)."""

    def do(role: Role | str, username: str | None = None) -> User:
        import pyotp

        user = make_user(role, username)
        if Role(role) in accounts_service.MFA_REQUIRED:
            secret = pyotp.random_base32()
            with client.app.state.sessionmaker() as db_session:
                stored = db_session.get(User, user.id)
                stored.mfa_secret, stored.mfa_enabled = secret, True
                db_session.commit()
            response = login(client, user.username)
            assert response.status_code == 303, response.text
            mfa_csrf = csrf_from(client.get(response.headers["location"]).text)
            response = client.post("/login/mfa", data={"code": pyotp.TOTP(secret).now(), "csrf_token": mfa_csrf},
                                   follow_redirects=False)
        else:
            response = login(client, user.username)
        assert response.status_code == 303, response.text
        return user

    return do


def api_token(client: TestClient, username: str, password: str = PASSWORD, totp: str | None = None) -> dict:
    body = {"username": username, "password": password}
    if totp:
        body["totp"] = totp
    response = client.post("/api/v1/auth/login", json=body)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
