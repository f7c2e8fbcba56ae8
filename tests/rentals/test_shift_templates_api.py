"""Operators manage shift templates and rooms' own rates through /api/v1/shift-templates."""

from __future__ import annotations

import datetime as dt

import pytest

from location_ops.accounts.models import Role
from tests.conftest import csrf_from
from tests.rentals.conftest import TOMORROW

EN = {"Accept-Language": "en"}
LATE = {"name": "late", "starts": "22:00", "ends": "04:00", "weekdays": [5, 6], "price_cents": 15000}


@pytest.fixture
def operator(rentals, make_user) -> dict:
    import pyotp

    user = make_user(Role.OPERATOR, mfa_secret=pyotp.random_base32(), mfa_enabled=True)
    return {**rentals.token(user), **EN}


def _availability(client, headers, day=TOMORROW) -> dict:
    return {(s["room_id"], s["shift"]): s for s in client.get(f"/api/v1/shifts?date={day}", headers=headers).json()}


def test_an_operator_creates_changes_and_deactivates_a_shift_that_workers_then_book_or_not(client, rentals,
                                                                                            operator):
    room, = rentals.rooms(1)
    listed = client.get("/api/v1/shift-templates", headers=operator)
    assert listed.status_code == 200
    assert [(s["name"], s["starts"], s["ends"], s["price_cents"], s["active"]) for s in listed.json()] == [
        ("day", "10:00", "18:00", 8000, True), ("evening", "18:00", "01:00", 12000, True)]

    created = client.post("/api/v1/shift-templates", json={**LATE, "weekdays": [1, 2, 3, 4, 5, 6, 7]},
                          headers=operator)
    assert created.status_code == 201, created.text
    late = created.json()
    assert late == {"id": late["id"], "name": "late", "starts": "22:00", "ends": "04:00",
                    "weekdays": [1, 2, 3, 4, 5, 6, 7], "price_cents": 15000, "active": True, "rates": []}
    assert client.get(f"/api/v1/shift-templates/{late['id']}", headers=operator).json() == late

    worker = rentals.token(rentals.worker())
    assert _availability(client, worker)[(room.id, "late")]["price_cents"] == 15000
    changed = client.patch(f"/api/v1/shift-templates/{late['id']}", json={"price_cents": 16000, "starts": "21:00"},
                           headers=operator)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["starts"], changed.json()["ends"], changed.json()["price_cents"]) == ("21:00", "04:00",
                                                                                                 16000)
    booked = client.post("/api/v1/bookings", json={"room_id": room.id, "date": str(TOMORROW), "shift": "late"},
                         headers={**worker, **EN})
    assert booked.status_code == 201, booked.text
    assert booked.json()["price_cents"] == 16000
    assert booked.json()["starts_at"].startswith(f"{TOMORROW}T20:00")  # 21:00 Amsterdam in winter

    deactivated = client.patch(f"/api/v1/shift-templates/{late['id']}", json={"active": False}, headers=operator)
    assert deactivated.status_code == 200 and deactivated.json()["active"] is False
    assert (room.id, "late") not in _availability(client, worker)
    other = rentals.token(rentals.worker())
    refused = client.post("/api/v1/bookings", json={"room_id": room.id, "date": str(TOMORROW + dt.timedelta(days=1)),
                                                    "shift": "late"}, headers={**other, **EN})
    assert refused.status_code == 400, refused.text
    assert refused.json() == {"detail": "There is no shift called 'late'."}
    # Deactivated, not gone: still listed for the operator, and it can come back.
    assert [s["active"] for s in client.get("/api/v1/shift-templates", headers=operator).json()
            if s["name"] == "late"] == [False]
    again = client.patch(f"/api/v1/shift-templates/{late['id']}", json={"active": True}, headers=operator)
    assert again.json()["active"] is True


def test_a_rooms_own_rate_is_set_and_removed_and_the_price_follows(client, rentals, operator):
    first, second = rentals.rooms(2)
    day = next(s for s in client.get("/api/v1/shift-templates", headers=operator).json() if s["name"] == "day")
    put = client.put(f"/api/v1/shift-templates/{day['id']}/rates/{second.id}", json={"price_cents": 9500},
                     headers=operator)
    assert put.status_code == 200, put.text
    assert put.json()["rates"] == [{"room_id": second.id, "price_cents": 9500}]
    worker = rentals.token(rentals.worker())
    prices = _availability(client, worker)
    assert prices[(first.id, "day")]["price_cents"] == 8000 and prices[(second.id, "day")]["price_cents"] == 9500
    removed = client.delete(f"/api/v1/shift-templates/{day['id']}/rates/{second.id}", headers=operator)
    assert removed.status_code == 200 and removed.json()["rates"] == []
    assert _availability(client, worker)[(second.id, "day")]["price_cents"] == 8000


