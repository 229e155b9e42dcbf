"""README's settings table names every setting the settings class reads, and nothing else, with
the class's defaults where the table gives a literal one."""

from __future__ import annotations

import re
from pathlib import Path

from paydesk.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"
# Read by the command line itself, not by the settings class.
OUTSIDE_THE_CLASS = {"PAYDESK_DEBUG"}


def _table() -> dict[str, str]:
    text = README.read_text(encoding="utf-8")
    block = text.split("<!-- settings:start -->", 1)[1].split("<!-- settings:end -->", 1)[0]
    rows = re.findall(r"^\| `([A-Z_]+)` \| ([^|]*) \|", block, flags=re.MULTILINE)
    return {name: default.strip() for name, default in rows}


def test_every_setting_is_in_the_readme_table_and_nothing_else() -> None:
    documented = set(_table())
    fields = {name.upper() for name in Settings.model_fields}
    assert fields - documented == set(), "settings missing from README"
    assert documented - fields - OUTSIDE_THE_CLASS == set(), "README lists unknown settings"


def test_literal_defaults_in_the_table_are_the_classs() -> None:
    for name, default in _table().items():
        literal = re.fullmatch(r"`([^`]*)`", default)
        if literal is None or name in OUTSIDE_THE_CLASS:
            continue
        value = Settings.model_fields[name.lower()].default
        shown = str(value).lower() if isinstance(value, bool) else str(value)
        if isinstance(value, float) and value.is_integer():
            shown = str(int(value))
        assert shown == literal.group(1), name
