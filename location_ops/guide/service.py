"""Wegwijzer rules: search and filter help services, edit them, and the referral advice."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from location_ops.clock import utcnow
from location_ops.guide.models import HelpService
from location_ops.i18n import _, lazy

log = logging.getLogger(__name__)

CATEGORIES: dict[str, str] = {
    "health": lazy("Health"),
    "sexual_health": lazy("Sexual health"),
    "mental_health": lazy("Mental health"),
    "addiction": lazy("Addiction"),
    "money": lazy("Money and debt"),
    "housing": lazy("Housing and shelter"),
    "work": lazy("Work and changing work"),
    "violence": lazy("Violence, pressure and exploitation"),
    "papers": lazy("Papers and registration"),
    "social": lazy("Company and support"),
    "sex_work": lazy("For sex workers"),
}

LANGUAGE_CHOICES = ("nl", "en", "es", "ro", "bg", "hu", "pl", "pt", "fr", "de", "it", "ru", "uk", "th", "tr", "ar")


@dataclass(frozen=True)
class Referral:
    """Where to send a client (or yourself) with one kind of problem."""

    problem: str
    title: str  # English msgid
    advice: str  # English msgid
    service_keys: tuple[str, ...]


#: The referral part of the wegwijzer: problem → advice and the seeded services that fit.
REFERRALS: tuple[Referral, ...] = (
    Referral("addiction", lazy("Addiction"),
             lazy("Alcohol, drugs, medication or gambling getting out of hand? Addiction care gives advice and "
                  "treatment; the neighbourhood team helps with what comes with it, such as money or housing."),
             ("jellinek", "buurtteams")),
    Referral("debt", lazy("Debt and money trouble"),
             lazy("Bills piling up, debts or trouble with tax: the neighbourhood team helps for free and knows the "
                  "debt counselling; the caseworker can help with tax questions."),
             ("buurtteams", "leger-des-heils", "belle")),
    Referral("loneliness", lazy("Loneliness"),
             lazy("Someone who feels alone can find company and a listening ear at a meeting place, or ask the "
                  "neighbourhood team about activities nearby."),
             ("pretty-woman-best-man", "belle", "buurtteams")),
    Referral("violence", lazy("Violence, threats or coercion"),
             lazy("In danger right now: call 112. For advice, also anonymously and also when you are not sure, "
                  "go to Veilig Thuis; for safe shelter to Moviera; about pressure or exploitation at work to the "
                  "confidential adviser."),
             ("veilig-thuis", "moviera", "vertrouwenspersoon")),
    Referral("housing", lazy("No place to stay"),
             lazy("Homeless or about to lose a home: shelter and supported housing are there, and the "
                  "neighbourhood team helps to keep a home."),
             ("tussenvoorziening", "leger-des-heils", "buurtteams")),
    Referral("mental_health", lazy("Mental health"),
             lazy("Long-lasting worries, anxiety or confusion: start with the GP or the neighbourhood team; for "
                  "supported housing and recovery there is Lister."),
             ("buurtteams", "lister", "fivoor")),
)


class GuideError(ValueError):
    """A wegwijzer rule was broken; the message is a sentence for the user."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _codes(value: str) -> list[str]:
    return [code for code in value.split(",") if code]


def search(*, db_session: Session, text: str = "", category: str = "", language: str = "",
           anonymous: bool | None = None, ui_language: str = "nl") -> list[HelpService]:
    """Help services matching a search text and filters, by name."""
    if category and category not in CATEGORIES:
        raise GuideError(_("Unknown category '%(category)s'.") % {"category": category[:40]}, 422)
    services = list(db_session.scalars(select(HelpService).order_by(HelpService.name)))
    words = [word.casefold() for word in re.split(r"\s+", text.strip()) if word]
    found = []
    for service in services:
        if category and category not in service.category_codes:
            continue
        if language and language not in service.language_codes:
            continue
        if anonymous is not None and anonymous and service.anonymous is not True:
            continue
        if words:
            haystack = " ".join([
                service.name, service.description_nl, service.description_en,
                *(_(CATEGORIES[code]) for code in service.category_codes if code in CATEGORIES),
            ]).casefold()
            # A search word matches the start of a word ("schuld" finds "schulden", "sti" not "questions").
            if not all(re.search(r"\b" + re.escape(word), haystack) for word in words):
                continue
        found.append(service)
    return found


def get(*, db_session: Session, service_id: int) -> HelpService:
    service = db_session.get(HelpService, service_id)
    if service is None:
        raise GuideError(_("That entry does not exist."), 404)
    return service


def by_keys(*, db_session: Session, keys: set[str]) -> dict[str, HelpService]:
    if not keys:
        return {}
    return {service.key: service for service in db_session.scalars(select(HelpService).where(HelpService.key.in_(keys)))}


LIMITS = {"name": 120, "phone": 64, "email": 120, "website": 200, "address": 200, "hours": 200,
          "description_nl": 3000, "description_en": 3000}


def save(*, db_session: Session, actor_id: int, service: HelpService | None = None, name: str,
         categories: list[str], languages: list[str], anonymous: bool | None, description_nl: str = "",
         description_en: str = "", phone: str = "", email: str = "", website: str = "", address: str = "",
         hours: str = "") -> HelpService:
    """Create or update a wegwijzer entry; checks everything before changing anything."""
    fields = {"name": name, "description_nl": description_nl, "description_en": description_en, "phone": phone,
              "email": email, "website": website, "address": address, "hours": hours}
    fields = {key: (value or "").strip() for key, value in fields.items()}
    if not fields["name"]:
        raise GuideError(_("A name is required."))
    for key, value in fields.items():
        if len(value) > LIMITS[key]:
            raise GuideError(_("The field '%(field)s' can be at most %(n)d characters long.")
                             % {"field": key, "n": LIMITS[key]})
    if not fields["description_nl"] and not fields["description_en"]:
        raise GuideError(_("Describe concretely what this service offers."))
    if fields["website"] and not re.match(r"^https?://\S+$", fields["website"]):
        raise GuideError(_("The website must start with https:// or http://."))
    unknown = [code for code in categories if code not in CATEGORIES]
    if unknown:
        raise GuideError(_("Unknown category '%(category)s'.") % {"category": unknown[0][:40]})
    if any(code not in LANGUAGE_CHOICES for code in languages):
        raise GuideError(_("Unknown language."))
    if service is None:
        service = HelpService(key=None)
        db_session.add(service)
    for key, value in fields.items():
        setattr(service, key, value)
    service.categories = ",".join(dict.fromkeys(categories))
    service.languages = ",".join(dict.fromkeys(languages))
    service.anonymous = anonymous
    service.updated_at = utcnow()
    db_session.flush()
    log.info("guide entry %d saved by user %d", service.id, actor_id)
    return service


def remove(*, db_session: Session, actor_id: int, service_id: int) -> None:
    db_session.delete(get(db_session=db_session, service_id=service_id))
    log.info("guide entry %d removed by user %d", service_id, actor_id)