def test_the_api_and_the_admin_page_change_the_same_shifts(client, rentals, login_staff, operator):
    rentals.rooms(1)
    login_staff("operator")
    token = csrf_from(client.get("/admin/rooms").text)
    assert client.post("/admin/shifts", data={"csrf_token": token, "name": "late", "starts": "22:00", "ends": "04:00",
                                              "price": "150", "weekdays": ["5", "6"]},
                       follow_redirects=False).status_code == 303
    made = next(s for s in client.get("/api/v1/shift-templates", headers=operator).json() if s["name"] == "late")
    assert (made["weekdays"], made["price_cents"]) == ([5, 6], 15000)
    client.patch(f"/api/v1/shift-templates/{made['id']}", json={"weekdays": [7, 6]}, headers=operator)
    page = client.get("/admin/rooms").text
    assert f'action="/admin/shifts/{made["id"]}"' in page


@pytest.mark.parametrize("body, status, detail", [
    (LATE | {"name": "day"}, 409, "A shift called 'day' exists already."),
    (LATE | {"name": "DAY"}, 409, "A shift called 'day' exists already."),
    (LATE | {"name": "hourly"}, 422, "The name 'hourly' is reserved."),
    (LATE | {"ends": "22:00"}, 422, "A shift must not start and end at the same time."),
    (LATE | {"starts": "24:00"}, 422, "The field 'starts' is not written as it should be."),
    (LATE | {"starts": "9:00"}, 422, "The field 'starts' is too short."),
    (LATE | {"weekdays": []}, 422, "The field 'weekdays' is too short."),
    (LATE | {"price_cents": -1}, 422, None),
    (LATE | {"price_cents": "150"}, 422, None),
    (LATE | {"colour": "red"}, 422, None),
    ({key: value for key, value in LATE.items() if key != "name"}, 422, "The field 'name' is required."),
])
def test_a_bad_shift_is_refused_with_a_sentence(client, rentals, operator, body, status, detail):
    rentals.rooms(1)
    response = client.post("/api/v1/shift-templates", json=body, headers=operator)
    assert response.status_code == status, response.text
    assert list(response.json()) == ["detail"] and response.json()["detail"]
    if detail:
        assert response.json()["detail"] == detail
    assert [s["name"] for s in client.get("/api/v1/shift-templates", headers=operator).json()] == ["day", "evening"]


def test_unknown_shifts_and_rooms_are_404_and_changes_keep_the_rules(client, rentals, operator):
    room, = rentals.rooms(1)
    day = client.get("/api/v1/shift-templates", headers=operator).json()[0]
    for method, path, body in (("GET", "/api/v1/shift-templates/9999", None),
                               ("PATCH", "/api/v1/shift-templates/9999", {"active": False}),
                               ("PUT", f"/api/v1/shift-templates/9999/rates/{room.id}", {"price_cents": 1}),
                               ("PUT", f"/api/v1/shift-templates/{day['id']}/rates/9999", {"price_cents": 1}),
                               ("DELETE", f"/api/v1/shift-templates/{day['id']}/rates/9999", None)):
        response = client.request(method, path, json=body, headers=operator)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["detail"] in ("That shift does not exist.", "That room does not exist.")
    same = client.patch(f"/api/v1/shift-templates/{day['id']}", json={"ends": "10:00"}, headers=operator)
    assert same.status_code == 422
    assert same.json() == {"detail": "A shift must not start and end at the same time."}
    assert client.patch(f"/api/v1/shift-templates/{day['id']}", json={"name": "other"},
                        headers=operator).status_code == 422  # the name is what bookings carry: fixed


def test_only_operators_manage_shift_templates(client, rentals, make_user):
    rentals.rooms(1)
    for role in (Role.WORKER, Role.HOST, Role.CASEWORKER, Role.SECURITY):
        headers = {**rentals.token(make_user(role)), **EN}
        assert client.get("/api/v1/shift-templates", headers=headers).status_code == 403
        assert client.post("/api/v1/shift-templates", json=LATE, headers=headers).status_code == 403
    assert client.get("/api/v1/shift-templates").status_code == 401


def test_a_price_is_a_whole_json_number_and_never_a_boolean(client, rentals, operator):
    """JSON Schema's integer admits 9500.0; a boolean or a fraction of a cent is refused."""
    _first, second = rentals.rooms(2)
    day = next(s for s in client.get("/api/v1/shift-templates", headers=operator).json() if s["name"] == "day")
    path = f"/api/v1/shift-templates/{day['id']}/rates/{second.id}"
    whole = client.put(path, json={"price_cents": 9500.0}, headers=operator)
    assert whole.status_code == 200 and whole.json()["rates"] == [{"room_id": second.id, "price_cents": 9500}]
    for bad in (True, 12.5, "9500"):
        refused = client.put(path, json={"price_cents": bad}, headers=operator)
        assert refused.status_code == 422, (bad, refused.text)
