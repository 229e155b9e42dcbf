"""The catalog: load a catalog file into `products`, sync it to Stripe, read it back.

Stock in the database is live inventory, so reloading a file never resets it for a product that
already exists; it only sets the stock of products seen for the first time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TypeVar

import stripe as stripe_sdk
import structlog
from sqlalchemy import Connection, Engine, RowMapping, select, update
from stripe import Price, StripeClient
from stripe.params import PriceCreateParams, ProductCreateParams, ProductUpdateParams

from paydesk.catalog.model import CatalogFile, ProductSpec, read_catalog
from paydesk.catalog.tables import products
from paydesk.context import AppContext
from paydesk.store.engine import reading

T = TypeVar("T")
log = structlog.get_logger(__name__)


def load_catalog(conn: Connection, catalog: CatalogFile) -> None:
    """Insert new products, update the description and price of known ones, deactivate the rest."""
    now = datetime.now(UTC)
    existing = {r.id: r for r in conn.execute(select(products)).mappings()}
    for spec in catalog.products:
        row = existing.get(spec.id)
        if row is None:
            conn.execute(
                products.insert().values(**_columns(spec), stock=spec.stock, updated_at=now)
            )
            continue
        values: dict[str, object] = {**_columns(spec), "active": True, "updated_at": now}
        # A Stripe price is immutable: a new amount, currency or billing period needs a new one.
        if _price_terms(row) != _price_terms(spec.model_dump()):
            values["stripe_price_id"] = None
        conn.execute(update(products).where(products.c.id == spec.id).values(**values))
    wanted = {p.id for p in catalog.products}
    gone = [pid for pid in existing if pid not in wanted]
    if gone:
        conn.execute(update(products).where(products.c.id.in_(gone)).values(active=False))


def _columns(spec: ProductSpec) -> dict[str, object]:
    return {
        "id": spec.id,
        "name": spec.name,
        "description": spec.description,
        "unit_amount": spec.unit_amount,
        "currency": spec.currency,
        "type": spec.type,
        "resource": spec.resource,
        "interval": spec.interval,
        "interval_count": (spec.interval_count or 1) if spec.is_plan else None,
        "trial_days": spec.trial_days,
        "active": True,
    }


def _price_terms(row: RowMapping | Mapping[str, object]) -> tuple[object, ...]:
    count = (row["interval_count"] or 1) if row["interval"] else None
    return row["unit_amount"], row["currency"], row["interval"], count


def list_products(conn: Connection) -> list[RowMapping]:
    query = select(products).where(products.c.active.is_(True)).order_by(products.c.id)
    return list(conn.execute(query).mappings())


def sync_to_stripe(engine: Engine, client: StripeClient) -> int:
    """Make sure every active product has a Stripe product and a price of its current amount.

    Every create carries an idempotency key derived from our product id (and amount), so a sync
    that is interrupted and run again never makes duplicates. Returns how many were synced.
    """
    with reading(engine) as conn:
        rows = list_products(conn)
    for row in rows:
        product_id = _ensure_product(client, row)
        price_id = _ensure_price(client, row, product_id)
        with engine.begin() as conn:
            conn.execute(
                update(products)
                .where(products.c.id == row["id"])
                .values(stripe_product_id=product_id, stripe_price_id=price_id)
            )
        log.info("catalog.synced", product=row["id"], stripe_product=product_id, price=price_id)
    return len(rows)


def _exists(retrieve: Callable[[str], T], object_id: str | None) -> T | None:
    if not object_id:
        return None
    try:
        return retrieve(object_id)
    except stripe_sdk.InvalidRequestError:
        # Gone on this Stripe account (e.g. a fresh sandbox): make it again.
        return None


def _ensure_product(client: StripeClient, row: RowMapping) -> str:
    found = _exists(client.v1.products.retrieve, row["stripe_product_id"])
    fields: ProductUpdateParams = {"name": row["name"]}
    if row["description"]:  # Stripe refuses an empty description
        fields["description"] = row["description"]
    if found is not None:
        if found.name != row["name"] or (found.description or "") != row["description"]:
            client.v1.products.update(found.id, fields)
        return str(found.id)
    params: ProductCreateParams = {
        "name": row["name"], "metadata": {"paydesk_product_id": row["id"]},
    }
    if "description" in fields:
        params["description"] = fields["description"]
    created = client.v1.products.create(
        params,
        {"idempotency_key": f"catalog:product:{row['id']}"},
    )
    return str(created.id)


def _ensure_price(client: StripeClient, row: RowMapping, product_id: str) -> str:
    found = _exists(client.v1.prices.retrieve, row["stripe_price_id"])
    if (
        found is not None
        and found.unit_amount == row["unit_amount"]
        and found.currency == row["currency"]
        and found.product == product_id
        and _recurring_of(found) == _recurring_wanted(row)
    ):
        return str(found.id)
    params: PriceCreateParams = {
        "product": product_id, "unit_amount": row["unit_amount"], "currency": row["currency"],
    }
    key = f"catalog:price:{product_id}:{row['currency']}:{row['unit_amount']}"
    recurring = _recurring_wanted(row)
    if recurring is not None:
        # A plan's price bills every interval; its free trial is set per subscription.
        params["recurring"] = {"interval": recurring[0], "interval_count": recurring[1]}
        key += f":{recurring[0]}:{recurring[1]}"
    created = client.v1.prices.create(params, {"idempotency_key": key})
    return str(created.id)


def _recurring_wanted(row: RowMapping) -> tuple[str, int] | None:
    if not row["interval"]:
        return None
    return str(row["interval"]), int(row["interval_count"] or 1)


def _recurring_of(price: Price) -> tuple[str, int] | None:
    recurring = getattr(price, "recurring", None)  # absent on one-time prices of some accounts
    if not recurring:
        return None
    return str(recurring.interval), int(recurring.interval_count or 1)


def sync_cli(ctx: AppContext, file: str | None) -> None:
    """`paydesk catalog sync`: load FILE (default: CATALOG_FILE, else the demo) and sync it."""
    catalog = read_catalog(file or ctx.settings.catalog_file)
    with ctx.engine.begin() as conn:
        load_catalog(conn, catalog)
    count = sync_to_stripe(ctx.engine, ctx.stripe)
    print(f"synced {count} products to {ctx.settings.stripe_api_base}")
