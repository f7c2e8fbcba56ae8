"""Start and stop the MQTT bridge, the broker watch and the escalation and supervision loops with the app."""

from __future__ import annotations

import asyncio
import gc
import logging

from location_ops.alarms import service
from location_ops.alarms.bridge import Bridge
from location_ops.alarms.broker_watch import BrokerWatch
from location_ops.clock import utcnow

log = logging.getLogger(__name__)

ESCALATION_TICK = 1.0
SUPERVISION_TICK = 3.0


async def startup(app) -> None:
    bridge = Bridge(settings=app.state.settings, sessionmaker=app.state.sessionmaker, engine=app.state.engine,
                    hub=app.state.hub)
    app.state.bridge = bridge
    bridge.start()
    app.state.broker_watch = BrokerWatch(settings=app.state.settings, sessionmaker=app.state.sessionmaker,
                                         hub=app.state.hub)
    app.state.broker_watch.start()
    # Move the objects of start-up out of the collector's way: fewer, shorter GC pauses on the alarm path.
    gc.collect()
    gc.freeze()
    app.state.alarm_tasks = [asyncio.create_task(_escalation_loop(app), name="alarm-escalation"),
                             asyncio.create_task(_supervision_loop(app), name="alarm-supervision")]


async def shutdown(app) -> None:
    for task in getattr(app.state, "alarm_tasks", []):
        task.cancel()
    for task in getattr(app.state, "alarm_tasks", []):
        try:
            await task
        except (asyncio.CancelledError, Exception):  # noqa: BLE001
            pass
    bridge = getattr(app.state, "bridge", None)
    if bridge is not None:
        await asyncio.to_thread(bridge.stop)
    watch = getattr(app.state, "broker_watch", None)
    if watch is not None:
        await asyncio.to_thread(watch.stop)
    app.state.hub.close()


async def _escalation_loop(app) -> None:
    settings = app.state.settings
    while True:
        await asyncio.sleep(ESCALATION_TICK)
        try:
            await asyncio.to_thread(service.run_escalations, sessionmaker=app.state.sessionmaker,
                                    settings=settings, now=utcnow(), publish_siren=app.state.bridge.publish,
                                    hub=app.state.hub)
        except Exception:  # noqa: BLE001 - keep escalating whatever one round did
            log.exception("escalation round failed")


async def _supervision_loop(app) -> None:
    """In a process that does not ingest, tell its screens when the ingesting bridge's state changes."""
    last = None
    while True:
        await asyncio.sleep(SUPERVISION_TICK)
        bridge = app.state.bridge
        if bridge.ingesting:
            last = None
            continue
        try:
            connected = await asyncio.to_thread(lambda: bridge.connected)
        except Exception:  # noqa: BLE001
            connected = False
        if connected != last:
            last = connected
            app.state.hub.publish("device", {"what": "bridge", "connected": connected}, audience=service.STAFF)
