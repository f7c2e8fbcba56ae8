"""Contracts (API and states), payments, monthly statements (page, CSV, euro formatting), migrations."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import create_engine, inspect

from location_ops.bookings import service
from location_ops.bookings.models import Booking
from location_ops.clock import clock
from location_ops.contracts import service as contracts_service
from location_ops.contracts.models import ContractStatus
from location_ops.migrate import downgrade, upgrade
from tests.conftest import csrf_from
from tests.rentals.conftest import NOW, TODAY, TOMORROW

EN = {"Accept-Language": "en"}


def test_operator_makes_contracts_through_the_api(client, rentals, login_staff):
    rentals.worker("nova", contract=None)
    login_staff("operator")
    token = csrf_from(client.get("/admin/contracts").text)
    headers = {"X-CSRF-Token": token, **EN}
    made = client.post("/api/v1/contracts", json={"username": "nova", "starts_on": str(TODAY)}, headers=headers)
    assert made.status_code == 201 and made.json()["status"] == "active"
    bad = client.post("/api/v1/contracts", json={"username": "nova", "starts_on": "2027-01-10",
                                                 "ends_on": "2027-01-01", "status": "draft"}, headers=headers)
    assert bad.status_code == 400 and "cannot end before it starts" in bad.json()["detail"]
    unknown = client.post("/api/v1/contracts", json={"username": "nobody", "starts_on": str(TODAY)}, headers=headers)
    assert unknown.status_code == 404
    overlap = client.post("/api/v1/contracts", json={"username": "nova", "starts_on": str(TOMORROW)}, headers=headers)
    assert overlap.status_code == 400 and "already has a contract" in overlap.json()["detail"]
    feb = client.post("/api/v1/contracts", json={"username": "nova", "starts_on": "2027-02-31"}, headers=headers)
    assert feb.status_code == 422 and "not a date" in feb.json()["detail"]
    assert [c["status"] for c in client.get("/api/v1/contracts").json()] == ["active"]


def test_a_worker_gets_only_their_own_contracts(client, rentals):
    mine = rentals.worker("own-w")
    rentals.worker("other-w")
    headers = rentals.token(mine)
    contracts = client.get("/api/v1/contracts", headers=headers).json()
    assert [c["worker_id"] for c in contracts] == [mine.id]
    refused = client.post("/api/v1/contracts", json={"username": "own-w", "starts_on": str(TODAY)}, headers=headers)
    assert refused.status_code == 403


def test_contract_states_move_draft_active_suspended_ended(client, rentals, login_staff, app):
    rentals.worker("stella", contract="draft")
    login_staff("operator")
    client.cookies.set("lo_lang", "en")
    page = client.get("/admin/contracts")
    with app.state.sessionmaker() as db_session:
        contract_id = contracts_service.list_contracts(db_session=db_session)[0][0].id
    token = csrf_from(page.text)
    for status in ("active", "suspended", "active", "ended"):
        response = client.post(f"/admin/contracts/{contract_id}/status", data={"csrf_token": token, "status": status},
                               follow_redirects=False)
        assert response.status_code == 303, (status, response.text)
    refused = client.post(f"/admin/contracts/{contract_id}/status", data={"csrf_token": token, "status": "active"})
    assert refused.status_code == 400 and "cannot become" in refused.text
    with app.state.sessionmaker() as db_session:
        contract = contracts_service.get_contract(db_session=db_session, contract_id=contract_id)
        assert contract.status == ContractStatus.ENDED and contract.ends_on == TODAY
    bad = client.post("/admin/contracts", data={"csrf_token": token, "worker": "stella", "starts_on": "2027-03-01",
                                                "ends_on": "2027-02-01"})
    assert bad.status_code == 400 and "cannot end before it starts" in bad.text


def _month_of_bookings(app, settings, rentals):
    rooms = rentals.rooms(2)
    worker = rentals.worker("sunny", late_cancel_percent=50, no_show_percent=100)
    clock.freeze(NOW.replace(day=1, month=12))
    with app.state.sessionmaker() as db_session:
        kept = service.book(db_session=db_session, settings=settings, worker=worker, room_id=rooms[0].id,
                            day=dt.date(2026, 12, 3), shift="day")  # € 80
        late = service.book(db_session=db_session, settings=settings, worker=worker, room_id=rooms[1].id,
                            day=dt.date(2026, 12, 4), shift="evening")  # € 120
        free = service.book(db_session=db_session, settings=settings, worker=worker, room_id=rooms[1].id,
                            day=dt.date(2026, 12, 10), shift="evening")
        absent = service.book(db_session=db_session, settings=settings, worker=worker, room_id=rooms[0].id,
                              day=dt.date(2026, 12, 5), shift="day")  # € 80
        db_session.commit()
        service.cancel(db_session=db_session, settings=settings, worker_id=worker.id, booking_id=free.id)
        service.cancel(db_session=db_session, settings=settings, worker_id=worker.id, booking_id=late.id,
                       now=late.starts_at - dt.timedelta(hours=2))
        db_session.get(Booking, kept.id).checked_in_at = kept.starts_at
        service.release_no_shows(db_session=db_session, now=dt.datetime(2026, 12, 6, tzinfo=dt.UTC))
        contracts_service.record_payment(db_session=db_session, worker=worker, amount_cents=5000, method="cash",
                                         paid_on=dt.date(2026, 12, 3), actor_id=None)
        contracts_service.record_payment(db_session=db_session, worker=worker, amount_cents=2500, method="bank",
                                         paid_on=dt.date(2026, 11, 20), actor_id=None)
        db_session.commit()
    return worker


def test_statement_lists_shifts_late_cancellations_no_shows_payments_and_the_balance(app, settings, rentals):
    worker = _month_of_bookings(app, settings, rentals)
    with app.state.sessionmaker() as db_session:
        result = contracts_service.statement(db_session=db_session, worker_id=worker.id, month=dt.date(2026, 12, 1))
    kinds = [(line.kind, line.charge_cents, line.paid_cents) for line in result.lines]
    assert kinds == [("shift", 8000, 0), ("payment", 0, 5000), ("late_cancellation", 6000, 0), ("no_show", 8000, 0)]
    assert result.opening_cents == -2500  # paid in November, nothing booked then
    assert result.balance_cents == -2500 + 8000 + 6000 + 8000 - 5000


def test_worker_statement_page_and_csv_in_their_language(client, app, settings, rentals):
    _month_of_bookings(app, settings, rentals)
    from tests.conftest import login

    assert login(client, "sunny").status_code == 303
    client.cookies.set("lo_lang", "nl")
    page = client.get("/statements?month=2026-12")
    assert page.status_code == 200
    assert "€\xa0145,00" in page.text or "€ 145,00" in page.text  # the balance, Dutch formatting
    client.cookies.set("lo_lang", "en")
    assert "€145.00" in client.get("/statements?month=2026-12").text
    csv = client.get("/statements.csv?month=2026-12")
    assert csv.headers["content-type"].startswith("text/csv")
    assert "closing_balance,,14500" in csv.text and "no_show" in csv.text
    for word in ("earning", "client", "income"):
        assert word not in page.text.lower()
    assert client.get("/statements?month=2026-13").status_code == 400


def test_operator_records_a_payment_and_sees_any_workers_statement(client, app, settings, rentals, login_staff):
    _month_of_bookings(app, settings, rentals)
    login_staff("operator")
    page = client.get("/statements?worker=sunny&month=2026-12")
    assert page.status_code == 200 and "sunny" in page.text
    response = client.post("/admin/payments", data={"csrf_token": csrf_from(page.text), "worker": "sunny",
                                                    "amount": "45,00", "method": "bank", "paid_on": "2026-12-07"},
                           follow_redirects=False)
    assert response.status_code == 303
    client.cookies.set("lo_lang", "en")
    assert "€100.00" in client.get("/statements?worker=sunny&month=2026-12").text
    bad = client.post("/admin/payments", data={"csrf_token": csrf_from(page.text), "worker": "sunny",
                                               "amount": "-3", "method": "bank", "paid_on": "2026-12-07"})
    assert bad.status_code == 400


def test_rentals_migration_upgrades_and_downgrades(database_url, backend):
    upgrade(database_url)
    downgrade(database_url, "0001")
    engine = create_engine(database_url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert "bookings" not in tables and "contracts" not in tables and "rooms" in tables
    finally:
        engine.dispose()
    upgrade(database_url)
    engine = create_engine(database_url)
    try:
        assert {"bookings", "contracts", "shift_templates", "payments"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
