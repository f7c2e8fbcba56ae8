"""The MQTT bridge: device messages in, alarm rows committed, then the message acknowledged.

paho-mqtt 2 with a persistent session (MQTT 5, clean start off, a session expiry, a
stable client id per site), QoS 1 subscriptions and manual acks: a message is acked
only after its alarm row is committed, so a crash in between makes the broker
redeliver it instead of losing it. With several app processes on PostgreSQL, only the
holder of an advisory lock ingests; the others wait for it and take over when its
process (and so its database connection) dies.

Storms (DESIGN §5): paho's thread only queues what arrives; the ingest thread looks at
everything waiting and stores, one commit at a time, first the first press of each
registered button, then the first press of each unknown one, then the rest in bounded
chunks — repeated presses counted, heartbeats collapsed — and acknowledges messages in
the order received as soon as they and all before them are committed. Between two
commits it looks again, so a new press never waits behind more than one chunk. The
broker may send ``RECEIVE_MAXIMUM`` messages ahead.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import zlib
from collections import deque
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions
from sqlalchemy import text

from location_ops.alarms import decoders, service
from location_ops.clock import utcnow

log = logging.getLogger(__name__)

#: How often the ingesting process refreshes its status row and checks its lock.
HEARTBEAT_SECONDS = 5.0
#: A device's heartbeats are stored at most this often (unless its battery changes).
HEARTBEAT_STORE_SECONDS = 30.0
#: How many unacknowledged messages the broker may send ahead (MQTT 5 Receive Maximum, its largest
#: value): a storm reaches the bridge at once, so a press behind it in the broker's queue is not
#: held back until everything before it is stored and acknowledged.
RECEIVE_MAXIMUM = 65535
#: The most messages looked at together.
BATCH_MAX = 20000
#: The most messages stored in one commit: between two, newly arrived first presses go ahead.
CHUNK = 500
#: The most first presses (new alarms) stored in one commit.
URGENT_CHUNK = 100


@dataclass(eq=False)
class _Entry:
    """A received message on its way: decoded once, stored, then acknowledged in receive order."""

    client: object
    message: object
    decoded: decoders.DeviceMessage | None
    stored: bool = False
    #: The first press of its device among the waiting messages: stored before anything else.
    first: bool = False


def _is_press(message: decoders.DeviceMessage | None) -> bool:
    return message is not None and message.kind in (decoders.PRESS, decoders.TEST) and not message.retained


def broker_address(url: str) -> tuple[str, int, str | None, str | None]:
    parts = urlsplit(url)
    return (parts.hostname or "127.0.0.1", parts.port or 1883,
            unquote(parts.username) if parts.username else None,
            unquote(parts.password) if parts.password else None)


def lock_key(site: str) -> int:
    """The advisory lock's key: stable per site, a signed 64-bit integer."""
    return zlib.crc32(f"location-ops-bridge:{site}".encode())


