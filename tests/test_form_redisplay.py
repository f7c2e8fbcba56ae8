"""Every web form shows itself again when it does not validate: one mechanism (location_ops.forms).

A route's form page is the GET route at the same path, or the one it declares with
``form_page()``; ``redisplay`` renders that page with ``form.errors`` (a sentence per field)
and ``form.values`` (what was typed), answering 400. The walk below finds every web form
route from the route table, so a new form without a page to show it again fails here.
"""

from __future__ import annotations

from fastapi import params
from fastapi.routing import APIRoute
from sqlalchemy import func, select

from location_ops.rota.models import Visit
from tests.conftest import csrf_from

#: Hidden navigation fields, not typed by anyone: a form of only these has nothing to show again.
NAVIGATION = {"next"}
#: The language switch in every page's header: a bad value answers the error page.
NO_PAGE = {"/language"}


def _web_form_routes(app):
    for prefix, router in app.state.routers:
        if prefix:
            continue
        for route in router.routes:
            if isinstance(route, APIRoute) and "POST" in route.methods:
                names = {p.alias for p in route.dependant.body_params if isinstance(p.field_info, params.Form)}
                if names - NAVIGATION:
                    yield route


def _page_of(route: APIRoute) -> str | None:
    for dependency in route.dependant.dependencies:
        declared = getattr(dependency.call, "form_page", None)
        if declared is not None:
            return declared
    return route.path


def test_every_web_form_has_a_page_that_shows_it_again(app):
    pages = {prefix + route.path for prefix, router in app.state.routers for route in router.routes
             if isinstance(route, APIRoute) and "GET" in route.methods}
    routes = list(_web_form_routes(app))
    assert len(routes) > 25, [route.path for route in routes]
    missing = [route.path for route in routes
               if route.path not in NO_PAGE and _page_of(route).partition("?")[0] not in pages]
    assert not missing, missing
    # A declared page takes its {names} from the form route's own path or its fields.
    for route in routes:
        page = _page_of(route)
        names = {part.split("}")[0] for part in page.split("{")[1:]}
        known = {p.alias for p in (*route.dependant.path_params, *route.dependant.body_params)}
        assert names <= known, (route.path, page)


def test_a_bad_time_shows_the_rota_form_again_with_the_sentence_and_nothing_written(client, db, login_as):
    login_as("caseworker")
    token = csrf_from(client.get("/rota/manage").text)
    response = client.post("/rota/visits", headers={"Accept-Language": "en"}, follow_redirects=False, data={
        "csrf_token": token, "weekday": "3", "starts_at": "25:00", "ends_at": "16:00", "organisation": "Belle"})
    assert response.status_code == 400
    assert "text/html" in response.headers["content-type"]
    assert 'action="/rota/visits"' in response.text  # the planning page, not an error page
    assert "“From” is not a time; write it as HH:MM." in response.text
    assert db.scalar(select(func.count()).select_from(Visit)) == 0


def test_a_bad_month_is_a_sentence_on_every_month_page(client, login_as):
    login_as("operator")
    for path in ("/hygiene/report", "/hygiene/report.csv", "/statements", "/statements.csv"):
        for bad in ("2026-13", "²⁰²⁶-01", "november"):
            response = client.get(path, params={"month": bad}, headers={"Accept-Language": "en"})
            assert response.status_code == 400, (path, bad, response.status_code)
            assert "“Month” is not a month; write it as YYYY-MM, for example 2026-11." in response.text, (path, bad)
        response = client.get(path, params={"month": "0001-01"}, headers={"Accept-Language": "en"})
        assert response.status_code == 400 and "from 2000-01-01 to 2100-12-31" in response.text
    assert client.get("/hygiene/report", params={"month": "2026-11"}).status_code == 200
    assert client.get("/hygiene/report", params={"month": ""}).status_code == 200
