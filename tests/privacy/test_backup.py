"""Encrypted backups: backup → drop the database → restore gives the same data, on both databases."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pyrage
import pytest
from sqlalchemy import select

from location_ops.accounts import service as accounts_service
from location_ops.contracts.models import Payment, PaymentMethod
from location_ops.db import Base, make_engine, make_sessionmaker
from location_ops.migrate import upgrade
from location_ops.privacy.backup import AGE_HEADER
from location_ops.rooms.models import Room

ROOT = Path(__file__).resolve().parents[2]
CLI = Path(sys.executable).parent / "location-ops"
PASSWORD = "a-long-backup-password"


def run(url: str, tmp_path: Path, *args: str, recipient: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "LOCATION_OPS_DATABASE_URL": url, "LOCATION_OPS_VAR_DIR": str(tmp_path / "var"),
           "LOCATION_OPS_DEFAULT_LANGUAGE": "en", "LOCATION_OPS_BACKUP_RECIPIENT": recipient}
    return subprocess.run([str(CLI), *args], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)


def make_key(tmp_path: Path, name: str = "collective") -> tuple[str, Path]:
    """A fresh age key pair: the public key and the path of the identity file."""
    identity = pyrage.x25519.Identity.generate()
    path = tmp_path / f"{name}.key"
    path.write_text(f"# created by the test\n# public key: {identity.to_public()}\n{identity}\n")
    return str(identity.to_public()), path


def dump(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return {table.name: [tuple(row) for row in connection.execute(
                        select(table).order_by(*table.primary_key.columns))]
                    for table in Base.metadata.sorted_tables}
    finally:
        engine.dispose()


def seed(url: str, tmp_path: Path) -> None:
    from tests.test_cli import settings_for

    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as db_session:
            settings = settings_for(url, tmp_path)
            worker = accounts_service.create_user(db_session=db_session, settings=settings, username="Roos",
                                                  password=PASSWORD, role="worker")
            operator = accounts_service.create_user(db_session=db_session, settings=settings, username="kas",
                                                    password=PASSWORD, role="operator")
            db_session.add(Room(number=4, name="Room 4"))
            db_session.flush()
            db_session.add(Payment(worker_id=worker.id, amount_cents=12_50, method=PaymentMethod.CASH,
                                   paid_on=dt.date(2026, 11, 30), recorded_by_id=operator.id,
                                   recorded_at=dt.datetime(2026, 11, 30, 10, tzinfo=dt.UTC)))
            db_session.commit()
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    """A migrated database and a function that drops it (and makes it again, empty)."""
    if request.param == "sqlite":
        path = tmp_path / "live.db"
        url = f"sqlite:///{path}"

        def drop() -> None:
            path.unlink()
    else:
        server = request.getfixturevalue("pg_server")
        name = f"lo_backup_{uuid.uuid4().hex[:8]}"
        url = server.create_database(name)

        def drop() -> None:
            server.create_database(name)  # DROP DATABASE … WITH (FORCE), then an empty one
    upgrade(url)
    return url, drop


def test_encrypted_backup_survives_dropping_the_database(database, tmp_path):
    url, drop = database
    seed(url, tmp_path)
    before = dump(url)
    assert before["users"] and before["payments"] and before["rooms"]
    public, identity = make_key(tmp_path)
    archive = tmp_path / "backups" / "nightly.age"
    made = run(url, tmp_path, "backup", str(archive), recipient=public)
    assert made.returncode == 0, made.stderr
    content = archive.read_bytes()
    assert content.startswith(AGE_HEADER)
    assert b"Roos" not in content and b"users" not in content  # nothing readable without the key
    assert not list(archive.parent.glob(".location-ops-*")), "the unencrypted scratch copy was left behind"

    drop()
    restored = run(url, tmp_path, "restore", str(archive), "--identity", str(identity))
    assert restored.returncode == 0, restored.stderr
    assert dump(url) == before


def test_a_wrong_key_is_a_clear_error_and_changes_nothing(database, tmp_path):
    url, _drop = database
    seed(url, tmp_path)
    public, _identity = make_key(tmp_path)
    _other_public, other_identity = make_key(tmp_path, "stranger")
    archive = tmp_path / "nightly.age"
    assert run(url, tmp_path, "backup", str(archive), recipient=public).returncode == 0
    before = dump(url)

    wrong = run(url, tmp_path, "restore", str(archive), "--identity", str(other_identity))
    assert wrong.returncode == 1
    assert "Nothing restored" in wrong.stderr and "does not open" in wrong.stderr
    assert "Traceback" not in wrong.stderr
    without = run(url, tmp_path, "restore", str(archive))
    assert without.returncode == 1 and "--identity" in without.stderr
    not_a_key = tmp_path / "junk.key"
    not_a_key.write_text("hello\n")
    junk = run(url, tmp_path, "restore", str(archive), "--identity", str(not_a_key))
    assert junk.returncode == 1 and "is not an age identity file" in junk.stderr
    assert dump(url) == before


def test_a_backup_without_a_key_is_refused_unless_asked_for_on_purpose(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    upgrade(url)
    archive = tmp_path / "plain.backup"
    refused = run(url, tmp_path, "backup", str(archive))
    assert refused.returncode == 1
    assert "No backup made" in refused.stderr and "LOCATION_OPS_BACKUP_RECIPIENT" in refused.stderr
    assert not archive.exists()
    bad_key = run(url, tmp_path, "backup", str(archive), recipient="age1notakey")
    assert bad_key.returncode == 1 and "not an age public key" in bad_key.stderr
    plain = run(url, tmp_path, "backup", str(archive), "--unencrypted")
    assert plain.returncode == 0, plain.stderr
    assert "Unencrypted" in plain.stdout
    assert archive.read_bytes().startswith(b"SQLite format 3")
