"""Request limits for every route: body size while reading, and no control characters in text.

A pure ASGI middleware, not ``BaseHTTPMiddleware`` (which copies every chunk of a streaming
response through an extra task and would slow the alarm events). It runs inside the request
context middleware, so the language and the security headers are already set.

- Body size: a ``Content-Length`` over the limit is refused before a byte is read; a chunked
  body is read here and cut off as soon as it passes the limit. Forms (urlencoded and
  multipart) may be ``request_form_max_bytes``, everything else (JSON) ``request_json_max_bytes``.
- Clean text: every value of the query string, of a form's text fields and of a JSON body
  (keys too) is refused when it holds a control character (Unicode category Cc) or a bidi
  embedding/override/isolate. Only the fields in ``MULTILINE_FIELDS`` may hold a tab, a line
  feed, or a carriage return that begins a CRLF. The bidi controls are refused because they
  reorder how text is shown ("Trojan Source"): a log entry or a name could read differently on
  the reception screen than what was stored. The other format characters (Cf) stay allowed:
  the zero-width joiner and non-joiner belong to emoji and to scripts such as Persian.
"""

from __future__ import annotations

import json
import logging
import unicodedata
from collections.abc import Iterator

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers, UploadFile
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from urllib.parse import parse_qsl

from location_ops.config import Settings
from location_ops.i18n import _

log = logging.getLogger(__name__)

#: Fields that hold several lines of text (every <textarea> of the templates; the API's notes).
MULTILINE_FIELDS = frozenset({"body", "description_en", "description_nl", "introduction", "note", "text"})

#: Bidi embeddings, overrides and isolates (LRE RLE PDF LRO RLO, LRI RLI FSI PDI).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

#: Longest field name repeated in a refusal (names come from the client).
FIELD_NAME_MAX = 64


def forbidden_character(value: str, *, multiline: bool = False) -> str | None:
    """Return the first character not allowed in this text (None when it is clean)."""
    for index, char in enumerate(value):
        if char in BIDI_CONTROLS:
            return char
        if unicodedata.category(char) != "Cc":
            continue
        if multiline and (char in "\t\n" or (char == "\r" and value[index + 1:index + 2] == "\n")):
            continue
        return char
    return None


def _refusal(field: str, char: str) -> str:
    code = f"U+{ord(char):04X}"
    if forbidden_character(field) is not None:
        return _("A field name contains a control character (%(code)s), which is not allowed.") % {"code": code}
    field = field if len(field) <= FIELD_NAME_MAX else field[:FIELD_NAME_MAX] + "…"
    if char in BIDI_CONTROLS:
        return _("The field '%(field)s' contains a character that changes the direction of text (%(code)s), "
                 "which is not allowed.") % {"field": field, "code": code}
    return _("The field '%(field)s' contains a control character (%(code)s), which is not allowed.") % {
        "field": field, "code": code}


def _json_values(value: object, field: str = "") -> Iterator[tuple[str, str, bool]]:
    """Yield (field, text, may it hold several lines) for every key and string in a JSON value."""
    if isinstance(value, str):
        yield field, value, field.rsplit(".", 1)[-1] in MULTILINE_FIELDS
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key, key, False
            yield from _json_values(item, key)
    elif isinstance(value, list):
        for item in value:
            yield from _json_values(item, field)


def text_problem(texts: Iterator[tuple[str, str, bool]]) -> str | None:
    """Return a sentence for the first text with a character that is not allowed."""
    for field, value, multiline in texts:
        char = forbidden_character(value, multiline=multiline)
        if char is not None:
            return _refusal(field, char)
    return None


def _query_texts(scope: Scope) -> Iterator[tuple[str, str, bool]]:
    query = scope.get("query_string", b"").decode("latin-1")
    for key, value in parse_qsl(query, keep_blank_values=True):
        yield key, key, False
        yield key, value, False


async def _form_texts(scope: Scope, receive: Receive) -> list[tuple[str, str, bool]]:
    form = await Request(scope, receive).form()
    try:
        texts = []
        for key, value in form.multi_items():
            texts.append((key, key, False))
            if not isinstance(value, UploadFile):
                texts.append((key, value, key in MULTILINE_FIELDS))
        return texts
    finally:
        await form.close()


