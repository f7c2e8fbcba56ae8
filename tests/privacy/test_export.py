"""Her own export: every row about her, nothing about anyone else, audited with ids only."""

from __future__ import annotations

import csv
import io
import json
import zipfile

from sqlalchemy import select

from location_ops.db import Base
from location_ops.privacy.models import AuditEvent
from location_ops.privacy.subject import SECRET_COLUMNS
from tests.conftest import login
from tests.privacy import histories


def _user_columns() -> dict[str, list[str]]:
    """Per table, its columns that point at users."""
    found: dict[str, list[str]] = {}
    for table in Base.metadata.tables.values():
        for fk in table.foreign_keys:
            if fk.column.table.name == "users":
                found.setdefault(table.name, []).append(fk.parent.name)
    return found


def test_her_export_holds_every_row_about_her_and_nothing_about_the_other(client, db, settings):
    made = histories.seed(db, settings)
    her, other = made["Saffier"], made["Robijn"]
    assert login(client, "Saffier").status_code == 303
    response = client.get("/account/export")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["cache-control"] == "no-store"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(archive.namelist())
    assert {"index.html", "data.json", "csv/users.csv", "csv/bookings.csv", "statements/statement-2026-11.csv",
            "statements/statement-2026-12.csv"} <= names
    document = json.loads(archive.read("data.json"))
    tables = document["tables"]

    # Every row made for her is there, in JSON and in CSV.
    for name, ids in her.ids.items():
        exported = {row["id"] for row in tables.get(name, [])}
        assert ids <= exported, f"{name}: missing {ids - exported}"
        with archive.open(f"csv/{name}.csv") as file:
            rows = list(csv.DictReader(io.TextIOWrapper(file, encoding="utf-8")))
        assert ids <= {int(row["id"]) for row in rows}, name
    # Nothing made for the other worker, and no row pointing at her as its subject.
    for name, ids in other.ids.items():
        assert not ids & {row["id"] for row in tables.get(name, [])}, f"{name} holds the other worker's rows"
    for name, columns in _user_columns().items():
        for row in tables.get(name, []):
            assert other.user_id not in [row.get(column) for column in columns], (name, row)
    everything = b"".join(archive.read(name) for name in names)
    assert b"Robijn" not in everything
    assert "Saffier".encode() in archive.read("index.html") and b"private note of Saffier" in everything
    # Secrets stay in the database.
    for table, column in SECRET_COLUMNS:
        for row in tables.get(table, []):
            assert column not in row, (table, column)
    assert her.feed_token.encode() not in everything
    # Her statements: November's charges are her two kept shifts and the late cancellation.
    november = next(item for item in document["statements"] if item["month"] == "2026-11")
    assert november["charges_cents"] == 2 * 4000 + 2000 and november["paid_cents"] == 3000
    html = archive.read("index.html").decode()
    assert "<table>" in html and "Bookings" in html and "Talk requests" in html

    # Audited with ids only.
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "privacy.export")).one()
    assert (event.actor_id, event.target_type, event.target_id) == (her.user_id, "user", her.user_id)


def test_every_role_can_download_its_own_export(client, login_as):
    for role in ("host", "security", "caseworker"):
        user = login_as(role)
        response = client.get("/account/export")
        assert response.status_code == 200, role
        tables = json.loads(zipfile.ZipFile(io.BytesIO(response.content)).read("data.json"))["tables"]
        assert [row["username"] for row in tables["users"]] == [user.username]
        client.cookies.clear()


def test_the_account_page_links_the_export_and_for_workers_the_erasure(client, login_as):
    login_as("worker")
    page = client.get("/account").text
    assert 'href="/account/export"' in page and 'href="/account/erasure"' in page
    client.cookies.clear()
    login_as("host")
    page = client.get("/account").text
    assert 'href="/account/export"' in page and 'href="/account/erasure"' not in page


def test_staff_get_what_they_did_but_not_the_steps_of_a_worker_s_alarm_they_handled(client, db, settings):
    made = histories.seed(db, settings)
    assert login(client, "staff-host").status_code == 303
    archive = zipfile.ZipFile(io.BytesIO(client.get("/account/export").content))
    tables = json.loads(archive.read("data.json"))["tables"]
    host_id = made["ids"]["host"]
    # The alarms she acknowledged and the steps she wrote are about her; the worker's own steps are not.
    assert {row["acknowledged_by_id"] for row in tables["alarms"]} == {host_id}
    assert {row["user_id"] for row in tables["alarm_events"]} == {host_id}
    assert b"alarm note by" not in b"".join(archive.read(name) for name in archive.namelist())
