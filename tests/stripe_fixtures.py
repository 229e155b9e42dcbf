"""Where Stripe's published example objects (`fixtures3.json`) live, for the shape tests.

The file is kept outside the project (../shared/stripe/ relative to its root). Without it the
shape tests skip on a developer machine, but under CI they fail: a missing reference file must
not turn the contract checks into silent passes (as tests/conftest.py does for PostgreSQL).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

# PAYDESK_STRIPE_FIXTURES points elsewhere (a git worktree sits one level deeper than main).
FIXTURES = Path(
    os.environ.get("PAYDESK_STRIPE_FIXTURES")
    or Path(__file__).resolve().parents[1].parent / "shared" / "stripe" / "fixtures3.json"
)


def stripe_resources() -> dict[str, dict[str, Any]]:
    """Every example object of fixtures3.json by type; skips (or fails under CI) without it."""
    if not FIXTURES.exists():
        message = f"Stripe's example objects are not at {FIXTURES}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    resources: dict[str, dict[str, Any]] = json.loads(FIXTURES.read_text())["resources"]
    return resources
