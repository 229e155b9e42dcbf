"""The pytest plugin, used the way a user's suite uses it: a separate project (a small FastAPI
shop with a webhook handler) whose tests know only the plugin's fixtures, run by pytest in a
process of its own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent / "plugin_project"


def test_a_users_suite_runs_against_the_plugin_and_passes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "--rootdir", str(PROJECT), str(PROJECT)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "5 passed" in result.stdout


def test_the_plugin_is_registered_as_an_entry_point() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--fixtures", "-q", str(PROJECT / "shop_app.py")],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "stripe_sandbox" in result.stdout and "stripe_webhooks" in result.stdout
