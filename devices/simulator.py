"""Panic-button simulator: publish what a real device of each family sends.

    location-ops simulate press|test|heartbeat|offline --family F --device ID [--mqtt URL]
    python -m devices.simulator ...   (the same, with the project's virtualenv's Python)

Families: native, zigbee2mqtt, shelly_gen1, shelly_gen2, tasmota, esphome. The
payloads follow devices/samples/<family>/ (recorded from real devices' documented
formats). ``--count N`` repeats the action (presses get a fresh counter each time).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time

FAMILIES = ("native", "zigbee2mqtt", "shelly_gen1", "shelly_gen2", "tasmota", "esphome")
ACTIONS = ("press", "test", "heartbeat", "offline")


def message_for(family: str, device_id: str, action: str, *, site: str = "main", counter: int | None = None,
                battery: int = 87) -> tuple[str, bytes, bool]:
    """Return (topic, payload, retain) of one message of ``action`` from this device."""
    if counter is None:
        counter = random.randint(1, 1_000_000)
    if family == "native":
        base = f"location-ops/{site}/devices/{device_id}"
        if action == "offline":
            return f"{base}/status", b"offline", True
        event = {"press": "press", "test": "test", "heartbeat": "heartbeat"}[action]
        return f"{base}/event", json.dumps({"event": event, "seq": counter, "battery": battery}).encode(), False
    if family == "zigbee2mqtt":
        base = f"zigbee2mqtt/{device_id}"
        if action == "offline":
            return f"{base}/availability", b'{"state":"offline"}', True
        body = {"battery": battery, "linkquality": 120, "voltage": 2950}
        if action in ("press", "test"):
            body["action"] = "single" if action == "press" else "double"
        return base, json.dumps(body).encode(), False
    if family == "shelly_gen1":
        base = f"shellies/{device_id}"
        if action == "offline":
            return f"{base}/online", b"false", True
        if action == "heartbeat":
            return f"{base}/sensor/battery", str(battery).encode(), False
        return f"{base}/input_event/0", json.dumps({"event": "S", "event_cnt": counter}).encode(), False
    if family == "shelly_gen2":
        if action == "offline":
            return f"{device_id}/online", b"false", True
        if action == "heartbeat":
            body = {"src": device_id, "dst": f"{device_id}/events", "method": "NotifyStatus",
                    "params": {"ts": time.time(), "sys": {"uptime": 1234}}}
        else:
            body = {"src": device_id, "dst": f"{device_id}/events", "method": "NotifyEvent",
                    "params": {"ts": time.time(), "events": [
                        {"component": "input:0", "id": 0, "event": "single_push", "ts": time.time()}]}}
        return f"{device_id}/events/rpc", json.dumps(body).encode(), False
    if family == "tasmota":
        if action == "offline":
            return f"tele/{device_id}/LWT", b"Offline", True
        if action == "heartbeat":
            return f"stat/{device_id}/RESULT", b'{"POWER":"OFF"}', False
        return f"stat/{device_id}/RESULT", b'{"Button1":{"Action":"SINGLE"}}', False
    if family == "esphome":
        if action == "offline":
            return f"{device_id}/status", b"offline", True
        if action == "heartbeat":
            return f"{device_id}/sensor/battery_level/state", str(battery).encode(), False
        # ESPHome retains state by default; the bridge ignores retained ON (never a press).
        return f"{device_id}/binary_sensor/panic_button/state", b"ON", False
    raise ValueError(f"unknown family {family!r}; choose from {', '.join(FAMILIES)}")


def publish(url: str, messages: list[tuple[str, bytes, bool]], timeout: float = 10) -> int:
    """Publish messages at QoS 1 and wait for the broker to take each; return how many it took."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    from location_ops.alarms.bridge import broker_address

    host, port, username, password = broker_address(url)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    if username:
        client.username_pw_set(username, password)
    client.connect(host, port, keepalive=30)
    client.loop_start()
    try:
        infos = [client.publish(topic, payload, qos=1, retain=retain) for topic, payload, retain in messages]
        for info in infos:
            info.wait_for_publish(timeout)
        return sum(1 for info in infos if info.is_published())
    finally:
        client.disconnect()
        client.loop_stop()


def add_arguments(parser: argparse.ArgumentParser, *, mqtt_default: str = "mqtt://127.0.0.1:1884",
                  site_default: str = "main") -> None:
    """Declare the simulator's arguments (here and for ``location-ops simulate``)."""
    parser.add_argument("action", choices=ACTIONS)
    parser.add_argument("--family", required=True, choices=FAMILIES)
    parser.add_argument("--device", required=True, help="the id the device's topics carry")
    parser.add_argument("--mqtt", default=mqtt_default, help=f"broker URL (default: the demo's, {mqtt_default})")
    parser.add_argument("--site", default=site_default, help=f"site name in native topics (default: {site_default})")
    parser.add_argument("--count", type=int, default=1)


def run(args: argparse.Namespace) -> int:
    """Send what the arguments ask for; 0 when the broker took every message."""
    start = random.randint(1, 1_000_000)
    messages = [message_for(args.family, args.device, args.action, site=args.site, counter=start + i)
                for i in range(args.count)]
    try:
        sent = publish(args.mqtt, messages)
    except OSError as error:
        print(f"could not reach the broker at {args.mqtt}: {error}", file=sys.stderr)
        return 1
    print(f"{args.action}: {sent}/{len(messages)} message(s) from {args.family} {args.device} taken by the broker")
    return 0 if sent == len(messages) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devices.simulator", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
