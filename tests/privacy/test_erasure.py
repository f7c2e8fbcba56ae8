"""Erasure: she asks, an operator confirms; afterwards her pseudonym is in no table, page, JSON
response or log line, and the operator's monthly totals are what they were."""

from __future__ import annotations

import datetime as dt
import logging

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import String, Text, func, select

from location_ops.accounts.models import User
from location_ops.alarms.models import AlarmEvent
from location_ops.bookings.models import Booking, CalendarFeed
from location_ops.clock import clock, utcnow
from location_ops.contracts import service as contracts_service
from location_ops.contracts.models import HouseRulesAcceptance, Payment
from location_ops.db import Base
from location_ops.privacy.models import AuditEvent, ErasureRequest
from location_ops.reception.models import LogEntry
from location_ops.rota.models import TalkRequest
from tests.conftest import PASSWORD, csrf_from, login
from tests.privacy import histories
from tests.test_access import api_routes

MONTHS = (dt.date(2026, 11, 1), dt.date(2026, 12, 1))


def monthly_totals(db, worker_ids) -> list[tuple]:
    """What the operator's statements add up to, per month: charges, paid, closing balance."""
    totals = []
    for month in MONTHS:
        statements = [contracts_service.statement(db_session=db, worker_id=worker_id, month=month)
                      for worker_id in worker_ids]
        totals.append((month, sum(s.charges_cents for s in statements), sum(s.paid_cents for s in statements),
                       sum(s.balance_cents for s in statements)))
    db.rollback()  # SQLite: a transaction left open would lock out the app (BEGIN IMMEDIATE)
    return totals


def text_dump(db) -> str:
    """Every text column of every row of every table, lower-cased, one value a line."""
    values = []
    for table in Base.metadata.sorted_tables:
        columns = [column for column in table.columns if isinstance(column.type, String | Text)]
        if columns:
            for row in db.execute(select(*columns)):
                values.extend(str(value) for value in row if value is not None)
    db.rollback()
    return "\n".join(values).lower()


def signed_in(app, username: str, secret: str | None = None) -> TestClient:
    http = TestClient(app, base_url="http://testserver", headers={"Accept-Language": "en"})
    response = login(http, username)
    assert response.status_code == 303, response.text
    if secret:
        token = csrf_from(http.get(response.headers["location"]).text)
        response = http.post("/login/mfa", data={"code": pyotp.TOTP(secret).at(utcnow()), "csrf_token": token},
                             follow_redirects=False)
        assert response.status_code == 303, response.text
    return http


def page_paths(app) -> list[str]:
    """Every GET route without a path parameter (pages and JSON), but the event stream."""
    return sorted({endpoint.path for endpoint in api_routes(app) if "GET" in endpoint.route.methods
                   and "{" not in endpoint.path and endpoint.path != "/api/v1/events"})


def walk(http: TestClient, paths: list[str], needle: str) -> list[str]:
    """The paths whose answer shows ``needle``."""
    found = []
    for path in paths:
        response = http.get(path, follow_redirects=False)
        assert response.status_code < 500, (path, response.status_code)
        if needle in response.text.lower():
            found.append(path)
    return found


@pytest.fixture
def everyone(app, db, settings, client):
    """The two histories and a signed-in client for every role (the operator with two-step login)."""
    clock.freeze(dt.datetime(2026, 11, 20, 11, tzinfo=dt.UTC))  # after every booking of the histories
    made = histories.seed(db, settings)
    secret = pyotp.random_base32()
    operator = db.get(User, made["ids"]["operator"])
    operator.mfa_secret, operator.mfa_enabled = secret, True
    db.commit()
    clients = {role: signed_in(app, f"staff-{role}", secret if role == "operator" else None)
               for role in ("host", "operator", "caseworker", "security")}
    clients["worker"] = signed_in(app, "Robijn")
    clients["her"] = signed_in(app, "Saffier")
    db.rollback()
    return made, clients


