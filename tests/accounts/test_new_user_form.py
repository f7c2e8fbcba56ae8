"""The new-user form: the least-privileged role first, a confirmation for an operator, what a username takes."""

from __future__ import annotations

import re

import pytest

from location_ops.accounts import service
from location_ops.accounts.models import User
from tests.accounts.helpers import read
from tests.conftest import csrf_from

RULE = "A username takes letters, digits, dots (.), hyphens (-) and underscores (_) only; no spaces."


def _names(app) -> set[str]:
    return {u.username for u in read(app, lambda s: s.query(User).all())}


def test_the_form_starts_with_the_least_privileged_role_and_states_the_username_rule(client, login_as):
    login_as("operator")
    page = client.get("/admin/users").text
    form = page.split('action="/admin/users"')[1].split("</form>")[0]
    options = re.findall(r'<option value="(\w+)"', form)
    assert options == ["worker", "security", "caseworker", "host", "operator"]
    assert "selected" not in form  # so the browser picks the first: worker
    assert RULE in form


def test_an_operator_is_created_only_after_the_confirmation(client, login_as, app):
    login_as("operator")
    token = csrf_from(client.get("/admin/users").text)
    data = {"csrf_token": token, "username": "Newboss", "password": "long-enough-password", "role": "operator"}
    asked = client.post("/admin/users", data=data)
    assert asked.status_code == 400 and "Tick the confirmation to create an operator" in asked.text
    assert 'value="Newboss"' in asked.text and "Newboss" not in _names(app)
    assert re.search(r'<option value="operator"\s+selected', asked.text)
    done = client.post("/admin/users", data={**data, "confirm_operator": "true"}, follow_redirects=False)
    assert done.status_code == 303 and "Newboss" in _names(app)
    host = client.post("/admin/users", data={**data, "username": "Desk", "role": "host"}, follow_redirects=False)
    assert host.status_code == 303 and "Desk" in _names(app)  # only the operator role asks


@pytest.mark.parametrize("name", ["<b>x</b>😀", "two words", "roos@home", "a+b", "a/b", "tab\there", "ro$", "—dash"])
def test_a_username_with_anything_but_letters_digits_dot_hyphen_underscore_is_refused(app, settings, name):
    with app.state.sessionmaker() as db_session:
        with pytest.raises(service.AccountError) as refused:
            service.create_user(db_session=db_session, settings=settings, username=name,
                                password="long-enough-password", role="worker")
    assert str(refused.value) in (RULE, "A username cannot contain line breaks or control characters.")


@pytest.mark.parametrize("name", ["Zoë-2", "mila.v", "ana_2", "Мария", "Nguyễn", "李娜"])
def test_names_in_any_script_with_dot_hyphen_underscore_are_taken(app, settings, name):
    with app.state.sessionmaker() as db_session:
        user = service.create_user(db_session=db_session, settings=settings, username=name,
                                   password="long-enough-password", role="worker")
        db_session.commit()
    assert user.username == name


def test_the_page_says_the_rule_when_a_name_is_refused(client, login_as, app):
    login_as("operator")
    token = csrf_from(client.get("/admin/users").text)
    response = client.post("/admin/users", data={"csrf_token": token, "username": "<b>x</b>😀",
                                                 "password": "long-enough-password", "role": "worker"})
    assert response.status_code == 400 and RULE in response.text
    assert "<b>x</b>😀" not in _names(app)
