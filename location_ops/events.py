"""Events for the screens: emitted in the storing transaction, delivered to every process.

Service code calls ``emit(db_session, ...)``; the event goes out only when that session
commits, so a screen never hears of something that was not stored. Each process has an
in-process hub whose SSE streams subscribe; on PostgreSQL the commit also sends the event
with ``pg_notify`` inside the same transaction, and every other process's ``Listener``
hands it to its own hub (DESIGN §14): a screen hears an alarm whichever process ingested it.

Publishing is safe from any thread (the MQTT bridge runs in its own); each subscriber gets
its own bounded queue so one slow screen cannot hold up others.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import event as sa_event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from location_ops.accounts.models import Role

log = logging.getLogger(__name__)

#: PostgreSQL channel that carries events between app processes.
CHANNEL = "location_ops_events"
#: pg_notify refuses payloads of 8000 bytes or more; a bigger event becomes "reload".
NOTIFY_LIMIT = 7900
#: The SSE event that tells a screen to redraw everything (it may have missed events).
RELOAD = "reload"
#: A control event (never sent to a screen): end the streams of a user's sessions.
SESSION_END = "_session_end"
_PENDING = "location_ops_pending_events"


@dataclass(frozen=True)
class Event:
    """One thing that happened: ``kind`` is the SSE event name (alarm, room, log, device)."""

    kind: str
    data: dict
    #: Roles that may receive it; None means every signed-in subscriber.
    audience: frozenset[Role] | None = None
    #: If set, only this user receives it (besides ``audience``).
    user_id: int | None = None

    @cached_property
    def sse(self) -> str:
        """The event as an SSE frame, serialised once for every screen that receives it."""
        return f"event: {self.kind}\ndata: {json.dumps(self.data, default=str)}\n\n"


    def to_json(self, origin: str) -> str:
        return json.dumps({"o": origin, "k": self.kind, "d": self.data,
                           "a": sorted(self.audience) if self.audience is not None else None,
                           "u": self.user_id}, default=str)

    @classmethod
    def from_json(cls, payload: str) -> tuple[str, Event]:
        raw = json.loads(payload)
        audience = frozenset(Role(role) for role in raw["a"]) if raw.get("a") is not None else None
        return raw.get("o", ""), cls(raw["k"], raw.get("d") or {}, audience, raw.get("u"))


def session_end(user_id: int, *, session_id: int | None = None, keep_session_id: int | None = None) -> Event:
    """The control event that ends a user's streams (one session's, or all but one's)."""
    return Event(SESSION_END, {"user_id": user_id, "session_id": session_id, "keep": keep_session_id})


@dataclass(eq=False)
class Subscription:
    role: Role
    user_id: int
    #: The session (cookie or bearer token) the stream rides on; its end ends the stream.
    session_id: int | None = None
    #: When the session expires unless used again (idle) or at the latest (absolute).
    expires_at: dt.datetime | None = None
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(maxsize=1000))
    #: Set when the queue overflowed; the stream then tells the screen to redraw.
    overflowed: bool = False
    #: Set when the session behind the stream ended: the stream closes.
    ended: bool = False

    def wants(self, event: Event) -> bool:
        if event.user_id is not None and event.user_id == self.user_id:
            return True
        if event.audience is None:
            return event.user_id is None
        return self.role in event.audience


