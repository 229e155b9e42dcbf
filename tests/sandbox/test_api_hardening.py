"""Requests that used to slip through: odd form keys, mixed value/hash parameters, unbounded
expand lists, and what an Idempotency-Key keeps (everything the endpoint answered, 500s
included; nothing refused before it ran)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import orjson
import pytest
import stripe

from paydesk.sandbox.api import ApiApp
from paydesk.sandbox.routing import Call, Router
from paydesk.sandbox.store import Store


def _raw(sandbox_url: str, key: str) -> httpx.Client:
    return httpx.Client(base_url=sandbox_url, headers={"Authorization": f"Bearer {key}"})


def _form(http: httpx.Client, path: str, body: str, **headers: str) -> httpx.Response:
    return http.post(
        path,
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", **headers},
    )


# -- form keys -----------------------------------------------------------------------------------


def test_a_non_ascii_digit_key_is_a_plain_metadata_key(sandbox_url: str, stripe_key: str) -> None:
    # "²".isdigit() is True but int("²") raises: this was a plain-text 500.
    with _raw(sandbox_url, stripe_key) as http:
        answer = _form(http, "/v1/customers", "metadata[%C2%B2]=1")
    assert answer.status_code == 200, answer.text
    assert answer.json()["metadata"] == {"²": "1"}


def test_a_huge_numeric_key_is_a_key_not_a_list_index(sandbox_url: str, stripe_key: str) -> None:
    digits = "9" * 5000
    with _raw(sandbox_url, stripe_key) as http:
        too_long = _form(http, "/v1/customers", f"metadata[{digits}]=1")
        long_ok = _form(http, "/v1/customers", "metadata[12345678901]=1")
    assert too_long.status_code == 400
    assert too_long.headers["content-type"] == "application/json"
    assert too_long.json()["error"]["param"] == f"metadata[{digits}]"
    assert long_ok.status_code == 200, long_ok.text
    assert long_ok.json()["metadata"] == {"12345678901": "1"}


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ("description[a]=1&description=plain", "description"),
        (
            "shipping[name]=Ada&shipping[address][city]=Lyon&shipping[address]=x",
            "shipping[address]",
        ),
        ("preferred_locales[]=fr&preferred_locales=en", "preferred_locales"),
        ("description=plain&description[a]=1", "description"),
    ],
)
def test_a_value_and_a_hash_for_one_parameter_is_400_naming_it(
    sandbox_url: str, stripe_key: str, body: str, param: str
) -> None:
    with _raw(sandbox_url, stripe_key) as http:
        answer = _form(http, "/v1/customers", body)
        listed = http.get("/v1/customers").json()
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert (error["type"], error["param"]) == ("invalid_request_error", param)
    assert listed["data"] == []


def test_an_empty_value_then_a_hash_still_sets_the_hash(sandbox_url: str, stripe_key: str) -> None:
    with _raw(sandbox_url, stripe_key) as http:
        answer = _form(http, "/v1/customers", "metadata=&metadata[a]=1")
    assert answer.status_code == 200, answer.text
    assert answer.json()["metadata"] == {"a": "1"}


# -- expand --------------------------------------------------------------------------------------


def test_more_than_20_expand_paths_is_400_param_expand_and_changes_nothing(
    stripe_client: stripe.StripeClient,
) -> None:
    twenty = ["customer"] * 20
    params: Any = {"amount": 500, "currency": "usd", "expand": [*twenty, "customer"]}
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.payment_intents.create(params=params)
    assert caught.value.http_status == 400 and caught.value.param == "expand"
    assert stripe_client.v1.payment_intents.list().data == []
    params["expand"] = twenty
    assert stripe_client.v1.payment_intents.create(params=params).amount == 500


# -- idempotency ---------------------------------------------------------------------------------


def test_a_400_from_the_endpoint_is_kept_and_replayed(
    sandbox_url: str, stripe_key: str, stripe_client: stripe.StripeClient
) -> None:
    pi = stripe_client.v1.payment_intents.create(
        params={
            "amount": 700,
            "currency": "usd",
            "capture_method": "manual",
            "payment_method": "pm_card_visa",
            "payment_method_types": ["card"],
        }
    )
    key = {"Idempotency-Key": str(uuid.uuid4())}
    with _raw(sandbox_url, stripe_key) as http:
        early = http.post(f"/v1/payment_intents/{pi.id}/capture", headers=key)
        assert early.status_code == 400
        assert early.json()["error"]["code"] == "payment_intent_unexpected_state"
        stripe_client.v1.payment_intents.confirm(pi.id)  # now it could be captured
        again = http.post(f"/v1/payment_intents/{pi.id}/capture", headers=key)
    assert again.status_code == 400
    assert again.content == early.content
    assert again.headers["idempotent-replayed"] == "true"
    assert stripe_client.v1.payment_intents.retrieve(pi.id).status == "requires_capture"


def test_refusals_before_the_endpoint_runs_are_not_kept(sandbox_url: str, stripe_key: str) -> None:
    key = {"Idempotency-Key": str(uuid.uuid4())}
    with _raw(sandbox_url, stripe_key) as http:
        unknown = http.post("/v1/customers", data={"bogus": "1"}, headers=key)
        bad_expand = http.post("/v1/customers", data={"expand[0]": ""}, headers=key)
        mixed = _form(http, "/v1/customers", "name[a]=1&name=b", **key)
        no_route = http.post("/v1/no_such_things", data={"name": "x"}, headers=key)
        created = http.post("/v1/customers", data={"name": "Kept"}, headers=key)
        replayed = http.post("/v1/customers", data={"name": "Kept"}, headers=key)
    assert unknown.status_code == 400
    assert unknown.json()["error"]["code"] == "parameter_unknown"
    assert bad_expand.status_code == mixed.status_code == 400
    assert no_route.status_code == 404
    # The key was still free: the first request the endpoint ran is the one kept.
    assert created.status_code == 200, created.text
    assert "idempotent-replayed" not in created.headers
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json()["id"] == created.json()["id"]


def test_an_unknown_payment_intent_data_key_is_not_kept(sandbox_url: str, stripe_key: str) -> None:
    base = {
        "mode": "payment",
        "success_url": "https://shop.example/ok",
        "line_items[0][price_data][currency]": "usd",
        "line_items[0][price_data][unit_amount]": "500",
        "line_items[0][price_data][product_data][name]": "Tea",
        "line_items[0][quantity]": "1",
    }
    key = {"Idempotency-Key": str(uuid.uuid4())}
    with _raw(sandbox_url, stripe_key) as http:
        refused = http.post(
            "/v1/checkout/sessions",
            data={**base, "payment_intent_data[nope]": "1"},
            headers=key,
        )
        created = http.post("/v1/checkout/sessions", data=base, headers=key)
    assert refused.status_code == 400
    assert refused.json()["error"]["param"] == "payment_intent_data[nope]"
    assert created.status_code == 200, created.text


def _app_with(handler: Any) -> ApiApp:
    router = Router()
    router.route("POST", "/v1/widgets")(handler)
    return ApiApp(Store(), router)


def _post(app: ApiApp, key: str) -> tuple[int, bytes, dict[str, str]]:
    scope = {"method": "POST", "path": "/v1/widgets", "query_string": b""}
    headers = {
        "authorization": "Bearer sk_test_" + "w" * 24,
        "idempotency-key": key,
        "content-type": "application/x-www-form-urlencoded",
    }
    return app.handle(scope, headers, b"size=3", "req_test")


def test_a_500_from_the_endpoint_is_json_and_kept_for_the_key() -> None:
    runs: list[dict[str, Any]] = []

    def broken(call: Call) -> dict[str, Any]:
        runs.append(call.params)
        raise RuntimeError("a bug in the handler")

    app = _app_with(broken)
    status, body, _ = _post(app, "k-500")
    again_status, again_body, extra = _post(app, "k-500")

    assert status == again_status == 500
    assert orjson.loads(body)["error"]["type"] == "api_error"
    assert again_body == body and extra["Idempotent-Replayed"] == "true"
    assert runs == [{"size": "3"}]  # the retry did not run the endpoint again
    _, _, other = _post(app, "k-other")
    assert "Idempotent-Replayed" not in other and len(runs) == 2
