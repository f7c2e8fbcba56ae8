"""The siren over MQTT: on at once when asked to, off when someone acknowledges (real Mosquitto)."""

from __future__ import annotations

import queue
import uuid

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from location_ops.accounts.models import Role
from tests.alarms.conftest import wait_connected
from tests.alarms.test_lifecycle import _headers


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"alarm_siren_topic": f"siren/{uuid.uuid4().hex[:8]}",
                                       "alarm_siren_on_payload": "ON", "alarm_siren_off_payload": "OFF",
                                       "alarm_siren_immediately": True})


@pytest.fixture
def siren(settings, mosquitto):
    """A subscriber on the siren topic; yields a queue of the payloads it hears."""
    heard: queue.Queue = queue.Queue()
    subscribed = queue.Queue()
    listener = mqtt.Client(CallbackAPIVersion.VERSION2)
    listener.on_message = lambda _c, _u, message: heard.put(message.payload.decode())
    listener.on_subscribe = lambda *_args: subscribed.put(True)
    listener.connect("127.0.0.1", mosquitto.port)
    listener.loop_start()
    listener.subscribe(settings.alarm_siren_topic, qos=1)
    subscribed.get(timeout=10)
    yield heard
    listener.loop_stop()
    listener.disconnect()


def test_siren_sounds_at_once_and_stops_when_the_last_alarm_is_acknowledged(client, app, make_user, rooms, siren):
    wait_connected(app)
    _host, host_h = _headers(client, make_user, Role.HOST)
    first = client.post("/api/v1/alarms", json={"room_id": rooms[1]}, headers=host_h).json()
    assert siren.get(timeout=10) == "ON", "alarm_siren_immediately: the siren sounds at the raise"
    second = client.post("/api/v1/alarms", json={"room_id": rooms[2]}, headers=host_h).json()
    assert siren.get(timeout=10) == "ON"
    client.post(f"/api/v1/alarms/{first['id']}/acknowledge", headers=host_h)
    # Room 2 still waits for someone: the siren goes on. Its acknowledgement stops it.
    client.post(f"/api/v1/alarms/{second['id']}/acknowledge", headers=host_h)
    assert siren.get(timeout=10) == "OFF"
    assert siren.empty(), "no OFF while another alarm was still unacknowledged"
