"""Reception board and log with a year of data; one change fanned out to 30 SSE screens (DESIGN §9).

Seeds 15 rooms x 2 shifts x 365 days of bookings and 50 000 reception log entries,
runs the app in a subprocess (uvicorn, as `location-ops serve` does, wrapped so that
each response carries a Server-Timing header: the time from the request reaching the
app until its response starts) and measures, in the same run, the board page, the
board partial (what a live screen re-fetches), the log page and the log API beside a
trivial endpoint (/healthz): server time and client wall time p50/p95 over N requests
on one keep-alive connection, and the app process's CPU time per request (which other
load on the box does not inflate).
Then 30 SSE screens connect and N log entries are posted; for each, the time from
sending the POST until the last of the 30 screens has the `log` event.

    .venv/bin/python bench/board.py [--requests 300] [--changes 50] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import insert

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from location_ops.accounts import service as accounts_service  # noqa: E402
from location_ops.accounts.models import Role, User  # noqa: E402
from location_ops.bookings.models import Booking  # noqa: E402
from location_ops.clock import LOCAL_TZ  # noqa: E402
from location_ops.config import Settings  # noqa: E402
from location_ops.db import make_engine, make_sessionmaker  # noqa: E402
from location_ops.migrate import upgrade  # noqa: E402
from location_ops.reception.models import HostShift, LogEntry  # noqa: E402
from location_ops.rooms import service as rooms_service  # noqa: E402
from location_ops.rooms.models import Room  # noqa: E402
from tests.services import PostgresServer, free_port  # noqa: E402

ROOMS = 15
DAYS = 365
LOG_ENTRIES = 50_000
WORKERS = 40
SCREENS = int(os.environ.get("BENCH_SCREENS", "30"))
PASSWORD = "bench-password-123"


def serve_timed() -> None:
    """Run the app like `location-ops serve`, with a Server-Timing header giving the time spent in the app."""
    import uvicorn

    from location_ops.app import create_app
    from location_ops.config import get_settings

    inner = create_app(get_settings())

    async def timed_app(scope, receive, send):
        if scope["type"] != "http":
            return await inner(scope, receive, send)
        start = time.perf_counter()

        async def send_with_timing(message):
            if message["type"] == "http.response.start":
                took = (time.perf_counter() - start) * 1000
                message["headers"] = [*message.get("headers", []), (b"server-timing", f"app;dur={took:.3f}".encode())]
            await send(message)

        return await inner(scope, receive, send_with_timing)

    settings = get_settings()
    uvicorn.run(timed_app, host=settings.host, port=settings.port, log_level="warning")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]


def seed(database_url: str, settings: Settings) -> User:
    """A year of bookings (past ones checked in and out; today's half checked in) and 50 000 log entries."""
    engine = make_engine(database_url)
    random.seed(7)
    try:
        with make_sessionmaker(engine)() as db_session:
            host = accounts_service.create_user(db_session=db_session, settings=settings, username="bench-host",
                                                password=PASSWORD, role="host")
            password_hash = host.password_hash
            now = dt.datetime.now(dt.UTC)
            rooms = [Room(number=n, name=f"Room {n}", active=True) for n in range(1, ROOMS + 1)]
            db_session.add_all(rooms)
            workers = [User(username=f"worker{i:02d}", username_key=f"worker{i:02d}", role=Role.WORKER,
                            password_hash=password_hash, mfa_enabled=False, active=True, created_at=now)
                       for i in range(WORKERS)]
            db_session.add_all(workers)
            rooms_service.ensure_default_shifts(db_session=db_session)
            db_session.flush()
            room_ids = [room.id for room in rooms]
            worker_ids = [worker.id for worker in workers]
            host_id = host.id
            db_session.add(HostShift(host_id=host_id, started_at=now, open_key="open"))  # the host is on duty
            db_session.commit()

        today = now.astimezone(LOCAL_TZ).date()
        bookings = []
        for offset in range(DAYS - 1, -1, -1):
            day = today - dt.timedelta(days=offset)
            for shift, (start, end) in (("day", (dt.time(10), dt.time(18))), ("evening", (dt.time(18), dt.time(1)))):
                starts_at, ends_at = rooms_service.local_range(day, start, end)
                # A worker holds one room at a time: 15 different workers per shift.
                chosen = random.sample(worker_ids, ROOMS)
                for room_id, worker_id in zip(room_ids, chosen, strict=True):
                    past = ends_at < now
                    arrived = past or (starts_at < now and room_id % 2 == 0)
                    bookings.append({
                        "room_id": room_id, "worker_id": worker_id, "shift": shift, "day": day,
                        "starts_at": starts_at, "ends_at": ends_at, "status": "booked", "price_cents": 8000,
                        "charge_cents": 0, "created_at": starts_at - dt.timedelta(days=3),
                        "checked_in_at": starts_at + dt.timedelta(minutes=random.randint(-10, 40)) if arrived else None,
                        "checked_out_at": ends_at - dt.timedelta(minutes=random.randint(0, 60)) if past else None})
        kinds = ["visitor_in"] * 8 + ["visitor_out"] * 8 + ["worker_in", "worker_out", "note", "incident",
                                                             "delivery", "note"]
        span = dt.timedelta(days=DAYS).total_seconds()
        entries = []
        for i in range(LOG_ENTRIES):
            kind = random.choice(kinds)
            at = now - dt.timedelta(seconds=random.uniform(0, span))
            text = "" if kind.startswith(("visitor", "worker")) else f"bench entry {i}"
            room = random.choice(room_ids) if kind.startswith(("visitor", "worker")) else None
            entries.append({"at": at, "kind": kind, "room_id": room, "worker_id": None, "booking_id": None,
                            "timing": "", "text": text, "author_id": host_id, "corrects_id": None})
        with engine.begin() as connection:
            for chunk in range(0, len(bookings), 2000):
                connection.execute(insert(Booking), bookings[chunk:chunk + 2000])
            for chunk in range(0, len(entries), 5000):
                connection.execute(insert(LogEntry), entries[chunk:chunk + 5000])
        if database_url.startswith("postgresql"):
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("ANALYZE")
        else:
            with engine.begin() as connection:
                connection.exec_driver_sql("ANALYZE")
        print(f"  seeded {len(bookings)} bookings and {len(entries)} log entries", flush=True)
        return host
    finally:
        engine.dispose()


class Screen(threading.Thread):
    """One SSE client: records when each `log` event (by entry id) arrives."""

    def __init__(self, url: str, headers: dict) -> None:
        super().__init__(daemon=True)
        self.url, self.headers = url, headers
        self.arrivals: dict[int, float] = {}
        self.ready = threading.Event()
        self.client = httpx.Client(timeout=httpx.Timeout(10, read=None))

    def run(self) -> None:
        try:
            with self.client.stream("GET", self.url, headers=self.headers) as response:
                kind = None
                for line in response.iter_lines():
                    if line.startswith("event:"):
                        kind = line[6:].strip()
                        if kind == "hello":
                            self.ready.set()
                    elif line.startswith("data:") and kind == "log":
                        self.arrivals.setdefault(json.loads(line[5:])["id"], time.perf_counter())
        except Exception:  # noqa: BLE001 - closed at the end
            pass


def proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(client: httpx.Client, path: str, requests: int, pid: int) -> tuple[list[float], list[float], float]:
    """Per GET: server time (the app's Server-Timing until its response starts), wall time at the client;
    and the app process's CPU seconds spent on them all."""
    for _ in range(3):
        assert client.get(path).status_code == 200, path
    server, wall = [], []
    cpu0 = proc_cpu_seconds(pid)
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(path)
        wall.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
        server.append(float(response.headers["server-timing"].split("dur=")[1]))
    return server, wall, proc_cpu_seconds(pid) - cpu0


def run_backend(name: str, database_url: str, requests: int, changes: int, tmp: Path) -> dict:
    upgrade(database_url)
    settings = Settings(database_url=database_url, secret_key="bench", argon2_time_cost=1, argon2_memory_kib=1024)
    print(f"{name}: seeding…", flush=True)
    host = seed(database_url, settings)
    port = free_port()
    env = {**os.environ, "LOCATION_OPS_DATABASE_URL": database_url, "LOCATION_OPS_MQTT_URL": "mqtt://127.0.0.1:9",
           "LOCATION_OPS_PORT": str(port), "LOCATION_OPS_SECRET_KEY": "bench", "LOCATION_OPS_VAR_DIR": str(tmp),
           "LOCATION_OPS_SITE": f"bench{name}"}
    app = subprocess.Popen([sys.executable, __file__, "--serve-timed"], env=env,
                           stdout=open(tmp / f"app-{name}.log", "ab"), stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the app did not start")
            time.sleep(0.1)
        token = httpx.post(f"{base}/api/v1/auth/login", json={"username": host.username, "password": PASSWORD}
                           ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        figures = {}
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            # Interleave the endpoints round by round so that drift hits them alike.
            paths = {"healthz": "/healthz", "board page": "/reception", "board partial": "/reception/board",
                     "log page (today)": "/reception/log", "log API (200 newest)": "/api/v1/log?limit=200"}
            server: dict[str, list[float]] = {label: [] for label in paths}
            wall: dict[str, list[float]] = {label: [] for label in paths}
            cpu: dict[str, float] = {label: 0.0 for label in paths}
            rounds = 10
            for _ in range(rounds):
                for label, path in paths.items():
                    server_ms, wall_ms, seconds = timed(client, path, max(1, requests // rounds), app.pid)
                    server[label] += server_ms
                    wall[label] += wall_ms
                    cpu[label] += seconds
            for label in paths:
                figures[label] = (statistics.median(server[label]), percentile(server[label], 95),
                                  statistics.median(wall[label]), percentile(wall[label], 95),
                                  cpu[label] / len(server[label]) * 1000)

        screens = [Screen(f"{base}/api/v1/events", headers) for _ in range(SCREENS)]
        for screen in screens:
            screen.start()
        for screen in screens:
            screen.ready.wait(20)
        fanout = []
        rooms = httpx.get(f"{base}/api/v1/rooms", headers=headers).json()
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            for i in range(changes):
                sent = time.perf_counter()
                response = client.post("/api/v1/log", json={"kind": "visitor_in", "room_id": rooms[i % len(rooms)]["id"]})
                assert response.status_code == 201, response.text
                entry_id = response.json()["id"]
                wait_until = time.monotonic() + 10
                while time.monotonic() < wait_until and not all(entry_id in s.arrivals for s in screens):
                    time.sleep(0.001)
                got = [s.arrivals[entry_id] for s in screens if entry_id in s.arrivals]
                if len(got) == SCREENS:
                    fanout.append((max(got) - sent) * 1000)
                time.sleep(0.05)
        for screen in screens:
            screen.client.close()
        figures["fanout"] = (statistics.median(fanout), percentile(fanout, 95), changes - len(fanout))
        return figures
    finally:
        app.terminate()
        try:
            app.wait(timeout=15)
        except subprocess.TimeoutExpired:
            app.kill()


def main() -> int:
    if sys.argv[1:] == ["--serve-timed"]:
        serve_timed()
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="lo-bench-board-"))
    pg = None
    results = {}
    try:
        for name in args.backends.split(","):
            if name == "sqlite":
                url = f"sqlite:///{tmp / 'bench.db'}"
            else:
                pg = pg or PostgresServer.start()
                url = pg.create_database("lo_bench_board")
            results[name] = run_backend(name, url, args.requests, args.changes, tmp)
    finally:
        if pg:
            pg.stop()
    print(f"\nreception board and log: {ROOMS} rooms x 2 shifts x {DAYS} days of bookings, {LOG_ENTRIES} log "
          f"entries; {args.requests} requests per endpoint (keep-alive, same machine)")
    for name, figures in results.items():
        print(f"\n{name}")
        print(f"  {'endpoint':<22} {'server p50':>10} {'server p95':>10} {'client p50':>10} {'client p95':>10} "
              f"{'app CPU/req':>11}")
        for label, value in figures.items():
            if label == "fanout":
                continue
            print(f"  {label:<22} {value[0]:>8.2f}ms {value[1]:>8.2f}ms {value[2]:>8.2f}ms {value[3]:>8.2f}ms "
                  f"{value[4]:>9.2f}ms")
        p50, p95, missing = figures["fanout"]
        print(f"  one change (POST /api/v1/log) -> all {SCREENS} SSE screens: p50 {p50:.2f} ms, p95 {p95:.2f} ms"
              f" ({args.changes} changes, {missing} incomplete)")
    load = os.getloadavg()
    print(f"\nload average during the run: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores "
          "(app CPU/request is the app process's CPU time per request, independent of other load)")
    print("target (DESIGN §9): the board renders p95 < 30 ms server-side with a year of data")
    return 0


if __name__ == "__main__":
    sys.exit(main())
