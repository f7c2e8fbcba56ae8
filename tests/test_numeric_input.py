"""Every numeric, date and time field of every route, found from the route table, refuses bad values.

For each route with an int path parameter, query parameter, form field or JSON body field,
as every role the route allows: a Unicode digit, a negative, a huge and a non-numeric value
each get a 4xx with a sentence, never a 500, and nothing is written — except that raising an
alarm always raises it (without a room when the room id is bad). Dates, times, ISO weeks and
months get the same walk with their own bad values (a Unicode digit, an impossible day, a year out
of range, text).
"""

from __future__ import annotations

import datetime as dt
import re
import types
import typing

import pyotp
import pytest
from fastapi import params
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import func, inspect, select, table

from location_ops import forms
from location_ops.accounts import service as accounts_service
from location_ops.accounts.models import Role, User
from location_ops.alarms.models import Alarm, AlarmState
from tests.conftest import PASSWORD, api_token, csrf_from, login
from tests.test_access import api_routes, rule_of

BAD = ("²", "-5", "99999999999999999999", "x")
#: Per kind of date or time input: a Unicode digit, an impossible value, one out of range, not one at all.
BAD_DATES = {
    dt.date: ("²⁰²⁶-01-01", "2026-02-30", "0001-01-01", "99999-01-01", "x"),
    dt.time: ("²:00", "25:00", "10:00+01:00", "x"),
    dt.datetime: ("²⁰²⁶-01-01T10:00", "2026-02-30T10:00", "0001-01-01T00:00", "x"),
    "week": ("²⁰²⁶-W01", "2026-W54", "1999-W01", "x"),
    "month": ("²⁰²⁶-01", "2026-13", "0001-01", "x"),
}
#: Raising an alarm never fails for its room: it is raised without one.
ALARM_RAISING = {("POST", "/alarms/raise"), ("POST", "/api/v1/alarms")}


def _base(annotation):
    """The plain type of an annotation: ``Annotated[int, ...] | None`` → int."""
    while True:
        if typing.get_origin(annotation) is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif typing.get_origin(annotation) in (typing.Union, types.UnionType):
            annotation = next(arg for arg in typing.get_args(annotation) if arg is not type(None))
        else:
            return annotation


def _validators(annotation):
    """Every validator function in an annotation's metadata, nested aliases and unions included."""
    for item in getattr(annotation, "__metadata__", ()):
        if callable(getattr(item, "func", None)):
            yield item.func
    for arg in typing.get_args(annotation):
        yield from _validators(arg)


def _kind(annotation):
    """The kind of input: a plain type (int, date, time, datetime), or "week" / "month" for those types."""
    validators = set(_validators(annotation))
    if forms.week_to_monday in validators:
        return "week"
    if forms.month_to_first in validators:
        return "month"
    return _base(annotation)


def _filler(annotation) -> str:
    """A valid-looking value for a field that is not the one under test."""
    base = _kind(annotation)
    if base == "week":
        return f"{dt.date.today():%G-W%V}"
    if base == "month":
        return f"{dt.date.today():%Y-%m}"
    if base is int:
        return "1"
    if base is dt.date:
        return dt.date.today().isoformat()
    if base is dt.time:
        return "10:00"
    if base is dt.datetime:
        return f"{dt.date.today().isoformat()}T10:00"
    return "day"


def _fields(route) -> tuple[str, dict[str, dict[str, object]]]:
    """The body's kind (form, json or none) and the route's inputs by place: name → annotation."""
    dependant = route.dependant
    places: dict[str, dict[str, object]] = {
        "path": {p.alias: p.field_info.annotation for p in dependant.path_params},
        "query": {p.alias: p.field_info.annotation for p in dependant.query_params},
        "body": {},
    }
    kind = "none"
    for param in dependant.body_params:
        kind = "form" if isinstance(param.field_info, params.Form) else "json"
        model = _base(param.field_info.annotation)
        if isinstance(model, type) and issubclass(model, BaseModel):
            places["body"].update({info.alias or name: info.annotation for name, info in model.model_fields.items()})
        else:
            places["body"][param.alias] = param.field_info.annotation
    return kind, places


