"""Operator pages show something by default and their buttons name the action."""

from __future__ import annotations

import datetime as dt
import re

from location_ops.contracts import service as contracts_service
from tests.rentals.test_contracts_statements import _month_of_bookings


def test_the_statements_page_shows_this_months_workers_without_pressing_show(client, app, settings, rentals,
                                                                                login_staff):
    _month_of_bookings(app, settings, rentals)  # sunny: December 2026, the frozen month
    rentals.worker("quiet")  # nothing this month, owes nothing: not listed
    login_staff("operator")
    client.cookies.set("lo_lang", "en")
    page = client.get("/statements").text
    table = page.split('class="table statement-overview"')[1].split("</table>")[0]
    assert '/statements?month=2026-12&amp;worker=sunny">sunny</a>' in table and "€145.00" in table
    assert "quiet" not in table
    other = client.get("/statements?month=2026-10").text
    assert "No worker had a booking or a payment this month" in other


def test_contract_buttons_say_what_they_do(client, rentals, login_staff, app):
    rentals.worker("stella", contract="draft")
    rentals.worker("bo", contract="suspended")
    login_staff("operator")
    client.cookies.set("lo_lang", "en")
    page = client.get("/admin/contracts").text
    buttons = {name: re.findall(r'<button class="secondary" name="status" value="\w+">([^<]+)</button>',
                                page.split(f">{name}</a>")[1].split("</tr>")[0]) for name in ("stella", "bo")}
    assert buttons == {"stella": ["Activate contract", "End contract"], "bo": ["Resume contract", "End contract"]}
    assert "End the contract of bo? She can no longer book." in page
    with app.state.sessionmaker() as db_session:
        assert len(contracts_service.list_contracts(db_session=db_session)) == 2


def test_the_operators_bookings_overview_shows_this_week_from_monday(client, rentals, login_staff):
    from tests.rentals.conftest import TODAY

    rentals.rooms(1)
    login_staff("operator")
    page = client.get("/bookings").text
    days = re.findall(r'<h2 data-day="([\d-]+)"', page)
    monday = TODAY - dt.timedelta(days=TODAY.weekday())
    assert days == [(monday + dt.timedelta(days=n)).isoformat() for n in range(7)]
    assert 'href="/bookings">' not in page.split("</h1>")[1].split("<h2")[0]  # already this week
    later = client.get(f"/bookings?day={monday + dt.timedelta(days=7)}").text
    assert 'href="/bookings">' in later.split("</h1>")[1].split("<h2")[0]
