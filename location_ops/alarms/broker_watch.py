"""Watch Mosquitto's count of dropped messages and warn the screens when it grows.

Mosquitto discards QoS 1 messages for a client whose queue is full
(``max_queued_messages`` in deploy/mosquitto.conf) and says so only in
``$SYS/broker/publish/messages/dropped``, a counter since the broker started that it
publishes (retained) every ``sys_interval`` seconds when it changed. This watch has
its own small MQTT client (MQTT 3.1.1, clean session, QoS 0 on that one topic, a
client id of its own per process), apart from the bridge's persistent session: it
must not hold up ingestion and needs nothing queued. Every reading goes to
``service.record_broker_dropped``, which decides what is new (see there: readings
are compared with the stored one, so drops from while the app was down count too);
new drops are announced to the staff screens as a ``device`` event, and
``service.device_warnings`` shows the warning for ``broker_dropped_warning_hours``.

It runs in every app process (each reads the same counter; the row is updated under
a row lock), reconnects with the bridge's backoff settings, and never lets an error
out of its thread. A broker without this ``$SYS`` topic (the demo's amqtt) simply
never sends a reading.
"""

from __future__ import annotations

import logging
import secrets
import threading

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from location_ops.alarms import service
from location_ops.alarms.bridge import broker_address
from location_ops.clock import utcnow

log = logging.getLogger(__name__)

DROPPED_TOPIC = "$SYS/broker/publish/messages/dropped"


class BrokerWatch:
    """A thread with its own MQTT client reading ``$SYS/broker/publish/messages/dropped``."""

    def __init__(self, *, settings, sessionmaker, hub) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.hub = hub
        self.site = settings.site
        base = settings.mqtt_client_id or f"location-ops-{settings.site}"
        # Unique per process: two processes sharing a client id would take turns throwing each other out.
        self.client_id = f"{base}-sys-{secrets.token_hex(3)}"
        #: The last reading handled (None until the first one), for diagnostics and tests.
        self.last_reading: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._client: mqtt.Client | None = None
        self._client_lock = threading.Lock()

    # --- lifecycle ---
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="mqtt-broker-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self._client_lock:
            client = self._client
        if client is not None:
            try:
                client.disconnect()  # ends loop_forever
            except Exception:  # noqa: BLE001
                pass
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        delay = self.settings.bridge_reconnect_min_seconds
        while not self._stop.is_set():
            try:
                self._serve()
                delay = self.settings.bridge_reconnect_min_seconds
            except Exception:  # noqa: BLE001 - never let the watch thread die
                log.warning("broker watch failed; starting it again", exc_info=True)
                delay = min(max(delay, 1) * 2, self.settings.bridge_reconnect_max_seconds)
            self._stop.wait(delay)

    def _serve(self) -> None:
        """Connect and read until stopped; paho reconnects with backoff after a lost connection."""
        host, port, username, password = broker_address(self.settings.mqtt_url)
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=mqtt.MQTTv311,
                             clean_session=True)
        if username:
            client.username_pw_set(username, password)
        client.reconnect_delay_set(self.settings.bridge_reconnect_min_seconds,
                                   self.settings.bridge_reconnect_max_seconds)
        client.on_connect = self._on_connect
        client.on_message = self._on_message
        client.connect_async(host, port, keepalive=max(self.settings.mqtt_keepalive_seconds, 5))
        with self._client_lock:
            if self._stop.is_set():
                return
            self._client = client
        try:
            client.loop_forever(retry_first_connection=True)
        finally:
            with self._client_lock:
                self._client = None

    # --- paho callbacks (this thread); they never raise, so loop_forever keeps going ---
    def _on_connect(self, client, _userdata, _flags, reason_code, _properties) -> None:
        try:
            if reason_code.is_failure:
                log.warning("broker refused the broker watch: %s", reason_code)
                return
            client.subscribe(DROPPED_TOPIC, qos=0)
        except Exception:  # noqa: BLE001
            log.warning("broker watch could not subscribe", exc_info=True)

    def _on_message(self, _client, _userdata, message) -> None:
        try:
            self.handle(message.payload)
        except Exception:  # noqa: BLE001 - a database error must not end the watch; the next reading retries
            log.warning("could not record the broker's dropped count", exc_info=True)

    def handle(self, payload: bytes) -> bool:
        """Record one reading of the dropped counter; True if it showed new drops (then the screens are told)."""
        try:
            dropped = int(payload.decode("ascii").strip())
        except (UnicodeDecodeError, ValueError):
            log.warning("unreadable payload on %s (%d bytes)", DROPPED_TOPIC, len(payload))
            return False
        if dropped < 0:
            return False
        for attempt in range(2):  # a second try when another process created the row at the same moment
            try:
                with self.sessionmaker() as db_session:
                    grew = service.record_broker_dropped(db_session=db_session, site=self.site, dropped=dropped,
                                                         now=utcnow())
                    db_session.commit()
                break
            except Exception:  # noqa: BLE001
                if attempt:
                    raise
        self.last_reading = dropped
        if grew:
            log.error("the MQTT broker dropped messages: %d since it started; raise its queue limits", dropped)
            if self.hub is not None:
                self.hub.publish("device", {"what": "broker", "dropped": dropped}, audience=service.STAFF)
        return grew