def routes_with(app, kinds):
    """(method, path, route, rule, body kind, places) for every route with an input of these kinds."""
    found = []
    for endpoint in api_routes(app):
        kind, places = _fields(endpoint.route)
        if not any(_kind(a) in kinds for fields in places.values() for a in fields.values()):
            continue
        for method in sorted(endpoint.route.methods - {"HEAD"}):
            found.append((method, endpoint.path, endpoint.route, rule_of(endpoint), kind, places))
    return found


def _request(method, path, kind, places, place, name, bad):
    url = path
    for field, annotation in places["path"].items():
        url = re.sub(r"\{" + field + r"(:[^}]*)?\}", bad if (place, name) == ("path", field) else "1", url)
    query = {name: bad} if place == "query" else {}
    body = {field: bad if (place, name) == ("body", field) else _filler(a) for field, a in places["body"].items()}
    if kind == "json" and place == "body":
        for value in (bad,):
            body[name] = value
    return url, query, body


def _counts(app) -> dict[str, int]:
    with app.state.engine.connect() as connection:
        names = [n for n in inspect(connection).get_table_names() if n != "alembic_version"]
        return {n: connection.execute(select(func.count()).select_from(table(n))).scalar_one() for n in names}


def _web_client(app, role: Role) -> TestClient:
    http = TestClient(app, base_url="http://testserver", headers={"Accept-Language": "en"})
    with app.state.sessionmaker() as db_session:
        user = accounts_service.create_user(db_session=db_session, settings=app.state.settings,
                                            username=f"numeric-{role}", password=PASSWORD, role=role)
        secret = None
        if accounts_service.mfa_required(user):
            secret = pyotp.random_base32()
            user.mfa_secret, user.mfa_enabled = secret, True
        db_session.commit()
    response = login(http, f"numeric-{role}")
    assert response.status_code == 303, response.text
    if secret:
        token = csrf_from(http.get("/login/mfa").text)
        response = http.post("/login/mfa", data={"code": pyotp.TOTP(secret).now(), "csrf_token": token},
                             follow_redirects=False)
        assert response.status_code == 303, response.text
        http.secret = secret
    page = http.get("/account")
    http.headers["X-CSRF-Token"] = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    return http


def _api_headers(client, role, secret) -> dict:
    if secret:
        # The web login used this time step's code; a code is accepted once, the next step's is valid too.
        from location_ops.clock import utcnow

        return api_token(client, f"numeric-{role}", totp=pyotp.TOTP(secret).at(utcnow() + dt.timedelta(seconds=30)))
    return api_token(client, f"numeric-{role}")


def _open_alarm_rooms(app) -> list:
    with app.state.sessionmaker() as db_session:
        return list(db_session.scalars(select(Alarm.room_id).where(Alarm.state == AlarmState.RAISED)))


@pytest.fixture
def settings(settings):
    """No escalation during the walk: its events would look like rows the walk wrote."""
    return settings.model_copy(update={"alarm_escalation_seconds": 3600})


def numeric_routes(app):
    """Every route with an int input."""
    return routes_with(app, {int})


def test_every_numeric_field_refuses_what_is_not_a_number(client, db):
    routes = numeric_routes(client.app)
    assert len(routes) > 20, [f"{m} {p}" for m, p, *_ in routes]
    assert any(p == "/book" for _m, p, *_ in routes) and any(p == "/api/v1/bookings" for _m, p, *_ in routes)
    sent = _walk(client, db, routes, {int: BAD})
    assert sent > 200


def test_every_date_and_time_field_refuses_what_is_not_one(client, db):
    routes = routes_with(client.app, set(BAD_DATES))
    found = {f"{m} {p}" for m, p, *_ in routes}
    assert {"POST /rota/visits", "POST /rota/visits/{visit_id}/changes", "GET /rota", "GET /api/v1/rota",
            "GET /hygiene/report", "GET /statements", "GET /rota/talk", "POST /rota/announcements"} <= found, found
    sent = _walk(client, db, routes, BAD_DATES)
    assert sent > 150


