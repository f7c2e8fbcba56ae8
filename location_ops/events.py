"""The in-process event hub: service code publishes, SSE streams subscribe.

Publishing is safe from any thread (the MQTT bridge runs in paho's thread); each
subscriber gets its own bounded queue so one slow screen cannot hold up others.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from location_ops.accounts.models import Role

log = logging.getLogger(__name__)


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


@dataclass(eq=False)
class Subscription:
    role: Role
    user_id: int
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(maxsize=1000))
    #: Set when the queue overflowed; the stream then tells the screen to redraw.
    overflowed: bool = False

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

    def subscribe(self, role: Role, user_id: int) -> Subscription:
        subscription = Subscription(role=role, user_id=user_id)
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
        """Send an event to every subscriber allowed to see it; callable from any thread."""
        event = Event(kind, data, frozenset(audience) if audience is not None else None, user_id)
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
        for subscription in list(self._subscriptions):
            if not subscription.wants(event):
                continue
            try:
                subscription.queue.put_nowait(event)
            except asyncio.QueueFull:
                subscription.overflowed = True
                log.warning("event queue full for user_id=%s; screen will redraw", subscription.user_id)
