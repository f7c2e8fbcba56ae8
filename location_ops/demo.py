"""`location-ops demo`: SQLite under var/, an embedded MQTT broker, seeded data, the app.

The embedded broker (amqtt) lives and dies with this process: fine for a demo or a
trial on one box, not for production, where Mosquitto keeps presses while the app
restarts.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from location_ops.accounts import service as accounts_service
from location_ops.accounts.models import Role, User
from location_ops.config import Settings
from location_ops.db import make_engine, make_sessionmaker
from location_ops.migrate import upgrade
from location_ops.models import CAPABILITIES, import_capability_module
from location_ops.rooms.models import Room

log = logging.getLogger(__name__)

DEMO_USERS = [
    ("operator", Role.OPERATOR), ("host", Role.HOST), ("roos", Role.WORKER), ("lila", Role.WORKER),
    ("maria", Role.WORKER), ("casework", Role.CASEWORKER), ("security", Role.SECURITY),
]

#: Extra seeding steps that capabilities add: ``fn(*, db_session, settings, users) -> None``.
SEEDERS: list[Callable[..., None]] = []


def demo_settings(settings: Settings, port: int) -> Settings:
    """The demo's own database and broker, whatever the environment says."""
    var_dir = settings.var_dir
    return settings.model_copy(update={
        "database_url": f"sqlite:///{var_dir / 'demo.db'}",
        "mqtt_url": f"mqtt://127.0.0.1:{settings.demo_mqtt_port}",
        "port": port,
        "device_simulator": True,  # a "simulate press" button per device (alarms)
        "mqtt_version": 3,  # amqtt speaks MQTT 3.1.1 only
    })


def seed(*, db_session: Session, settings: Settings) -> dict[str, str]:
    """Create rooms and a user of every role; return the demo logins (username → password)."""
    logins: dict[str, str] = {}
    users: dict[str, User] = {}
    for username, role in DEMO_USERS:
        password = f"demo-{username}-{secrets.randbelow(10**6):06d}"
        user = accounts_service.create_user(db_session=db_session, settings=settings, username=username,
                                            password=password, role=role)
        logins[username] = password
        users[username] = user
    for number in range(1, settings.max_rooms + 1):
        db_session.add(Room(number=number, name="", active=True))  # no own name: "Kamer 4" in each language
    db_session.flush()
    for capability in CAPABILITIES:
        import_capability_module(capability, "demo")
    for seeder in SEEDERS:
        seeder(db_session=db_session, settings=settings, users=users)
    db_session.commit()
    return logins


def _prepare(settings: Settings, reset: bool) -> dict[str, str] | None:
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    db_file = settings.var_dir / "demo.db"
    logins_file = settings.var_dir / "demo-logins.txt"
    if reset:
        for path in (db_file, logins_file, db_file.with_suffix(".db-wal"), db_file.with_suffix(".db-shm")):
            path.unlink(missing_ok=True)
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as db_session:
            if db_session.scalar(select(User.id).limit(1)) is None:
                logins = seed(db_session=db_session, settings=settings)
                logins_file.write_text("".join(f"{u} {p}\n" for u, p in logins.items()))
                logins_file.chmod(0o600)
    finally:
        engine.dispose()
    if logins_file.exists():
        return dict(line.split(" ", 1) for line in logins_file.read_text().splitlines() if " " in line)
    return None


async def start_embedded_broker(port: int):
    """Start an amqtt broker on 127.0.0.1:port; return it (call ``await broker.shutdown()``)."""
    from amqtt.broker import Broker

    broker = Broker({
        "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}"}},
        "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
    })
    await broker.start()
    return broker


#: Loggers whose INFO lines are the embedded broker's (and its state machine's) chatter.
QUIET_LOGGERS = ("amqtt", "transitions", "alembic")


def print_logins(port: int, logins: dict[str, str] | None) -> None:
    print(f"\nlocation-ops demo: http://127.0.0.1:{port}/", flush=True)
    print("Demo logins (username password):")
    for username, password in (logins or {}).items():
        print(f"  {username:10} {password.strip()}")
    print("The operator has no two-step login yet: the first login asks to set it up.")
    print("A panic button: location-ops simulate press --family native --device room-1\n", flush=True)


async def wait_until_running(server, app, serving: asyncio.Task, *, timeout: float = 20.0) -> None:
    """Return once uvicorn serves and the alarm bridge is connected, or ``timeout`` has passed,
    or the server has stopped (it could not bind its port, say).

    The logins are printed after that, so nothing the start-up logs scrolls them away.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline and not server.started and not serving.done():
        await asyncio.sleep(0.05)  # uvicorn sets a flag; it offers no event to await
    bridge = getattr(app.state, "bridge", None)
    while bridge is not None and loop.time() < deadline and not serving.done():
        if await asyncio.to_thread(lambda: bridge.connected):
            return
        await asyncio.sleep(0.1)


def run_demo(settings: Settings, *, port: int, reset: bool) -> int:
    import uvicorn

    from location_ops.app import create_app

    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    settings = demo_settings(settings, port)
    logins = _prepare(settings, reset)

    async def main() -> None:
        broker = await start_embedded_broker(settings.demo_mqtt_port)
        app = create_app(settings)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="info", access_log=False))
        serving = asyncio.create_task(server.serve())
        try:
            await wait_until_running(server, app, serving)
            if not serving.done():
                print_logins(port, logins)
            await serving
        finally:
            await broker.shutdown()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:  # Ctrl-C: uvicorn has shut down; its re-raised signal ends the loop
        pass
    return 0
