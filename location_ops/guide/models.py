"""The wegwijzer (referral guide): help services and what each one concretely offers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from location_ops.db import Base, UTCDateTime


class HelpService(Base):
    """One organisation or service, with its text in Dutch and English and how to reach it."""

    __tablename__ = "help_services"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable key of a seeded entry (the referral advice points at it); None for entries added later.
    key: Mapped[str | None] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    #: Category codes, comma-separated (see ``guide.service.CATEGORIES``).
    categories: Mapped[str] = mapped_column(String(200), default="")
    #: Language codes the service can be contacted in, comma-separated.
    languages: Mapped[str] = mapped_column(String(128), default="")
    #: True: contact without giving your name is possible; None: not known yet.
    anonymous: Mapped[bool | None] = mapped_column(Boolean)
    description_nl: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(String(64), default="")
    email: Mapped[str] = mapped_column(String(120), default="")
    website: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    hours: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    @property
    def category_codes(self) -> list[str]:
        return [code for code in self.categories.split(",") if code]

    @property
    def language_codes(self) -> list[str]:
        return [code for code in self.languages.split(",") if code]

    def description(self, language: str) -> str:
        """The description in this language, else the other one."""
        if language == "nl":
            return self.description_nl or self.description_en
        return self.description_en or self.description_nl

    @property
    def has_contact(self) -> bool:
        return any((self.phone, self.email, self.website, self.address))
