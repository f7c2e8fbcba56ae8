"""Alarm path latency: button publish -> alarm committed -> SSE event at 30 screens (DESIGN §9).

Starts its own Mosquitto (and PostgreSQL), runs the app as `location-ops serve` in a
subprocess, connects 30 SSE clients, keeps 15 devices heartbeating, publishes N presses
and prints, per database, the bare broker publish->deliver latency and the press->SSE
latency side by side (p50/p99) with their ratio, and the app's RSS and idle CPU.

    .venv/bin/python bench/alarm_latency.py [--presses 200] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from location_ops.accounts import service as accounts_service  # noqa: E402
from location_ops.config import Settings  # noqa: E402
from location_ops.db import make_engine, make_sessionmaker  # noqa: E402
from location_ops.migrate import upgrade  # noqa: E402
from tests.services import MosquittoBroker, PostgresServer, free_port  # noqa: E402

SCREENS = int(os.environ.get("BENCH_SCREENS", "30"))
HEARTBEATING = 15
PASSWORD = "bench-password-123"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def proc_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Screens(threading.Thread):
    """SCREENS SSE clients in one asyncio loop (one thread: no GIL hand-overs between 30 threads)."""

    def __init__(self, url: str, headers: dict, count: int) -> None:
        super().__init__(daemon=True)
        self.url, self.headers, self.count = url, headers, count
        self.arrivals: list[dict[str, float]] = [{} for _ in range(count)]
        self.connected = 0
        self.ready = threading.Event()
        self.stop = threading.Event()

    def run(self) -> None:
        import asyncio

        asyncio.run(self._main())

    async def _main(self) -> None:
        import asyncio

        async with httpx.AsyncClient(timeout=httpx.Timeout(10, read=None),
                                     limits=httpx.Limits(max_connections=self.count + 5)) as client:
            tasks = [asyncio.create_task(self._screen(client, i)) for i in range(self.count)]
            while not self.stop.is_set():
                await asyncio.sleep(0.2)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _screen(self, client, index: int) -> None:
        arrivals = self.arrivals[index]
        async with client.stream("GET", self.url, headers=self.headers) as response:
            kind = None
            async for line in response.aiter_lines():
                if line.startswith("event:"):
                    kind = line[6:].strip()
                    if kind == "hello":
                        self.connected += 1
                        if self.connected == self.count:
                            self.ready.set()
                elif line.startswith("data:") and kind == "alarm":
                    now = time.perf_counter()
                    data = json.loads(line[5:])
                    if data.get("what") == "raised":
                        arrivals.setdefault(data["device_id"], now)


def _ready(base: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the app did not become ready")
        time.sleep(0.1)


def run_backend(name: str, database_url: str, broker: MosquittoBroker, presses: int, tmp: Path,
                split: bool = False) -> dict:
    upgrade(database_url)
    settings = Settings(database_url=database_url, secret_key="bench", argon2_time_cost=1, argon2_memory_kib=1024)
    engine = make_engine(database_url)
    with make_sessionmaker(engine)() as db_session:
        host = accounts_service.create_user(db_session=db_session, settings=settings, username=f"host-{name}",
                                            password=PASSWORD, role="host")
        db_session.commit()
    engine.dispose()
    port = free_port()
    site = f"bench{name}"
    env = {**os.environ, "LOCATION_OPS_DATABASE_URL": database_url, "LOCATION_OPS_MQTT_URL": broker.url,
           "LOCATION_OPS_SITE": site, "LOCATION_OPS_MQTT_CLIENT_ID": f"bench-{name}-{port}",
           "LOCATION_OPS_PORT": str(port), "LOCATION_OPS_SECRET_KEY": "bench", "LOCATION_OPS_VAR_DIR": str(tmp)}
    app = subprocess.Popen([sys.executable, "-m", "location_ops.cli", "serve"], env=env,
                           stdout=open(tmp / f"app-{name}.log", "ab"), stderr=subprocess.STDOUT)
    second = None
    try:
        base = f"http://127.0.0.1:{port}"
        _ready(base)
        screen_bases = [base]
        if split:
            # A second process on the same database and broker: it does not ingest (the first holds
            # the lock); its screens hear every alarm through PostgreSQL LISTEN/NOTIFY.
            second_port = free_port()
            second = subprocess.Popen([sys.executable, "-m", "location_ops.cli", "serve"],
                                      env={**env, "LOCATION_OPS_PORT": str(second_port)},
                                      stdout=open(tmp / f"app-{name}-second.log", "ab"), stderr=subprocess.STDOUT)
            screen_bases.append(f"http://127.0.0.1:{second_port}")
            _ready(screen_bases[1])
        token = httpx.post(f"{base}/api/v1/auth/login", json={"username": host.username, "password": PASSWORD}
                           ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        screen_threads = [Screens(f"{b}/api/v1/events", headers, SCREENS // len(screen_bases)) for b in screen_bases]
        for screen_thread in screen_threads:
            screen_thread.start()
        for screen_thread in screen_threads:
            if not screen_thread.ready.wait(30):
                raise RuntimeError("the SSE screens did not connect")
        screens = [arrivals for thread in screen_threads for arrivals in thread.arrivals]

        # The bare broker: a plain subscriber on the same press topics.
        bare: dict[str, float] = {}
        sub = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        subscribed = threading.Event()
        sub.on_subscribe = lambda *a: subscribed.set()
        sub.on_message = lambda c, u, m: bare.setdefault(m.topic.split("/")[3], time.perf_counter())
        sub.connect("127.0.0.1", broker.port)
        sub.loop_start()
        sub.subscribe(f"location-ops/{site}/devices/+/event", qos=1)
        subscribed.wait(10)

        stop = threading.Event()

        def heartbeats():
            hb = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
            hb.connect("127.0.0.1", broker.port)
            hb.loop_start()
            while not stop.wait(1.0):
                for i in range(HEARTBEATING):
                    hb.publish(f"location-ops/{site}/devices/hb{i}/event", json.dumps({"event": "heartbeat",
                                                                                         "battery": 90}), qos=1)
            hb.loop_stop()
            hb.disconnect()

        hb_thread = threading.Thread(target=heartbeats, daemon=True)
        hb_thread.start()

        # Idle figures first: 30 screens connected, 15 devices heartbeating, no alarms.
        time.sleep(2)
        cpu0, t0 = proc_cpu_seconds(app.pid), time.monotonic()
        time.sleep(10)
        idle_cpu = (proc_cpu_seconds(app.pid) - cpu0) / (time.monotonic() - t0) * 100

        pub = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        pub.connect("127.0.0.1", broker.port)
        pub.loop_start()
        sent: dict[str, float] = {}
        for i in range(presses):
            device = f"p{i}"
            sent[device] = time.perf_counter()
            pub.publish(f"location-ops/{site}/devices/{device}/event", json.dumps({"event": "press", "seq": 1}), qos=1)
            time.sleep(0.05)  # presses spaced out: we measure latency, not a flood
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not all(len(s) >= presses for s in screens):
            time.sleep(0.1)
        rss = proc_rss_mb(app.pid)
        stop.set()
        pub.loop_stop()
        sub.loop_stop()
        broker_ms = [(bare[d] - sent[d]) * 1000 for d in sent if d in bare]
        sse_ms = [(s[d] - sent[d]) * 1000 for s in screens for d in sent if d in s]
        missing = presses * SCREENS - len(sse_ms)
        if os.environ.get("BENCH_TRACE"):
            for d in list(sent)[:: max(1, presses // 15)]:
                per = sorted((s[d] - sent[d]) * 1000 for s in screens if d in s)
                print(f"  {d}: broker {(bare.get(d, float('nan')) - sent[d]) * 1000:.1f} ms, "
                      f"SSE first {per[0]:.1f} median {per[len(per) // 2]:.1f} last {per[-1]:.1f} ms")
        for screen_thread in screen_threads:
            screen_thread.stop.set()
            screen_thread.join(10)
        far = [(s[d] - sent[d]) * 1000 for s in screens[SCREENS // len(screen_bases):] for d in sent if d in s] \
            if split else []
        return {"backend": name, "broker_p50": statistics.median(broker_ms), "broker_p99": percentile(broker_ms, 99),
                "sse_p50": statistics.median(sse_ms), "sse_p99": percentile(sse_ms, 99), "missing": missing,
                "rss_mb": rss, "idle_cpu_pct": idle_cpu,
                "second_p50": statistics.median(far) if far else None,
                "second_p99": percentile(far, 99) if far else None}
    finally:
        if second is not None:
            second.terminate()
            try:
                second.wait(timeout=15)
            except subprocess.TimeoutExpired:
                second.kill()
        app.terminate()
        try:
            app.wait(timeout=15)
        except subprocess.TimeoutExpired:
            app.kill()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presses", type=int, default=200)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--split", action="store_true",
                        help="PostgreSQL: half the screens on a second app process that does not ingest")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="lo-bench-"))
    broker = MosquittoBroker.start()
    pg = None
    results = []
    try:
        for name in args.backends.split(","):
            if name == "sqlite":
                url = f"sqlite:///{tmp / 'bench.db'}"
            else:
                pg = pg or PostgresServer.start()
                url = pg.create_database("lo_bench")
            results.append(run_backend(name, url, broker, args.presses, tmp, split=args.split and name != "sqlite"))
    finally:
        broker.close()
        if pg:
            pg.stop()
    print(f"\nalarm latency: {args.presses} presses, {SCREENS} SSE screens, {HEARTBEATING} devices heartbeating")
    print(f"{'backend':<11} {'broker p50':>10} {'broker p99':>10} {'SSE p50':>9} {'SSE p99':>9} {'p99 ratio':>9} "
          f"{'missing':>7} {'RSS MB':>7} {'idle CPU':>8}")
    for r in results:
        ratio = r["sse_p99"] / r["broker_p99"] if r["broker_p99"] else float("inf")
        print(f"{r['backend']:<11} {r['broker_p50']:>8.2f}ms {r['broker_p99']:>8.2f}ms {r['sse_p50']:>7.2f}ms "
              f"{r['sse_p99']:>7.2f}ms {ratio:>8.1f}x {r['missing']:>7} {r['rss_mb']:>7.1f} {r['idle_cpu_pct']:>7.2f}%")
    for r in results:
        if r.get("second_p50") is not None:
            print(f"{r['backend']}: the second process's {SCREENS // 2} screens (events via LISTEN/NOTIFY): "
                  f"SSE p50 {r['second_p50']:.2f}ms, p99 {r['second_p99']:.2f}ms")
    print("target (DESIGN §9): SSE p99 <= 3x the broker's p99 and < 50 ms; RSS < 150 MB; idle CPU < 2 %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
