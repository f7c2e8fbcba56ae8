"""What the hygiene capability stores and how long: rounds 2 years (inspection record), notes 1 year."""

from location_ops.accounts.models import Role
from location_ops.i18n import lazy
from location_ops.privacy.declarations import OPERATOR, STAFF, WHILE_CONFIGURED, DataRule, declare

declare(
    DataRule(
        table="hygiene_rounds",
        holds=lazy("Hygiene rounds: room, kind, when started and done, and by whom (the inspection record)"),
        purpose=lazy("Hygiene: showing the inspection that rooms are cleaned as required"),
        seen_by=STAFF | {Role.WORKER}, period="hygiene_round_retention_days", time_column="completed_at",
        notice=lazy("Hygiene rounds you did of your room after your shift")),
    DataRule(
        table="hygiene_round_results", follows=("round_id", "hygiene_rounds"),
        holds=lazy("Results of each checklist item in a round: done or not, low stock, out of service"),
        purpose=lazy("Hygiene: showing the inspection that rooms are cleaned as required"),
        seen_by=STAFF | {Role.WORKER}),
    DataRule(
        table="hygiene_round_results", variant="notes",
        holds=lazy("Notes written inside rounds"),
        purpose=lazy("Hygiene: telling the next person what needs attention"),
        seen_by=STAFF | {Role.WORKER}, period="hygiene_note_retention_days", time_column="at", clears=("note",),
        notice=lazy("Notes you wrote in a hygiene round")),
    DataRule(
        table="hygiene_holds", follows=("round_id", "hygiene_rounds"),
        holds=lazy("Rooms held out of use by a round, and who cleared the hold"),
        purpose=lazy("Hygiene: no booking of a room that is not ready"),
        seen_by=STAFF),
    DataRule(
        table="hygiene_supply_needs",
        holds=lazy("Supplies to restock per room, and who restocked them"),
        purpose=lazy("Hygiene: the shopping list"),
        seen_by=STAFF, period="hygiene_round_retention_days", time_column="restocked_at"),
    DataRule(
        table="hygiene_templates", personal=False,
        holds=lazy("Checklist templates and their versions"),
        purpose=lazy("Hygiene: what a round checks"),
        seen_by=OPERATOR, kept_while=WHILE_CONFIGURED),
    DataRule(
        table="hygiene_template_items", personal=False,
        holds=lazy("Checklist items of each template"),
        purpose=lazy("Hygiene: what a round checks"),
        seen_by=STAFF | {Role.WORKER}, kept_while=WHILE_CONFIGURED),
)
