"""JSON of the hygiene API."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel


class ResultOut(BaseModel):
    item_id: int
    item_key: str
    text: str
    result: str
    note: str
    low_stock: bool
    out_of_service: bool
    at: dt.datetime
    by: str


class RoundOut(BaseModel):
    id: int
    room_id: int
    room_number: int
    kind: str
    status: str
    template_version: int
    reason: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    completed_at: dt.datetime | None
    done_by: str
    items_total: int
    items_answered: int
    items_failed: int


class RoundDetailOut(RoundOut):
    results: list[ResultOut]
