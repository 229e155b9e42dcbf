"""The official stripe-node SDK, unmodified, runs a payment flow against the sandbox
(tests/sandbox/node/flow.js): customers, pagination, payment, declines, refunds, errors,
idempotency and a webhook verified with `stripe.webhooks.constructEvent`."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

NODE_DIR = Path(__file__).parent / "node"
CHECKS = [
    "pagination",
    "payment_intent confirm pm_card_visa",
    "refunds",
    "declines",
    "errors",
    "idempotency",
    "webhooks constructEvent",
]


def _tools() -> tuple[str, str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node and npm:
        return node, npm
    if os.environ.get("CI"):
        pytest.fail("node and npm are needed for the stripe-node test (install nodejs and npm)")
    pytest.skip("node/npm not installed: the stripe-node flow cannot run here")


def test_stripe_node_runs_the_payment_flow(sandbox_url: str) -> None:
    node, npm = _tools()
    install = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    flow = subprocess.run(
        [node, "flow.js", sandbox_url],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert flow.returncode == 0, flow.stdout + flow.stderr
    lines = flow.stdout.splitlines()
    assert lines == [f"ok {check}" for check in CHECKS] + ["ALL OK"], flow.stdout + flow.stderr
