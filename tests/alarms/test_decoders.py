"""Decoders against the recorded payloads under devices/samples/ (pure functions, no broker)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from location_ops.alarms import decoders

SAMPLES = sorted((Path(__file__).resolve().parents[2] / "devices" / "samples").glob("*/*.json"))


def _payload(sample: dict) -> bytes:
    text = sample["payload"]
    if text.startswith("b64:"):
        return base64.b64decode(text[4:])
    return text.encode()


@pytest.mark.parametrize("path", SAMPLES, ids=[f"{p.parent.name}/{p.stem}" for p in SAMPLES])
def test_recorded_sample(path):
    sample = json.loads(path.read_text())
    result = decoders.decode(sample["topic"], _payload(sample), sample["retained"])
    expect = sample["expect"]
    if expect is None:
        assert result is None
    elif expect == "malformed":
        assert isinstance(result, decoders.Malformed), result
        assert result.topic == sample["topic"]
    else:
        assert isinstance(result, decoders.DeviceMessage), result
        for key, value in expect.items():
            assert getattr(result, key) == value, (key, result)
        if path.parent.name in decoders.FAMILIES:
            assert result.family == path.parent.name


def test_every_family_has_press_samples():
    families = {p.parent.name for p in SAMPLES if '"kind": "press"' in p.read_text()}
    assert families == set(decoders.FAMILIES)


def test_retained_press_is_never_a_press():
    for path in SAMPLES:
        sample = json.loads(path.read_text())
        result = decoders.decode(sample["topic"], _payload(sample), True)
        assert not (isinstance(result, decoders.DeviceMessage) and result.kind in ("press", "test")), path


@pytest.mark.parametrize("payload", [
    b"x" * (64 * 1024 + 1), b"\xff\xfe\x00", b"", b"null", b"1e999", b'{"event": null}', b'{"event":"press","seq":1.5}',
    b'{"event":"press","battery":"full"}', b"\x00" * 10, b'{"' + b"a" * 1000 + b'":1}',
])
@pytest.mark.parametrize("topic", ["location-ops/main/devices/x/event", "zigbee2mqtt/x", "shellies/x/input_event/0",
                                   "x/events/rpc", "stat/x/RESULT", "x/binary_sensor/b/state", "tele/x/LWT"])
def test_bad_payloads_never_raise_and_never_press(topic, payload):
    result = decoders.decode(topic, payload, False)
    assert not (isinstance(result, decoders.DeviceMessage) and result.kind == "press")
    if len(payload) > 64 * 1024:
        assert isinstance(result, decoders.Malformed) and result.reason == "oversized payload"


def test_topics_that_are_not_devices_are_ignored():
    assert decoders.decode("location-ops/other-site/devices/x/event", b'{"event":"press"}', False) is None
    assert decoders.decode("zigbee2mqtt/bridge/event", b'{"type":"device_joined"}', False) is None
