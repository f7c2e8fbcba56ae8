"""A worker refused for house rules not yet accepted gets a link to them, and can then book."""

from __future__ import annotations

import re

from location_ops.contracts import service as contracts_service
from tests.conftest import csrf_from, login
from tests.rentals.conftest import TOMORROW


def test_the_refusal_links_to_the_house_rules_and_accepting_them_lets_her_book(client, rentals, app):
    room, = rentals.rooms(1)
    rentals.worker("nieuw")
    with app.state.sessionmaker() as db_session:
        contracts_service.publish_house_rules(db_session=db_session, text="Rule one.")
        db_session.commit()
    assert login(client, "nieuw").status_code == 303
    client.cookies.set("lo_lang", "en")
    grid = client.get(f"/book?day={TOMORROW}")
    slot = {"csrf_token": csrf_from(grid.text), "room_id": room.id, "day": str(TOMORROW), "shift": "day"}
    refused = client.post("/book", data=slot)
    assert refused.status_code == 403
    alert = re.search(r'<p class="error" role="alert">(.*?)</p>', refused.text, flags=re.S).group(1)
    assert alert == "Read and accept the house rules first: they are on your contract page."
    link = re.search(r'data-blocker="house_rules">[^<]*<a class="button secondary" href="([^"]+)">Read the house rules</a>',
                     refused.text)
    assert link, refused.text
    rules = client.get(link.group(1))
    assert rules.status_code == 200 and 'id="house-rules"' in rules.text and "Rule one." in rules.text
    accepted = client.post("/contract/house-rules", data={"csrf_token": csrf_from(rules.text), "version": "1"},
                           follow_redirects=False)
    assert accepted.status_code == 303
    booked = client.post("/book", data={**slot, "csrf_token": csrf_from(client.get(f"/book?day={TOMORROW}").text)},
                         follow_redirects=False)
    assert booked.status_code == 303


def test_other_refusals_carry_no_link(client, rentals):
    room, = rentals.rooms(1)
    rentals.worker("zonder", contract=None)
    assert login(client, "zonder").status_code == 303
    client.cookies.set("lo_lang", "en")
    grid = client.get(f"/book?day={TOMORROW}")
    refused = client.post("/book", data={"csrf_token": csrf_from(grid.text), "room_id": room.id,
                                         "day": str(TOMORROW), "shift": "day"})
    assert refused.status_code == 403
    alert = re.search(r'<p class="error" role="alert">(.*?)</p>', refused.text, flags=re.S).group(1)
    assert "active contract" in alert and "Read the house rules" not in refused.text