def _size(limit: int) -> str:
    if limit >= 1024 * 1024 and limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MB"
    if limit >= 1024:
        return f"{limit // 1024} KB"
    return f"{limit} B"


class RequestLimits:
    """Refuse bodies over the size limit while reading them, and text with control characters."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.json_max = settings.request_json_max_bytes
        self.form_max = settings.request_form_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raising = scope["method"] == "POST" and scope["path"] in ALARM_PATHS
        if not raising and scope.get("query_string") and (problem := text_problem(_query_texts(scope))):
            await self._refuse(scope, send, None, problem)
            return
        headers = Headers(scope=scope)
        declared = headers.get("content-length")
        if declared is None and "chunked" not in headers.get("transfer-encoding", "").lower():
            await self.app(scope, receive, send)  # no body: SSE and pages go straight through
            return
        content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        is_form = content_type in FORM_TYPES
        limit = self.form_max if is_form else self.json_max
        if declared is not None and declared.strip().isdecimal() and int(declared) > limit:
            await self._refuse(scope, send, 413, self._too_large(scope, limit, int(declared)))
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client went away; nobody to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._refuse(scope, send, 413, self._too_large(scope, limit, size))
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if scope["method"] == "POST" and scope["path"] in ALARM_PATHS:
            # An alarm is never refused for what it carries: control characters are dropped, not
            # refused (the raise itself tolerates any room id), and the press goes through.
            body = _cleaned(body, content_type)
            scope = _with_length(scope, len(body))
            await self.app(scope, _replay(body, receive), send)
            return
        replay = _replay(body, receive)
        problem = await self._body_problem(scope, _replay(body, receive), content_type, is_form, body)
        if problem is not None:
            await self._refuse(scope, send, None, problem)
            return
        await self.app(scope, replay, send)

    def _too_large(self, scope: Scope, limit: int, size: int) -> str:
        log.info("refused a request body over %d bytes (%d read or declared) on %s %s",
                 limit, size, scope["method"], scope["path"])
        return _("The request is too large; at most %(limit)s is accepted.") % {"limit": _size(limit)}

    async def _body_problem(self, scope: Scope, receive: Receive, content_type: str, is_form: bool,
                            body: bytes) -> str | None:
        # A body that does not parse is the route's to refuse (with its own sentence).
        try:
            if is_form:
                texts = await _form_texts(scope, receive)
            elif content_type == "application/json" or content_type.endswith("+json"):
                texts = list(_json_values(json.loads(body)))
            else:
                return None
        except Exception:  # noqa: BLE001 - any parse failure: let the route answer it
            return None
        return text_problem(iter(texts))

    async def _refuse(self, scope: Scope, send: Send, status: int | None, message: str) -> None:
        from location_ops.web import render

        request = Request(scope)
        api = scope["path"].startswith("/api/")
        if status is None:
            status = 422 if api else 400
            log.info("refused a control character in a request value on %s %s", scope["method"], scope["path"])
        if api:
            response = JSONResponse({"detail": message}, status_code=status)
        else:
            response = render(request, "errors/error.html", {"status": status, "message": message},
                               status_code=status)
        if status == 413:
            # The rest of the body is never read: end the connection rather than drain it.
            response.headers["Connection"] = "close"
        await response(scope, _no_receive, send)


#: Routes that raise an alarm: never refused for their text (DESIGN §5: an alarm is never dropped).
ALARM_PATHS = frozenset({"/alarms/raise", "/api/v1/alarms"})


def _clean(value: object) -> object:
    if isinstance(value, str):
        return "".join(char for char in value if forbidden_character(char, multiline=True) is None)
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, dict):
        return {_clean(key): _clean(item) for key, item in value.items()}
    return value


def _cleaned(body: bytes, content_type: str) -> bytes:
    """A JSON body without control characters; anything else as it came (the route copes)."""
    if content_type != "application/json" and not content_type.endswith("+json"):
        return body
    try:
        return json.dumps(_clean(json.loads(body))).encode()
    except (ValueError, RecursionError):
        return body


def _with_length(scope: Scope, length: int) -> Scope:
    headers = [(name, value) for name, value in scope["headers"] if name.lower() not in (b"content-length",
                                                                                      b"transfer-encoding")]
    return {**scope, "headers": [*headers, (b"content-length", str(length).encode())]}


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the body read so far, then passes on (disconnects, for streaming)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}
