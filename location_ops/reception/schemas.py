"""JSON shapes of the reception log API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from location_ops.forms import Id, Lines, OptionalId
from location_ops.i18n import lazy
from location_ops.reception.models import EntryKind


class LogEntryForm(BaseModel):
    """The reception log's forms: a visitor, a note, or a correction (``corrects``)."""

    kind: str = Field(default="", max_length=16, title=lazy("Kind"))
    room: OptionalId = Field(default=None, title=lazy("Room"))
    text: str = Field(default="", max_length=2000, title=lazy("What happened"))
    corrects: OptionalId = Field(default=None, title=lazy("Corrects entry"))


class LogEntryIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    kind: EntryKind = Field(strict=False, description="visitor_in, visitor_out, incident, note or delivery "
                      "(a correction: the kind of the entry it corrects)")
    room_id: Id | None = Field(default=None, description="The room; required for visitor entries.")
    text: Lines = Field(default="", max_length=2000, description="Free text; must be empty for visitor entries.")
    corrects_id: Id | None = Field(default=None, description="The entry this one corrects (which stays as it was).")


class LogEntryOut(BaseModel):
    id: int
    at: str
    kind: str
    room_id: int | None
    room: int | None = Field(description="The room's number.")
    text: str
    timing: str = Field(description="Worker in/out: early, late or empty.")
    booking_id: int | None
    worker: str | None = Field(description="Worker in/out: the pseudonym.")
    author: str | None
    corrects_id: int | None
    corrected_by: list[int]
