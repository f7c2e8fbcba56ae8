"""The demo's embedded amqtt broker (MQTT 3.1.1 only): the bridge connects and presses arrive."""

from __future__ import annotations

import asyncio
import threading

from fastapi.testclient import TestClient

from devices.simulator import message_for
from location_ops.app import create_app
from location_ops.demo import start_embedded_broker
from tests.alarms.conftest import alarm_count, publish, wait_until
from tests.services import free_port, wait_for_port


def test_bridge_against_embedded_amqtt(settings, rooms):
    port = free_port()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder = {}

    def run():
        asyncio.set_event_loop(loop)
        holder["broker"] = loop.run_until_complete(start_embedded_broker(port))
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert started.wait(20)
    wait_for_port(port)
    demo = settings.model_copy(update={"mqtt_url": f"mqtt://127.0.0.1:{port}", "mqtt_version": 3})
    app = create_app(demo)
    try:
        with TestClient(app):
            wait_until(lambda: app.state.bridge.connected, what="the bridge to connect to amqtt")
            publish(demo.mqtt_url, message_for("native", "room-1", "press", site=demo.site),
                    message_for("shelly_gen1", "sb1", "press", counter=4))
            wait_until(lambda: alarm_count(app.state.sessionmaker) == 2, what="two alarms via amqtt")
    finally:
        asyncio.run_coroutine_threadsafe(holder["broker"].shutdown(), loop).result(20)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
