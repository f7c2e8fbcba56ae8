"""The API docs page works under the app's CSP and with no network: everything it loads is the app's own."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import screenshot


@pytest.fixture
def backend() -> str:
    """The docs do not depend on the database."""
    return "sqlite"


def test_the_docs_page_lists_the_operations_with_no_network(new_page, live_server):
    page = new_page(locale="en-GB")
    origin = urlsplit(live_server.url).netloc
    elsewhere: list[str] = []
    csp_errors: list[str] = []

    def only_same_origin(route) -> None:
        if urlsplit(route.request.url).netloc == origin:
            route.continue_()
        else:  # as with no network: anything from another host fails
            elsewhere.append(route.request.url)
            route.abort("internetdisconnected")

    page.context.route("**/*", only_same_origin)
    page.on("console", lambda message: csp_errors.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.add_init_script("document.addEventListener('securitypolicyviolation', e => "
                         "console.error('Content Security Policy: ' + e.violatedDirective + ' ' + e.blockedURI))")
    response = page.goto("/api/v1/docs")
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]

    page.locator(".opblock-summary-path", has_text="/api/v1/bookings/{booking_id}/cancel").wait_for()
    assert page.locator(".opblock").count() >= 30  # every operation of the document
    page.locator(".opblock-summary-path", has_text="/api/v1/auth/login").first.click()
    login = page.locator(".opblock", has=page.locator(".opblock-summary-path", has_text="/api/v1/auth/login"))
    login.locator(".responses-table").first.wait_for()
    assert login.locator(".response-col_status", has_text="422").count() == 1
    screenshot(page, "api-docs")
    assert elsewhere == []
    assert csp_errors == []
