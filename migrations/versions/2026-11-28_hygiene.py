"""Hygiene rounds: versioned checklist templates (with the default set), rounds, results, supplies, holds.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The default checklists, frozen here (not imported from the app) so this migration gives the
# same result forever: kind -> [(key, Dutch, English, supply?)].
DEFAULTS = {
    "turnover": [
        ("linen", "Beddengoed en handdoeken verschoond", "Linen and towels changed", False),
        ("surfaces", "Oppervlakken gedesinfecteerd", "Surfaces disinfected", False),
        ("bathroom", "Badkamer en toilet gedesinfecteerd", "Bathroom and toilet disinfected", False),
        ("bins", "Prullenbakken geleegd", "Bins emptied", False),
        ("condoms", "Condooms aangevuld", "Condoms stocked", True),
        ("lubricant", "Glijmiddel aangevuld", "Lubricant stocked", True),
        ("gloves", "Handschoenen aangevuld", "Gloves stocked", True),
        ("sharps", "Naaldenbak in orde (dicht, niet te vol)", "Sharps container fine (closed, not too full)",
         False),
        ("ventilation", "Kamer gelucht, ventilatie aan", "Room aired, ventilation on", False),
        ("panic_button", "Alarmknop op zijn plek en lampje brandt", "Panic button in place and its light on",
         False),
    ],
    "daily": [
        ("surfaces", "Oppervlakken en deurklinken gedesinfecteerd", "Surfaces and door handles disinfected",
         False),
        ("bathroom", "Badkamer en toilet gedesinfecteerd", "Bathroom and toilet disinfected", False),
        ("floor", "Vloer gedweild", "Floor mopped", False),
        ("bins", "Prullenbakken geleegd", "Bins emptied", False),
        ("condoms", "Condooms aangevuld", "Condoms stocked", True),
        ("lubricant", "Glijmiddel aangevuld", "Lubricant stocked", True),
        ("gloves", "Handschoenen aangevuld", "Gloves stocked", True),
        ("soap", "Zeep en papieren handdoeken aangevuld", "Soap and paper towels stocked", True),
        ("sharps", "Naaldenbak in orde (dicht, niet te vol)", "Sharps container fine (closed, not too full)",
         False),
        ("ventilation", "Ventilatie werkt", "Ventilation works", False),
        ("panic_button", "Alarmknop op zijn plek en lampje brandt", "Panic button in place and its light on",
         False),
    ],
    "weekly": [
        ("mattress", "Matras en matrasbeschermer gereinigd", "Mattress and mattress protector cleaned", False),
        ("walls", "Wanden, schakelaars en deuren afgenomen", "Walls, switches and doors wiped", False),
        ("bathroom_deep", "Badkamer ontkalkt, afvoer gereinigd", "Bathroom descaled, drains cleaned", False),
        ("upholstery", "Gordijnen en stoffering schoon en heel", "Curtains and upholstery clean and intact",
         False),
        ("expiry", "Houdbaarheid condooms en glijmiddel gecontroleerd", "Expiry dates of condoms and lubricant "
         "checked", False),
        ("sharps_swap", "Naaldenbak vervangen als hij vol raakt", "Sharps container replaced when getting full",
         False),
        ("first_aid", "EHBO-doos compleet", "First-aid kit complete", True),
        ("ventilation_grille", "Ventilatierooster schoongemaakt", "Ventilation grille cleaned", False),
        ("panic_button", "Alarmknop op zijn plek en lampje brandt", "Panic button in place and its light on",
         False),
    ],
}


def upgrade() -> None:
    templates = op.create_table(
        "hygiene_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_hygiene_templates_created_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hygiene_templates")),
        sa.UniqueConstraint("kind", "version", name="uq_hygiene_templates_kind_version"),
    )
    items = op.create_table(
        "hygiene_template_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text_nl", sa.String(length=200), nullable=False),
        sa.Column("text_en", sa.String(length=200), nullable=False),
        sa.Column("supply", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["template_id"], ["hygiene_templates.id"],
                                name=op.f("fk_hygiene_template_items_template_id_hygiene_templates"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hygiene_template_items")),
        sa.UniqueConstraint("template_id", "key", name="uq_hygiene_template_items_template_key"),
    )
    op.create_index(op.f("ix_hygiene_template_items_template_id"), "hygiene_template_items", ["template_id"])
    op.create_table(
        "hygiene_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by_role", sa.String(length=16), nullable=True),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name=op.f("fk_hygiene_rounds_room_id_rooms"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["template_id"], ["hygiene_templates.id"],
                                name=op.f("fk_hygiene_rounds_template_id_hygiene_templates"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_hygiene_rounds_created_by_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["done_by_id"], ["users.id"], name=op.f("fk_hygiene_rounds_done_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hygiene_rounds")),
    )
    op.create_index("ix_hygiene_rounds_room_id_created_at", "hygiene_rounds", ["room_id", "created_at"])
    op.create_index("ix_hygiene_rounds_completed_at", "hygiene_rounds", ["completed_at"])
    op.create_table(
        "hygiene_round_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("low_stock", sa.Boolean(), nullable=False),
        sa.Column("out_of_service", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by_role", sa.String(length=16), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["round_id"], ["hygiene_rounds.id"],
                                name=op.f("fk_hygiene_round_results_round_id_hygiene_rounds"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["item_id"], ["hygiene_template_items.id"],
                                name=op.f("fk_hygiene_round_results_item_id_hygiene_template_items"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["by_id"], ["users.id"], name=op.f("fk_hygiene_round_results_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hygiene_round_results")),
        sa.UniqueConstraint("round_id", "item_id", name="uq_hygiene_round_results_round_item"),
    )
    op.create_index(op.f("ix_hygiene_round_results_round_id"), "hygiene_round_results", ["round_id"])
    op.create_table(
        "hygiene_supply_needs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("item_key", sa.String(length=40), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=True),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("restocked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("restocked_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name=op.f("fk_hygiene_supply_needs_room_id_rooms"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["item_id"], ["hygiene_template_items.id"],
                                name=op.f("fk_hygiene_supply_needs_item_id_hygiene_template_items"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["round_id"], ["hygiene_rounds.id"],
                                name=op.f("fk_hygiene_supply_needs_round_id_hygiene_rounds"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["restocked_by_id"], ["users.id"],
                                name=op.f("fk_hygiene_supply_needs_restocked_by_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hygiene_supply_needs")),
    )
    op.create_index("ix_hygiene_supply_needs_restocked_at", "hygiene_supply_needs", ["restocked_at"])
    op.create_table(
        "hygiene_holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cleared_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name=op.f("fk_hygiene_holds_room_id_rooms"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["round_id"], ["hygiene_rounds.id"],
                                name=op.f("fk_hygiene_holds_round_id_hygiene_rounds"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["item_id"], ["hygiene_template_items.id"],
                                name=op.f("fk_hygiene_holds_item_id_hygiene_template_items"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["cleared_by_id"], ["users.id"], name=op.f("fk_hygiene_holds_cleared_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hygiene_holds")),
    )
    op.create_index("ix_hygiene_holds_room_id_cleared_at", "hygiene_holds", ["room_id", "cleared_at"])

    # The default set, so that a fresh production install has checklists before anyone edits them.
    connection = op.get_bind()
    now = dt.datetime.now(dt.UTC)
    if connection.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    for kind, rows in DEFAULTS.items():
        template_id = connection.execute(
            templates.insert().values(kind=kind, version=1, current=True, created_at=now, created_by_id=None)
            .returning(templates.c.id)
        ).scalar_one()
        op.bulk_insert(items, [
            {"template_id": template_id, "key": key, "position": position, "text_nl": text_nl, "text_en": text_en,
             "supply": supply}
            for position, (key, text_nl, text_en, supply) in enumerate(rows, start=1)
        ])


def downgrade() -> None:
    op.drop_table("hygiene_holds")
    op.drop_table("hygiene_supply_needs")
    op.drop_table("hygiene_round_results")
    op.drop_table("hygiene_rounds")
    op.drop_table("hygiene_template_items")
    op.drop_table("hygiene_templates")
