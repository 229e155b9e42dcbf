"""The shop as `paydesk serve` builds it (bootstrap.prepare), served by uvicorn on a loopback
port, against a sandbox account. Shared by the integration and end-to-end tests (no tests here).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import stripe

from paydesk.bootstrap import Prepared, prepare
from paydesk.settings import load_settings
from tests.support import ADMIN_TOKEN, loopback_socket, serving

CATALOG: dict[str, Any] = {
    "products": [
        {"id": "mug", "name": "Stoneware Mug", "description": "350 ml", "unit_amount": 2200,
         "currency": "usd", "stock": 3, "type": "physical"},
        {"id": "beans", "name": "House Blend", "description": "250 g", "unit_amount": 1400,
         "currency": "usd", "stock": None, "type": "physical"},
        {"id": "guide", "name": "Brewing Guide", "description": "PDF", "unit_amount": 900,
         "currency": "usd", "stock": None, "type": "digital", "resource": "guide.pdf"},
        {"id": "matcha", "name": "Matcha", "description": "", "unit_amount": 3000,
         "currency": "jpy", "stock": 5, "type": "physical"},
    ]
}


@dataclass
class Shop:
    url: str
    prepared: Prepared

    @property
    def ctx(self):  # type: ignore[no-untyped-def]
        return self.prepared.ctx


@contextmanager
def run_shop(
    database_url: str, sandbox_url: str, stripe_key: str, tmp_path: Path,
    catalog: dict[str, Any] | None = None, **settings: Any,
) -> Iterator[Shop]:
    sock = loopback_socket()
    port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    client = stripe.StripeClient(stripe_key, base_addresses={"api": sandbox_url})
    endpoint = client.v1.webhook_endpoints.create(
        {"url": url + "/api/webhook", "enabled_events": ["*"]}
    )
    catalog_file = tmp_path / "catalog.json"
    catalog_file.write_text(json.dumps(catalog or CATALOG))
    values: dict[str, Any] = {
        "database_url": database_url, "stripe_secret_key": stripe_key,
        "stripe_api_base": sandbox_url, "stripe_webhook_secret": endpoint.secret,
        "client_url": url, "catalog_file": str(catalog_file), "reconcile_interval_seconds": 0,
        "paydesk_admin_token": ADMIN_TOKEN,
    }
    values.update(settings)
    prepared = prepare(load_settings(_env_file=None, **values), "127.0.0.1", port)
    try:
        with serving(prepared.app, "the shop", sock, lifespan="on"):
            yield Shop(url=url, prepared=prepared)
    finally:
        prepared.close()
