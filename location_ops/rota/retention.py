"""What the rota stores, who sees it and how long: talk requests 7 days after the visit (DESIGN §2)."""

from location_ops.accounts.models import Role
from location_ops.i18n import lazy
from location_ops.privacy.declarations import EVERYONE, WHILE_ACCOUNT, DataRule, declare

ROTA_ROLES = frozenset({Role.WORKER, Role.HOST, Role.OPERATOR, Role.CASEWORKER})

declare(
    DataRule(
        table="talk_requests",
        holds=lazy("Requests for a private talk: who asks, for which visit, topics and a note"),
        purpose=lazy("Support: letting the caseworker prepare a private talk"),
        seen_by=frozenset({Role.WORKER, Role.CASEWORKER}), period="talk_request_retention_days",
        time_column="visit_ends_at",
        notice=lazy("Your requests for a private talk with a caseworker, and what you wrote in them")),
    DataRule(
        table="visits", personal=False,
        holds=lazy("The caseworkers' visiting rota: who comes on which weekday, from when to when"),
        purpose=lazy("Support: a fixed face every week"),
        seen_by=ROTA_ROLES, kept_while=lazy("as long as the visit is on the rota")),
    DataRule(
        table="visit_changes", follows=("visit_id", "visits"), personal=False,
        holds=lazy("Changes to single visits: cancelled or moved, with a reason"),
        purpose=lazy("Support: telling workers when a visit moves"),
        seen_by=ROTA_ROLES),
    DataRule(
        table="caseworker_profiles",
        holds=lazy("Caseworker profiles: name shown, introduction, languages, organisation"),
        purpose=lazy("Support: workers know who visits"),
        seen_by=ROTA_ROLES, kept_while=WHILE_ACCOUNT, workers_see_all=True),
    DataRule(
        table="announcements", personal=False,
        holds=lazy("Announcements on the rota page: title, text, until when shown"),
        purpose=lazy("Informing everyone"),
        seen_by=EVERYONE, kept_while=lazy("until the operator removes it")),
)
