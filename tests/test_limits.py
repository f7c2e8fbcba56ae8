"""Request limits (location_ops.limits): body size while reading, and no control characters in text."""

from __future__ import annotations

import json
import re
import select
import socket
import time

import pyotp
import pytest
from sqlalchemy import func, select as sql_select

from location_ops.alarms.models import Alarm, Device
from location_ops.clock import utcnow
from location_ops.limits import MULTILINE_FIELDS
from location_ops.reception.models import LogEntry
from location_ops.web import TEMPLATES_DIR
from tests.conftest import api_token, csrf_from

TOO_LARGE_EN = "The request is too large; at most 256 KB is accepted."
TOO_LARGE_FORM_EN = "The request is too large; at most 1 MB is accepted."


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"default_language": "en"})


def count(app, model) -> int:
    with app.state.sessionmaker() as db_session:
        return db_session.scalar(sql_select(func.count()).select_from(model))


@pytest.fixture
def api_as(client, make_user):
    """Bearer headers for a new user of ``role`` (with the one-time code where the role needs it)."""

    def headers(role: str) -> dict:
        secret = pyotp.random_base32()
        user = make_user(role, mfa_secret=secret, mfa_enabled=True)
        return api_token(client, user.username, totp=pyotp.TOTP(secret).at(utcnow()))

    return headers


def ten_megabytes_of_extra_keys() -> bytes:
    body = {"note": ""} | {f"k{i}": "x" * 90 for i in range(100_000)}
    return json.dumps(body).encode()


# --- body size ---------------------------------------------------------------------


