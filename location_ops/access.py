"""Who may call what: the table of DESIGN §6 as named rules.

Every route declares exactly one rule through ``allow(RULE)`` (see
``accounts/deps.py``). ``tests/test_access.py`` walks every registered route with
every role and fails for a route that declares none. Object-level limits (a worker
sees only *own* bookings) live in the service functions; these rules decide who
reaches the route at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from location_ops.accounts.models import Role

ALL_ROLES = frozenset(Role)


@dataclass(frozen=True)
class Rule:
    name: str
    roles: frozenset[Role]
    #: Reachable without logging in (login page, health checks, static files).
    public: bool = False
    #: Reachable by a user whose role needs MFA but who has not set it up yet.
    during_enrolment: bool = False


PUBLIC = Rule("public", frozenset(), public=True)
#: Any logged-in user: their own account, language, start page.
SIGNED_IN = Rule("signed_in", ALL_ROLES)
#: What a user whose role needs MFA may still reach before setting it up: enrolment and logout.
MFA_ENROLMENT = Rule("mfa_enrolment", ALL_ROLES, during_enrolment=True)

ROOM_AVAILABILITY = Rule("room_availability", frozenset({Role.WORKER, Role.HOST, Role.OPERATOR}))
BOOKINGS = Rule("bookings", frozenset({Role.WORKER, Role.HOST, Role.OPERATOR}))
CONTRACTS = Rule("contracts", frozenset({Role.WORKER, Role.OPERATOR}))
RECEPTION_READ = Rule("reception_read", frozenset({Role.HOST, Role.OPERATOR}))
RECEPTION_WRITE = Rule("reception_write", frozenset({Role.HOST}))
ALARMS = Rule("alarms", frozenset({Role.HOST, Role.OPERATOR, Role.SECURITY}))
#: Raising an alarm (workers from their phone; staff too).
ALARM_RAISE = Rule("alarm_raise", frozenset({Role.WORKER, Role.HOST, Role.OPERATOR, Role.SECURITY}))
#: The live event stream; what each role receives is filtered per role.
EVENTS = Rule("events", frozenset({Role.WORKER, Role.HOST, Role.OPERATOR, Role.SECURITY}))
HYGIENE = Rule("hygiene", frozenset({Role.WORKER, Role.HOST, Role.OPERATOR}))
HYGIENE_TEMPLATES = Rule("hygiene_templates", frozenset({Role.OPERATOR}))
#: The hygiene record, shopping list and holds: staff only (a worker only does their own room's round).
HYGIENE_STAFF = Rule("hygiene_staff", frozenset({Role.HOST, Role.OPERATOR}))
ROTA = Rule("rota", frozenset({Role.WORKER, Role.HOST, Role.OPERATOR, Role.CASEWORKER}))
ROTA_EDIT = Rule("rota_edit", frozenset({Role.OPERATOR, Role.CASEWORKER}))
TALK_REQUESTS = Rule("talk_requests", frozenset({Role.WORKER, Role.CASEWORKER}))
GUIDE = Rule("guide", ALL_ROLES)
GUIDE_EDIT = Rule("guide_edit", frozenset({Role.OPERATOR, Role.CASEWORKER}))
DEVICES = Rule("devices", frozenset({Role.HOST, Role.OPERATOR}))
ADMIN = Rule("admin", frozenset({Role.OPERATOR}))
AUDIT = Rule("audit", frozenset({Role.OPERATOR}))
#: A person's own data (GDPR Art. 15/20): every role downloads what is stored about them.
OWN_DATA = Rule("own_data", ALL_ROLES)
#: Asking for erasure (GDPR Art. 17): workers; an operator confirms under ADMIN.
ERASURE_REQUEST = Rule("erasure_request", frozenset({Role.WORKER}))
