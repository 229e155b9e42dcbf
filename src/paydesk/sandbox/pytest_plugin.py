"""pytest fixtures for testing a Stripe integration against an in-process paydesk sandbox.

Installed with paydesk (entry point `pytest11`), so any test suite can ask for them:

- `stripe_sandbox`: a fresh sandbox account per test (`base_url`, `api_key`,
  `publishable_key`, `client()`, `pay_checkout_session`, `pay_payment_intent`,
  `advance_clock`, `chaos`);
- `stripe_webhooks`: register endpoints, wait for deliveries with a deadline, assert on them.

One sandbox serves the whole run (it starts in milliseconds, but tests should not pay even
that); accounts keep tests apart. `--stripe-sandbox-url URL` points the fixtures at a sandbox
that is already running instead.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from paydesk.sandbox.server import start_in_thread
from paydesk.sandbox.testing import Sandbox, Webhooks

# Retries come quickly in tests: a failed first attempt is retried after 1 s, then 2 s, 4 s.
RETRY_DELAYS = "1,2,4,8"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("stripe-sandbox", "paydesk's Stripe sandbox")
    group.addoption(
        "--stripe-sandbox-url",
        default=None,
        help="use the sandbox running at this URL instead of starting one in-process",
    )
    parser.addini(
        "stripe_sandbox_retry_delays",
        default=RETRY_DELAYS,
        help="seconds between webhook delivery attempts of the in-process sandbox",
    )


@pytest.fixture(scope="session")
def stripe_sandbox_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The base URL of the sandbox the run's tests share."""
    given = request.config.getoption("--stripe-sandbox-url")
    if given:
        yield str(given).rstrip("/")
        return
    delays = str(request.config.getini("stripe_sandbox_retry_delays"))
    handle = start_in_thread(host="127.0.0.1", port=0, retry_delays=delays)
    try:
        yield handle.url
    finally:
        handle.stop()


@pytest.fixture
def stripe_sandbox(stripe_sandbox_url: str) -> Sandbox:
    """A fresh account in the shared sandbox: nothing another test made is visible."""
    return Sandbox(stripe_sandbox_url)


@pytest.fixture
def stripe_webhooks(stripe_sandbox: Sandbox) -> Webhooks:
    """The account's webhook endpoints and the sandbox's record of every delivery attempt."""
    return Webhooks(stripe_sandbox)
