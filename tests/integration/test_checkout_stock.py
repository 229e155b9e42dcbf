"""Stock moves on a real database: reservation is atomic across connections, release and commit
are idempotent on the order's stock_state."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select

from paydesk.catalog.tables import products
from paydesk.orders.stock import commit_stock, release_stock, reserve
from paydesk.orders.tables import order_items, orders
from paydesk.store.engine import make_engine
from paydesk.store.migrate import upgrade


@pytest.fixture
def engine(database_url: str):  # type: ignore[no-untyped-def]
    upgrade(database_url)
    eng = make_engine(database_url)
    with eng.begin() as conn:
        conn.execute(products.insert(), [
            {"id": "mug", "name": "Mug", "description": "", "unit_amount": 2200,
             "currency": "usd", "stock": 5, "type": "physical", "active": True},
            {"id": "ebook", "name": "Ebook", "description": "", "unit_amount": 900,
             "currency": "usd", "stock": None, "type": "digital", "active": True},
        ])
    yield eng
    eng.dispose()


def _stock(engine: Engine, product_id: str = "mug") -> int | None:
    with engine.connect() as conn:
        return conn.execute(select(products.c.stock).where(products.c.id == product_id)).scalar()


def _order(engine: Engine, quantity: int, stock_state: str = "reserved") -> str:
    order_id = f"ord_test_{quantity}_{stock_state}"
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(orders.insert().values(
            id=order_id, status="pending", currency="usd", amount_total=2200 * quantity,
            amount_refunded=0, stock_state=stock_state, created_at=now, updated_at=now))
        conn.execute(order_items.insert(), [
            {"order_id": order_id, "product_id": "mug", "name": "Mug", "unit_amount": 2200,
             "quantity": quantity},
            {"order_id": order_id, "product_id": "ebook", "name": "Ebook", "unit_amount": 900,
             "quantity": 1},
        ])
    return order_id


def _state(engine: Engine, order_id: str) -> str:
    with engine.connect() as conn:
        query = select(orders.c.stock_state).where(orders.c.id == order_id)
        return conn.execute(query).scalar_one()


def test_reserve_takes_units_only_while_enough_are_left(engine: Engine) -> None:
    with engine.begin() as conn:
        assert reserve(conn, "mug", 3)
        assert not reserve(conn, "mug", 3)
        assert reserve(conn, "mug", 2)
    assert _stock(engine) == 0


def test_unlimited_stock_stays_unlimited(engine: Engine) -> None:
    with engine.begin() as conn:
        assert reserve(conn, "ebook", 99)
    assert _stock(engine, "ebook") is None


def test_concurrent_reservations_never_oversell(engine: Engine) -> None:
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def buy() -> None:
        barrier.wait()
        with engine.begin() as conn:
            results.append(reserve(conn, "mug", 2))

    threads = [threading.Thread(target=buy) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 2  # 5 units, 2 per buyer
    assert _stock(engine) == 1


def test_release_gives_units_back_once(engine: Engine) -> None:
    with engine.begin() as conn:
        reserve(conn, "mug", 2)
    order_id = _order(engine, 2)
    for _ in range(3):
        with engine.begin() as conn:
            release_stock(conn, order_id)
    assert _stock(engine) == 5
    assert _state(engine, order_id) == "released"


def test_commit_keeps_units_and_is_idempotent(engine: Engine) -> None:
    with engine.begin() as conn:
        reserve(conn, "mug", 2)
    order_id = _order(engine, 2)
    for _ in range(2):
        with engine.begin() as conn:
            commit_stock(conn, order_id)
    assert _stock(engine) == 3
    assert _state(engine, order_id) == "committed"
    with engine.begin() as conn:
        release_stock(conn, order_id)  # a late expiry must not give paid units back
    assert _stock(engine) == 3


def test_commit_after_release_takes_the_units_again_even_below_zero(engine: Engine) -> None:
    order_id = _order(engine, 4, stock_state="released")
    with engine.begin() as conn:
        reserve(conn, "mug", 3)  # meanwhile someone else bought most of it
    for _ in range(2):
        with engine.begin() as conn:
            commit_stock(conn, order_id)
    assert _stock(engine) == -2
    assert _state(engine, order_id) == "committed"
