"""Login and logout through the pages."""

from tests.conftest import PASSWORD, login


def test_login_success_redirects_and_sets_secure_cookie_flags(client, make_user):
    user = make_user("host", "Roos")
    response = login(client, "roos", PASSWORD, next="/account")
    assert response.status_code == 303
    assert response.headers["location"] == "/account"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("lo_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    page = client.get("/account")
    assert page.status_code == 200
    assert user.username in page.text


def test_wrong_password_and_unknown_user_get_the_same_answer(client, make_user):
    make_user("worker", "lila")
    wrong = login(client, "lila", "not-the-password")
    unknown = login(client, "nobody-here", "not-the-password")
    assert wrong.status_code == unknown.status_code == 400
    assert "Wrong username or password" in wrong.text
    assert wrong.text.replace("lila", "X") == unknown.text.replace("nobody-here", "X")
