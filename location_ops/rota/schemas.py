"""JSON of the rota and talk requests."""

from __future__ import annotations

import datetime as dt

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from location_ops.forms import Lines
from location_ops.rota.service import TOPICS


class CaseworkerOut(BaseModel):
    id: int
    name: str
    organisation: str
    #: Shown to workers, caseworkers and operators; the host sees names and times only.
    introduction: str | None = None
    languages: list[str] | None = None


class OccurrenceOut(BaseModel):
    visit_id: int
    #: The key of this occurrence (its regular date); use it to ask for a talk.
    date: dt.date
    #: The local date it happens on (differs from ``date`` when moved).
    day: dt.date
    starts_at: dt.datetime
    ends_at: dt.datetime
    local_start: str
    local_end: str
    status: str
    reason: str
    caseworker: CaseworkerOut
    #: The caller's own talk request at this visit (workers only).
    my_talk_request_id: int | None = None


class WeekOut(BaseModel):
    week: str
    starts_on: dt.date
    ends_on: dt.date
    visits: list[OccurrenceOut]


#: A topic a worker can ask to talk about.
Topic = Literal[tuple(TOPICS)]


class TalkRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    visit_id: int
    date: dt.date = Field(description="The visit's date key, as in GET /rota.")
    topics: list[Topic] = Field(min_length=1, max_length=20)
    note: Lines = Field(default="", max_length=1000)


class TalkRequestOut(BaseModel):
    id: int
    visit_id: int
    date: dt.date
    day: dt.date | None
    starts_at: dt.datetime | None
    ends_at: dt.datetime
    status: str
    topics: list[str]
    note: str
    caseworker: str
    #: The worker's pseudonym: present for the caseworker the request is addressed to.
    worker: str | None = None
