"""Guide fixtures. The wegwijzer's first entries come with migration 0004; on PostgreSQL the test
fixtures empty every table after a test, so ``guide_seed`` puts them back from the migration's own list."""

from __future__ import annotations

import importlib.util

import pytest
from sqlalchemy import func, select

from location_ops.config import PROJECT_ROOT
from location_ops.guide.models import HelpService
from tests.rota.conftest import tokens  # noqa: F401  (bearer tokens per role)


def migration_seed() -> list[tuple]:
    path = PROJECT_ROOT / "migrations" / "versions" / "2026-11-28_rota.py"
    spec = importlib.util.spec_from_file_location("rota_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.GUIDE_SEED


def restore_guide_seed(app) -> None:
    with app.state.sessionmaker() as db_session:
        if db_session.scalar(select(func.count()).select_from(HelpService)):
            return
        for key, name, categories, anonymous, description_nl, description_en in migration_seed():
            db_session.add(HelpService(key=key, name=name, categories=categories, languages="nl",
                                       anonymous=anonymous, description_nl=description_nl,
                                       description_en=description_en, phone="", email="", website="",
                                       address="", hours=""))
        db_session.commit()


@pytest.fixture(autouse=True)
def guide_seed(request):
    if "app" in request.fixturenames:
        restore_guide_seed(request.getfixturevalue("app"))