class EventHub:
    def __init__(self) -> None:
        self._subscriptions: set[Subscription] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def subscribe(self, role: Role, user_id: int, *, session_id: int | None = None,
                  expires_at: dt.datetime | None = None) -> Subscription:
        subscription = Subscription(role=role, user_id=user_id, session_id=session_id, expires_at=expires_at)
        self._subscriptions.add(subscription)
        return subscription

    def close(self) -> None:
        """End every stream (the app is shutting down): each gets a final None."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        for subscription in list(self._subscriptions):
            try:
                subscription.queue.put_nowait(None)
            except asyncio.QueueFull:
                pass

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscriptions.discard(subscription)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscriptions)

    def publish(self, kind: str, data: dict, *, audience: Iterable[Role] | None = None,
                user_id: int | None = None) -> None:
        """Send an event to this process's subscribers allowed to see it; callable from any thread.

        Only this process's screens hear it: for something stored, use ``emit`` instead.
        """
        self.deliver(Event(kind, data, frozenset(audience) if audience is not None else None, user_id))

    def deliver(self, event: Event) -> None:
        """Hand an event to this process's streams; callable from any thread."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._deliver(event)
        else:
            loop.call_soon_threadsafe(self._deliver, event)

    def _deliver(self, event: Event) -> None:
        if event.kind == SESSION_END:
            self._end_streams(event.data)
            return
        for subscription in list(self._subscriptions):
            if not subscription.wants(event):
                continue
            try:
                subscription.queue.put_nowait(event)
            except asyncio.QueueFull:
                subscription.overflowed = True
                log.warning("event queue full for user_id=%s; screen will redraw", subscription.user_id)

    def _end_streams(self, data: dict) -> None:
        for subscription in list(self._subscriptions):
            if subscription.user_id != data.get("user_id"):
                continue
            if data.get("session_id") is not None and subscription.session_id != data["session_id"]:
                continue
            if data.get("keep") is not None and subscription.session_id == data["keep"]:
                continue
            subscription.ended = True
            try:
                subscription.queue.put_nowait(None)
            except asyncio.QueueFull:
                pass  # the stream sees ``ended`` when it next takes from the queue


# --- emitting in the storing transaction ------------------------------------------------------

def emit(db_session: Session, kind: str, data: dict, *, audience: Iterable[Role] | None = None,
         user_id: int | None = None) -> None:
    """Queue an event that every process's screens get once this session commits (never before)."""
    queue_event(db_session, Event(kind, data, frozenset(audience) if audience is not None else None, user_id))


def queue_event(db_session: Session, event: Event) -> None:
    db_session.info.setdefault(_PENDING, []).append(event)


def install(sessionmaker, hub: EventHub, *, notify: bool, origin: str) -> None:
    """Make sessions of ``sessionmaker`` publish their emitted events when they commit.

    With ``notify`` (PostgreSQL), the events also go out through ``pg_notify`` inside the
    committing transaction: other processes get them exactly when the change is committed.
    """

    @sa_event.listens_for(sessionmaker, "before_commit")
    def _notify(db_session: Session) -> None:
        pending = db_session.info.get(_PENDING)
        if not notify or not pending:
            return
        for event in pending:
            payload = event.to_json(origin)
            if len(payload.encode()) > NOTIFY_LIMIT:
                payload = Event(RELOAD, {}).to_json(origin)
            db_session.execute(text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": payload})

    @sa_event.listens_for(sessionmaker, "after_commit")
    def _publish(db_session: Session) -> None:
        for event in db_session.info.pop(_PENDING, None) or ():
            hub.deliver(event)

    @sa_event.listens_for(sessionmaker, "after_soft_rollback")
    def _drop(db_session: Session, previous_transaction) -> None:
        # A savepoint rolled back (a raise that lost a race) leaves the outer transaction's events.
        if not previous_transaction.nested:
            db_session.info.pop(_PENDING, None)


class Listener:
    """Listens on PostgreSQL for other processes' events and hands them to this process's hub."""

    def __init__(self, database_url: str, hub: EventHub, origin: str) -> None:
        self.conninfo = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.hub, self.origin = hub, origin
        self.listening = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="event-listener", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        import psycopg

        first = True
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    if not first:
                        # Events may have gone by while we were not listening: screens redraw.
                        self.hub.deliver(Event(RELOAD, {}))
                    first = False
                    while not self._stop.is_set():
                        for notification in connection.notifies(timeout=1.0):
                            self._handle(notification.payload)
            except Exception:  # noqa: BLE001 - the database may restart; listen again
                self.listening.clear()
                if not self._stop.is_set():
                    log.warning("event listener lost PostgreSQL; listening again", exc_info=True)
                    self._stop.wait(1.0)

    def _handle(self, payload: str) -> None:
        try:
            origin, event = Event.from_json(payload)
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed event notification")
            return
        if origin != self.origin:  # our own events went to our screens at commit
            self.hub.deliver(event)


def new_origin() -> str:
    return uuid.uuid4().hex
