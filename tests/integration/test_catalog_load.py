"""Loading a catalog file into the database: stock is live inventory, prices may change."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select, update

from paydesk.catalog.model import CatalogFile
from paydesk.catalog.service import list_products, load_catalog
from paydesk.catalog.tables import products
from paydesk.store.engine import make_engine
from paydesk.store.migrate import upgrade


@pytest.fixture
def engine(database_url: str):  # type: ignore[no-untyped-def]
    upgrade(database_url)
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


def _catalog(**mug: object) -> CatalogFile:
    return CatalogFile.model_validate({"products": [
        {"id": "mug", "name": "Mug", "unit_amount": 2200, "currency": "usd", "stock": 5} | mug,
        {"id": "ebook", "name": "Ebook", "unit_amount": 900, "currency": "usd", "type": "digital"},
    ]})


def _row(engine: Engine, product_id: str = "mug"):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(select(products).where(products.c.id == product_id)).mappings().one()


def test_reloading_keeps_live_stock_and_synced_price(engine: Engine) -> None:
    with engine.begin() as conn:
        load_catalog(conn, _catalog())
        conn.execute(update(products).where(products.c.id == "mug")
                     .values(stock=2, stripe_price_id="price_1"))
        load_catalog(conn, _catalog(name="Big Mug"))
    row = _row(engine)
    assert (row["stock"], row["name"], row["stripe_price_id"]) == (2, "Big Mug", "price_1")


def test_a_new_amount_forgets_the_old_stripe_price(engine: Engine) -> None:
    with engine.begin() as conn:
        load_catalog(conn, _catalog())
        conn.execute(update(products).values(stripe_price_id="price_1"))
        load_catalog(conn, _catalog(unit_amount=2500))
    assert _row(engine)["stripe_price_id"] is None
    assert _row(engine)["unit_amount"] == 2500
    assert _row(engine, "ebook")["stripe_price_id"] == "price_1"


def test_products_left_out_of_the_file_stop_being_listed(engine: Engine) -> None:
    with engine.begin() as conn:
        load_catalog(conn, _catalog())
        load_catalog(conn, CatalogFile.model_validate({"products": [
            {"id": "ebook", "name": "Ebook", "unit_amount": 900, "currency": "usd"}]}))
        assert [r["id"] for r in list_products(conn)] == ["ebook"]