def test_erasure_leaves_nothing_of_her_and_keeps_the_books(app, db, everyone, caplog):
    caplog.set_level(logging.DEBUG)
    made, clients = everyone
    her, other = made["Saffier"], made["Robijn"]
    worker_ids = [her.user_id, other.user_id]
    totals_before = monthly_totals(db, worker_ids)
    bookings_before = db.execute(select(Booking.id, Booking.price_cents, Booking.charge_cents, Booking.status)
                                 .where(Booking.worker_id == her.user_id).order_by(Booking.id)).all()
    # A booking ahead (tomorrow): released free of charge by the erasure, so the totals stay as they were.
    ahead = Booking(room_id=db.scalar(select(Booking.room_id).where(Booking.worker_id == her.user_id).limit(1)),
                    worker_id=her.user_id, shift="day", day=dt.date(2026, 11, 21),
                    starts_at=dt.datetime(2026, 11, 21, 9, tzinfo=dt.UTC),
                    ends_at=dt.datetime(2026, 11, 21, 21, tzinfo=dt.UTC), price_cents=4000,
                    created_at=dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC))
    db.add(ahead)
    db.commit()
    ahead_id = ahead.id
    db.rollback()
    paths = page_paths(app)
    assert len(paths) > 20
    # The walk can see her: before erasure the host's pages and the operator's show her pseudonym.
    assert walk(clients["host"], paths, "saffier"), "no host page shows her: the walk below proves nothing"
    assert walk(clients["operator"], paths, "saffier")
    assert "saffier" in text_dump(db)
    assert clients["her"].get(f"/calendar/{her.feed_token}.ics").status_code == 200

    # She asks (a confirmation on the page), the operator confirms.
    page = clients["her"].get("/account/erasure")
    assert "data-confirm" in page.text
    asked = clients["her"].post("/account/erasure", data={"csrf_token": csrf_from(page.text)},
                                follow_redirects=False)
    assert asked.status_code == 303
    assert "Withdraw my request" in clients["her"].get("/account/erasure").text
    admin = clients["operator"].get("/admin/erasure")
    assert "Saffier" in admin.text and "data-confirm" in admin.text
    done = clients["operator"].post("/admin/erasure", data={"worker_id": her.user_id,
                                                            "csrf_token": csrf_from(admin.text)},
                                    follow_redirects=False)
    assert done.status_code == 303, done.text
    db.expire_all()

    # No table holds her pseudonym (the other worker's is still there: the dump can see names).
    dump = text_dump(db)
    assert "saffier" not in dump
    assert "robijn" in dump
    # No page or JSON answer shows it, to any role.
    for role, http in clients.items():
        if role == "her":
            continue
        assert walk(http, paths, "saffier") == [], role
    # Her login and her sessions are gone; her calendar feed is revoked.
    assert clients["her"].get("/account", follow_redirects=False).status_code == 303
    assert login(TestClient(app), "Saffier", PASSWORD).status_code != 303
    assert clients["worker"].get(f"/calendar/{her.feed_token}.ics").status_code == 404
    db.rollback()
    assert db.scalar(select(func.count()).select_from(CalendarFeed).where(
        CalendarFeed.worker_id == her.user_id)) == 0
    # Talk requests, house-rules acceptances, check-in times and notes about her go.
    assert db.scalar(select(func.count()).select_from(TalkRequest).where(TalkRequest.worker_id == her.user_id)) == 0
    assert db.scalar(select(func.count()).select_from(HouseRulesAcceptance).where(
        HouseRulesAcceptance.worker_id == her.user_id)) == 0
    assert db.scalars(select(Booking.checked_in_at).where(Booking.worker_id == her.user_id)).all() == [None] * 4
    released = db.get(Booking, ahead_id)
    assert (released.status, released.charge_cents) == ("cancelled", 0)
    notes = db.scalars(select(AlarmEvent.note).where(AlarmEvent.id.in_(her.ids["alarm_events"]))).all()
    assert notes == ["", ""]
    # The books stay, as amounts under the anonymous key; the reception log shows "former worker".
    assert db.execute(select(Booking.id, Booking.price_cents, Booking.charge_cents, Booking.status)
                      .where(Booking.worker_id == her.user_id, Booking.id != ahead_id)
                      .order_by(Booking.id)).all() == bookings_before
    assert db.scalar(select(func.count()).select_from(Payment).where(Payment.worker_id == her.user_id)) == 2
    assert monthly_totals(db, worker_ids) == totals_before
    assert db.scalar(select(func.count()).select_from(LogEntry).where(LogEntry.worker_id == her.user_id)) == 2
    anonymous = db.scalar(select(User.username).where(User.id == her.user_id))
    assert anonymous.startswith("former worker ") and anonymous != "former worker "
    db.rollback()
    assert anonymous in clients["host"].get("/reception/log", params={"day": "2026-11-03"}).text
    # The operator still finds her books under the anonymous key.
    books = clients["operator"].get("/statements", params={"worker": anonymous, "month": "2026-11"})
    assert books.status_code == 200 and "saffier" not in books.text.lower()
    # The other worker keeps everything.
    assert db.scalar(select(TalkRequest.note).where(TalkRequest.worker_id == other.user_id)) == \
        "private note of Robijn"
    assert db.scalar(select(func.count()).select_from(CalendarFeed).where(
        CalendarFeed.worker_id == other.user_id)) == 1
    # The audit keeps ids; the request is recorded as done.
    actions = db.execute(select(AuditEvent.action, AuditEvent.target_id).where(
        AuditEvent.action.like("privacy.erasure%")).order_by(AuditEvent.id)).all()
    assert actions == [("privacy.erasure_requested", her.user_id), ("privacy.erasure_done", her.user_id)]
    assert db.scalar(select(ErasureRequest.erased_at).where(ErasureRequest.worker_id == her.user_id)) is not None
    # No log line carries her pseudonym.
    lines = [record.getMessage().lower() for record in caplog.records]
    assert lines, "nothing was logged: the check below proves nothing"
    assert not [line for line in lines if "saffier" in line]


