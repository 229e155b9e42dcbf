"""Reading and checking request parameters; every failure names the parameter."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from paydesk.sandbox.errors import InvalidRequest, invalid_param, missing_param, unknown_param

_INTEGER = re.compile(r"-?[0-9]+")
# Stripe's integers are 64-bit: anything wider is refused here, before a handler changes state
# with a number the store (orjson, SQLite) cannot write.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_MAX_DIGITS = 19
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


def get_str(params: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = params.get(name)
    if value is None:
        if required:
            raise missing_param(name)
        return None
    if not isinstance(value, str):
        raise invalid_param(name, "must be a string")
    if required and value == "":
        raise missing_param(name)
    return value


def req_str(params: dict[str, Any], name: str) -> str:
    value = get_str(params, name, required=True)
    assert value is not None
    return value


def get_int(
    params: dict[str, Any], name: str, *, required: bool = False, minimum: int | None = None
) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise missing_param(name)
        return None
    # Stripe refuses what Python's int() forgives: "+5", " 5", "1_000".
    number = value if isinstance(value, int) else None
    # Length first: int() of a 5,000-digit string is slow, and refused above 4,300 digits.
    if (
        isinstance(value, str)
        and _INTEGER.fullmatch(value)
        and len(value.lstrip("-").lstrip("0")) <= _MAX_DIGITS
    ):
        number = int(value)
    if number is not None and not INT64_MIN <= number <= INT64_MAX:
        number = None
    if number is None:
        raise InvalidRequest(
            f"Invalid integer: {value}", param=name, code="parameter_invalid_integer"
        )
    if minimum is not None and number < minimum:
        raise InvalidRequest(
            f"This value must be greater than or equal to {minimum}.",
            param=name,
            code="parameter_invalid_integer",
        )
    return number


def req_int(params: dict[str, Any], name: str, minimum: int | None = None) -> int:
    value = get_int(params, name, required=True, minimum=minimum)
    assert value is not None
    return value


def get_bool(params: dict[str, Any], name: str, default: bool = False) -> bool:
    value = params.get(name)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in _TRUE:
        return True
    if isinstance(value, str) and value.lower() in _FALSE:
        return False
    raise InvalidRequest(f"Invalid boolean: {value}", param=name)


def get_dict(params: dict[str, Any], name: str) -> dict[str, Any] | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, dict):
        raise InvalidRequest(f"Invalid object: {name} must be a hash", param=name)
    return value


def get_list(params: dict[str, Any], name: str) -> list[Any] | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, dict):  # `a[x]=…` sent where an array belongs
        raise InvalidRequest(f"Invalid array: {name}", param=name)
    if isinstance(value, str):
        return [value]
    return list(value)


def get_enum(
    params: dict[str, Any], name: str, allowed: tuple[str, ...], default: str | None = None
) -> str | None:
    value = get_str(params, name)
    if value is None:
        return default
    if value not in allowed:
        raise InvalidRequest(
            f"Invalid {name}: must be one of {', '.join(allowed)}",
            param=name,
            code="parameter_invalid_string",
        )
    return value


def get_currency(
    params: dict[str, Any], name: str = "currency", required: bool = True
) -> str | None:
    value = get_str(params, name, required=required)
    if value is None:
        return None
    if len(value) != 3 or not value.isalpha():
        raise InvalidRequest(f"Invalid currency: {value}", param=name)
    return value.lower()


def get_timestamp(params: dict[str, Any], name: str) -> int | None:
    return get_int(params, name)


# Stripe's metadata rules: at most 50 keys, keys up to 40 characters, values up to 500.
def apply_metadata(
    current: dict[str, str], params: dict[str, Any], name: str = "metadata"
) -> dict[str, str]:
    """Merge `metadata` into `current` as Stripe does: "" as a value unsets that key, and
    `metadata=""` clears them all."""
    if name not in params:
        return current
    value = params[name]
    if value == "":
        return {}
    if not isinstance(value, dict):
        raise InvalidRequest("Invalid metadata: must be a hash of key/value pairs", param=name)
    merged = dict(current)
    for key, val in value.items():
        if not isinstance(val, str):
            raise InvalidRequest(
                f"Invalid value for metadata key {key}: nested objects are not allowed",
                param=f"{name}[{key}]",
            )
        if len(key) > 40:
            raise InvalidRequest(
                f"Metadata keys can have at most 40 characters: {key}", param=f"{name}[{key}]"
            )
        if len(val) > 500:
            raise InvalidRequest(
                f"Metadata values can have at most 500 characters: {key}", param=f"{name}[{key}]"
            )
        if val == "":
            merged.pop(key, None)
        else:
            merged[key] = val
    if len(merged) > 50:
        raise InvalidRequest("Metadata can have at most 50 keys", param=name)
    return merged


def check_known(params: dict[str, Any], allowed: set[str]) -> None:
    """Refuse parameters the endpoint does not take, as Stripe does."""
    for key in params:
        if key not in allowed and key != "expand":
            raise unknown_param(key)


def get_return_url(params: dict[str, Any]) -> str | None:
    """`return_url` of a PaymentIntent or SetupIntent confirmation."""
    # The 3DS page sends the buyer's browser there: only a web address, never `javascript:`
    # or `data:` (the same rule as Checkout's success_url).
    value = get_str(params, "return_url") or None
    if value is not None:
        parts = urlsplit(value)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            raise InvalidRequest(
                "Not a valid URL: return_url must be an absolute http(s) URL.",
                param="return_url",
                code="url_invalid",
            )
    return value


def get_payment_method_data(params: dict[str, Any]) -> dict[str, Any] | None:
    """`payment_method_data[card|billing_details]`: a card PaymentMethod to make on the way."""
    data = get_dict(params, "payment_method_data")
    if data is None:
        return None
    return {
        "card": get_dict(data, "card") or {},
        "billing_details": get_dict(data, "billing_details"),
    }
