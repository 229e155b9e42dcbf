"""The shape tests' reference file: missing, they skip locally but fail under CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import stripe_fixtures


def test_missing_fixtures_fail_under_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(stripe_fixtures, "FIXTURES", tmp_path / "fixtures3.json")
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="fixtures3.json"):
        stripe_fixtures.stripe_resources()


def test_missing_fixtures_skip_without_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(stripe_fixtures, "FIXTURES", tmp_path / "fixtures3.json")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        stripe_fixtures.stripe_resources()


def test_present_fixtures_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "fixtures3.json"
    path.write_text('{"resources": {"charge": {"id": "ch_1"}}}')
    monkeypatch.setattr(stripe_fixtures, "FIXTURES", path)
    monkeypatch.setenv("CI", "1")
    assert stripe_fixtures.stripe_resources() == {"charge": {"id": "ch_1"}}
