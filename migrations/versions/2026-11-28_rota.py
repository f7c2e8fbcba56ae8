"""Rota, talk requests, announcements, caseworker profiles; the wegwijzer and its first entries.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The organisations the Utrecht research (Verwey-Jonker, 2024) names, with their general public
# role. Contact details stay empty on purpose: the operator fills them in; nothing is invented.
# Frozen here (not imported from the app) so this migration gives the same result forever.
GUIDE_SEED = [
    ("belle", "Belle", "sex_work,work,money,social", None,
     "Steun voor sekswerkers in Utrecht: een plek voor vragen over werk, gezondheid, geld en wonen, "
     "en begeleiding als je ander werk wilt.",
     "Support for sex workers in Utrecht: a place for questions about work, health, money and housing, "
     "and guidance if you want to change work."),
    ("pretty-woman-best-man", "Pretty Woman / Best Man", "sex_work,social,health", None,
     "Ontmoetingsplek en steun voor vrouwen (Pretty Woman) en mannen (Best Man) die in de seksbranche "
     "werken: even op adem komen, praten en hulp bij vragen.",
     "A meeting place and support for women (Pretty Woman) and men (Best Man) working in the sex "
     "industry: a moment of rest, someone to talk to, and help with questions."),
    ("ggd-sexual-health", "GGD – Centrum Seksuele Gezondheid", "health,sexual_health", True,
     "Seksuele gezondheid: soa- en hiv-testen, behandeling, vaccinaties (zoals hepatitis B) en advies, "
     "ook speciaal voor sekswerkers.",
     "Sexual health: STI and HIV tests, treatment, vaccinations (such as hepatitis B) and advice, "
     "also especially for sex workers."),
    ("vertrouwenspersoon", "Vertrouwenspersoon voor sekswerkers", "violence,sex_work,work", True,
     "Een onafhankelijk vertrouwenspersoon bij wie je in vertrouwen terecht kunt met zorgen of klachten "
     "over je werk: misstanden, druk, dwang of uitbuiting. Denkt met je mee over een volgende stap.",
     "An independent confidential adviser you can talk to in confidence about worries or complaints about "
     "your work: abuse, pressure, coercion or exploitation. Helps you think about a next step."),
    ("jellinek", "Jellinek", "addiction,health", None,
     "Verslavingszorg: informatie, advies en behandeling bij problemen met alcohol, drugs, medicijnen, "
     "gokken of gamen.",
     "Addiction care: information, advice and treatment for problems with alcohol, drugs, medication, "
     "gambling or gaming."),
    ("tussenvoorziening", "De Tussenvoorziening", "housing", None,
     "Opvang en begeleid wonen in Utrecht voor mensen die dakloos zijn of hun woning dreigen te "
     "verliezen, en hulp om weer zelfstandig te wonen.",
     "Shelter and supported housing in Utrecht for people who are homeless or about to lose their home, "
     "and help to live on their own again."),
    ("buurtteams", "Buurtteams Utrecht", "money,housing,social,mental_health,papers", None,
     "Gratis hulp in je eigen wijk bij vragen over geld en schulden, wonen, relaties, gezondheid, werk "
     "en formulieren. Ook als je niet weet waar je moet beginnen.",
     "Free help in your own neighbourhood with questions about money and debt, housing, relationships, "
     "health, work and paperwork. Also when you do not know where to start."),
    ("moviera", "Moviera", "violence,housing", None,
     "Hulp bij huiselijk geweld: advies, begeleiding en veilige opvang (vrouwenopvang) in de provincie "
     "Utrecht.",
     "Help with domestic violence: advice, support and safe shelter (women's shelter) in the province of "
     "Utrecht."),
    ("veilig-thuis", "Veilig Thuis", "violence", True,
     "Advies- en meldpunt voor huiselijk geweld en kindermishandeling. Je kunt advies vragen, ook als je "
     "twijfelt, en een melding doen.",
     "Advice and reporting centre for domestic violence and child abuse. You can ask for advice, also "
     "when you are not sure, and make a report."),
    ("leger-des-heils", "Leger des Heils", "housing,social,money", None,
     "Maatschappelijke hulp: opvang voor dak- en thuislozen, maaltijden en inloop, hulp bij schulden en "
     "bij het weer op gang komen.",
     "Social help: shelter for homeless people, meals and drop-in, help with debt and with getting back "
     "on your feet."),
    ("lister", "Lister", "mental_health,housing", None,
     "Begeleiding voor mensen met een psychische kwetsbaarheid: wonen met begeleiding, herstel en "
     "dagbesteding in de regio Utrecht.",
     "Support for people with mental health vulnerabilities: supported housing, recovery and daytime "
     "activities in the Utrecht region."),
    ("fivoor", "Fivoor", "mental_health,violence", None,
     "Forensische psychiatrie: behandeling en begeleiding van mensen met psychische problemen en "
     "grensoverschrijdend of agressief gedrag.",
     "Forensic psychiatry: treatment and support for people with mental health problems and "
     "transgressive or aggressive behaviour."),
]


def upgrade() -> None:
    op.create_table(
        "caseworker_profiles",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=64), nullable=False),
        sa.Column("introduction", sa.Text(), nullable=False),
        sa.Column("languages", sa.String(length=128), nullable=False),
        sa.Column("organisation", sa.String(length=128), nullable=False),
        sa.Column("feed_token_hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_caseworker_profiles_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_caseworker_profiles")),
        sa.UniqueConstraint("feed_token_hash", name=op.f("uq_caseworker_profiles_feed_token_hash")),
    )
    op.create_table(
        "visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("caseworker_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.Time(), nullable=False),
        sa.Column("ends_at", sa.Time(), nullable=False),
        sa.Column("organisation", sa.String(length=128), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("weekday >= 0 AND weekday <= 6", name=op.f("ck_visits_weekday")),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_visits_window")),
        sa.ForeignKeyConstraint(["caseworker_id"], ["users.id"], name=op.f("fk_visits_caseworker_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visits")),
    )
    op.create_index(op.f("ix_visits_caseworker_id"), "visits", ["caseworker_id"])
    op.create_table(
        "visit_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("new_date", sa.Date(), nullable=True),
        sa.Column("new_starts_at", sa.Time(), nullable=True),
        sa.Column("new_ends_at", sa.Time(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"], name=op.f("fk_visit_changes_visit_id_visits"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_changes")),
        sa.UniqueConstraint("visit_id", "on_date", name="uq_visit_changes_visit_id_on_date"),
    )
    op.create_index(op.f("ix_visit_changes_visit_id"), "visit_changes", ["visit_id"])
    op.create_index(op.f("ix_visit_changes_new_date"), "visit_changes", ["new_date"])
    op.create_table(
        "talk_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("topics", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("visit_ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["worker_id"], ["users.id"], name=op.f("fk_talk_requests_worker_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"], name=op.f("fk_talk_requests_visit_id_visits"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talk_requests")),
        sa.UniqueConstraint("worker_id", "visit_id", "on_date", name="uq_talk_requests_worker_id_visit_id_on_date"),
    )
    op.create_index(op.f("ix_talk_requests_worker_id"), "talk_requests", ["worker_id"])
    op.create_index(op.f("ix_talk_requests_visit_id"), "talk_requests", ["visit_id"])
    op.create_index(op.f("ix_talk_requests_visit_ends_at"), "talk_requests", ["visit_ends_at"])
    op.create_table(
        "announcements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("show_until", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_announcements_author_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcements")),
    )
    op.create_index(op.f("ix_announcements_author_id"), "announcements", ["author_id"])
    op.create_index(op.f("ix_announcements_created_at"), "announcements", ["created_at"])
    services = op.create_table(
        "help_services",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("categories", sa.String(length=200), nullable=False),
        sa.Column("languages", sa.String(length=128), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=True),
        sa.Column("description_nl", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=120), nullable=False),
        sa.Column("website", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("hours", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_services")),
        sa.UniqueConstraint("key", name=op.f("uq_help_services_key")),
    )
    op.bulk_insert(services, [
        {"key": key, "name": name, "categories": categories, "languages": "nl", "anonymous": anonymous,
         "description_nl": description_nl, "description_en": description_en,
         "phone": "", "email": "", "website": "", "address": "", "hours": "", "updated_at": None}
        for key, name, categories, anonymous, description_nl, description_en in GUIDE_SEED
    ])


def downgrade() -> None:
    op.drop_table("help_services")
    op.drop_table("announcements")
    op.drop_table("talk_requests")
    op.drop_table("visit_changes")
    op.drop_table("visits")
    op.drop_table("caseworker_profiles")
