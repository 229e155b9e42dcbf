"""What Stripe clients we don't ship send: other API versions, other headers, other encodings
of the same form (indexed arrays, deep nesting), odd values, and methods browsers use."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def http(sandbox_url: str, stripe_key: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox_url, auth=(stripe_key, ""), timeout=10) as client:
        yield client


def post(http: httpx.Client, path: str, body: str, **headers: str) -> httpx.Response:
    """A raw form body, encoded exactly as given."""
    return http.post(path, content=body.encode(), headers={"content-type": FORM, **headers})


def error(response: httpx.Response) -> dict[str, Any]:
    return response.json()["error"]  # type: ignore[no-any-return]


def test_an_older_stripe_version_header_is_served_in_our_shape(http: httpx.Client) -> None:
    response = post(
        http, "/v1/customers", "email=a%40example.com", **{"Stripe-Version": "2020-08-27"}
    )
    assert response.status_code == 200 and response.json()["email"] == "a@example.com"
    assert response.headers["stripe-version"] != "2020-08-27"
    again = http.get("/v1/customers", headers={"Stripe-Version": "2017-06-05"})
    assert again.status_code == 200 and again.json()["object"] == "list"


def test_stripe_account_header_is_ignored(http: httpx.Client) -> None:
    created = post(http, "/v1/customers", "name=A", **{"Stripe-Account": "acct_1Connected"})
    assert created.status_code == 200
    seen = http.get(f"/v1/customers/{created.json()['id']}", headers={"Stripe-Account": "acct_x"})
    assert seen.status_code == 200


def test_form_content_type_with_charset(http: httpx.Client) -> None:
    response = http.post(
        "/v1/customers",
        content=b"name=Zo%C3%AB",
        headers={"content-type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    assert response.status_code == 200 and response.json()["name"] == "Zoë"


def test_json_bodies_are_refused_as_stripe_does(http: httpx.Client) -> None:
    response = http.post("/v1/customers", json={"email": "a@example.com"})
    assert response.status_code == 400
    assert error(response)["type"] == "invalid_request_error"
    assert "unsupported Content-Type application/json" in error(response)["message"]
    assert http.get("/v1/customers").json()["data"] == []  # nothing was created


def test_a_body_on_delete_is_accepted(http: httpx.Client) -> None:
    customer = post(http, "/v1/customers", "name=A").json()
    response = http.request(
        "DELETE", f"/v1/customers/{customer['id']}", content=b"", headers={"content-type": FORM}
    )
    assert response.status_code == 200 and response.json()["deleted"] is True


def test_trailing_slashes_reach_the_same_route(http: httpx.Client) -> None:
    customer = post(http, "/v1/customers/", "name=A").json()
    assert customer["object"] == "customer"
    assert http.get(f"/v1/customers/{customer['id']}/").json()["id"] == customer["id"]
    assert http.get("/v1/customers/").json()["data"][0]["id"] == customer["id"]


def test_head_answers_like_get_without_a_body(http: httpx.Client) -> None:
    got = http.get("/v1/balance")
    head = http.head("/v1/balance")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(got.content))
    assert http.head("/v1/charges/ch_missing").status_code == 404


def test_cors_preflight_needs_no_key(sandbox_url: str) -> None:
    response = httpx.options(
        f"{sandbox_url}/v1/payment_intents/pi_123",
        headers={
            "Origin": "https://shop.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "GET" in response.headers["access-control-allow-methods"]
    assert response.headers["access-control-allow-headers"] == "authorization"
    # A real call from the browser carries the CORS header too.
    assert httpx.get(f"{sandbox_url}/v1/balance").headers["access-control-allow-origin"] == "*"


def test_expand_in_indexed_style_with_other_query_params(http: httpx.Client) -> None:
    pi = post(
        http,
        "/v1/payment_intents",
        "amount=1000&currency=usd&payment_method=pm_card_visa&confirm=true",
    ).json()
    url = f"/v1/charges?payment_intent={pi['id']}&limit=3&expand%5B0%5D=data.payment_intent"
    listed = http.get(url).json()
    assert listed["data"][0]["payment_intent"]["id"] == pi["id"]
    both = http.get(
        f"/v1/payment_intents/{pi['id']}?expand[0]=latest_charge&expand[1]=payment_method"
    ).json()
    assert both["latest_charge"]["object"] == "charge"
    assert both["payment_method"]["object"] == "payment_method"


def test_deeply_nested_arrays_in_line_items(http: httpx.Client) -> None:
    body = (
        "mode=payment&success_url=https%3A%2F%2Fshop.example%2Fok"
        "&line_items[0][price_data][currency]=usd"
        "&line_items[0][price_data][unit_amount]=1500"
        "&line_items[0][price_data][product_data][name]=Mug"
        "&line_items[0][price_data][product_data][images][0]=https%3A%2F%2Fimg.example%2F1.png"
        "&line_items[0][price_data][product_data][images][1]=https%3A%2F%2Fimg.example%2F2.png"
        "&line_items[0][quantity]=2"
        "&line_items[1][price_data][currency]=usd"
        "&line_items[1][price_data][unit_amount]=500"
        "&line_items[1][price_data][product_data][name]=Sticker"
        "&line_items[1][quantity]=1"
    )
    session = post(http, "/v1/checkout/sessions", body)
    assert session.status_code == 200, session.text
    assert session.json()["amount_total"] == 3500
    items = http.get(
        f"/v1/checkout/sessions/{session.json()['id']}/line_items?expand[]=data.price.product"
    ).json()["data"]
    assert items[0]["price"]["product"]["images"] == [
        "https://img.example/1.png",
        "https://img.example/2.png",
    ]


def test_metadata_keys_with_spaces_and_unicode_values(http: httpx.Client) -> None:
    body = httpx.QueryParams(
        {
            "metadata[order number]": "A 1",
            "metadata[ключ]": "значение 東京 🚀",
            "name": "Zoë Ångström",
        }
    )
    customer = post(http, "/v1/customers", str(body)).json()
    assert customer["metadata"] == {"order number": "A 1", "ключ": "значение 東京 🚀"}
    assert customer["name"] == "Zoë Ångström"
    again = http.get(f"/v1/customers/{customer['id']}").json()
    assert again["metadata"]["ключ"] == "значение 東京 🚀"


def test_long_values(http: httpx.Client) -> None:
    ok = post(http, "/v1/customers", str(httpx.QueryParams({"metadata[k]": "x" * 500})))
    assert ok.status_code == 200 and len(ok.json()["metadata"]["k"]) == 500
    too_long = post(http, "/v1/customers", str(httpx.QueryParams({"metadata[k]": "x" * 501})))
    assert too_long.status_code == 400 and error(too_long)["param"] == "metadata[k]"
    key = "k" * 41
    bad_key = post(http, "/v1/customers", str(httpx.QueryParams({f"metadata[{key}]": "v"})))
    assert bad_key.status_code == 400 and error(bad_key)["param"] == f"metadata[{key}]"
    text = "é" * 5000
    described = post(http, "/v1/customers", str(httpx.QueryParams({"description": text})))
    assert described.status_code == 200 and described.json()["description"] == text


@pytest.mark.parametrize(
    ("value", "captured"), [("FALSE", False), ("True", True), ("false", False)]
)
def test_booleans_in_any_case(http: httpx.Client, value: str, captured: bool) -> None:
    charge = post(http, "/v1/charges", f"amount=700&currency=usd&source=tok_visa&capture={value}")
    assert charge.status_code == 200 and charge.json()["captured"] is captured


def test_a_non_boolean_names_its_param(http: httpx.Client) -> None:
    response = post(http, "/v1/charges", "amount=700&currency=usd&source=tok_visa&capture=maybe")
    assert response.status_code == 400 and error(response)["param"] == "capture"


@pytest.mark.parametrize("raw", ["%2B2000", "+2000", "%202000", "2000%20", "2_000", "20.00", "2e3"])
def test_integers_are_digits_only(http: httpx.Client, raw: str) -> None:
    response = post(http, "/v1/charges", f"amount={raw}&currency=usd&source=tok_visa")
    assert response.status_code == 400
    assert error(response)["param"] == "amount"
    assert error(response)["code"] == "parameter_invalid_integer"
    assert http.get("/v1/charges").json()["data"] == []


def test_empty_string_unsets_a_nullable_field(http: httpx.Client) -> None:
    customer = post(http, "/v1/customers", "description=VIP&phone=%2B15555550100&metadata[a]=1")
    assert customer.json()["description"] == "VIP"
    cleared = post(
        http, f"/v1/customers/{customer.json()['id']}", "description=&phone=&metadata[a]="
    )
    assert cleared.status_code == 200
    body = cleared.json()
    assert body["description"] is None and body["phone"] is None and body["metadata"] == {}
