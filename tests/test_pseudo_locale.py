"""Nothing untranslated, by construction: every page, as every role, in a pseudo locale.

A catalog for the test-only language ``qps`` is generated from the English catalog with
every translation wrapped in ``⟦…⟧``. The demo data is seeded (plus an alarm history, a
talk request and an open hygiene round), every GET page of the route table is rendered as
every role that may see it, and the visible text (text nodes, title, placeholder,
aria-label, alt, the value of buttons; not <script>/<style>) must be inside the markers,
or be data: what the test seeded, numbers, times, dates, money, and the product's name.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from html.parser import HTMLParser

import pyotp
import pytest
from babel import Locale
from babel.dates import get_day_names, get_month_names
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from sqlalchemy import select

from location_ops import i18n
from location_ops.accounts.models import MFA_REQUIRED, Role, User
from location_ops.alarms.decoders import FAMILIES, NATIVE
from location_ops.clock import utcnow
from location_ops.rooms.models import DEFAULT_SHIFT_LABELS
from tests.test_access import api_routes, rule_of

PSEUDO = "qps"
OPEN, CLOSE = "⟦", "⟧"
#: Names: the product's own, the languages offered by their own names, the device makers' products.
BRAND = ["location-ops", *i18n.LANGUAGE_NAMES.values(),
         *(family["label"] for key, family in FAMILIES.items() if key != NATIVE)]
#: Free-text columns: what people typed or the operator configured (data, not interface).
DATA_COLUMNS = {
    "users": ["username"], "shift_templates": ["name"], "house_rules": ["text"],
    "announcements": ["title", "body"], "caseworker_profiles": ["display_name", "introduction", "organisation"],
    "visits": ["organisation"], "devices": ["device_id", "label"], "room_outages": ["reason"],
    "reception_log_entries": ["text"], "talk_requests": ["note"], "visit_changes": ["reason"],
    "hygiene_rounds": ["reason"], "hygiene_template_items": ["text_nl", "text_en"],
    "hygiene_round_results": ["note"], "audit_events": ["address"],
    "help_services": ["name", "description_nl", "description_en", "phone", "email", "website", "address", "hours"],
}
DEMO_LOGINS = {Role.OPERATOR: "operator", Role.HOST: "host", Role.WORKER: "roos", Role.CASEWORKER: "casework",
               Role.SECURITY: "security"}
ACK_NOTE = "Ana is on her way"


def pseudo_catalog() -> Translations:
    """The English catalog with every translation wrapped in markers."""
    with (i18n.LOCALE_DIR / "en" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        english = read_po(handle, locale="en")
    pseudo = Catalog(locale="en")
    for message in english:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            strings = message.string if all(message.string) else message.id
            pseudo.add(message.id, tuple(f"{OPEN}{s}{CLOSE}" for s in strings))
        else:
            pseudo.add(message.id, f"{OPEN}{message.string or message.id}{CLOSE}")
    buffer = io.BytesIO()
    write_mo(buffer, pseudo)
    buffer.seek(0)
    return Translations(buffer)


@pytest.fixture
def pseudo_locale():
    i18n.install(PSEUDO, pseudo_catalog(), formatting_locale="en")
    yield PSEUDO
    i18n.uninstall(PSEUDO)


class VisibleText(HTMLParser):
    """The text a person sees or hears, in document order (attributes before the element's text)."""

    SKIP = {"script", "style"}
    ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.title: list[str] = []
        self._stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for name, value in values.items():
            # data-confirm and data-msg-* become visible text through app.js / alarms.js.
            if value and (name in self.ATTRIBUTES or name == "data-confirm" or name.startswith("data-msg-")):
                self.chunks.append(value)
        if tag == "input" and (values.get("type") or "").lower() in ("submit", "button", "reset") and values.get("value"):
            self.chunks.append(values["value"])
        if tag not in ("input", "meta", "link", "br", "img", "hr", "source", "col", "area", "base", "wbr"):
            self._stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self._stack:
            while self._stack and self._stack.pop() != tag:
                pass

    def handle_data(self, data):
        if any(tag in self.SKIP for tag in self._stack):
            return
        if "title" in self._stack and "svg" not in self._stack:
            self.title.append(data)
        self.chunks.append(data)


def _english_calendar_words() -> set[str]:
    words = set()
    for width in ("wide", "abbreviated"):
        words |= set(get_month_names(width, locale="en").values()) | set(get_day_names(width, locale="en").values())
    return words


CALENDAR = _english_calendar_words()


def untranslated(html: str, data: set[str]) -> list[str]:
    """Visible text outside the markers that is not data; and a title without a marker."""
    parser = VisibleText()
    parser.feed(html)
    text = "\n".join(parser.chunks)
    previous = None
    while previous != text:  # a translation may carry another one inside it: take the innermost first
        previous, text = text, re.sub(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}", " ", text)
    if data:  # whole words only: the shift "dag" is data, the "dag" inside "vandaag" is not
        known = "|".join(re.escape(value) for value in sorted(data, key=len, reverse=True))
        text = re.sub(rf"(?<!\w)(?:{known})(?!\w)", " ", text)
    text = re.sub(r"\b[A-Z2-7]{32}\b", " ", text)  # a two-step login secret shown for enrolment
    found = []
    for line in text.splitlines():
        words = [w for w in re.findall(r"[^\W\d_]+(?:[-'’.][^\W\d_]+)*", line) if w not in CALENDAR]
        if words:
            found.append(line.strip())
    title = "".join(parser.title)
    if title and OPEN not in title:
        found.append(f"<title>{title}</title> has no translated text")
    return found


def seeded_data(db_session) -> set[str]:
    from sqlalchemy import text

    values = set(BRAND) | {ACK_NOTE}
    for table, columns in DATA_COLUMNS.items():
        for row in db_session.execute(text(f'SELECT {", ".join(columns)} FROM {table}')):  # noqa: S608 (fixed names)
            for value in row:
                if isinstance(value, str) and value.strip() and value not in DEFAULT_SHIFT_LABELS:
                    values.add(value.strip())
                    values.update(line.strip() for line in value.splitlines() if line.strip())
    # The languages people speak, named by Babel (CLDR) in the pseudo locale's formatting language.
    from location_ops.guide.service import LANGUAGE_CHOICES as GUIDE_LANGUAGES
    from location_ops.rota.service import LANGUAGE_CHOICES as ROTA_LANGUAGES

    codes = {"nl", "en", *i18n.LANGUAGE_NAMES, *GUIDE_LANGUAGES, *ROTA_LANGUAGES}
    for (languages,) in db_session.execute(text("SELECT languages FROM caseworker_profiles UNION ALL "
                                                "SELECT languages FROM help_services")):
        codes.update(str(languages).replace("[", " ").replace("]", " ").replace('"', " ").replace(",", " ").split())
    values.update(Locale.parse(code).get_display_name("en") for code in codes if code.isalpha())
    return values


def seed_everything(app) -> dict[str, str]:
    """The demo's data, and what the demo lacks: an alarm history, a talk request, an open round."""
    from location_ops import demo
    from location_ops.alarms import service as alarms
    from location_ops.alarms.models import Device
    from location_ops.hygiene import service as hygiene
    from location_ops.hygiene.models import RoundKind
    from location_ops.rooms.models import Room
    from location_ops.rota import service as rota

    settings = app.state.settings
    with app.state.sessionmaker() as db_session:
        logins = demo.seed(db_session=db_session, settings=settings)
        users = {u.username: u for u in db_session.scalars(select(User))}
        now = utcnow()
        rooms = list(db_session.scalars(select(Room).order_by(Room.number)))
        device = db_session.scalar(select(Device).where(Device.room_id == rooms[5].id))
        # A finished alarm with its whole history: raised, pressed again, escalated, acknowledged, resolved.
        old, _created = alarms.raise_alarm(db_session=db_session, now=now - dt.timedelta(minutes=30),
                                           source="device", room_id=rooms[5].id, device=device)
        alarms.add_presses(db_session=db_session, alarm=old, now=now - dt.timedelta(minutes=29), count=2)
        db_session.commit()
        alarms.escalate(db_session=db_session, settings=settings, alarm_id=old.id,
                        now=now - dt.timedelta(minutes=29), publish_siren=None)
        old = db_session.get(type(old), old.id)
        alarms.acknowledge(db_session=db_session, alarm=old, user_id=users["host"].id, now=now - dt.timedelta(minutes=28),
                           note=ACK_NOTE)
        alarms.resolve(db_session=db_session, alarm=old, user_id=users["host"].id, now=now - dt.timedelta(minutes=20),
                       resolution="false_alarm")
        # Open alarms: a room's button, a worker's phone, an unregistered button.
        alarms.raise_alarm(db_session=db_session, now=now, source="device", room_id=rooms[5].id, device=device)
        alarms.raise_from_person(db_session=db_session, now=now, role=Role.WORKER, user_id=users["roos"].id,
                                 room_id=None)
        stranger = alarms.register_device(db_session=db_session, family="native", device_id="unknown-7",
                                          room_id=None, label="", now=now)
        alarms.raise_alarm(db_session=db_session, now=now, source="device", device=stranger)
        # A button that needs attention: battery low, offline, its weekly test overdue; a room out of service.
        tired = db_session.scalar(select(Device).where(Device.room_id == rooms[7].id))
        tired.battery, tired.online, tired.last_test_at = 9, False, now - dt.timedelta(days=30)
        from location_ops.rooms.models import RoomOutage

        db_session.add(RoomOutage(room_id=rooms[8].id, starts_at=now - dt.timedelta(hours=1),
                                  ends_at=now + dt.timedelta(days=2), reason="Lekkage plafond"))
        # A hygiene round under way, and a talk request for today's visit.
        hygiene.start_round(db_session=db_session, room_id=rooms[3].id, kind=RoundKind.TURNOVER,
                            actor=hygiene.Actor(Role.HOST, users["host"].id), now=now, settings=settings)
        visit = rota.list_visits(db_session=db_session, actor=users["casework"])[0]
        rota.create_talk_request(db_session=db_session, worker=users["roos"], visit_id=visit.id,
                                 on_date=rota.occurrences(db_session=db_session, first=now.date(),
                                                          last=now.date() + dt.timedelta(days=7))[0].on_date,
                                 topics=list(rota.TOPICS)[:2], note="Need advice")
        for role in MFA_REQUIRED:
            user = users[DEMO_LOGINS[role]]
            user.mfa_secret, user.mfa_enabled = pyotp.random_base32(), True
        db_session.commit()
    return logins


def log_in(client, app, username: str, password: str) -> None:
    from tests.conftest import csrf_from

    client.cookies.clear()
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    if response.headers["location"].startswith("/login/mfa"):
        with app.state.sessionmaker() as db_session:
            secret = db_session.scalar(select(User.mfa_secret).where(User.username == username))
        token = csrf_from(client.get("/login/mfa").text)
        response = client.post("/login/mfa", data={"code": pyotp.TOTP(secret).now(), "csrf_token": token},
                               follow_redirects=False)
        assert response.status_code == 303, response.text


def path_candidates(app, path: str) -> list[str]:
    """Concrete paths for a route, with ids taken from the seeded data (a few of each)."""
    from location_ops.bookings.models import Booking
    from location_ops.guide.models import HelpService
    from location_ops.hygiene.models import HygieneRound, ChecklistItem, RoundKind
    from location_ops.reception.models import LogEntry
    from location_ops.rooms.models import Room

    names = tuple(re.findall(r"\{(\w+)(?::[^}]*)?\}", path))
    with app.state.sessionmaker() as db_session:
        if not names:
            values = [{}]
        elif names == ("booking_id",):
            values = [{"booking_id": i} for i in db_session.scalars(select(Booking.id).order_by(Booking.id))]
        elif names == ("room_id",):
            values = [{"room_id": i} for i in db_session.scalars(select(Room.id).order_by(Room.number).limit(4))]
        elif names == ("room_id", "round_id"):
            values = [{"room_id": r.room_id, "round_id": r.id}
                      for r in db_session.scalars(select(HygieneRound).order_by(HygieneRound.id.desc()))]
        elif names == ("room_id", "round_id", "item_id"):
            values = [{"room_id": r.room_id, "round_id": r.id, "item_id": item_id}
                      for r in db_session.scalars(select(HygieneRound).order_by(HygieneRound.id.desc()).limit(1))
                      for item_id in db_session.scalars(select(ChecklistItem.id).where(
                          ChecklistItem.template_id == r.template_id).limit(1))]
        elif names == ("entry_id",):
            values = [{"entry_id": i} for i in db_session.scalars(select(LogEntry.id).order_by(LogEntry.id))]
        elif names == ("kind",):
            values = [{"kind": kind.value} for kind in RoundKind]
        elif names == ("service_id",):
            values = [{"service_id": i} for i in db_session.scalars(select(HelpService.id).limit(1))]
        elif names == ("token",):
            return []  # calendar feeds: text/calendar, checked by their own tests
        else:
            raise AssertionError(f"the walk does not know how to fill {path}: add its ids here")
    found = []
    for value in values:
        concrete = path
        for name, item in value.items():
            concrete = re.sub(r"\{" + name + r"(:[^}]*)?\}", str(item), concrete)
        found.append(concrete)
    return found


def _data(app) -> set[str]:
    with app.state.sessionmaker() as db_session:
        return seeded_data(db_session)


def test_every_page_of_every_role_is_translated(app, client, pseudo_locale):
    logins = seed_everything(app)
    client.headers["Accept-Language"] = PSEUDO
    pages = [(e.path, rule_of(e)) for e in api_routes(app)
             if "GET" in e.route.methods and not e.path.startswith("/api/")]
    failures, rendered = [], 0
    for path, rule in pages:  # the anonymous pages first
        if rule.public:
            for concrete in path_candidates(app, path):
                response = client.get(concrete, follow_redirects=False)
                if response.headers.get("content-type", "").startswith("text/html"):
                    rendered += 1
                    data = _data(app)
                    failures += [f"anonymous {concrete}: {line!r}" for line in untranslated(response.text, data)]
    for role, username in DEMO_LOGINS.items():
        log_in(client, app, username, logins[username].strip())
        for path, rule in pages:
            if rule.public or role not in rule.roles:
                continue
            for concrete in path_candidates(app, path):
                response = client.get(concrete, follow_redirects=False)
                assert response.status_code < 500, f"{role} {concrete}: {response.status_code}"
                if not response.headers.get("content-type", "").startswith("text/html"):
                    break
                rendered += 1
                data = _data(app)  # what the walk itself added too (its logins in the audit log)
                failures += [f"{role} {concrete} [{response.status_code}]: {line!r}"
                             for line in untranslated(response.text, data)]
                if response.status_code == 200:
                    break  # one object of each kind is enough; the 404s before it are checked too
    assert rendered > 60
    assert not failures, f"{len(failures)} untranslated texts:\n" + "\n".join(dict.fromkeys(failures))


def test_a_string_without_gettext_is_caught(pseudo_locale):
    from location_ops.web import templates

    i18n.set_language(PSEUDO)
    template = templates.env.from_string(
        "<html><head><title>{{ _('Alarms') }}</title><style>p{}</style></head><body>"
        "<p>{{ _('Alarms') }}: roos</p><p>{{ amount|euros }} · {{ when|date }}</p>{% block x %}{% endblock %}"
        "<script>var never = 'shown';</script>{{ extra|safe }}</body></html>")
    clean = template.render(amount=8000, when=dt.date(2026, 12, 2), extra="")
    assert untranslated(clean, {"roos"}) == []
    # A text, a placeholder, a button's value, a confirmation and a title that lost their _() are each caught.
    assert untranslated(template.render(amount=1, when=None, extra="<p>Check in</p>"), {"roos"}) == ["Check in"]
    assert untranslated(template.render(amount=1, when=None, extra='<input placeholder="Search">'), {"roos"}) \
        == ["Search"]
    assert untranslated(template.render(amount=1, when=None, extra='<input type="submit" value="Save">'),
                        {"roos"}) == ["Save"]
    assert untranslated(template.render(amount=1, when=None, extra='<form data-confirm="Really?"></form>'),
                        {"roos"}) == ["Really?"]
    assert untranslated("<title>location-ops · location-ops</title>", {"location-ops"}) \
        == ["<title>location-ops · location-ops</title> has no translated text"]
    # Data is only what the test seeded: a pseudonym the test did not create is reported.
    assert untranslated(template.render(amount=1, when=None, extra=""), set()) == [": roos"]
