"""What the contracts capability stores and how long: amounts are bookkeeping, 7 years (Dutch tax rules)."""

from location_ops.accounts.models import Role
from location_ops.contracts.models import ContractStatus
from location_ops.i18n import lazy
from location_ops.privacy.declarations import EVERYONE, WHILE_ACCOUNT, DataRule, declare

WORKER_AND_OPERATOR = frozenset({Role.WORKER, Role.OPERATOR})

declare(
    DataRule(
        table="contracts", variant="running",
        holds=lazy("Contracts with workers that have not ended: dates, charges for late cancelling and no-shows, "
                   "notice period"),
        purpose=lazy("The agreement under which rooms are rented"),
        seen_by=WORKER_AND_OPERATOR, kept_while=lazy("while the contract runs"),
        notice=lazy("Your contract: its dates and its terms")),
    DataRule(
        table="contracts", variant="ended",
        holds=lazy("Ended contracts"),
        purpose=lazy("The bookkeeping the tax rules require"),
        seen_by=WORKER_AND_OPERATOR, period="bookkeeping_retention_years", time_column="ends_on",
        where=lambda rows: rows.c.status == ContractStatus.ENDED.value),
    DataRule(
        table="payments",
        holds=lazy("Payments of rent: amount, how, on which day, recorded by whom (statements are made from "
                   "these)"),
        purpose=lazy("The bookkeeping the tax rules require"),
        seen_by=WORKER_AND_OPERATOR, period="bookkeeping_retention_years", time_column="paid_on",
        notice=lazy("Your payments of rent, and your monthly statements made from bookings and payments")),
    DataRule(
        table="house_rules", personal=False,
        holds=lazy("The house rules, every version"),
        purpose=lazy("Knowing which rules someone accepted"),
        seen_by=EVERYONE, kept_while=lazy("every version, as long as an acceptance refers to it")),
    DataRule(
        table="house_rules_acceptances",
        holds=lazy("Which worker accepted which version of the house rules, when"),
        purpose=lazy("The agreement under which rooms are rented"),
        seen_by=WORKER_AND_OPERATOR, kept_while=WHILE_ACCOUNT,
        notice=lazy("When you accepted which version of the house rules")),
)
