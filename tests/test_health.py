"""Liveness and readiness probes."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from location_ops.app import create_app


def test_healthz_answers_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_is_ready_when_database_and_broker_answer(settings, mosquitto):
    app = create_app(settings.model_copy(update={"mqtt_url": mosquitto.url}))
    with TestClient(app) as client:
        # The bridge connects in its own thread; readiness is what we poll (bounded).
        deadline = time.monotonic() + 15
        while (response := client.get("/readyz")).status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "broker": "connected"}}


def test_readyz_names_the_broker_when_it_is_down(settings):
    app = create_app(settings.model_copy(update={"mqtt_url": "mqtt://127.0.0.1:9"}))  # nothing listens there
    with TestClient(app) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["checks"] == {"database": "ok", "broker": "disconnected"}


def test_a_neutral_favicon_is_served_and_linked(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    login = client.get("/login").text
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in login
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and svg.text.lstrip().startswith("<svg")
