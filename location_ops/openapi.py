"""The published API contract: the OpenAPI document as the app really answers, and its docs page.

FastAPI documents only what a route declares, and documents a validation error as
pydantic's list of errors. This app answers every error as ``{"detail": "<sentence>"}``
(see ``_problem`` and ``validation_sentence`` in app.py), and every route can answer
statuses that its declaration does not show: 401 and 403 from ``allow(RULE)``, 422
from parsing, 413 from the body-size limit, 404 for an id in the path. ``install``
adds those to every API operation from the route table, plus the few statuses a
route's own code answers (``EXTRA_STATUSES``), with the real error body.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from fastapi import FastAPI, Request
from fastapi.dependencies.utils import get_flat_params
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from starlette.routing import compile_path

API_PREFIX = "/api/v1"
DOCS_URL = f"{API_PREFIX}/docs"
SWAGGER_UI_VERSION = "5.35.0"

ERROR_SCHEMA_NAME = "ErrorDetail"
ERROR_SCHEMA = {
    "title": ERROR_SCHEMA_NAME,
    "type": "object",
    "description": "Every error: one sentence a person can act on, in the caller's language.",
    "properties": {"detail": {"title": "Detail", "type": "string"}},
    "required": ["detail"],
}

DESCRIPTIONS = {
    400: "A rule was broken (the sentence says which)",
    401: "Not logged in, or the token has expired",
    403: "This role may not do this, two-step login is not set up, or the CSRF token is missing",
    404: "No such object (or not one this caller may see)",
    409: "Conflicts with the current state (taken, changed meanwhile)",
    413: "The request body is too large",
    422: "A field is missing or not valid (the sentence names it)",
    429: "Too many attempts: wait (see Retry-After)",
    503: "A service the app needs (database, MQTT broker) did not answer",
}

#: Statuses a route's own code answers beyond what the route table shows, by (method, path).
#: Found by reading the routes' error mappers and by schemathesis (tests/test_api_contract.py).
EXTRA_STATUSES: dict[tuple[str, str], set[int]] = {
    ("POST", "/api/v1/auth/login"): {401, 403, 429},
    ("GET", "/api/v1/shifts"): {400},
    ("GET", "/api/v1/bookings"): {400},
    ("POST", "/api/v1/log"): {400, 404},  # 404: the entry it corrects does not exist
    ("POST", "/api/v1/alarms"): {400},
    ("POST", "/api/v1/alarms/{alarm_id}/acknowledge"): {400, 409},
    ("POST", "/api/v1/alarms/{alarm_id}/resolve"): {400, 409},
    ("POST", "/api/v1/devices"): {400, 404},
    ("POST", "/api/v1/devices/{device_pk}/test-mode"): {400},
    ("POST", "/api/v1/talk-requests"): {400},
}


def _has_inputs(route: APIRoute) -> bool:
    return bool(get_flat_params(route.dependant)) or route.body_field is not None


def _is_public(route: APIRoute) -> bool:
    rules = []

    def collect(dependant) -> None:
        for sub in dependant.dependencies:
            rule = getattr(sub.call, "access_rule", None)
            if rule is not None:
                rules.append(rule)
            collect(sub)

    collect(route.dependant)
    return all(rule.public for rule in rules) if rules else True


def error_statuses(route: APIRoute, method: str, path: str) -> set[int]:
    """The error statuses this route can answer for ``method``, from its declaration and ``EXTRA_STATUSES``."""
    statuses: set[int] = set()
    if not _is_public(route):
        statuses |= {401, 403}
    if _has_inputs(route):
        statuses.add(422)
    if route.body_field is not None:
        statuses.add(413)
    if route.param_convertors:
        statuses.add(404)
    statuses |= EXTRA_STATUSES.get((method, path), set())
    return statuses


def api_routes(app: FastAPI) -> list[tuple[str, APIRoute]]:
    """(full path, route) of every capability's route (``app.state.routers``, filled by create_app)."""
    return [(prefix + route.path_format, route) for prefix, router in app.state.routers
            for route in router.routes if isinstance(route, APIRoute)]


def allowed_methods(app: FastAPI) -> Callable[[str], set[str]]:
    """Return a function from a request path to every method some route of the app answers there.

    Each route answers 405 for a method it lacks with only its own methods in ``Allow``;
    where GET and POST on one path are two routes, the true list is the union.
    """
    table = []
    for path, route in api_routes(app):
        regex, _format, _convertors = compile_path(path)
        table.append((regex, set(route.methods)))  # FastAPI answers HEAD only where declared

    def methods_for(path: str) -> set[str]:
        found: set[str] = set()
        for regex, methods in table:
            if regex.match(path):
                found |= methods
        return found

    return methods_for


def contract(app: FastAPI) -> dict:
    """Build the OpenAPI document with every error status and the real error body."""
    schema = get_openapi(title=app.title, version=app.version, openapi_version=app.openapi_version,
                         description=app.description, routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components[ERROR_SCHEMA_NAME] = ERROR_SCHEMA
    schema["components"]["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer", "description": "A token from POST /api/v1/auth/login"},
    }
    error_content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}}}
    for path, route in api_routes(app):
        operations = schema["paths"].get(path, {})
        for method in route.methods:
            operation = operations.get(method.lower())
            if operation is None:
                continue
            if not _is_public(route):
                operation["security"] = [{"bearer": []}]
            responses = operation.setdefault("responses", {})
            for status in error_statuses(route, method, path):
                responses.setdefault(str(status), {"description": DESCRIPTIONS[status]})
            for status, response in responses.items():
                if status[0] in "45":
                    if status == "422" and response.get("description") == "Validation Error":
                        response["description"] = DESCRIPTIONS[422]
                    response["content"] = error_content
    # Nothing answers pydantic's list of errors: do not publish it.
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    return schema


def docs_page(request: Request) -> HTMLResponse:
    """Swagger UI from the app's own static files: no CDN, no inline script (the CSP forbids both)."""
    vendor = f"/static/vendor/swagger-ui-{SWAGGER_UI_VERSION}"
    openapi_url = escape(request.app.openapi_url or "")
    return HTMLResponse(f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{escape(request.app.title)} API</title>
  <link rel="stylesheet" href="{vendor}.css">
  <script src="/static/vendor/swagger-ui-bundle-{SWAGGER_UI_VERSION}.js" defer></script>
  <script src="/static/api-docs.js" defer></script>
</head>
<body>
  <div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
</body>
</html>
""")


def install(app: FastAPI) -> None:
    """Publish the honest contract at app.openapi_url and its docs at DOCS_URL; call after the routers."""

    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = contract(app)
        return app.openapi_schema

    app.openapi = openapi
    app.state.allowed_methods = allowed_methods(app)
    app.add_api_route(DOCS_URL, docs_page, methods=["GET"], include_in_schema=False)