def _walk(client, db, routes, bad_values) -> int:
    """Send each bad value to each input of its kind as every role that may call the route."""
    from location_ops.rooms import service as rooms_service

    app = client.app
    rooms_service.create_room(db_session=db, settings=app.state.settings, number=1, name="")
    db.commit()
    webs = {role: _web_client(app, role) for role in Role}
    apis = {role: _api_headers(webs[role], role, getattr(webs[role], "secret", None)) for role in Role}
    failures, sent = [], 0
    for method, path, route, rule, kind, places in routes:
        roles = list(Role) if rule.public else sorted(rule.roles)
        raising = (method, path) in ALARM_RAISING
        for role in roles:
            before = _counts(app)
            raised = 0
            for place, fields in places.items():
                for name, annotation in fields.items():
                    for bad in bad_values.get(_kind(annotation), ()):
                        url, query, body = _request(method, path, kind, places, place, name, bad)
                        options = {"params": query}
                        if kind == "json":
                            if place == "body":
                                body[name] = bad
                            options["json"] = body
                        elif kind == "form":
                            options["data"] = body
                        headers = apis[role] if path.startswith("/api/") else {}
                        http = webs[role]
                        response = http.request(method, url, headers=headers, follow_redirects=False, **options)
                        sent += 1
                        label = f"{role} {method} {url} {place}.{name}={bad!r} -> {response.status_code}"
                        if raising and (place, name) == ("body", "room_id"):
                            raised += 1
                            if response.status_code not in (200, 201, 303):
                                failures.append(f"{label}: the alarm was not raised")
                            continue
                        if not 400 <= response.status_code < 500:
                            failures.append(f"{label}: not a 4xx")
                        elif path.startswith("/api/"):
                            detail = response.json().get("detail")
                            if not (isinstance(detail, str) and detail.endswith(".")):
                                failures.append(f"{label}: no sentence: {detail!r}")
                        elif "text/html" not in response.headers.get("content-type", "") or "Traceback" in response.text:
                            failures.append(f"{label}: not an HTML page without a traceback")
            after = _counts(app)
            if raising:
                # The first press raises an alarm without a room; the next ones are presses on it.
                presses = after["alarm_events"] - before["alarm_events"]
                if presses < raised or set(_open_alarm_rooms(app)) != {None} or after["alarms"] - before["alarms"] > 1:
                    failures.append(f"{role} {method} {path}: {raised} presses with a bad room id made "
                                    f"{presses} events, open alarms in rooms {_open_alarm_rooms(app)}")
                after = {k: v for k, v in after.items() if not k.startswith("alarm")}
                before = {k: v for k, v in before.items() if not k.startswith("alarm")}
            changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
            if changed:
                failures.append(f"{role} {method} {path}: rows written {changed}")
    for http in webs.values():
        http.close()
    assert not failures, "\n".join(failures)
    return sent


#: Inputs named like a number that are text by design: a device's own id is what its topics carry.
TEXT_IDS = {"device_id"}


def _id_like(name: str) -> bool:
    return (name in ("id", "number", "version") or name.endswith("_id")) and name not in TEXT_IDS


def test_inputs_named_as_numbers_are_declared_as_numbers(app):
    """The walk finds numbers by their declared type: a number parsed by hand from text would escape it."""
    undeclared = [f"{method} {path} {place}.{name}"
                  for method, path, route, _rule, _kind, places in (
                      (m, e.path, e.route, None, *_fields(e.route)) for e in api_routes(app)
                      for m in sorted(e.route.methods - {"HEAD"}))
                  for place, fields in places.items() for name, annotation in fields.items()
                  if _id_like(name) and _base(annotation) is not int]
    assert not undeclared, undeclared
