"""Languages: every string in the code and templates translated in every shipped catalog."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from location_ops import i18n

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set[str]:
    """Extract the msgids from the sources as they are now (not from a stale .pot)."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", str(ROOT / "babel.cfg"),
                    "-k", "lazy", "-o", str(pot), "--no-location", "--omit-header", "--no-wrap", str(ROOT)],
                   check=True, capture_output=True, cwd=ROOT)
    with pot.open("rb") as handle:
        return {message.id if isinstance(message.id, str) else message.id[0] for message in read_po(handle) if message.id}


def test_dutch_and_english_ship():
    assert {"nl", "en"} <= set(i18n.available_languages())


@pytest.mark.parametrize("language", i18n.available_languages())
def test_every_string_is_translated(language, extracted):
    with (i18n.LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=language)
    translated = {(m.id if isinstance(m.id, str) else m.id[0]) for m in catalog
                  if m.id and not m.fuzzy and (all(m.string) if isinstance(m.string, tuple) else m.string)}
    missing = sorted(extracted - translated)
    assert not missing, f"{language}: {len(missing)} untranslated, first: {missing[:10]} (run scripts/update-catalogs)"


@pytest.mark.parametrize("language", i18n.available_languages())
def test_placeholders_survive_translation(language):
    with (i18n.LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=language)
    import re

    broken = []
    for message in catalog:
        if not message.id or isinstance(message.id, tuple) or not message.string:
            continue
        if set(re.findall(r"%\(\w+\)[sd]", message.id)) != set(re.findall(r"%\(\w+\)[sd]", message.string)):
            broken.append(message.id)
    assert not broken, f"{language}: placeholders differ in {broken[:5]}"


def test_language_choice_user_then_browser_then_default():
    assert i18n.negotiate("en", "nl-NL,nl;q=0.9", "nl") == "en"
    assert i18n.negotiate(None, "en-GB,en;q=0.9", "nl") == "en"
    assert i18n.negotiate(None, "fr-FR, nl;q=0.5", "nl") == "nl"
    assert i18n.negotiate(None, None, "nl") == "nl"
    assert i18n.negotiate("xx", "de", "nl") == "nl"
    assert i18n.negotiate(None, "nl;q=0.2, en;q=0.8", "nl") == "en"


def test_pages_follow_the_browser_language(client):
    dutch = client.get("/login", headers={"accept-language": "nl-NL,nl;q=0.9"})
    english = client.get("/login", headers={"accept-language": "en-GB,en;q=0.9"})
    assert 'lang="nl"' in dutch.text and "Inloggen" in dutch.text
    assert 'lang="en"' in english.text and "Log in" in english.text


def test_dutch_is_the_default_without_any_choice(settings):
    from fastapi.testclient import TestClient

    from location_ops.app import create_app
    from location_ops.config import Settings

    assert Settings.model_fields["default_language"].default == "nl"
    app = create_app(settings.model_copy(update={"default_language": "nl"}))
    page = TestClient(app).get("/login", headers={"accept-language": "fr-FR"})
    assert 'lang="nl"' in page.text and "Inloggen" in page.text


def test_users_language_wins_over_the_browser(client, make_user):
    from tests.conftest import login

    make_user("worker", "ana", language="en")
    login(client, "ana")
    page = client.get("/account", headers={"accept-language": "nl"})
    assert 'lang="en"' in page.text and "My account" in page.text
