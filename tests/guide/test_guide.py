"""The wegwijzer: seeded in every install, searchable, filterable, edited by operators and caseworkers."""

from __future__ import annotations

from sqlalchemy import select

from location_ops.guide.models import HelpService
from tests.conftest import csrf_from

SEEDED = {"Belle", "Pretty Woman / Best Man", "GGD – Centrum Seksuele Gezondheid",
          "Vertrouwenspersoon voor sekswerkers", "Jellinek", "De Tussenvoorziening", "Buurtteams Utrecht",
          "Moviera", "Veilig Thuis", "Leger des Heils", "Lister", "Fivoor"}


def test_a_fresh_install_has_the_research_organisations_without_invented_contact_details(db, backend):
    # On SQLite this is a freshly migrated file; PostgreSQL's fresh upgrade is in tests/rota/test_migration.py.
    services = list(db.scalars(select(HelpService)))
    db.rollback()
    assert {entry.name for entry in services} == SEEDED
    for entry in services:
        assert entry.description_nl and entry.description_en and entry.category_codes
        assert (entry.phone, entry.email, entry.website, entry.address, entry.hours) == ("", "", "", "", "")


def test_every_role_reads_the_guide_and_filters_it(client, tokens):
    for role in ("worker", "host", "caseworker", "security"):
        _user, headers = tokens(role)
        assert client.get("/api/v1/guide", headers=headers).status_code == 200
    guide = client.get("/api/v1/guide?category=violence", headers=headers).json()
    assert {entry["name"] for entry in guide["services"]} == {
        "Vertrouwenspersoon voor sekswerkers", "Moviera", "Veilig Thuis", "Fivoor"}
    anonymous = client.get("/api/v1/guide?anonymous=true", headers=headers).json()["services"]
    assert {entry["name"] for entry in anonymous} == {
        "GGD – Centrum Seksuele Gezondheid", "Vertrouwenspersoon voor sekswerkers", "Veilig Thuis"}
    found = client.get("/api/v1/guide?q=schulden", headers=headers).json()["services"]
    assert {"Buurtteams Utrecht", "Leger des Heils"} <= {entry["name"] for entry in found}
    english = client.get("/api/v1/guide?q=STI", headers={**headers, "Accept-Language": "en"}).json()["services"]
    assert [entry["name"] for entry in english] == ["GGD – Centrum Seksuele Gezondheid"]
    bad = client.get("/api/v1/guide?category=astrology", headers=headers)
    assert bad.status_code == 422 and "astrology" in bad.json()["detail"]


def test_referral_advice_points_at_the_right_places(client, tokens):
    _user, headers = tokens("worker")
    guide = client.get("/api/v1/guide", headers={**headers, "Accept-Language": "en"}).json()
    names = {entry["id"]: entry["name"] for entry in guide["services"]}
    referrals = {item["problem"]: [names[i] for i in item["service_ids"]] for item in guide["referrals"]}
    assert {"addiction", "debt", "loneliness", "violence"} <= set(referrals)
    assert "Jellinek" in referrals["addiction"]
    assert "Buurtteams Utrecht" in referrals["debt"]
    assert "Veilig Thuis" in referrals["violence"]


def test_the_page_filters_by_category_with_htmx(client, login_as):
    login_as("worker")
    page = client.get("/guide")
    assert page.status_code == 200 and "Jellinek" in page.text and "/guide/new" not in page.text
    partial = client.get("/guide?category=addiction", headers={"HX-Request": "true"})
    assert partial.status_code == 200 and "<html" not in partial.text
    assert "Jellinek" in partial.text and "Moviera" not in partial.text
    assert client.get("/guide?category=nonsense").status_code == 400


def test_workers_cannot_edit_but_caseworkers_can(client, login_as, db):
    login_as("worker")
    token = csrf_from(client.get("/guide").text)
    response = client.post("/guide", data={"csrf_token": token, "name": "X", "description_en": "y"})
    assert response.status_code == 403
    client.cookies.clear()
    login_as("caseworker")
    page = client.get("/guide")
    token = csrf_from(page.text)
    response = client.post("/guide", data={
        "csrf_token": token, "name": "Bookkeeper for opting-in", "categories": ["money", "sex_work"],
        "languages": ["nl", "en"], "anonymous": "yes", "description_en": "Helps with opting-in and tax returns.",
        "phone": "", "website": ""}, follow_redirects=False)
    assert response.status_code == 303
    entry = db.scalar(select(HelpService).where(HelpService.name == "Bookkeeper for opting-in"))
    entry_id, categories = entry.id, entry.category_codes
    db.rollback()
    assert categories == ["money", "sex_work"]
    bad = client.post(f"/guide/{entry_id}", data={"csrf_token": token, "name": "Bookkeeper",
                                                  "description_en": "x", "website": "javascript:alert(1)"})
    assert bad.status_code == 400 and "https://" in bad.text
    missing = client.post("/guide/999999", data={"csrf_token": token, "name": "x", "description_en": "y"})
    assert missing.status_code == 404
    gone = client.post(f"/guide/{entry_id}/delete", data={"csrf_token": token}, follow_redirects=False)
    assert gone.status_code == 303
    assert db.get(HelpService, entry_id) is None
    db.rollback()
