"""Settings: every one documented in code and in the README's configuration table."""

import re
from pathlib import Path

from location_ops.config import Settings

README = Path(__file__).resolve().parents[1] / "README.md"


def _readme_table_variables() -> set[str]:
    text = README.read_text()
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `(LOCATION_OPS_[A-Z0-9_]+)`", section, flags=re.MULTILINE))


def test_every_setting_has_a_description():
    undocumented = [name for name, field in Settings.model_fields.items() if not (field.description or "").strip()]
    assert not undocumented


def test_every_setting_is_in_the_readme_table():
    expected = {f"LOCATION_OPS_{name.upper()}" for name in Settings.model_fields}
    documented = _readme_table_variables()
    assert expected - documented == set(), "add these to README.md's configuration table"
    assert documented - expected == set(), "the README documents settings that do not exist"


def test_settings_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("LOCATION_OPS_SITE", "oudegracht")
    monkeypatch.setenv("LOCATION_OPS_MAX_ROOMS", "12")
    settings = Settings()
    assert settings.site == "oudegracht" and settings.max_rooms == 12
