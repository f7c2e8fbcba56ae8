"""Who reaches the board and the log (DESIGN §6): host reads and writes, operator reads, nobody else."""

from __future__ import annotations

import pytest

from location_ops.accounts.models import Role
from tests.conftest import api_token
from tests.reception.conftest import csrf

READ = ["/reception", "/reception/board", "/reception/log", "/reception/log/report", "/reception/shift",
        "/api/v1/log"]


@pytest.mark.parametrize("role", [Role.WORKER, Role.CASEWORKER, Role.SECURITY])
def test_others_cannot_reach_the_board_or_the_log(client, place, make_user, role):
    user = make_user(role)
    headers = api_token(client, user.username)
    for path in READ:
        assert client.get(path, headers=headers).status_code == 403, path
    assert client.post("/api/v1/log", json={"kind": "note", "text": "x"}, headers=headers).status_code == 403
    assert client.post("/api/v1/log", json={"kind": "note", "text": "x"}).status_code == 401


def test_operator_reads_but_does_not_write(client, place, login_operator):
    booking_id = place.booking(place.worker("Rae"), 1)
    login_operator()
    for path in READ:
        assert client.get(path).status_code == 200, path
    token = csrf(client)
    for path in (f"/reception/bookings/{booking_id}/check-in", "/reception/shift/start"):
        assert client.post(path, headers={"X-CSRF-Token": token}).status_code == 403, path
    assert client.post("/api/v1/log", json={"kind": "note", "text": "x"},
                       headers={"X-CSRF-Token": token}).status_code == 403
    assert place.get_booking(booking_id).checked_in_at is None


def test_host_reads_and_writes(client, place, host):
    for path in READ:
        assert client.get(path).status_code == 200, path
    token = csrf(client)
    assert client.post("/api/v1/log", json={"kind": "delivery", "text": "Soap"},
                       headers={"X-CSRF-Token": token}).status_code == 201
