"""Every page as every role, on a phone and a tablet, with long data: nothing wider than the screen,
no serious or critical WCAG 2.2 AA violation (axe-core), every touch target at least 44 px.

The pages are the GET routes of the route table that answer a full HTML document; path ids
come from the seeded data. A new page is walked without touching this file, unless its path
has a parameter the seeding does not know yet (then the test says so).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import select

from location_ops import demo
from location_ops.access import Rule
from location_ops.accounts import service as accounts_service
from location_ops.accounts.models import Role, User
from location_ops.alarms.models import Device
from location_ops.bookings.models import Booking, BookingStatus
from location_ops.clock import clock, utcnow
from location_ops.guide import service as guide_service
from location_ops.hygiene import service as hygiene_service
from location_ops.hygiene.models import HygieneRound, RoundKind
from location_ops.models import CAPABILITIES, import_capability_module
from location_ops.reception import service as reception_service
from location_ops.reception.models import LogEntry
from location_ops.rooms.models import Room
from location_ops.rota import service as rota_service
from location_ops.rota.models import Visit
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, TABLET, screenshot
from tests.test_access import api_routes, rule_of

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
#: LOCATION_OPS_LAYOUT_SCREENSHOTS=1 saves a full-page screenshot of every page under test-artifacts/.
SCREENSHOTS = os.environ.get("LOCATION_OPS_LAYOUT_SCREENSHOTS") == "1"
SIZES = {"phone": PHONE, "tablet": TABLET}
#: Noon on a Wednesday: today's evening bookings lie ahead, the day shift runs.
NOW = dt.datetime(2026, 12, 2, 11, 0, tzinfo=dt.UTC)

# Long Dutch compounds and one unbroken "word" of the kind a person pastes (a link, a code).
COMPOUNDS = ("Gespreksverzoekenadministratie", "Arbeidsongeschiktheidsverzekering",
             "Hygiënecontrolerondeverslagen", "Kindercarnavalsoptochtvoorbereidingswerkzaamheden")
UNBROKEN = "https://example.org/" + "x" * 300
# Routes that answer a fragment for htmx (their markup is checked inside the full pages).
FRAGMENTS = {"/reception/board", "/alarms/banner", "/alarms/mine", "/rota/start"}


def long_text(length: int, lead: str = "") -> str:
    """Words, compounds and an unbroken run, cut to ``length`` characters."""
    words = [lead, *COMPOUNDS, UNBROKEN]
    text = " ".join(word for word in words if word)
    while len(text) < length:
        text += " " + " ".join(COMPOUNDS) + " Dit is een notitie met gewone woorden."
    return text[:length].strip()


def long_name(prefix: str, length: int) -> str:
    """A pseudonym of ``length`` letters: no spaces, so only the page's CSS can break it."""
    return (prefix + "".join(COMPOUNDS) * 4)[:length]


def column_length(column) -> int:
    return column.property.columns[0].type.length


def seed_long_data(app) -> dict[str, User]:
    """The demo's data, with names, notes and organisations as long as the app accepts."""
    settings = app.state.settings
    users: dict[str, User] = {}
    with app.state.sessionmaker() as db_session:
        for key, role in demo.DEMO_USERS:
            users[key] = accounts_service.create_user(
                db_session=db_session, settings=settings, username=long_name(key.capitalize(),
                                                                             accounts_service.USERNAME_MAX),
                password=PASSWORD, role=role)
            if accounts_service.mfa_required(users[key]):
                users[key].mfa_secret, users[key].mfa_enabled = pyotp.random_base32(), True
        room_name = column_length(Room.name)
        for number in range(1, settings.max_rooms + 1):
            db_session.add(Room(number=number, name=long_text(room_name, f"Kamer {number}"), active=True))
        db_session.flush()
        for capability in CAPABILITIES:
            import_capability_module(capability, "demo")
        for seeder in demo.SEEDERS:
            seeder(db_session=db_session, settings=settings, users=users)
        now = utcnow()
        host, caseworker, worker = users["host"], users["casework"], users["roos"]
        organisation = long_name("Stichting", column_length(Visit.organisation))
        rota_service.update_profile(db_session=db_session, user=caseworker,
                                    display_name=long_name("Sanne", 64), introduction=long_text(600),
                                    languages=["nl", "en", "es"], organisation=organisation)
        visit = rota_service.create_visit(db_session=db_session, actor=caseworker, caseworker_id=caseworker.id,
                                          weekday=(NOW + dt.timedelta(days=1)).weekday(), starts_at=dt.time(14),
                                          ends_at=dt.time(16), organisation=organisation,
                                          valid_from=NOW.date() - dt.timedelta(days=7), backdate=True)
        rota_service.create_talk_request(db_session=db_session, worker=worker, visit_id=visit.id,
                                         on_date=NOW.date() + dt.timedelta(days=1), topics=list(rota_service.TOPICS),
                                         note=long_text(rota_service.NOTE_MAX))
        rota_service.post_announcement(db_session=db_session, author=caseworker, title=long_text(120),
                                       body=long_text(2000), show_until=NOW.date() + dt.timedelta(days=7))
        for kind in ("note", "incident", "delivery"):
            reception_service.add_entry(db_session=db_session, kind=kind, room_id=None, text=long_text(2000),
                                        author_id=host.id, now=now - dt.timedelta(minutes=5))
        reception_service.start_shift(db_session=db_session, host_id=host.id, now=now - dt.timedelta(hours=2))
        limits = guide_service.LIMITS
        guide_service.save(db_session=db_session, actor_id=caseworker.id, name=long_text(limits["name"]),
                           categories=[], languages=["nl"], anonymous=True,
                           description_nl=long_text(limits["description_nl"]),
                           description_en=long_text(limits["description_en"]),
                           address=long_text(limits["address"]), hours=long_text(limits["hours"]),
                           website=UNBROKEN[:limits["website"]])
        for device in db_session.scalars(select(Device)):
            device.label = long_text(column_length(Device.label))
        db_session.commit()
    return users


