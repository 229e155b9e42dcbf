"""Catalog files are validated before anything is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from paydesk.catalog.model import read_catalog


def test_the_demo_catalog_has_stocked_products_and_a_digital_one() -> None:
    catalog = read_catalog(None)
    assert any(p.type == "digital" and p.resource for p in catalog.products)
    assert any(p.stock is not None and p.stock > 0 for p in catalog.products)
    assert all(p.unit_amount > 0 for p in catalog.products)


def _write(tmp_path: Path, products: list[dict]) -> Path:
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"products": products}))
    return path


GOOD = {"id": "mug", "name": "Mug", "unit_amount": 100, "currency": "USD"}


def test_currency_is_normalised_and_stock_defaults_to_unlimited(tmp_path: Path) -> None:
    (product,) = read_catalog(_write(tmp_path, [GOOD])).products
    assert product.currency == "usd" and product.stock is None and product.type == "physical"


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"unit_amount": 0}, "unit_amount"),
        ({"stock": -1}, "stock"),
        ({"currency": "dollars"}, "currency"),
        ({"id": "Has Spaces"}, "id"),
        ({"type": "service"}, "type"),
        ({"price": 5}, "price"),
    ],
)
def test_bad_products_are_refused_naming_the_field(
    tmp_path: Path, change: dict, needle: str
) -> None:
    with pytest.raises(ValidationError, match=needle):
        read_catalog(_write(tmp_path, [GOOD | change]))


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="duplicate product ids: mug"):
        read_catalog(_write(tmp_path, [GOOD, GOOD]))