def test_an_operator_erases_someone_who_left_and_not_twice(app, db, everyone):
    made, clients = everyone
    her = made["Saffier"]
    page = clients["operator"].get("/admin/erasure")
    assert "No one asked for erasure." in page.text
    token = csrf_from(page.text)
    done = clients["operator"].post("/admin/erasure", data={"worker_id": her.user_id, "csrf_token": token},
                                    follow_redirects=False)
    assert done.status_code == 303
    again = clients["operator"].post("/admin/erasure", data={"worker_id": her.user_id, "csrf_token": token})
    assert again.status_code == 400 and "already erased" in again.text
    host = clients["operator"].post("/admin/erasure", data={"worker_id": made["ids"]["host"], "csrf_token": token})
    assert host.status_code == 400 and "Only a worker" in host.text
    bad = clients["operator"].post("/admin/erasure", data={"worker_id": "²", "csrf_token": token})
    assert bad.status_code == 400
    # Only operators confirm; a worker can only ask for herself.
    refused = clients["worker"].post("/admin/erasure", data={"worker_id": her.user_id, "csrf_token": token})
    assert refused.status_code in (403, 404)


def test_she_can_withdraw_a_request_before_it_is_confirmed(app, db, everyone):
    made, clients = everyone
    page = clients["her"].get("/account/erasure")
    token = csrf_from(page.text)
    clients["her"].post("/account/erasure", data={"csrf_token": token})
    assert "Saffier" in clients["operator"].get("/admin/erasure").text.split("Erase someone who left")[0]
    clients["her"].post("/account/erasure/withdraw", data={"csrf_token": token})
    assert "Saffier" not in clients["operator"].get("/admin/erasure").text.split("Erase someone who left")[0]
    assert clients["her"].get("/account").status_code == 200