class Bridge:
    """Connects to the broker, decodes device messages and turns them into service calls."""

    def __init__(self, *, settings, sessionmaker, engine, hub) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.engine = engine
        self.hub = hub
        self.site = settings.site
        self.client_id = settings.mqtt_client_id or f"location-ops-{settings.site}"
        self.malformed_count = 0
        self.ingested_count = 0
        #: Messages that could not be stored (left unacknowledged for redelivery).
        self.store_failures = 0
        self._connected = False
        self._ingesting = False
        self._stop = threading.Event()
        #: Set when a message could not be stored: reconnect so the broker redelivers it.
        self._restart = threading.Event()
        self._thread: threading.Thread | None = None
        self._client: mqtt.Client | None = None
        self._lock_connection = None
        self._report_lock = threading.Lock()
        self._last_reported: bool | None = None
        #: (family, device_id) -> (monotonic time of the last stored heartbeat, battery then).
        self._heartbeats: dict[tuple[str, str], tuple[float, int | None]] = {}
        #: (client, message) as paho received them; the ingest thread takes them in batches.
        self._inbox: queue.SimpleQueue = queue.SimpleQueue()
        self._ingest_thread: threading.Thread | None = None
        self.batch_count = 0
        self.largest_batch = 0
        #: Messages paho handed over (stored or not yet): tests wait on it.
        self.received_count = 0

    # --- state seen by /readyz and the screens ---
    @property
    def connected(self) -> bool:
        """Connected to the broker: this process's client, or (when another process ingests) its row."""
        if self._ingesting:
            return self._connected
        try:
            with self.sessionmaker() as db_session:
                connected = service.bridge_connected(db_session=db_session, site=self.site, now=utcnow())
                db_session.commit()
                return connected
        except Exception:  # noqa: BLE001 - a database error means we cannot say it is connected
            return False

    @property
    def ingesting(self) -> bool:
        return self._ingesting

    # --- lifecycle ---
    def start(self) -> None:
        self._ingest_thread = threading.Thread(target=self._ingest_loop, name="alarm-ingest", daemon=True)
        self._ingest_thread.start()
        self._thread = threading.Thread(target=self._run, name="mqtt-bridge", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._restart.set()
        client = self._client
        if client is not None:
            try:
                client.disconnect()
            except Exception:  # noqa: BLE001
                pass
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._ingest_thread is not None:
            self._ingest_thread.join(timeout=10)
        self._release_lock()

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self._acquire_lock():
                self._stop.wait(HEARTBEAT_SECONDS / 2)
                continue
            self._ingesting = True
            self._restart.clear()
            try:
                self._serve()
            except Exception:  # noqa: BLE001 - never let the bridge thread die
                log.exception("bridge loop failed; restarting it")
                self._stop.wait(1)
            finally:
                self._ingesting = False
                self._set_connected(False)
                self._release_lock()

    def _serve(self) -> None:
        """Connect and ingest until stopped or the lock is lost; paho reconnects with backoff."""
        settings = self.settings
        host, port, username, password = broker_address(settings.mqtt_url)
        v5 = settings.mqtt_version == 5
        if v5:
            client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=mqtt.MQTTv5,
                                 manual_ack=True)
        else:
            client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=mqtt.MQTTv311,
                                 clean_session=False, manual_ack=True)
        if username:
            client.username_pw_set(username, password)
        client.reconnect_delay_set(settings.bridge_reconnect_min_seconds, settings.bridge_reconnect_max_seconds)
        client.max_inflight_messages_set(100)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        if v5:
            properties = Properties(PacketTypes.CONNECT)
            properties.SessionExpiryInterval = settings.mqtt_session_expiry_seconds
            properties.ReceiveMaximum = RECEIVE_MAXIMUM
            client.connect_async(host, port, keepalive=settings.mqtt_keepalive_seconds, clean_start=False,
                                 properties=properties)
        else:
            client.connect_async(host, port, keepalive=settings.mqtt_keepalive_seconds)
        self._client = client
        client.loop_start()
        try:
            self._report(force=True)
            while not self._stop.is_set():
                if self._restart.wait(HEARTBEAT_SECONDS):  # stop() sets it too, to wake us
                    if not self._stop.is_set():
                        log.warning("bridge reconnects so the broker redelivers unstored messages")
                    break
                if not self._lock_alive():
                    log.error("bridge lost its database lock; stopping ingestion")
                    break
                self._report(force=True)
        finally:
            try:
                client.disconnect()
            except Exception:  # noqa: BLE001
                pass
            client.loop_stop()
            self._client = None

    # --- the advisory lock (PostgreSQL); SQLite has one process ---
    def _acquire_lock(self) -> bool:
        if self.engine.dialect.name != "postgresql":
            return True
        try:
            if self._lock_connection is None:
                self._lock_connection = self.engine.connect()
                self._lock_connection.execution_options(isolation_level="AUTOCOMMIT")
            got = self._lock_connection.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                                {"key": lock_key(self.site)}).scalar()
            if not got:
                return False
            log.info("bridge holds the ingest lock for site %s", self.site)
            return True
        except Exception:  # noqa: BLE001 - the database may be restarting
            log.warning("bridge could not ask for the ingest lock", exc_info=True)
            self._release_lock()
            return False

    def _lock_alive(self) -> bool:
        if self._lock_connection is None:
            return True
        try:
            self._lock_connection.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001
            return False

    def _release_lock(self) -> None:
        connection, self._lock_connection = self._lock_connection, None
        if connection is not None:
            try:
                connection.invalidate()  # closing the session releases the advisory lock
                connection.close()
            except Exception:  # noqa: BLE001
                pass

    # --- paho callbacks (paho's network thread) ---
    def _on_connect(self, client, _userdata, _flags, reason_code, _properties) -> None:
        if reason_code.is_failure:
            log.warning("broker refused the bridge: %s", reason_code)
            return
        if self.settings.mqtt_version == 5:
            client.subscribe([(topic, SubscribeOptions(qos=1)) for topic in decoders.subscriptions(self.site)])
        else:
            client.subscribe([(topic, 1) for topic in decoders.subscriptions(self.site)])
        log.info("bridge connected to the broker as %s", self.client_id)

    def _on_subscribe(self, _client, _userdata, _mid, reason_codes, _properties) -> None:
        # Connected for our purposes only once the broker confirmed the subscriptions.
        failed = [code for code in reason_codes if code.is_failure]
        if failed:
            log.error("broker refused %d of the bridge's subscriptions", len(failed))
        self._set_connected(True)

    def _on_disconnect(self, _client, _userdata, _flags, reason_code, _properties) -> None:
        if self._connected:
            log.warning("bridge disconnected from the broker: %s", reason_code)
        self._set_connected(False)

    def _on_message(self, client, _userdata, message) -> None:
        # paho's network thread only queues: it keeps reading while the ingest thread stores.
        self.received_count += 1
        self._inbox.put((client, message))

    # --- the ingest thread ---
    def _ingest_loop(self) -> None:
        """Store what waits, most urgent first, one bounded chunk per commit; ack in receive order.

        Between two commits everything newly arrived is looked at again, so a room's first
        press never waits for more than one chunk of a storm already being worked through.
        """
        pending: deque[_Entry] = deque()
        pressed: set[tuple[str, str]] = set()
        registered: dict[tuple[str, str], bool] = {}
        while not self._stop.is_set():
            try:
                pending = self._ingest_step(pending, pressed, registered)
            except Exception:  # noqa: BLE001 - the ingest thread must never die: alarms would wait forever
                log.exception("ingest step failed; reconnecting so the broker redelivers")
                self.store_failures += 1
                self._restart.set()
                pending = deque()

    def _ingest_step(self, pending: deque, pressed: set, registered: dict) -> deque:
        """One round: take what waits, store the most urgent chunk, acknowledge the committed prefix."""
        if not pending:
            pressed.clear()
            registered.clear()
            try:
                pending.append(self._entry(*self._inbox.get(timeout=0.5)))
            except queue.Empty:
                return pending
        while len(pending) < BATCH_MAX:
            try:
                pending.append(self._entry(*self._inbox.get_nowait()))
            except queue.Empty:
                break
        current = self._client
        if self._restart.is_set() or any(entry.client is not current for entry in pending):
            # A reconnect is under way (or done): the broker redelivers what was not acknowledged.
            pending = deque(entry for entry in pending if entry.client is current and not self._restart.is_set())
            if not pending:
                return pending
        work = self._next_work(pending, pressed, registered)
        if work:
            self.batch_count += 1
            self.largest_batch = max(self.largest_batch, len(pending))
            if not self._store_with_retries([entry.decoded for entry in work]):
                pending.clear()
                return pending
            for entry in work:
                entry.stored = True
        # Only messages whose rows are committed are acknowledged, in the order received.
        while pending and pending[0].stored:
            entry = pending.popleft()
            entry.client.ack(entry.message.mid, entry.message.qos)
        return pending

    def _entry(self, client, message) -> _Entry:
        decoded = self._decode_one(message)
        return _Entry(client, message, decoded, stored=decoded is None)

    def _next_work(self, pending, pressed: set, registered: dict) -> list[_Entry]:
        """The next chunk: registered buttons' first presses, then unknown ones', then the rest in order."""
        first_presses = []
        for entry in pending:
            if entry.stored or not _is_press(entry.decoded):
                continue
            key = (entry.decoded.family, entry.decoded.device_id)
            if key not in pressed:
                pressed.add(key)
                entry.first = True
            if entry.first:
                first_presses.append(entry)
        if first_presses:
            unknown_keys = {(e.decoded.family, e.decoded.device_id) for e in first_presses} - registered.keys()
            if unknown_keys:
                registered.update(self._registered(unknown_keys))
            known = [e for e in first_presses if registered.get((e.decoded.family, e.decoded.device_id))]
            return (known or first_presses)[:URGENT_CHUNK]
        return [entry for entry in pending if not entry.stored][:CHUNK]

    def _store_with_retries(self, messages: list[decoders.DeviceMessage]) -> bool:
        for attempt in range(3):
            try:
                self._store(messages)
                return True
            except Exception:  # noqa: BLE001 - e.g. the database restarting
                log.exception("could not store %d messages (attempt %d)", len(messages), attempt + 1)
                time.sleep(0.2 * (attempt + 1))  # a short pause before retrying the database
        self.store_failures += 1
        # Not acknowledged: the serve loop reconnects and the broker redelivers (persistent session).
        self._restart.set()
        return False

    def _registered(self, keys: set[tuple[str, str]]) -> dict[tuple[str, str], bool]:
        """Which of these devices are registered buttons (their presses go first)."""
        if len(keys) < 2:
            return {key: True for key in keys}  # nothing to put in order: no extra round trip when quiet
        try:
            with self.sessionmaker() as db_session:
                devices = service.preload_devices(db_session=db_session, messages=[
                    decoders.DeviceMessage(family, device_id, decoders.PRESS) for family, device_id in keys])
                db_session.commit()
        except Exception:  # noqa: BLE001 - ordering is an optimisation; storing decides
            return {key: True for key in keys}
        return {key: bool(devices.get(key) and devices[key].registered) for key in keys}

    def _decode_one(self, message) -> decoders.DeviceMessage | None:
        """The message's meaning, or None when there is nothing to store (malformed, not ours, throttled)."""
        result = decoders.decode(message.topic, message.payload, bool(message.retain), site=self.site)
        if result is None:
            return None
        if isinstance(result, decoders.Malformed):
            self.malformed_count += 1
            if self.malformed_count <= 10 or self.malformed_count % 100 == 0:
                log.warning("malformed message on %s (%s); %d so far", message.topic[:200], result.reason,
                            self.malformed_count)
            return None
        if result.kind == decoders.HEARTBEAT and not result.retained and not self._heartbeat_due(result):
            return None
        return result

    def _heartbeat_due(self, message: decoders.DeviceMessage) -> bool:
        """Store a heartbeat at most every HEARTBEAT_STORE_SECONDS per device unless the battery changed.

        Supervision works in minutes and hours; a chatty device must not load the database.
        """
        key = (message.family, message.device_id)
        last = self._heartbeats.get(key)
        now = time.monotonic()
        if last is not None and now - last[0] < HEARTBEAT_STORE_SECONDS and message.battery in (None, last[1]):
            return False
        self._heartbeats[key] = (now, message.battery if message.battery is not None else (last or (0, None))[1])
        return True

    def _store(self, messages: list[decoders.DeviceMessage]) -> None:
        with self.sessionmaker() as db_session:
            result = service.ingest_batch(db_session=db_session, messages=messages, now=utcnow())
            db_session.commit()  # the screens of every process hear of it now, with the rows stored
        self.ingested_count += len(messages)
        for alarm in result.raised:
            log.warning("alarm %s %s by device %s", alarm.id, "test" if alarm.is_test else "raised", alarm.device_pk)
            if not alarm.is_test and self.settings.alarm_siren_topic and self.settings.alarm_siren_immediately:
                self.publish(self.settings.alarm_siren_topic, service.siren_payload(self.settings, alarm, on=True))

    # --- status ---
    def _set_connected(self, connected: bool) -> None:
        self._connected = connected
        self._report()

    def _report(self, force: bool = False) -> None:
        with self._report_lock:  # paho's thread and the serve loop both report
            self._report_locked(force)

    def _report_locked(self, force: bool) -> None:
        connected = self._connected
        changed = connected != self._last_reported
        if changed:
            self._last_reported = connected
            if self.hub is not None:
                self.hub.publish("device", {"what": "bridge", "connected": connected}, audience=service.STAFF)
        if changed or force:
            try:
                with self.sessionmaker() as db_session:
                    service.record_bridge_state(db_session=db_session, site=self.site, connected=connected,
                                                now=utcnow(), malformed_count=self.malformed_count)
                    db_session.commit()
            except Exception:  # noqa: BLE001 - the status row is informative; never stop for it
                log.warning("could not record the bridge state", exc_info=True)

    # --- publishing (siren, simulator button) ---
    def publish(self, topic: str, payload: bytes, retain: bool = False) -> bool:
        """Publish through the bridge's connection if it has one, else a one-off connection."""
        client = self._client
        if client is not None and self._connected:
            info = client.publish(topic, payload, qos=1, retain=retain)
            return info.rc == mqtt.MQTT_ERR_SUCCESS
        return publish_once(self.settings.mqtt_url, topic, payload, retain=retain)


def publish_once(url: str, topic: str, payload: bytes, *, retain: bool = False, timeout: float = 5) -> bool:
    """Connect, publish at QoS 1, wait for the broker's ack, disconnect."""
    host, port, username, password = broker_address(url)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    if username:
        client.username_pw_set(username, password)
    try:
        client.connect(host, port, keepalive=10)
        client.loop_start()
        info = client.publish(topic, payload, qos=1, retain=retain)
        info.wait_for_publish(timeout)
        return info.is_published()
    except (OSError, ValueError, RuntimeError):
        log.warning("could not publish to %s", topic[:200])
        return False
    finally:
        client.disconnect()
        client.loop_stop()