def test_a_10_mb_json_body_is_refused_and_raises_no_alarm(client, api_as):
    headers = api_as("worker")
    body = ten_megabytes_of_extra_keys()
    assert len(body) > 10_000_000
    response = client.post("/api/v1/alarms", content=body, headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json() == {"detail": TOO_LARGE_EN}
    assert count(client.app, Alarm) == 0
    # The same alarm with an ordinary body is raised.
    assert client.post("/api/v1/alarms", json={"note": ""}, headers=headers).status_code == 201


def test_a_large_upload_to_a_form_is_an_error_page_in_the_language_of_the_page(client, login_as):
    login_as("host")
    token = csrf_from(client.get("/reception/log").text)
    upload = {"text": ("notes.txt", b"x" * (1024 * 1024 + 1), "text/plain")}
    response = client.post("/reception/log", data={"kind": "note", "csrf_token": token}, files=upload)
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert TOO_LARGE_FORM_EN in response.text
    assert response.headers["content-security-policy"]  # the security headers are set
    dutch = client.post("/reception/log", data={"kind": "note", "csrf_token": token}, files=upload,
                        headers={"Accept-Language": "nl"})
    assert dutch.status_code == 413
    assert "Het verzoek is te groot; er wordt hoogstens 1 MB aangenomen." in dutch.text
    assert count(client.app, LogEntry) == 0


def test_the_limits_are_settings(settings, make_user):
    from fastapi.testclient import TestClient

    from location_ops.app import create_app

    app = create_app(settings.model_copy(update={"request_json_max_bytes": 1000, "request_form_max_bytes": 2000}))
    with TestClient(app) as client:
        padding = {"password": "x", "username": ""}
        at_limit = json.dumps(padding | {"username": "a" * (1000 - len(json.dumps(padding)))}).encode()
        assert len(at_limit) == 1000
        for body, status in ((at_limit, 422), (at_limit + b" ", 413)):
            response = client.post("/api/v1/auth/login", content=body, headers={"Content-Type": "application/json"})
            assert response.status_code == status, response.text
        assert client.post("/login", data={"username": "a" * 1500}).status_code != 413
        too_large = client.post("/login", data={"username": "a" * 2000})
        assert too_large.status_code == 413 and "at most 1 KB" in too_large.text


class CountingApp:
    """The app, counting the body bytes the server hands to it (what it read from the client)."""

    def __init__(self, app) -> None:
        self.app, self.state, self.chunks = app, app.state, []

    @property
    def received(self) -> int:
        return sum(self.chunks)

    async def __call__(self, scope, receive, send):
        async def counting_receive():
            message = await receive()
            if message["type"] == "http.request":
                self.chunks.append(len(message.get("body", b"")))
            return message

        await self.app(scope, counting_receive, send)


def raw_post(port: int, head: bytes, chunks, deadline_seconds: float = 30) -> bytes:
    """Send a request head, then the body chunks until the server answers; return the answer."""
    with socket.create_connection(("127.0.0.1", port)) as connection:
        connection.sendall(head)
        connection.setblocking(False)
        answer, pending = b"", b""
        deadline = time.monotonic() + deadline_seconds
        while time.monotonic() < deadline:
            if not pending:
                pending = next(chunks, b"")
            readable, writable, _ = select.select([connection], [connection] if pending else [], [],
                                                  deadline - time.monotonic())
            if readable:
                try:
                    data = connection.recv(65536)
                except ConnectionResetError:
                    break
                if not data:
                    break
                answer += data
                if b"\r\n\r\n" in answer and b'"}' in answer:
                    break
            elif writable:
                try:
                    pending = pending[connection.send(pending):]
                except (BrokenPipeError, ConnectionResetError):
                    pending = b""
        return answer


def test_a_10_mb_body_gets_413_without_being_read(app):
    from tests.alarms.conftest import LiveApp

    counting = CountingApp(app)
    body = ten_megabytes_of_extra_keys()
    with LiveApp(counting) as live:
        # A declared Content-Length over the limit: refused before a byte of the body is read.
        head = (b"POST /api/v1/alarms HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n" % len(body))
        answer = raw_post(live.port, head, iter(()))
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert TOO_LARGE_EN.encode() in answer
        assert counting.received == 0
        # A chunked body with no length: read until it passes 256 KB, then cut off.
        head = (b"POST /api/v1/alarms HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n")
        sent = 0

        def chunks():
            nonlocal sent
            for start in range(0, len(body), 16384):
                piece = body[start:start + 16384]
                sent += len(piece)
                yield b"%x\r\n%s\r\n" % (len(piece), piece)
            yield b"0\r\n\r\n"

        answer = raw_post(live.port, head, chunks())
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert TOO_LARGE_EN.encode() in answer
        # Reading stopped at the first piece that passed the limit (the server hands over what it has).
        assert counting.received > 256 * 1024 >= counting.received - counting.chunks[-1], counting.chunks
        assert counting.received < 1024 * 1024
        assert sent < len(body)  # the client was stopped long before the end
    assert count(app, Alarm) == 0


# --- clean text --------------------------------------------------------------------


def test_a_nul_in_reception_log_text_is_refused_and_nothing_written(client, api_as, backend):
    headers = api_as("host")
    response = client.post("/api/v1/log", json={"kind": "note", "text": "late\x00delivery"}, headers=headers)
    assert response.status_code == 422
    assert response.json() == {"detail": "The field 'text' contains a control character (U+0000), which is not "
                                         "allowed."}
    escaped = client.post("/api/v1/log", content=b'{"kind": "note", "text": "a\\u0007b"}',
                          headers={**headers, "Content-Type": "application/json"})
    assert escaped.status_code == 422 and "(U+0007)" in escaped.json()["detail"]
    assert count(client.app, LogEntry) == 0
    # Multi-line text keeps its line breaks and tabs (a browser sends CRLF).
    lines = client.post("/api/v1/log", json={"kind": "note", "text": "one\r\ntwo\n\tthree"}, headers=headers)
    assert lines.status_code == 201, lines.text
    bare_cr = client.post("/api/v1/log", json={"kind": "note", "text": "one\rtwo"}, headers=headers)
    assert bare_cr.status_code == 422 and "(U+000D)" in bare_cr.json()["detail"]
    assert count(client.app, LogEntry) == 1


def test_a_nul_in_a_web_form_is_an_error_page_and_nothing_written(client, login_as):
    login_as("host")
    token = csrf_from(client.get("/reception/log").text)
    response = client.post("/reception/log", data={"kind": "note", "text": "a\x00b", "csrf_token": token})
    assert response.status_code == 400
    assert "The field &#39;text&#39; contains a control character (U+0000)" in response.text
    multipart = client.post("/reception/log", data={"kind": "note\x1b", "csrf_token": token},
                            files={"upload": ("a.bin", b"\x00\x01 binary is fine", "application/octet-stream")})
    assert multipart.status_code == 400 and "(U+001B)" in multipart.text
    assert count(client.app, LogEntry) == 0


def test_a_control_character_in_a_device_id_is_refused(client, api_as):
    headers = api_as("operator")
    for device_id, code in (("btn\x01", "U+0001"), ("btn\n", "U+000A"), ("btn\x7f", "U+007F"), ("btn\x85", "U+0085")):
        response = client.post("/api/v1/devices", json={"family": "native", "device_id": device_id, "label": ""},
                               headers=headers)
        assert response.status_code == 422, device_id
        assert response.json()["detail"] == (f"The field 'device_id' contains a control character ({code}), "
                                             "which is not allowed.")
    assert count(client.app, Device) == 0


def test_bidi_overrides_are_refused_and_joiners_kept(client, api_as):
    headers = api_as("host")
    response = client.post("/api/v1/log", json={"kind": "note", "text": "paid \u202e05\u202c"}, headers=headers)
    assert response.status_code == 422
    assert "changes the direction of text (U+202E)" in response.json()["detail"]
    emoji = client.post("/api/v1/log", json={"kind": "note", "text": "ok \U0001f469\u200d\U0001f4bb"}, headers=headers)
    assert emoji.status_code == 201, emoji.text


def test_a_control_character_in_the_query_string_or_a_key_is_refused(client, api_as):
    headers = api_as("host")
    response = client.get("/api/v1/alarms", params={"state": "raised\x00"}, headers=headers)
    assert response.status_code == 422
    assert response.json()["detail"] == "The field 'state' contains a control character (U+0000), which is not allowed."
    page = client.get("/login", params={"next": "/\x08"})
    assert page.status_code == 400 and "(U+0008)" in page.text
    key = client.post("/api/v1/log", json={"kind": "note", "te\x00xt": ""}, headers=headers)
    assert key.status_code == 422
    assert key.json()["detail"] == "A field name contains a control character (U+0000), which is not allowed."


def test_every_textarea_is_a_multiline_field():
    """Only the fields in MULTILINE_FIELDS may hold line breaks: every <textarea> must be one of them."""
    sources = [path.read_text() for path in TEMPLATES_DIR.rglob("*.html")]
    # Hand-written textareas, and those the field macro (templates/_forms.html) renders.
    names = {name for text in sources for name in re.findall(r'<textarea[^>]*\bname="([^"{]+)"', text)}
    names |= {name for text in sources for name in re.findall(r'forms\.textarea\([^,]+,\s*"([^"]+)"', text)}
    assert names and names <= MULTILINE_FIELDS, names - MULTILINE_FIELDS
