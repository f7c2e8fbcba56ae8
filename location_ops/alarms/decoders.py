"""Device families: topic patterns and payload decoding (DESIGN §8), as pure functions.

``decode(topic, payload, retained)`` turns one MQTT message into a ``DeviceMessage``
(press, test, heartbeat, online, offline), a ``Malformed`` (counted and logged by the
bridge), or ``None`` for a message that is not about a device. It never raises.

A retained message is never a press: ESPHome retains button state by default, and
replaying an old ``ON`` after a reconnect would raise a false alarm.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from location_ops.i18n import lazy

MAX_PAYLOAD = 64 * 1024

NATIVE = "native"
ZIGBEE2MQTT = "zigbee2mqtt"
SHELLY_GEN1 = "shelly_gen1"
SHELLY_GEN2 = "shelly_gen2"
TASMOTA = "tasmota"
ESPHOME = "esphome"

#: Every family, with whether it runs on a battery (supervision interval) and a label.
FAMILIES: dict[str, dict] = {
    NATIVE: {"battery": True, "label": lazy("location-ops button (native)")},  # the others are product names
    ZIGBEE2MQTT: {"battery": True, "label": "Zigbee2MQTT"},
    SHELLY_GEN1: {"battery": True, "label": "Shelly gen1 (Button1)"},
    SHELLY_GEN2: {"battery": False, "label": "Shelly gen2+"},
    TASMOTA: {"battery": False, "label": "Tasmota (SetOption73 1)"},
    ESPHOME: {"battery": False, "label": "ESPHome"},
}

PRESS, TEST, HEARTBEAT, ONLINE, OFFLINE = "press", "test", "heartbeat", "online", "offline"


@dataclass(frozen=True)
class DeviceMessage:
    """What one MQTT message says about a device."""

    family: str
    device_id: str
    kind: str  # press, test, heartbeat, online, offline
    battery: int | None = None
    #: The device's own press counter (Shelly event_cnt, native seq): redeliveries repeat it.
    counter: int | None = None
    retained: bool = False
    detail: str = ""


@dataclass(frozen=True)
class Malformed:
    """A message on a device topic that could not be understood."""

    topic: str
    reason: str


def subscriptions(site: str) -> list[str]:
    """The topic filters the bridge subscribes to (QoS 1)."""
    return [
        f"location-ops/{site}/devices/+/event",
        f"location-ops/{site}/devices/+/status",
        "zigbee2mqtt/+",
        "zigbee2mqtt/+/availability",
        "shellies/+/input_event/+",
        "shellies/+/online",
        "shellies/+/sensor/battery",
        "+/events/rpc",
        "+/online",
        "+/status/devicepower:0",
        "stat/+/RESULT",
        "tele/+/LWT",
        "+/status",
        "+/binary_sensor/+/state",
        "+/sensor/+/state",
    ]




def _battery(value) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if value != value:  # NaN
        return None
    return max(0, min(100, int(round(value))))


def _json(payload: str):
    return json.loads(payload)


def _json_object(topic: str, device_id: str, text: str) -> dict | Malformed:
    """The payload as a JSON object, or why it is malformed (bad device id, not JSON, not an object)."""
    if not _valid_id(device_id):
        return Malformed(topic, "bad device id")
    try:
        body = _json(text)
    except ValueError:
        return Malformed(topic, "not JSON")
    if not isinstance(body, dict):
        return Malformed(topic, "not a JSON object")
    return body


def decode(topic: str, payload: bytes, retained: bool = False, *, site: str = "main"):
    """Decode one message; never raises (a bug here must not stop the bridge)."""
    try:
        return _decode(topic, payload, retained, site)
    except Exception as error:  # noqa: BLE001 - a decoder bug is a malformed message, not a crash
        return Malformed(topic, f"decoder error: {type(error).__name__}")


def _decode(topic: str, payload: bytes, retained: bool, site: str):
    if not isinstance(topic, str) or len(topic) > 512:
        return None
    if payload is None:
        payload = b""
    if len(payload) > MAX_PAYLOAD:
        return Malformed(topic, "oversized payload")
    parts = topic.split("/")
    # Identify the family first by topic; only then read the payload.
    family_parse = _route(parts, site)
    if family_parse is None:
        return None
    try:
        text = bytes(payload).decode("utf-8")
    except UnicodeDecodeError:
        return Malformed(topic, "payload is not UTF-8")
    result = family_parse(topic, parts, text.strip(), retained)
    if isinstance(result, DeviceMessage) and retained and result.kind in (PRESS, TEST):
        # A retained press is old state, not a press.
        return DeviceMessage(result.family, result.device_id, HEARTBEAT, result.battery, None, True,
                             "retained " + result.kind)
    return result


def _route(parts: list[str], site: str):
    n = len(parts)
    if n == 5 and parts[0] == "location-ops" and parts[1] == site and parts[2] == "devices":
        return {"event": _native_event, "status": _native_status}.get(parts[4])
    if parts[0] == "zigbee2mqtt":
        if n == 2 and parts[1] != "bridge":
            return _z2m_state
        if n == 3 and parts[2] == "availability" and parts[1] != "bridge":
            return _z2m_availability
        return None
    if parts[0] == "shellies" and n >= 3:
        if n == 4 and parts[2] == "input_event":
            return _shelly1_input_event
        if n == 3 and parts[2] == "online":
            return _shelly1_online
        if n == 4 and parts[2:] == ["sensor", "battery"]:
            return _shelly1_battery
        return None
    if n == 3 and parts[0] == "stat" and parts[2] == "RESULT":
        return _tasmota_result
    if n == 3 and parts[0] == "tele" and parts[2] == "LWT":
        return _tasmota_lwt
    if n == 3 and parts[1:] == ["events", "rpc"]:
        return _shelly2_rpc
    if n == 2 and parts[1] == "online":
        return _shelly2_online
    if n == 3 and parts[1:] == ["status", "devicepower:0"]:
        return _shelly2_devicepower
    if n == 2 and parts[1] == "status":
        return _esphome_status
    if n == 4 and parts[1] == "binary_sensor" and parts[3] == "state":
        return _esphome_binary
    if n == 4 and parts[1] == "sensor" and parts[3] == "state":
        return _esphome_sensor
    return None


def _valid_id(device_id: str) -> bool:
    return 0 < len(device_id) <= 128 and device_id.isprintable()


# --- native ---------------------------------------------------------------------------

def _native_event(topic, parts, text, retained):
    device_id = parts[3]
    body = _json_object(topic, device_id, text)
    if isinstance(body, Malformed):
        return body
    event = body.get("event")
    if event not in (PRESS, TEST, HEARTBEAT):
        return Malformed(topic, "unknown event")
    seq = body.get("seq")
    if seq is not None and (isinstance(seq, bool) or not isinstance(seq, int)):
        return Malformed(topic, "seq is not an integer")
    battery = body.get("battery")
    if battery is not None and _battery(battery) is None:
        return Malformed(topic, "battery is not a number")
    return DeviceMessage(NATIVE, device_id, event, _battery(battery), seq, retained)


def _online_word(topic, family, device_id, text, retained, online_words, offline_words):
    if not _valid_id(device_id):
        return Malformed(topic, "bad device id")
    word = text.lower()
    if word in online_words:
        return DeviceMessage(family, device_id, ONLINE, retained=retained)
    if word in offline_words:
        return DeviceMessage(family, device_id, OFFLINE, retained=retained)
    return Malformed(topic, "unknown availability")


def _native_status(topic, parts, text, retained):
    return _online_word(topic, NATIVE, parts[3], text, retained, {"online"}, {"offline"})


# --- zigbee2mqtt -----------------------------------------------------------------------

def _z2m_state(topic, parts, text, retained):
    device_id = parts[1]
    body = _json_object(topic, device_id, text)
    if isinstance(body, Malformed):
        return body
    action = body.get("action")
    battery = _battery(body.get("battery"))
    if action is not None and not isinstance(action, str):
        return Malformed(topic, "action is not a string")
    if action:
        return DeviceMessage(ZIGBEE2MQTT, device_id, PRESS, battery, None, retained, action[:32])
    return DeviceMessage(ZIGBEE2MQTT, device_id, HEARTBEAT, battery, None, retained)


def _z2m_availability(topic, parts, text, retained):
    word = text
    if text.startswith("{"):
        try:
            body = _json(text)
        except ValueError:
            return Malformed(topic, "not JSON")
        if not isinstance(body, dict) or not isinstance(body.get("state"), str):
            return Malformed(topic, "no state")
        word = body["state"]
    return _online_word(topic, ZIGBEE2MQTT, parts[1], word, retained, {"online"}, {"offline"})


# --- Shelly gen1 -----------------------------------------------------------------------

SHELLY1_EVENTS = {"S", "SS", "SSS", "L", "LS", "SL"}


def _shelly1_input_event(topic, parts, text, retained):
    device_id = parts[1]
    body = _json_object(topic, device_id, text)
    if isinstance(body, Malformed):
        return body
    event, count = body.get("event"), body.get("event_cnt")
    if not isinstance(event, str) or (count is not None and (isinstance(count, bool) or not isinstance(count, int))):
        return Malformed(topic, "wrongly typed event")
    if event == "":
        return DeviceMessage(SHELLY_GEN1, device_id, HEARTBEAT, retained=retained)
    if event not in SHELLY1_EVENTS:
        return Malformed(topic, "unknown event")
    return DeviceMessage(SHELLY_GEN1, device_id, PRESS, None, count, retained, event)


def _shelly1_online(topic, parts, text, retained):
    return _online_word(topic, SHELLY_GEN1, parts[1], text, retained, {"true"}, {"false"})


def _shelly1_battery(topic, parts, text, retained):
    if not _valid_id(parts[1]):
        return Malformed(topic, "bad device id")
    try:
        value = float(text)
    except ValueError:
        return Malformed(topic, "battery is not a number")
    if _battery(value) is None:
        return Malformed(topic, "battery is not a number")
    return DeviceMessage(SHELLY_GEN1, parts[1], HEARTBEAT, _battery(value), retained=retained)


# --- Shelly gen2+ ----------------------------------------------------------------------

SHELLY2_PRESSES = {"single_push", "double_push", "triple_push", "long_push", "btn_down"}


def _shelly2_rpc(topic, parts, text, retained):
    device_id = parts[0]
    if not _valid_id(device_id):
        return Malformed(topic, "bad device id")
    try:
        body = _json(text)
    except ValueError:
        return Malformed(topic, "not JSON")
    if not isinstance(body, dict) or not isinstance(body.get("method"), str):
        return Malformed(topic, "not an RPC notification")
    params = body.get("params")
    if not isinstance(params, dict):
        return Malformed(topic, "no params")
    if body["method"] == "NotifyEvent":
        events = params.get("events")
        if not isinstance(events, list):
            return Malformed(topic, "events is not a list")
        for event in events:
            if not isinstance(event, dict):
                return Malformed(topic, "wrongly typed event")
            name, component = event.get("event"), event.get("component")
            if not isinstance(name, str) or not isinstance(component, str):
                return Malformed(topic, "wrongly typed event")
            if component.startswith("input:") and name in SHELLY2_PRESSES:
                return DeviceMessage(SHELLY_GEN2, device_id, PRESS, None, None, retained, name)
        return DeviceMessage(SHELLY_GEN2, device_id, HEARTBEAT, retained=retained)
    battery = None
    power = params.get("devicepower:0")
    if isinstance(power, dict) and isinstance(power.get("battery"), dict):
        battery = _battery(power["battery"].get("percent"))
    return DeviceMessage(SHELLY_GEN2, device_id, HEARTBEAT, battery, retained=retained)


def _shelly2_online(topic, parts, text, retained):
    return _online_word(topic, SHELLY_GEN2, parts[0], text, retained, {"true"}, {"false"})


def _shelly2_devicepower(topic, parts, text, retained):
    try:
        body = _json(text)
    except ValueError:
        return Malformed(topic, "not JSON")
    if not isinstance(body, dict) or not isinstance(body.get("battery"), dict):
        return Malformed(topic, "no battery")
    battery = _battery(body["battery"].get("percent"))
    if battery is None:
        return Malformed(topic, "battery is not a number")
    return DeviceMessage(SHELLY_GEN2, parts[0], HEARTBEAT, battery, retained=retained)


# --- Tasmota -----------------------------------------------------------------------------

def _tasmota_result(topic, parts, text, retained):
    device_id = parts[1]
    body = _json_object(topic, device_id, text)
    if isinstance(body, Malformed):
        return body
    for key, value in body.items():
        if key.startswith("Button") and key[6:].isdigit():
            if not isinstance(value, dict) or not isinstance(value.get("Action"), str):
                return Malformed(topic, "wrongly typed button")
            return DeviceMessage(TASMOTA, device_id, PRESS, None, None, retained, value["Action"][:32])
    return DeviceMessage(TASMOTA, device_id, HEARTBEAT, retained=retained)


def _tasmota_lwt(topic, parts, text, retained):
    return _online_word(topic, TASMOTA, parts[1], text, retained, {"online"}, {"offline"})


# --- ESPHome -----------------------------------------------------------------------------

def _esphome_status(topic, parts, text, retained):
    return _online_word(topic, ESPHOME, parts[0], text, retained, {"online"}, {"offline"})


def _esphome_binary(topic, parts, text, retained):
    device_id = parts[0]
    if not _valid_id(device_id):
        return Malformed(topic, "bad device id")
    if text == "ON":
        return DeviceMessage(ESPHOME, device_id, PRESS, None, None, retained, parts[2][:32])
    if text == "OFF":
        return DeviceMessage(ESPHOME, device_id, HEARTBEAT, retained=retained)
    return Malformed(topic, "state is neither ON nor OFF")


def _esphome_sensor(topic, parts, text, retained):
    device_id = parts[0]
    if not _valid_id(device_id):
        return Malformed(topic, "bad device id")
    if "battery" not in parts[2]:
        return DeviceMessage(ESPHOME, device_id, HEARTBEAT, retained=retained)
    try:
        value = float(text)
    except ValueError:
        return Malformed(topic, "battery is not a number")
    battery = _battery(value)
    if battery is None:
        return Malformed(topic, "battery is not a number")
    return DeviceMessage(ESPHOME, device_id, HEARTBEAT, battery, retained=retained)
