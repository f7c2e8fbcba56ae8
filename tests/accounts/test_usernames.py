"""Usernames: NFKC and case folding for uniqueness, look-alikes refused (UTS #39 skeletons)."""

from __future__ import annotations

import pytest

from location_ops.accounts import service
from location_ops.accounts.models import User
from location_ops.clock import utcnow
from tests.accounts.helpers import read
from tests.accounts.test_users import NEW, operator_headers  # noqa: F401 - a fixture
from tests.conftest import PASSWORD, login

LOOKS_LIKE = "That username looks too much like an existing one; choose another."
MIXED = ("A username cannot mix letters of different scripts that look alike (such as a Cyrillic о in a "
         "Latin name).")


def create(app, settings, username: str) -> User:
    with app.state.sessionmaker() as db_session:
        user = service.create_user(db_session=db_session, settings=settings, username=username,
                                   password=PASSWORD, role="worker")
        db_session.commit()
        return user


def refusal(app, settings, username: str) -> str:
    with pytest.raises(service.AccountError) as refused:
        create(app, settings, username)
    return str(refused.value)


def test_roos_with_a_cyrillic_o_is_refused_beside_roos(client, operator_headers):  # noqa: F811
    _operator, headers = operator_headers
    assert client.post("/api/v1/users", json={**NEW, "username": "roos"}, headers=headers).status_code == 201
    response = client.post("/api/v1/users", json={**NEW, "username": "r\u043eos"}, headers=headers)
    assert response.status_code == 400
    assert response.json() == {"detail": LOOKS_LIKE}
    listed = client.get("/api/v1/users", headers=headers).json()
    assert sorted(u["username"] for u in listed) == ["boss", "roos"]


def test_look_alikes_of_an_existing_name_are_refused(app, settings):
    create(app, settings, "roos")
    create(app, settings, "lila")
    # All Cyrillic (г, о, о, ѕ) is one script, not mixed, but it still looks like roos.
    assert refusal(app, settings, "\u0433\u043e\u043e\u0455") == LOOKS_LIKE
    assert refusal(app, settings, "ROOS") == "That username is taken."
    assert refusal(app, settings, "\uff52\uff4f\uff4f\uff53") == "That username is taken."  # fullwidth: NFKC
    assert refusal(app, settings, "1ila") == LOOKS_LIKE  # digit one for l
    assert refusal(app, settings, "Iila") == LOOKS_LIKE  # capital i for l
    create(app, settings, "rosa")  # a different name stays possible
    create(app, settings, "\u041c\u0430\u0440\u0438\u044f")  # Мария: one script, no look-alike


def test_a_mixed_script_look_alike_is_refused_on_its_own(app, settings):
    assert refusal(app, settings, "r\u043eos") == MIXED
    assert refusal(app, settings, "\u041caria") == MIXED  # Cyrillic М in a Latin name
    create(app, settings, "Zoë-2")


def test_usernames_are_stored_nfkc_and_keyed_case_folded(app, settings):
    user = create(app, settings, " \uff2b\uff49\uff4d ")  # fullwidth Ｋｉｍ
    assert (user.username, user.username_key) == ("Kim", "kim")
    street = create(app, settings, "Straße")
    assert street.username_key == "strasse"
    assert refusal(app, settings, "STRASSE") == "That username is taken."


def test_existing_usernames_keyed_the_old_way_keep_working(client, app, settings):
    # Made before case folding: the key was the lower-cased name ("straße", not "strasse").
    with app.state.sessionmaker() as db_session:
        db_session.add(User(username="Straße", username_key="straße", role="worker", created_at=utcnow(),
                            password_hash=service.hash_password(PASSWORD, settings)))
        db_session.commit()
    assert login(client, "Straße").status_code == 303
    client.cookies.clear()
    assert login(client, "STRAßE").status_code == 303
    assert refusal(app, settings, "strasse") == "That username is taken."
    assert read(app, lambda s: s.query(User).count()) == 1
