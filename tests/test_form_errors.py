"""Every web form keeps what was typed and shows its error at the field, found from the route table.

The demo's data is seeded; each role's pages are walked from the route table's GET pages and
the links on them, and every ``<form method="post">`` found is matched to its POST route. For
every POST route with a field that can be given a wrong value (a number, a date or time, a
choice, a text beyond its length), one form of it is submitted as a role that sees it, with that
field wrong and the rest as the page offers it. The answer must be 4xx with the form shown
again: the field marked ``aria-invalid`` and described (``aria-describedby``) by an element
holding the sentence, the sentence inside the same form for a hidden field, and every other
value the form sent still in its control.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import typing
from urllib.parse import urlsplit

import pyotp
import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlalchemy import select

from location_ops import demo
from location_ops.accounts import service as accounts_service
from location_ops.accounts.models import User
from location_ops.clock import LOCAL_TZ, clock, local_today
from location_ops.forms import FORM_KEY, _fields
from tests.conftest import PASSWORD, csrf_from
from tests.guide.conftest import restore_guide_seed
from tests.test_access import api_routes, rule_of
from tests.test_numeric_input import _base

#: Pages not to open while walking: they change nothing but stream, download or leave the site.
NOT_WALKED = re.compile(r"^/(api/|static/|logout|rota/feed/|bookings/calendar/)|\.ics$|\.csv")
#: How many pages a role's walk opens at most.
PAGE_LIMIT = 400  # enough for every role's pages (each shape at most 8 times); the walk fails for a form it misses
#: Text inputs whose value is never sent back to the browser.
SECRET_TYPES = {"password"}
#: POST routes whose form fields can all be wrong but that no page shows in the demo's state
#: (filled in with a reason only; the test fails for any other route it cannot reach).
UNREACHED: dict[str, str] = {
    "/admin/rooms": "the demo has the most rooms allowed, so the page offers no form to add one",
    "/alarms/{alarm_id}/resolve": "no alarm is open in the demo (and its form is a choice of fixed values)",
    "/contract/house-rules": "the demo's workers have accepted the house rules",
    "/login/mfa": "the walk is logged in; the code's error at its field: tests/accounts/test_mfa.py",
    "/reception/shift/end": "no host shift is open in the demo; the form is shown once one is started",
    "/rota/talks/{talk_id}/withdraw": "the demo's talk requests are not the walking workers' own",
}
#: POST routes that never show a form again, by design.
NOT_FORMS = {
    "/alarms/raise": "an alarm is always raised, without a room when the room is not valid",
    "/language": "buttons only, in the top bar: a language not offered is refused with a sentence",
    "/book": "the confirmation's fields are all hidden (chosen on the grid); a refusal shows the grid with the "
             "sentence (tests/rentals/test_booking_truth.py)",
}


def _max_length(info) -> int | None:
    for item in getattr(info, "metadata", ()):
        if getattr(item, "max_length", None) is not None:
            return item.max_length
    return None


def bad_value(info) -> str | None:
    """A value the declared field refuses, or None when it takes anything (free text without a limit, lists)."""
    base = _base(info.annotation)
    if typing.get_origin(base) in (list, set, tuple):
        return None
    if base in (int, dt.date, dt.time, dt.datetime):
        return "x"
    if typing.get_origin(base) is typing.Literal or (isinstance(base, type) and issubclass(base, enum.Enum)):
        return "zzz-not-a-choice"
    length = _max_length(info)
    if base is str and length is not None:
        return "a" * (length + 1)
    return None


def form_routes(app) -> list[tuple[re.Pattern, str, object, dict]]:
    """(path pattern, path, route, {field: bad value}) for every web POST route with a field that can be wrong."""
    found = []
    for endpoint in api_routes(app):
        if "POST" not in endpoint.route.methods or endpoint.path.startswith("/api/"):
            continue
        path_names = {p.alias for p in endpoint.route.dependant.path_params}
        bad = {name: value for name, info in _fields(endpoint.route).items()
               if name not in path_names and (value := bad_value(info)) is not None}
        if bad:
            pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", endpoint.path) + "$")
            found.append((pattern, endpoint.path, endpoint, bad))
    return found


def _client(app, user: User, secret: str | None) -> TestClient:
    http = TestClient(app, base_url="http://testserver", headers={"Accept-Language": "en"})
    token = csrf_from(http.get("/login").text)
    response = http.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token},
                         follow_redirects=False)
    assert response.status_code == 303, response.text
    if secret:
        token = csrf_from(http.get("/login/mfa").text)
        clock.advance(dt.timedelta(seconds=30))  # the clock is frozen: a code works once, so each login takes the next
        response = http.post("/login/mfa", data={"code": pyotp.TOTP(secret).at(clock.now()), "csrf_token": token},
                             follow_redirects=False)
        assert response.status_code == 303, response.text
    return http


def _controls(form) -> list:
    return form.find_all(["input", "select", "textarea"])


def _named(form) -> list:
    """The controls and the named buttons (a button's name and value are sent when it is pressed)."""
    return _controls(form) + form.find_all("button", attrs={"name": True})


def _value(control) -> str | list[str] | None:
    """What the browser would send for a control (None: nothing)."""
    if control.name == "textarea":
        return control.text
    if control.name == "select":
        chosen = control.find_all("option", selected=True) or control.find_all("option")[:1]
        return chosen[0].get("value", chosen[0].text) if chosen else ""
    kind = control.get("type", "text").lower()
    if kind in ("checkbox", "radio"):
        return control.get("value", "on") if control.has_attr("checked") else None
    if kind in ("submit", "button", "image", "file", "reset"):
        return None
    return control.get("value", "")


def _visible(control) -> bool:
    return control.name != "button" and not (control.name == "input" and control.get("type", "text").lower() == "hidden")


def _submission(form, wrong: str, bad: str) -> list[tuple[str, str]]:
    data: list[tuple[str, str]] = []
    for control in _controls(form):
        name = control.get("name")
        if not name or control.has_attr("disabled"):
            continue
        value = bad if name == wrong else _value(control)
        if value is not None:
            data.append((name, value))
    button = form.find("button", attrs={"name": True})
    if button is not None and button.get("name") not in dict(data):
        data.append((button["name"], bad if button["name"] == wrong else button.get("value", "")))
    return data


def _same_form(soup, action: str, key: str | None):
    for form in soup.find_all("form"):
        if (form.get("method") or "").lower() != "post" or form.get("action") != action:
            continue
        found = form.find("input", attrs={"name": FORM_KEY})
        if (found.get("value") if found else None) == key:
            return form
    return None


def _check(action: str, sent_form, answer, wrong: str, data: list[tuple[str, str]]) -> list[str]:
    """What is wrong with the answer to a form sent with ``wrong`` refused (an empty list: nothing)."""
    problems = []
    if not 400 <= answer.status_code < 500:
        return [f"answered {answer.status_code}, not 4xx"]
    soup = BeautifulSoup(answer.text, "html.parser")
    key = dict(data).get(FORM_KEY)
    form = _same_form(soup, action, key)
    if form is None:
        return [f"answered {answer.status_code} without the form: {soup.get_text(' ', strip=True)[:200]!r}"]
    control = form.find(["input", "select", "textarea"], attrs={"name": wrong})
    if control is not None and _visible(control):
        if control.get("aria-invalid") != "true":
            problems.append(f"{wrong} is not marked aria-invalid")
        target = control.get("aria-describedby")
        described = form.find(id=target) if target else None
        if described is None or not described.get_text(strip=True):
            problems.append(f"{wrong} is not described by a sentence in the form (aria-describedby={target!r})")
    elif not any(found.get_text(strip=True) for found in soup.select(".field-error, .form-errors")):
        problems.append(f"no sentence on the page for the hidden field {wrong}")
    sent = {}
    for name, value in data:
        sent.setdefault(name, []).append(value)
    for other in _controls(form):
        name = other.get("name")
        if not name or name == wrong or not _visible(other) or other.get("type") in SECRET_TYPES:
            continue
        kind = other.get("type", "text").lower()
        if kind in ("submit", "button"):
            continue
        now = _value(other)
        if kind in ("checkbox", "radio"):
            was = other.get("value", "on") in sent.get(name, [])
            if (now is not None) != was:
                problems.append(f"{name}={other.get('value')!r} was {'checked' if was else 'not checked'}, now not")
        elif name in sent and now not in sent[name]:
            problems.append(f"{name} was {sent[name]!r}, is now {now!r}")
    return problems


@pytest.fixture
def seeded(app, settings):
    """The demo's data, with every demo login's password set to the tests' one (and MFA where required)."""
    secrets: dict[str, str | None] = {}
    # Midday, while the demo's day shift runs: the board offers "give room" only when a shift runs,
    # so the walk must not depend on the hour it is run at.
    clock.freeze(dt.datetime.combine(local_today(), dt.time(12, 0), tzinfo=LOCAL_TZ))
    # The wegwijzer's entries come with a migration; on PostgreSQL an earlier test emptied the tables.
    restore_guide_seed(app)
    with app.state.sessionmaker() as db_session:
        demo.seed(db_session=db_session, settings=settings)
        password_hash = accounts_service.hash_password(PASSWORD, settings)
        for user in db_session.scalars(select(User)):
            user.password_hash = password_hash
            secrets[user.username] = None
            if accounts_service.mfa_required(user):
                secrets[user.username] = user.mfa_secret = pyotp.random_base32()
                user.mfa_enabled = True
        db_session.commit()
        users = {user.username: user for user in db_session.scalars(select(User))}
        db_session.expunge_all()
    return users, secrets


def _walk(http: TestClient, starts: list[str]) -> list[tuple[str, BeautifulSoup]]:
    seen: set[str] = set()
    shapes: dict[str, int] = {}
    queue = list(starts)
    pages = []
    while queue and len(seen) < PAGE_LIMIT:
        path = queue.pop(0)
        # Pages of one shape (/guide/1/edit, /guide/2/edit) show the same forms: a few of each are enough.
        shape = re.sub(r"=[^&]*", "=", re.sub(r"[0-9]+", "N", path))
        if path in seen or NOT_WALKED.search(path) or shapes.get(shape, 0) >= 8:
            continue
        seen.add(path)
        shapes[shape] = shapes.get(shape, 0) + 1
        response = http.get(path, follow_redirects=True)
        if response.status_code != 200 or "text/html" not in response.headers.get("content-type", ""):
            continue
        soup = BeautifulSoup(response.text, "html.parser")
        pages.append((path, soup))
        for link in soup.find_all("a", href=True):
            href = link["href"].split("#")[0]
            if href.startswith("/") and not href.startswith("//") and href not in seen:
                queue.append(href)
    return pages


def test_every_form_shows_its_error_at_the_field_and_keeps_what_was_typed(app, client, seeded):
    users, secrets = seeded
    routes = form_routes(app)
    assert len(routes) > 25, [path for _p, path, *_ in routes]
    starts = [e.path for e in api_routes(app)
              if "GET" in e.route.methods and "{" not in e.path and not e.path.startswith("/api/")]
    tested: dict[str, str] = {}
    failures: list[str] = []
    for username, user in users.items():
        http = _client(app, user, secrets[username])
        try:
            for page, soup in _walk(http, starts):
                for form in soup.find_all("form"):
                    if (form.get("method") or "").lower() != "post" or not form.get("action"):
                        continue
                    action = urlsplit(form["action"]).path
                    match = next(((path, endpoint, bad) for pattern, path, endpoint, bad in routes
                                  if pattern.match(action)), None)
                    if match is None:
                        continue
                    path, endpoint, bad = match
                    key_input = form.find("input", attrs={"name": FORM_KEY})
                    label = path + (f"#{key_input['value']}" if key_input else "")
                    names = [c.get("name") for c in _named(form) if c.get("name") in bad]
                    names.sort(key=lambda name: not _visible(form.find(attrs={"name": name})))
                    if label in tested or not names or path in NOT_FORMS:
                        continue
                    if user.role not in (rule_of(endpoint).roles or {user.role}):
                        continue
                    wrong = names[0]
                    data = _submission(form, wrong, bad[wrong])
                    body: dict[str, list[str]] = {}
                    for name, value in data:
                        body.setdefault(name, []).append(value)
                    answer = http.post(action, data=body, follow_redirects=False)
                    tested[label] = f"{username} on {page}"
                    for problem in _check(form["action"], form, answer, wrong, data):
                        failures.append(f"{label} ({username} on {page}, {wrong}={bad[wrong][:12]!r}): {problem}")
        finally:
            http.close()
    reached = {label.split("#")[0] for label in tested}
    unreached = sorted(path for _p, path, _e, _b in routes
                       if path not in reached and path not in UNREACHED and path not in NOT_FORMS)
    assert not failures, "\n".join(failures)
    assert not unreached, f"no page offered a form for: {unreached}"
