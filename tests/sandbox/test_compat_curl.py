"""curl as a Stripe client: the billing seed's charge command, Basic and Bearer auth, query
strings with `expand[]` and `created[gte]`, and the errors curl users see."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from typing import Any

import pytest

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")


def curl(*args: str) -> tuple[int, Any, str]:
    """Run the real curl binary; its status code, its JSON body, and its response headers."""
    out = subprocess.run(
        ["curl", "-sS", "-D", "-", "-w", "\n%{http_code}", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    text, _, status = out.rpartition("\n")
    headers, _, body = text.partition("\n\n")  # text mode turned CRLF into LF
    return int(status), json.loads(body) if body.strip() else None, headers.lower()


def test_the_seeds_charge_command(sandbox_url: str, stripe_key: str) -> None:
    status, charge, headers = curl(
        f"{sandbox_url}/v1/charges",
        "-u",
        f"{stripe_key}:",
        "-d",
        "amount=2000",
        "-d",
        "currency=eur",
        "-d",
        "description=Order payment #1234",
        "-d",
        "source=tok_visa",
    )
    assert status == 200 and "request-id: req_" in headers
    assert charge["object"] == "charge" and charge["status"] == "succeeded"
    assert charge["amount"] == 2000 and charge["currency"] == "eur"
    assert charge["description"] == "Order payment #1234"
    status, again, _ = curl(f"{sandbox_url}/v1/charges/{charge['id']}", "-u", f"{stripe_key}:")
    assert status == 200 and again["id"] == charge["id"]


def test_declined_charge_is_a_402_naming_the_charge(sandbox_url: str, stripe_key: str) -> None:
    status, body, _ = curl(
        f"{sandbox_url}/v1/charges",
        "-u",
        f"{stripe_key}:",
        "-d",
        "amount=2000",
        "-d",
        "currency=eur",
        "-d",
        "source=tok_chargeDeclined",
    )
    assert status == 402
    error = body["error"]
    assert error["type"] == "card_error" and error["code"] == "card_declined"
    assert error["decline_code"] == "generic_decline" and error["charge"].startswith("ch_")


def test_bearer_auth_and_expand_in_the_query(sandbox_url: str, stripe_key: str) -> None:
    bearer = f"Authorization: Bearer {stripe_key}"
    status, pi, _ = curl(
        f"{sandbox_url}/v1/payment_intents",
        "-H",
        bearer,
        "-d",
        "amount=1500",
        "-d",
        "currency=usd",
        "-d",
        "payment_method=pm_card_visa",
        "-d",
        "confirm=true",
    )
    assert status == 200 and pi["status"] == "succeeded"
    status, expanded, _ = curl(
        "-G",
        f"{sandbox_url}/v1/payment_intents/{pi['id']}",
        "-H",
        bearer,
        "-d",
        "expand[]=latest_charge",
    )
    assert status == 200 and expanded["latest_charge"]["object"] == "charge"
    status, indexed, _ = curl(
        f"{sandbox_url}/v1/payment_intents/{pi['id']}?expand%5B0%5D=latest_charge", "-H", bearer
    )
    assert status == 200 and indexed["latest_charge"]["id"] == expanded["latest_charge"]["id"]


def test_list_filtered_by_created_with_data_urlencode(sandbox_url: str, stripe_key: str) -> None:
    auth = ("-u", f"{stripe_key}:")
    status, first, _ = curl(f"{sandbox_url}/v1/customers", *auth, "-d", "email=a@example.com")
    assert status == 200
    status, listed, _ = curl(
        "-G",
        f"{sandbox_url}/v1/customers",
        *auth,
        "--data-urlencode",
        f"created[gte]={first['created']}",
        "-d",
        "limit=10",
    )
    assert status == 200 and listed["object"] == "list"
    assert [c["id"] for c in listed["data"]] == [first["id"]]
    status, none, _ = curl(
        "-G",
        f"{sandbox_url}/v1/customers",
        *auth,
        "--data-urlencode",
        f"created[gt]={int(time.time()) + 3600}",
    )
    assert status == 200 and none["data"] == []
    status, deleted, _ = curl("-X", "DELETE", f"{sandbox_url}/v1/customers/{first['id']}", *auth)
    assert status == 200 and deleted == {"id": first["id"], "object": "customer", "deleted": True}


def test_no_key_is_401_and_an_unknown_route_is_404(sandbox_url: str, stripe_key: str) -> None:
    status, body, _ = curl(f"{sandbox_url}/v1/charges")
    assert status == 401 and "You did not provide an API key" in body["error"]["message"]
    status, body, _ = curl(f"{sandbox_url}/v1/charges", "-u", "sk_test_:")
    assert status == 401
    status, body, _ = curl(f"{sandbox_url}/v1/no_such_things", "-u", f"{stripe_key}:")
    assert status == 404 and body["error"]["type"] == "invalid_request_error"
    assert body["error"]["message"].startswith(
        "Unrecognized request URL (GET: /v1/no_such_things)."
    )
    status, body, _ = curl(f"{sandbox_url}/v1/charges/ch_missing", "-u", f"{stripe_key}:")
    assert status == 404 and body["error"]["code"] == "resource_missing"
    assert body["error"]["param"] == "id"


def test_missing_param_is_a_400_naming_it(sandbox_url: str, stripe_key: str) -> None:
    status, body, _ = curl(
        f"{sandbox_url}/v1/charges",
        "-u",
        f"{stripe_key}:",
        "-d",
        "currency=eur",
        "-d",
        "source=tok_visa",
    )
    assert status == 400 and body["error"]["param"] == "amount"
    assert body["error"]["code"] == "parameter_missing"


def test_preflight_and_head(sandbox_url: str, stripe_key: str) -> None:
    status, body, headers = curl(
        "-X",
        "OPTIONS",
        f"{sandbox_url}/v1/payment_intents/pi_x/confirm",
        "-H",
        "Origin: https://shop.example",
        "-H",
        "Access-Control-Request-Method: POST",
        "-H",
        "Access-Control-Request-Headers: authorization, content-type",
    )
    assert status == 200 and body is None
    assert "access-control-allow-origin: *" in headers
    assert "access-control-allow-headers: authorization, content-type" in headers
    assert "post" in headers.split("access-control-allow-methods:")[1].split("\n")[0]
    status, body, headers = curl("-I", f"{sandbox_url}/v1/balance", "-u", f"{stripe_key}:")
    assert status == 200 and body is None and "content-type: application/json" in headers