def path_values(app, role: Role, users: dict[str, User]) -> dict[str, str]:
    """A value for each path parameter, from the seeded data, as the role would reach it."""
    with app.state.sessionmaker() as db_session:
        worker = users["roos"]
        booking = db_session.scalar(select(Booking).where(
            Booking.worker_id == worker.id, Booking.status == BookingStatus.BOOKED,
            Booking.checked_in_at.is_(None)).order_by(Booking.starts_at))
        hygiene_round = db_session.scalar(select(HygieneRound).order_by(HygieneRound.id.desc()))
        item = hygiene_round.template.items[0]
        entry = db_session.scalar(select(LogEntry).order_by(LogEntry.id.desc()))
        service = guide_service.search(db_session=db_session)[0]
        return {"booking_id": str(booking.id), "room_id": str(hygiene_round.room_id),
                "round_id": str(hygiene_round.id), "item_id": str(item.id), "entry_id": str(entry.id),
                "kind": RoundKind.DAILY.value, "service_id": str(service.id)}


#: GET routes that answer a file to save, not a page (the browser starts a download).
DOWNLOADS = {"/account/export"}


def pages_for(app, role: Role, values: dict[str, str]) -> list[str]:
    """Every GET route the role may call, with its path filled in."""
    paths = []
    for endpoint in api_routes(app):
        rule: Rule = rule_of(endpoint)
        if "GET" not in endpoint.route.methods or endpoint.path.startswith("/api/"):
            continue
        if role not in rule.roles or endpoint.path.endswith((".csv", ".ics")) or endpoint.path in FRAGMENTS \
                or endpoint.path in DOWNLOADS:
            continue
        path = endpoint.path
        for param in endpoint.route.dependant.path_params:
            assert param.name in values, f"{endpoint.path}: the layout walk has no seeded value for {param.name}"
            path = re.sub(r"\{" + param.name + r"(:[^}]*)?\}", values[param.name], path)
        paths.append(path)
    return paths


# Returns a description of the widest element when the document scrolls sideways, else null.
OVERFLOW_JS = """() => {
  const root = document.documentElement;
  if (root.scrollWidth <= root.clientWidth) return null;
  const clipped = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      const ox = getComputedStyle(up).overflowX;
      if (ox !== 'visible') return true;
    }
    return false;
  };
  let widest = null, right = 0;
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || clipped(el) || !el.checkVisibility()) continue;
    if (box.right >= right) { right = box.right; widest = el; }
  }
  const name = widest ? widest.tagName.toLowerCase() + (widest.id ? '#' + widest.id : '')
    + (widest.className && typeof widest.className === 'string' ? '.' + widest.className.trim().split(/\\s+/).join('.') : '')
    : '?';
  const text = widest ? (widest.innerText || '').trim().slice(0, 40) : '';
  return `document ${root.scrollWidth} px wide in a ${root.clientWidth} px viewport; widest: <${name}> `
    + `${Math.round(right)} px "${text}"`;
}"""

# Visible controls smaller than 44 x 44 CSS px (WCAG 2.5.5 asks 44; 2.5.8 AA asks 24).
TOUCH_JS = """() => {
  const small = [];
  for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || !el.checkVisibility({visibilityProperty: true})) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden') continue;
    // Links inside running text are exempt (WCAG's inline exception); controls are not.
    if (el.tagName === 'A' && style.display === 'inline') continue;
    if (el.type === 'checkbox' || el.type === 'radio') {
      const label = el.closest('label');
      const target = label ? label.getBoundingClientRect() : box;
      if (target.height >= 44) continue;
    }
    if (box.height < 43.5 || box.width < 43.5) {
      const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 30);
      small.push(`<${el.tagName.toLowerCase()}> "${text}" ${Math.round(box.width)}x${Math.round(box.height)}`);
    }
  }
  return small;
}"""


def overflow_of(page) -> str | None:
    return page.evaluate(OVERFLOW_JS)


