"""The `location-ops` command, run as a subprocess with its settings in the environment."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from location_ops.accounts import service
from location_ops.accounts.models import User
from location_ops.app import create_app
from location_ops.config import Settings
from location_ops.db import make_engine, make_sessionmaker
from location_ops.migrate import upgrade
from tests.conftest import login

ROOT = Path(__file__).resolve().parent.parent
CLI = Path(sys.executable).parent / "location-ops"
PASSWORD = "a-long-cli-password"


def run(url: str, tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "LOCATION_OPS_DATABASE_URL": url, "LOCATION_OPS_VAR_DIR": str(tmp_path / "var"),
           "LOCATION_OPS_ARGON2_TIME_COST": "1", "LOCATION_OPS_ARGON2_MEMORY_KIB": "1024",
           "LOCATION_OPS_DEFAULT_LANGUAGE": "en"}
    return subprocess.run([str(CLI), *args], input=stdin, env=env, capture_output=True, text=True, timeout=120,
                          cwd=ROOT)


def settings_for(url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=url, mqtt_url="mqtt://127.0.0.1:9", var_dir=tmp_path / "var",
                    argon2_time_cost=1, argon2_memory_kib=1024, default_language="en")


def usernames(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as db_session:
            return set(db_session.scalars(select(User.username)))
    finally:
        engine.dispose()


def add_user(url: str, tmp_path: Path, username: str) -> None:
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as db_session:
            service.create_user(db_session=db_session, settings=settings_for(url, tmp_path), username=username,
                                password=PASSWORD, role="worker")
            db_session.commit()
    finally:
        engine.dispose()


def test_migrate_then_user_create_reads_the_password_from_stdin_and_the_account_logs_in(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    migrated = run(url, tmp_path, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert "The database is up to date." in migrated.stdout
    created = run(url, tmp_path, "user", "create", "--role", "host", "--username", "Reception", stdin=PASSWORD + "\n")
    assert created.returncode == 0, created.stderr
    assert "Created host account id=1." in created.stdout
    assert PASSWORD not in created.stdout + created.stderr
    with TestClient(create_app(settings_for(url, tmp_path))) as client:
        response = login(client, "reception", PASSWORD)
        assert response.status_code == 303
        assert client.get("/api/v1/me", headers={"Authorization": "Bearer x"}).status_code == 401
        assert "Reception" in client.get("/account").text
    again = run(url, tmp_path, "migrate")
    assert again.returncode == 0  # migrating twice is harmless


def test_user_create_refuses_bad_input_with_a_sentence(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(url)
    bad_role = run(url, tmp_path, "user", "create", "--role", "boss", "--username", "x", stdin=PASSWORD + "\n")
    assert bad_role.returncode != 0
    assert "invalid choice: 'boss'" in bad_role.stderr and "Traceback" not in bad_role.stderr
    short = run(url, tmp_path, "user", "create", "--role", "host", "--username", "x", stdin="short\n")
    assert short.returncode != 0
    assert "The password must be at least 10 characters long." in short.stderr
    taken = [run(url, tmp_path, "user", "create", "--role", "worker", "--username", name, stdin=PASSWORD + "\n")
             for name in ("roos", "ROOS")]
    assert taken[0].returncode == 0 and taken[1].returncode != 0
    assert "That username is taken." in taken[1].stderr
    assert usernames(url) == {"roos"}


def test_user_create_on_an_unmigrated_database_says_to_migrate(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = run(url, tmp_path, "user", "create", "--role", "host", "--username", "x", stdin=PASSWORD + "\n")
    assert result.returncode != 0 and "Run `location-ops migrate` first." in result.stderr


def test_an_unreachable_database_is_a_sentence_not_a_traceback(tmp_path):
    result = run(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}", tmp_path, "user", "create", "--role", "host",
                 "--username", "x", stdin=PASSWORD + "\n")
    assert result.returncode != 0
    assert "The database cannot be reached" in result.stderr and "Traceback" not in result.stderr


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'live.db'}"
    else:
        url = request.getfixturevalue("pg_server").create_database(f"lo_cli_{uuid.uuid4().hex[:8]}")
    upgrade(url)
    return url


def test_backup_and_restore_round_trip(database, tmp_path):
    add_user(database, tmp_path, "before-backup")
    archive = tmp_path / "backups" / "nightly.backup"
    made = run(database, tmp_path, "backup", str(archive), "--unencrypted")
    assert made.returncode == 0, made.stderr
    assert archive.stat().st_size > 0
    add_user(database, tmp_path, "after-backup")
    assert usernames(database) == {"before-backup", "after-backup"}
    restored = run(database, tmp_path, "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert usernames(database) == {"before-backup"}
    # The restored database is still at the newest revision: the app starts on it.
    with TestClient(create_app(settings_for(database, tmp_path))) as client:
        assert login(client, "before-backup", PASSWORD).status_code == 303


def test_restore_refuses_a_missing_or_foreign_file(database, tmp_path):
    add_user(database, tmp_path, "kept")
    missing = run(database, tmp_path, "restore", str(tmp_path / "nope.backup"))
    assert missing.returncode != 0 and "No backup at" in missing.stderr
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"this is not a backup at all" * 100)
    refused = run(database, tmp_path, "restore", str(junk))
    assert refused.returncode != 0
    assert "Nothing restored" in refused.stderr and "Traceback" not in refused.stderr
    assert usernames(database) == {"kept"}


def test_pg_tools_are_found_beside_the_server_when_not_on_the_path(monkeypatch, tmp_path):
    from location_ops.privacy.backup import pg_tool
    from tests.services import _pg_bindir

    monkeypatch.setenv("PATH", str(tmp_path))  # nothing there
    found = Path(pg_tool("pg_dump"))
    assert found.name == "pg_dump" and found.parent == _pg_bindir()
    assert Path(pg_tool("pg_restore")).parent == _pg_bindir()
