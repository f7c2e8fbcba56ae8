"""JSON of the wegwijzer."""

from __future__ import annotations

from pydantic import BaseModel


class HelpServiceOut(BaseModel):
    id: int
    name: str
    categories: list[str]
    languages: list[str]
    anonymous: bool | None
    #: In the caller's language (Dutch or English), the other one when empty.
    description: str
    description_nl: str
    description_en: str
    phone: str
    email: str
    website: str
    address: str
    hours: str


class ReferralOut(BaseModel):
    problem: str
    title: str
    advice: str
    service_ids: list[int]


class GuideOut(BaseModel):
    services: list[HelpServiceOut]
    referrals: list[ReferralOut]
