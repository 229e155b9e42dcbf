"""The sandbox's delivery timeline page in Chromium: a developer types their test key and
watches every attempt appear, with what chaos did to it, without reloading."""

from __future__ import annotations

from pathlib import Path

import pytest

from paydesk.sandbox.testing import Sandbox, Webhooks
from tests.sandbox.webhook_receiver import Receiver


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    tab = browser.new_page(viewport={"width": 1200, "height": 700})
    tab.set_default_timeout(15_000)
    return tab


def test_the_timeline_shows_attempts_live_with_chaos(
    page, sandbox_url: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    expect = pytest.importorskip("playwright.sync_api").expect
    sandbox = Sandbox(sandbox_url)
    receiver = Receiver()
    try:
        hooks = Webhooks(sandbox)
        hooks.register(receiver.url, ["customer.created"])
        sandbox.chaos(fail=1.0, seed=1)
        page.goto(sandbox_url + "/test_helpers/deliveries")
        page.fill("#key", sandbox.api_key)
        page.click("button[type=submit]")
        page.wait_for_selector("#status:has-text('0 attempts')")

        sandbox.client().v1.customers.create(params={"name": "<b>not bold</b>"})

        # Both attempts appear without a reload: the failed one (chaos) and the retry.
        page.wait_for_selector("#timeline tbody tr:nth-child(2)")
        rows = page.locator("#timeline tbody tr")
        assert "failed first attempt" in rows.nth(1).inner_text()
        assert "200" in rows.nth(0).inner_text()
        page.select_option("#outcome", "chaos")
        expect(page.locator("#timeline tbody tr")).to_have_count(1)
        page.screenshot(path=str(tmp_path / "deliveries.png"), full_page=True)
    finally:
        receiver.close()
