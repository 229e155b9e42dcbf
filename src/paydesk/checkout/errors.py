"""Why a checkout was refused, each with the HTTP status the API answers with."""

from __future__ import annotations


class CheckoutError(Exception):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownProduct(CheckoutError):
    status_code = 404

    def __init__(self, product_id: str) -> None:
        super().__init__(f"unknown product: {product_id!r}")
        self.product_id = product_id


class OutOfStock(CheckoutError):
    status_code = 409

    def __init__(self, product_id: str, name: str, wanted: int, available: int) -> None:
        detail = "it is sold out" if available <= 0 else f"only {available} left"
        super().__init__(
            f"not enough stock for {name!r} ({product_id}): asked for {wanted}, {detail}"
        )
        self.product_id = product_id
        self.available = max(available, 0)


class InvalidCart(CheckoutError):
    status_code = 422


class PaymentProviderFailed(CheckoutError):
    status_code = 502