def axe_violations(page) -> list[str]:
    """Serious and critical WCAG 2.2 AA violations that axe-core finds on the page."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: "
                           "['violations']})", AXE_TAGS)
    found = []
    for violation in result["violations"]:
        if violation["impact"] in ("serious", "critical"):
            targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
            found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} — {targets}")
    return found


def login_context(browser, live_server, user: User, viewport: dict):
    context = browser.new_context(viewport=viewport, locale="nl-NL", base_url=live_server.url, bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    if user.mfa_enabled:
        page.wait_for_url("**/login/mfa**")
        clock.advance(dt.timedelta(seconds=30))  # a code works once
        page.fill("input[name=code]", pyotp.TOTP(user.mfa_secret).at(clock.now()))
        page.click("form[action='/login/mfa'] button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return context, page


def close(context) -> None:
    for page in context.pages:
        try:
            page.goto("about:blank", timeout=5_000)
        except Exception:  # noqa: BLE001 - closed below anyway
            pass
    context.close()


@pytest.fixture
def frozen_now():
    clock.freeze(NOW)
    yield NOW


@pytest.mark.timeout(900)
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_every_page_fits_the_screen_and_passes_axe(frozen_now, app, browser, live_server, backend):
    users = seed_long_data(app)
    failures: list[str] = []
    walked = 0
    for role in Role:
        user = next(u for key, u in users.items() if Role(u.role) == role and key != "lila")
        paths = pages_for(app, role, path_values(app, role, users))
        assert paths, f"{role} has no pages"
        for size, viewport in SIZES.items():
            context, page = login_context(browser, live_server, user, viewport)
            try:
                for path in paths:
                    response = page.goto(path, wait_until="load")
                    where = f"{path} as {role} at {viewport['width']}x{viewport['height']}"
                    if response is None or response.status >= 500:
                        failures.append(f"{where}: answered {response and response.status}")
                        continue
                    if not response.headers.get("content-type", "").startswith("text/html"):
                        continue
                    walked += 1
                    if SCREENSHOTS:
                        screenshot(page, f"layout-{role}-{size}-{path.strip('/').replace('/', '_') or 'start'}")
                    if (wide := overflow_of(page)) is not None:
                        failures.append(f"{where}: {wide}")
                    failures.extend(f"{where}: touch target {small}" for small in page.evaluate(TOUCH_JS))
                    failures.extend(f"{where}: {found}" for found in axe_violations(page))
            finally:
                close(context)
    assert walked > 40
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_overflow_check_fires_on_a_fixed_width_element(browser, live_server):
    """A page that gets a fixed-width element is caught, and the message names the element."""
    context = browser.new_context(viewport=PHONE, base_url=live_server.url)
    try:
        page = context.new_page()
        page.goto("/login")
        assert overflow_of(page) is None
        page.evaluate("""() => { const wide = document.createElement('div'); wide.id = 'too-wide';
                                 wide.style.width = '600px'; wide.textContent = 'x';
                                 document.querySelector('main').appendChild(wide); }""")
        message = overflow_of(page)
        assert message is not None and "div#too-wide" in message and "390 px viewport" in message, message
    finally:
        close(context)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_axe_check_fires_on_an_unlabelled_control(browser, live_server):
    context = browser.new_context(viewport=TABLET, base_url=live_server.url, bypass_csp=True)
    try:
        page = context.new_page()
        page.goto("/login")
        page.evaluate("""() => { const b = document.createElement('button'); b.id = 'nameless';
                                 document.querySelector('main').appendChild(b); }""")
        found = axe_violations(page)
        assert any("button-name" in line and "#nameless" in line for line in found), found
    finally:
        close(context)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_every_menu_entry_is_in_sight_or_one_tap_away(app, browser, live_server, backend):
    """Each role sees every menu entry in the bar, or behind one tap on "More", inside the screen."""
    from location_ops import nav

    users = {}
    with app.state.sessionmaker() as db_session:
        for role in Role:
            user = accounts_service.create_user(db_session=db_session, settings=app.state.settings,
                                                username=f"menu-{role}", password=PASSWORD, role=role)
            if accounts_service.mfa_required(user):
                user.mfa_secret, user.mfa_enabled = pyotp.random_base32(), True
            users[role] = user
        db_session.commit()
    failures = []
    for role, user in users.items():
        entries = nav.for_role(role)
        for size, viewport in SIZES.items():
            context, page = login_context(browser, live_server, user, viewport)
            try:
                page.goto("/account")
                assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
                in_bar = {entry.path for entry in entries
                          if page.locator(f".menu-bar a[href='{entry.path}']").is_visible()}
                page.click(".menu-more > summary")
                for entry in entries:
                    link = (page.locator(f".menu-bar a[href='{entry.path}']") if entry.path in in_bar
                            else page.locator(f".menu-panel a[href='{entry.path}']"))
                    box = link.bounding_box() if link.is_visible() else None
                    if box is None or box["x"] < 0 or box["x"] + box["width"] > viewport["width"] \
                            or box["y"] + box["height"] > viewport["height"] or box["height"] < 44:
                        failures.append(f"{role} at {size}: {entry.path} is not in sight ({box})")
                if role in (Role.HOST, Role.OPERATOR, Role.CASEWORKER, Role.WORKER):
                    screenshot(page, f"menu-{role}-{size}-open")
            finally:
                close(context)
    assert not failures, "\n".join(failures)
