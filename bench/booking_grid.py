"""Benchmark: the worker's booking grid and the operator's overview with a year of bookings.

Seeds 15 rooms × 2 shifts × 365 days (10 950 bookings), then measures the server time
(inside the ASGI app, from request to the last body byte) of:

- the worker's week grid   GET /book?day=…           (day strip + rooms × shifts)
- the availability API     GET /api/v1/shifts?date=…
- the operator's overview  GET /bookings?day=…        (7 days × rooms × shifts, with pseudonyms)
- the baselines            GET /healthz (no session) and GET /api/v1/me (a signed-in
                             request doing nothing else), same app, same run

and prints p50 / p95 side by side. Target (DESIGN §9): p95 < 30 ms.

    .venv/bin/python bench/booking_grid.py            # SQLite
    .venv/bin/python bench/booking_grid.py --pg       # also on a throw-away PostgreSQL
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from location_ops.accounts import service as accounts_service  # noqa: E402
from location_ops.accounts.models import Role, User  # noqa: E402
from location_ops.app import create_app  # noqa: E402
from location_ops.bookings.models import Booking, BookingStatus  # noqa: E402
from location_ops.clock import local_today, utcnow  # noqa: E402
from location_ops.config import Settings  # noqa: E402
from location_ops.migrate import upgrade  # noqa: E402
from location_ops.rooms import service as rooms_service  # noqa: E402

ROOMS = 15
DAYS = 365
WARMUP = 20


class ServerTimer:
    """ASGI wrapper recording the time from the request to the end of the response body."""

    def __init__(self, app) -> None:
        self.app = app
        self.samples: list[float] = []

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()

        async def timed_send(message):
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self.samples.append(time.perf_counter() - started)

        return await self.app(scope, receive, timed_send)


def seed(app, settings: Settings) -> tuple[int, int]:
    """A year of bookings around today; return (worker id, operator id)."""
    with app.state.sessionmaker() as db_session:
        for number in range(1, ROOMS + 1):
            rooms_service.create_room(db_session=db_session, settings=settings, number=number)
        rooms_service.ensure_default_shifts(db_session=db_session)
        password_hash = accounts_service.hash_password("bench-password-123", settings)
        now = utcnow()
        workers = []
        for index in range(2 * ROOMS):
            user = User(username=f"worker{index:02d}", username_key=f"worker{index:02d}", role=Role.WORKER,
                        password_hash=password_hash, mfa_enabled=False, active=True, created_at=now)
            db_session.add(user)
            workers.append(user)
        operator = User(username="operator", username_key="operator", role=Role.OPERATOR, password_hash=password_hash,
                        mfa_enabled=True, mfa_secret="A" * 32, active=True, created_at=now)
        db_session.add(operator)
        db_session.flush()
        rooms = rooms_service.list_rooms(db_session=db_session)
        first = local_today() - dt.timedelta(days=DAYS // 2)
        rows = []
        for offset in range(DAYS):
            day = first + dt.timedelta(days=offset)
            for slot in rooms_service.slots_on(db_session=db_session, day=day):
                for index, room in enumerate(rooms):
                    # Worker i keeps room i's day shifts, worker 15+i its evenings: nobody in two rooms.
                    worker = workers[index + (ROOMS if slot.shift.name == "evening" else 0)]
                    rows.append({"room_id": room.id, "worker_id": worker.id, "shift": slot.shift.name, "day": day,
                                 "starts_at": slot.starts_at, "ends_at": slot.ends_at,
                                 "status": BookingStatus.BOOKED, "price_cents": slot.shift.price_cents,
                                 "charge_cents": 0, "created_at": now,
                                 # The past was checked in (else the app releases it as no-shows).
                                 "checked_in_at": slot.starts_at if slot.starts_at < now else None})
        for start in range(0, len(rows), 2000):
            db_session.execute(insert(Booking), rows[start:start + 2000])
        db_session.commit()
        return workers[0].id, operator.id, len(rows)


def cookie_for(app, settings: Settings, user_id: int) -> str:
    with app.state.sessionmaker() as db_session:
        token, _session = accounts_service.start_session(db_session=db_session, settings=settings,
                                                         user=db_session.get(User, user_id), kind="web",
                                                         mfa_passed=True)
        db_session.commit()
    return token


def measure(client: TestClient, timer: ServerTimer, paths: list[str], rounds: int) -> list[float]:
    for path in paths[:WARMUP]:
        assert client.get(path).status_code == 200, path
    timer.samples.clear()
    for index in range(rounds):
        response = client.get(paths[index % len(paths)])
        assert response.status_code == 200, (paths[index % len(paths)], response.status_code)
    return [sample * 1000 for sample in timer.samples]


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def run(database_url: str, label: str, rounds: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="lo-bench-"))
    settings = Settings(database_url=database_url, mqtt_url="mqtt://127.0.0.1:9", var_dir=tmp, secret_key="bench",
                        argon2_time_cost=1, argon2_memory_kib=1024)
    upgrade(database_url)
    app = create_app(settings)
    started = time.perf_counter()
    worker_id, operator_id, count = seed(app, settings)
    print(f"\n[{label}] seeded {count} bookings in {time.perf_counter() - started:.1f} s")
    timer = ServerTimer(app)
    today = local_today()
    days = [today + dt.timedelta(days=i) for i in range(28)]
    with TestClient(timer, base_url="http://testserver") as client:
        worker_cookie = cookie_for(app, settings, worker_id)
        operator_cookie = cookie_for(app, settings, operator_id)
        results = {}
        client.cookies.set("lo_session", worker_cookie)
        results["worker week grid  GET /book?day="] = measure(client, timer, [f"/book?day={d}" for d in days], rounds)
        results["availability API  GET /api/v1/shifts?date="] = measure(
            client, timer, [f"/api/v1/shifts?date={d}" for d in days], rounds)
        results["trivial signed-in GET /api/v1/me"] = measure(client, timer, ["/api/v1/me"], rounds)
        client.cookies.set("lo_session", operator_cookie)
        results["operator overview GET /bookings?day= (7 days)"] = measure(
            client, timer, [f"/bookings?day={d}" for d in days], rounds)
        client.cookies.clear()
        results["baseline          GET /healthz"] = measure(client, timer, ["/healthz"], rounds)
    print(f"[{label}] server time over {rounds} requests each (ms):")
    print(f"  {'endpoint':48} {'p50':>7} {'p95':>7}")
    for name, samples in results.items():
        print(f"  {name:48} {statistics.median(samples):7.2f} {percentile(samples, 0.95):7.2f}")
    worst = max(percentile(samples, 0.95) for name, samples in results.items() if "GET /book" in name
                or "/bookings" in name or "shifts" in name)
    print(f"[{label}] target p95 < 30 ms: {'met' if worst < 30 else 'NOT met'} (worst p95 {worst:.2f} ms)")
    app.state.engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg", action="store_true", help="also run on a throw-away PostgreSQL")
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="lo-bench-db-"))
    run(f"sqlite:///{tmp / 'bench.db'}", "sqlite", args.rounds)
    if args.pg:
        from tests.services import PostgresServer

        server = PostgresServer.start()
        try:
            run(server.create_database("lo_bench"), "postgresql", args.rounds)
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
