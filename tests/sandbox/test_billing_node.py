"""The billing seed's calls with the official stripe-node SDK, unmodified, against the sandbox
(tests/sandbox/node/billing.js): subscribe with the seed's old-API expansion, renew on a test
clock, a one-off invoice, cancel at period end."""

from __future__ import annotations

import subprocess

from tests.sandbox.test_core_node import NODE_DIR, _tools

CHECKS = [
    "subscribe (seed calls, default_incomplete + latest_invoice.payment_intent)",
    "renewal on the test clock",
    "one-off invoice",
    "cancel at period end",
]


def test_stripe_node_runs_the_billing_lifecycle(sandbox_url: str) -> None:
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
        [node, "billing.js", sandbox_url], cwd=NODE_DIR, capture_output=True, text=True, timeout=120
    )
    assert flow.returncode == 0, flow.stdout + flow.stderr
    assert flow.stdout.splitlines() == [f"ok {c}" for c in CHECKS] + ["ALL OK"], flow.stdout
