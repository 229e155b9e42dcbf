"""`sync_to_stripe` against the sandbox: every product gets a Stripe product and a price of its
amount; running it again makes nothing new; a changed amount gets a new price."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe
from sqlalchemy import Engine, select, update

from paydesk.catalog.model import CatalogFile
from paydesk.catalog.service import load_catalog, sync_to_stripe
from paydesk.catalog.tables import products
from paydesk.store.engine import make_engine
from paydesk.store.migrate import upgrade

CATALOG = CatalogFile.model_validate({"products": [
    {"id": "mug", "name": "Mug", "description": "350 ml", "unit_amount": 2200, "currency": "usd",
     "stock": 3},
    {"id": "matcha", "name": "Matcha", "unit_amount": 3000, "currency": "jpy"},
]})


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    upgrade(sqlite_url)
    eng = make_engine(sqlite_url)
    with eng.begin() as conn:
        load_catalog(conn, CATALOG)
    yield eng
    eng.dispose()


def _ids(engine: Engine) -> dict[str, tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(select(products.c.id, products.c.stripe_product_id,
                                   products.c.stripe_price_id)).all()
    return {r[0]: (r[1], r[2]) for r in rows}


def test_sync_creates_products_and_prices_once(
    engine: Engine, stripe_client: stripe.StripeClient
) -> None:
    assert sync_to_stripe(engine, stripe_client) == 2
    first = _ids(engine)
    product_id, price_id = first["mug"]
    price = stripe_client.v1.prices.retrieve(price_id)
    assert (price.unit_amount, price.currency, price.product) == (2200, "usd", product_id)
    assert stripe_client.v1.products.retrieve(product_id).name == "Mug"
    assert stripe_client.v1.prices.retrieve(first["matcha"][1]).unit_amount == 3000

    sync_to_stripe(engine, stripe_client)
    assert _ids(engine) == first
    assert len(stripe_client.v1.prices.list({"limit": 100}).data) == 2


def test_a_new_amount_gets_a_new_price(engine: Engine, stripe_client: stripe.StripeClient) -> None:
    sync_to_stripe(engine, stripe_client)
    old_product, old_price = _ids(engine)["mug"]
    with engine.begin() as conn:
        load_catalog(conn, CatalogFile.model_validate({"products": [
            p.model_dump() | ({"unit_amount": 2500} if p.id == "mug" else {})
            for p in CATALOG.products]}))
    sync_to_stripe(engine, stripe_client)
    product_id, price_id = _ids(engine)["mug"]
    assert product_id == old_product and price_id != old_price
    assert stripe_client.v1.prices.retrieve(price_id).unit_amount == 2500


def test_ids_unknown_to_this_account_are_made_again(
    engine: Engine, stripe_client: stripe.StripeClient
) -> None:
    # e.g. the database outlived an in-memory sandbox
    with engine.begin() as conn:
        conn.execute(update(products).values(stripe_product_id="prod_gone",
                                             stripe_price_id="price_gone"))
    sync_to_stripe(engine, stripe_client)
    product_id, price_id = _ids(engine)["mug"]
    assert product_id != "prod_gone"
    assert stripe_client.v1.prices.retrieve(price_id).product == product_id


def test_catalog_sync_command(
    tmp_path, sandbox_url: str, stripe_key: str, stripe_client: stripe.StripeClient
) -> None:  # type: ignore[no-untyped-def]
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps(CATALOG.model_dump()))
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/cli.db",
           "STRIPE_SECRET_KEY": stripe_key, "STRIPE_API_BASE": sandbox_url}
    paydesk = str(Path(sys.executable).with_name("paydesk"))
    proc = subprocess.run([paydesk, "catalog", "sync", "--file", str(catalog)], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "synced 2 products" in proc.stdout
    assert stripe_key not in proc.stdout + proc.stderr
    names = {p.name for p in stripe_client.v1.products.list({"limit": 100}).data}
    assert names == {"Mug", "Matcha"}
