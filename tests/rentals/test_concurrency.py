"""100 concurrent booking requests for one slot through a running server: exactly one wins.

Runs once on SQLite and once on PostgreSQL (the ``app`` fixture is parametrised).
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select

from location_ops.bookings.models import Booking, BookingStatus
from tests.e2e.conftest import LiveServer
from tests.rentals.conftest import TOMORROW

ATTEMPTS = 100


def _fire(url: str, requests: list[tuple[dict, dict]]) -> list[httpx.Response]:
    """Send all requests at once (a barrier releases them together)."""
    barrier = threading.Barrier(len(requests))
    limits = httpx.Limits(max_connections=len(requests), max_keepalive_connections=len(requests))
    with httpx.Client(base_url=url, timeout=60, limits=limits) as http:
        def one(item):
            headers, body = item
            barrier.wait()
            return http.post("/api/v1/bookings", json=body, headers={**headers, "Accept-Language": "en"})

        with ThreadPoolExecutor(max_workers=len(requests)) as pool:
            return list(pool.map(one, requests))


def _active(app) -> int:
    with app.state.sessionmaker() as db_session:
        return db_session.scalar(select(func.count(Booking.id)).where(Booking.status == BookingStatus.BOOKED))


def test_hundred_workers_racing_for_one_room_get_one_201_and_99_409(app, rentals):
    room, = rentals.rooms(1)
    tokens = rentals.worker_tokens(ATTEMPTS)
    body = {"room_id": room.id, "date": TOMORROW.isoformat(), "shift": "evening"}
    server = LiveServer(app)
    server.start()
    try:
        responses = _fire(server.url, [(headers, body) for headers in tokens])
    finally:
        server.stop()
    statuses = Counter(response.status_code for response in responses)
    assert statuses == {201: 1, 409: ATTEMPTS - 1}, statuses
    refused = next(r for r in responses if r.status_code == 409)
    assert "already taken" in refused.json()["detail"]
    assert _active(app) == 1


def test_one_worker_racing_for_two_rooms_gets_exactly_one(app, rentals):
    room_a, room_b = rentals.rooms(2)
    headers = rentals.token(rentals.worker())
    requests = [(headers, {"room_id": (room_a if i % 2 else room_b).id, "date": TOMORROW.isoformat(),
                           "shift": "day"}) for i in range(ATTEMPTS)]
    server = LiveServer(app)
    server.start()
    try:
        responses = _fire(server.url, requests)
    finally:
        server.stop()
    statuses = Counter(response.status_code for response in responses)
    assert statuses == {201: 1, 409: ATTEMPTS - 1}, statuses
    assert _active(app) == 1
