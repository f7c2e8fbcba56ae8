"""The account tests read the English sentences: the app's default language is Dutch."""

from __future__ import annotations

import pytest


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"default_language": "en"})
