"""deploy/'s Mosquitto accounts and ACLs: devices publish their own topics only, read nothing, and cannot be the bridge.

The broker runs deploy/mosquitto.conf, deploy/bridge.acl and deploy/devices.acl as
written (tests/services.py ``DeployBroker``), with password files made at test time.
"""

from __future__ import annotations

import queue
import secrets
import threading
import uuid
from collections.abc import Iterator

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from location_ops.alarms import decoders
from tests.services import DeployBroker

SITE = "main"
BRIDGE_USER = "location-ops"
BRIDGE_CLIENT_ID = f"location-ops-{SITE}"
TIMEOUT = 10


class Client:
    """A paho MQTT 5 client that lets a test wait for its connection, acks and messages."""

    def __init__(self, port: int, username: str, password: str, client_id: str, clean_start: bool = True) -> None:
        self.messages: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.answered = threading.Event()  # a CONNACK, accepting or refusing
        self.disconnected = threading.Event()
        self.reason = None
        self._subacks: queue.Queue[list] = queue.Queue()
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        self._client.username_pw_set(username, password)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = lambda *_args: self.disconnected.set()
        self._client.on_message = lambda _c, _u, message: self.messages.put((message.topic, message.payload))
        self._client.on_subscribe = lambda _c, _u, _mid, codes, _p: self._subacks.put(list(codes))
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = 300
        self._client.connect("127.0.0.1", port, clean_start=clean_start, properties=properties)
        self._client.loop_start()
        assert self.answered.wait(TIMEOUT), "no CONNACK"

    def _on_connect(self, _client, _userdata, _flags, reason_code, _properties) -> None:
        self.reason = reason_code
        self.answered.set()

    @property
    def refused(self) -> bool:
        return self.reason is not None and self.reason.is_failure

    def subscribe(self, *filters: str) -> list:
        self._client.subscribe([(topic, 1) for topic in filters])
        return self._subacks.get(timeout=TIMEOUT)

    def publish(self, topic: str, payload: bytes) -> None:
        """Publish at QoS 1 and wait for the broker's PUBACK: the broker has routed it by then."""
        info = self._client.publish(topic, payload, qos=1)
        info.wait_for_publish(TIMEOUT)
        assert info.is_published()

    def received(self) -> list[tuple[str, bytes]]:
        found = []
        while not self.messages.empty():
            found.append(self.messages.get_nowait())
        return found

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


@pytest.fixture
def accounts() -> dict[str, dict[str, str]]:
    return {"bridge": {BRIDGE_USER: secrets.token_urlsafe(16)},
            "devices": {"room-1": secrets.token_urlsafe(16), "room-2": secrets.token_urlsafe(16)}}


@pytest.fixture
def broker(accounts) -> Iterator[DeployBroker]:
    deployed = DeployBroker.start(accounts)
    yield deployed
    deployed.close()


@pytest.fixture
def connect(broker, accounts):
    clients = []

    def open_client(listener: str, username: str, client_id: str | None = None, password: str | None = None,
                    **options) -> Client:
        port = broker.app_port if listener == "bridge" else broker.device_port
        if password is None:
            password = accounts["bridge" if username == BRIDGE_USER else "devices"].get(username, "")
        client = Client(port, username, password, client_id or f"t-{uuid.uuid4().hex[:8]}", **options)
        clients.append(client)
        return client

    yield open_client
    for client in clients:
        client.close()


def test_the_bridge_reads_every_device_topic_a_device_publishes_its_own(connect):
    bridge = connect("bridge", BRIDGE_USER, BRIDGE_CLIENT_ID)
    codes = bridge.subscribe(*decoders.subscriptions(SITE))
    assert all(not code.is_failure for code in codes), codes
    device = connect("devices", "room-1")
    # Another room's button, then its own: mosquitto routes them in order, so when the
    # second has arrived the first would have too.
    device.publish(f"location-ops/{SITE}/devices/room-2/event", b'{"event":"press"}')
    device.publish(f"location-ops/{SITE}/devices/room-1/event", b'{"event":"press"}')
    assert bridge.messages.get(timeout=TIMEOUT) == (f"location-ops/{SITE}/devices/room-1/event",
                                                    b'{"event":"press"}')
    assert bridge.received() == []


def test_a_device_reads_nothing_not_even_with_a_subscription_to_everything(connect):
    device = connect("devices", "room-1")
    codes = device.subscribe("#", f"location-ops/{SITE}/devices/+/event")
    bridge = connect("bridge", BRIDGE_USER, BRIDGE_CLIENT_ID)
    bridge.publish(f"location-ops/{SITE}/devices/room-2/event", b'{"event":"press"}')
    bridge.publish("location-ops/siren", b"on")
    # A round trip on the device's own connection after the broker routed those: anything
    # delivered to it would be read before this PUBACK.
    device.publish(f"location-ops/{SITE}/devices/room-1/status", b"online")
    assert device.received() == [], f"a device read messages (SUBACK {codes})"


def test_a_device_cannot_connect_as_the_bridge_or_take_over_its_session(connect, accounts):
    bridge = connect("bridge", BRIDGE_USER, BRIDGE_CLIENT_ID, clean_start=False)
    bridge.subscribe(f"location-ops/{SITE}/devices/+/event")
    # A device's password does not open the app's listener, whatever client id it names.
    intruder = connect("bridge", "room-1", BRIDGE_CLIENT_ID, password=accounts["devices"]["room-1"])
    assert intruder.refused
    # Nor do the bridge's credentials work on the devices' listener.
    assert connect("devices", BRIDGE_USER, BRIDGE_CLIENT_ID, password=accounts["bridge"][BRIDGE_USER]).refused
    # On the devices' listener the client id a device sends is replaced by its username.
    device = connect("devices", "room-1", BRIDGE_CLIENT_ID)
    assert not device.refused
    bridge.publish(f"location-ops/{SITE}/devices/room-1/event", b"{}")  # a round trip: still connected
    assert not bridge.disconnected.is_set()
    device.publish(f"location-ops/{SITE}/devices/room-1/event", b'{"event":"press"}')
    assert (f"location-ops/{SITE}/devices/room-1/event", b'{"event":"press"}') in [
        bridge.messages.get(timeout=TIMEOUT), bridge.messages.get(timeout=TIMEOUT)]
