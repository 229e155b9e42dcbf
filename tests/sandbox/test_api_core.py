"""Stripe's API conventions as the sandbox speaks them: auth, form encoding, errors, request ids,
idempotency, pagination, expand and metadata — with the real SDK and with raw HTTP."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
import stripe


def _raw(sandbox_url: str, key: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(base_url=sandbox_url, headers=headers, timeout=30)


# -- auth ----------------------------------------------------------------------------------------


def test_bearer_and_basic_auth_reach_the_same_account(sandbox_url: str, stripe_key: str) -> None:
    with _raw(sandbox_url, stripe_key) as bearer:
        created = bearer.post("/v1/customers", data={"email": "both@example.com"}).json()
    with httpx.Client(base_url=sandbox_url, auth=(stripe_key, "")) as basic:  # curl -u sk_…:
        found = basic.get(f"/v1/customers/{created['id']}")
    assert found.status_code == 200
    assert found.json()["email"] == "both@example.com"


@pytest.mark.parametrize(
    "authorization",
    [None, "Basic Og==", "Bearer pk_test_" + "x" * 24, "Bearer sk_live_" + "x" * 24, "Bearer nope"],
)
def test_anything_but_a_test_secret_key_is_401(sandbox_url: str, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    answer = httpx.get(sandbox_url + "/v1/customers", headers=headers)
    assert answer.status_code == 401
    error = answer.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"]
    assert answer.headers["request-id"].startswith("req_")


def test_the_sdk_raises_authentication_error_for_a_publishable_key(sandbox_url: str) -> None:
    client = stripe.StripeClient("pk_test_" + uuid.uuid4().hex, base_addresses={"api": sandbox_url})
    with pytest.raises(stripe.AuthenticationError) as caught:
        client.v1.customers.list()
    assert caught.value.http_status == 401


def test_each_secret_key_is_its_own_account(sandbox_url: str) -> None:
    alice = stripe.StripeClient("sk_test_" + uuid.uuid4().hex, base_addresses={"api": sandbox_url})
    bob = stripe.StripeClient("sk_test_" + uuid.uuid4().hex, base_addresses={"api": sandbox_url})
    customer = alice.v1.customers.create(params={"email": "alice@example.com"})
    assert bob.v1.customers.list().data == []
    assert bob.v1.events.list().data == []
    with pytest.raises(stripe.InvalidRequestError) as caught:
        bob.v1.customers.retrieve(customer.id)
    assert caught.value.code == "resource_missing"
    assert [c.id for c in alice.v1.customers.list().data] == [customer.id]


# -- form encoding -------------------------------------------------------------------------------


def test_bracket_notation_decodes_to_nested_objects_and_arrays(
    sandbox_url: str, stripe_key: str
) -> None:
    body = (
        "email=form%40example.com&metadata[order_id]=42&metadata[note]=a+b%26c"
        "&address[line1]=1+Main+St&address[city]=Paris&address[country]=FR"
        "&preferred_locales[]=fr&preferred_locales[]=en"
        "&shipping[name]=Ada&shipping[address][line1]=2+Side+St&shipping[address][city]=Lyon"
    )
    with _raw(sandbox_url, stripe_key) as http:
        answer = http.post(
            "/v1/customers",
            content=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert answer.status_code == 200, answer.text
    customer = answer.json()
    assert customer["metadata"] == {"order_id": "42", "note": "a b&c"}
    assert customer["address"]["line1"] == "1 Main St"
    assert customer["address"]["country"] == "FR"
    assert customer["address"]["line2"] is None
    assert customer["preferred_locales"] == ["fr", "en"]
    assert customer["shipping"]["name"] == "Ada"
    assert customer["shipping"]["address"]["city"] == "Lyon"


def test_indexed_arrays_of_objects_decode_in_index_order(sandbox_url: str, stripe_key: str) -> None:
    body = {
        "url": "https://example.com/hook",
        "enabled_events[1]": "charge.succeeded",
        "enabled_events[0]": "customer.created",
    }
    with _raw(sandbox_url, stripe_key) as http:
        endpoint = http.post("/v1/webhook_endpoints", data=body).json()
        assert endpoint["enabled_events"] == ["customer.created", "charge.succeeded"]
        session = http.post(
            "/v1/checkout/sessions",
            data={
                "mode": "payment",
                "success_url": "https://example.com/ok",
                "line_items[0][price_data][currency]": "usd",
                "line_items[0][price_data][unit_amount]": "1500",
                "line_items[0][price_data][product_data][name]": "Tea",
                "line_items[0][quantity]": "2",
                "line_items[1][price_data][currency]": "usd",
                "line_items[1][price_data][unit_amount]": "300",
                "line_items[1][price_data][product_data][name]": "Cake",
                "line_items[1][quantity]": "1",
            },
        )
    assert session.status_code == 200, session.text
    assert session.json()["amount_total"] == 2 * 1500 + 300


@pytest.mark.parametrize(
    ("sent", "status"),
    [("TRUE", "disabled"), ("True", "disabled"), ("true", "disabled"), ("FALSE", "enabled")],
)
def test_booleans_are_read_in_any_case(
    sandbox_url: str, stripe_key: str, sent: str, status: str
) -> None:
    with _raw(sandbox_url, stripe_key) as http:
        endpoint = http.post(
            "/v1/webhook_endpoints",
            data={"url": "https://example.com/h", "enabled_events[]": "*"},
        ).json()
        updated = http.post(f"/v1/webhook_endpoints/{endpoint['id']}", data={"disabled": sent})
    assert updated.status_code == 200, updated.text
    assert updated.json()["status"] == status


# -- errors and request ids ----------------------------------------------------------------------


def test_a_missing_object_is_404_resource_missing_in_stripes_shape(
    sandbox_url: str, stripe_key: str, stripe_client: stripe.StripeClient
) -> None:
    with _raw(sandbox_url, stripe_key) as http:
        answer = http.get("/v1/customers/cus_doesnotexist")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.json() == {
        "error": {
            "type": "invalid_request_error",
            "code": "resource_missing",
            "message": "No such customer: 'cus_doesnotexist'",
            "param": "id",
            "doc_url": "https://stripe.com/docs/error-codes/resource-missing",
        }
    }
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.customers.retrieve("cus_doesnotexist")
    assert caught.value.http_status == 404
    assert caught.value.code == "resource_missing"
    assert caught.value.param == "id"
    assert (caught.value.request_id or "").startswith("req_")


def test_a_bad_parameter_is_400_naming_it(stripe_client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.customers.create(params={"colour": "blue"})  # type: ignore[typeddict-unknown-key]
    assert caught.value.http_status == 400
    assert caught.value.param == "colour"
    assert "colour" in (caught.value.user_message or "")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.customers.list(params={"limit": 101})
    assert caught.value.param == "limit"


def test_unknown_urls_are_404_and_every_answer_has_a_distinct_request_id(
    sandbox_url: str, stripe_key: str
) -> None:
    with _raw(sandbox_url, stripe_key) as http:
        unknown = http.get("/v1/teleporters")
        ids = {http.get("/v1/customers").headers["request-id"] for _ in range(5)}
    assert unknown.status_code == 404
    assert unknown.json()["error"]["type"] == "invalid_request_error"
    assert "Unrecognized request URL" in unknown.json()["error"]["message"]
    assert len(ids) == 5 and all(i.startswith("req_") for i in ids)


# -- idempotency ---------------------------------------------------------------------------------


def test_the_same_key_and_params_replay_the_first_answer(
    sandbox_url: str, stripe_key: str, stripe_client: stripe.StripeClient
) -> None:
    key = str(uuid.uuid4())
    with _raw(sandbox_url, stripe_key) as http:
        first = http.post(
            "/v1/customers", data={"email": "i@example.com"}, headers={"Idempotency-Key": key}
        )
        again = http.post(
            "/v1/customers", data={"email": "i@example.com"}, headers={"Idempotency-Key": key}
        )
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert again.headers["request-id"] != first.headers["request-id"]
    # The SDK sees the same object, and only one customer exists.
    replay = stripe_client.v1.customers.create(
        params={"email": "i@example.com"}, options={"idempotency_key": key}
    )
    assert replay.id == first.json()["id"]
    assert [c.id for c in stripe_client.v1.customers.list().data] == [replay.id]
    assert len(stripe_client.v1.events.list(params={"type": "customer.created"}).data) == 1


def test_the_same_key_with_other_params_is_refused(stripe_client: stripe.StripeClient) -> None:
    key = str(uuid.uuid4())
    stripe_client.v1.customers.create(
        params={"email": "a@example.com"}, options={"idempotency_key": key}
    )
    with pytest.raises(stripe.IdempotencyError) as caught:
        stripe_client.v1.customers.create(
            params={"email": "b@example.com"}, options={"idempotency_key": key}
        )
    assert caught.value.http_status == 400
    assert key in (caught.value.user_message or "")
    assert len(stripe_client.v1.customers.list().data) == 1


def test_a_declined_payment_is_replayed_not_retried(stripe_client: stripe.StripeClient) -> None:
    key = str(uuid.uuid4())
    params: Any = {
        "amount": 1000,
        "currency": "usd",
        "payment_method": "pm_card_chargeDeclined",
        "payment_method_types": ["card"],
        "confirm": True,
    }
    errors = []
    for _ in range(2):
        with pytest.raises(stripe.CardError) as caught:
            stripe_client.v1.payment_intents.create(params=params, options={"idempotency_key": key})
        errors.append(caught.value)
    assert errors[0].code == errors[1].code == "card_declined"
    assert errors[1].json_body == errors[0].json_body
    assert len(stripe_client.v1.payment_intents.list().data) == 1


def test_get_ignores_the_idempotency_key(
    sandbox_url: str, stripe_key: str, stripe_client: stripe.StripeClient
) -> None:
    customer = stripe_client.v1.customers.create(params={"name": "Before"})
    headers = {"Idempotency-Key": "same-key-for-reads"}
    with _raw(sandbox_url, stripe_key) as http:
        first = http.get(f"/v1/customers/{customer.id}", headers=headers)
        stripe_client.v1.customers.update(customer.id, params={"name": "After"})
        second = http.get(f"/v1/customers/{customer.id}", headers=headers)
    assert first.json()["name"] == "Before"
    assert second.json()["name"] == "After"
    assert "idempotent-replayed" not in second.headers


# -- pagination ----------------------------------------------------------------------------------


def test_lists_page_newest_first_both_ways(stripe_client: stripe.StripeClient) -> None:
    made = [stripe_client.v1.customers.create(params={"name": f"c{i}"}).id for i in range(7)]
    newest_first = made[::-1]

    first = stripe_client.v1.customers.list(params={"limit": 3})
    assert [c.id for c in first.data] == newest_first[:3]
    assert first.has_more is True
    assert first.url == "/v1/customers"
    second = stripe_client.v1.customers.list(
        params={"limit": 3, "starting_after": first.data[-1].id}
    )
    assert [c.id for c in second.data] == newest_first[3:6]
    last = stripe_client.v1.customers.list(
        params={"limit": 3, "starting_after": second.data[-1].id}
    )
    assert [c.id for c in last.data] == newest_first[6:]
    assert last.has_more is False

    back = stripe_client.v1.customers.list(params={"limit": 2, "ending_before": made[2]})
    assert [c.id for c in back.data] == [made[4], made[3]]  # the nearest newer ones
    assert back.has_more is True

    assert [c.id for c in first.auto_paging_iter()] == newest_first
    backwards = stripe_client.v1.customers.list(params={"limit": 2, "ending_before": made[0]})
    assert [c.id for c in backwards.auto_paging_iter()] == made[1:]  # walks towards the newest


def test_a_cursor_that_does_not_exist_is_404_naming_it(
    stripe_client: stripe.StripeClient,
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.customers.list(params={"starting_after": "cus_gone"})
    assert caught.value.http_status == 404
    assert caught.value.param == "starting_after"


# -- expand --------------------------------------------------------------------------------------


def test_expand_replaces_ids_nested_and_inside_lists(stripe_client: stripe.StripeClient) -> None:
    customer = stripe_client.v1.customers.create(params={"email": "x@example.com"})
    params: Any = {
        "amount": 1200,
        "currency": "usd",
        "customer": customer.id,
        "payment_method": "pm_card_visa",
        "payment_method_types": ["card"],
        "confirm": True,
        "expand": ["latest_charge.customer", "payment_method"],
    }
    pi = stripe_client.v1.payment_intents.create(params=params)
    assert pi.latest_charge.customer.email == "x@example.com"
    assert pi.payment_method.object == "payment_method"
    stored = stripe_client.v1.payment_intents.retrieve(pi.id)
    assert isinstance(stored.latest_charge, str)  # expansion never changes what is stored

    listed = stripe_client.v1.payment_intents.list(params={"expand": ["data.customer"]})
    assert listed.data[0].customer.id == customer.id


def test_expanding_what_cannot_be_expanded_is_400_param_expand(
    stripe_client: stripe.StripeClient,
) -> None:
    customer = stripe_client.v1.customers.create(params={"email": "e@example.com"})
    for path in ("nope", "email", "metadata.x"):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            stripe_client.v1.customers.retrieve(customer.id, params={"expand": [path]})
        assert caught.value.http_status == 400
        assert caught.value.param == "expand"


# -- metadata ------------------------------------------------------------------------------------


def test_metadata_limits_are_stripes(stripe_client: stripe.StripeClient) -> None:
    at_limits = {"k" * 40: "v" * 500, **{f"key{i}": str(i) for i in range(49)}}
    customer = stripe_client.v1.customers.create(params={"metadata": at_limits})
    assert customer.metadata.to_dict() == at_limits

    for bad, param in [
        ({"k" * 41: "v"}, "metadata[" + "k" * 41 + "]"),
        ({"long": "v" * 501}, "metadata[long]"),
        ({"one_too_many": "x"}, "metadata"),
    ]:
        with pytest.raises(stripe.InvalidRequestError) as caught:
            stripe_client.v1.customers.update(customer.id, params={"metadata": bad})
        assert caught.value.http_status == 400
        assert caught.value.param == param
    unchanged = stripe_client.v1.customers.retrieve(customer.id)
    assert unchanged.metadata.to_dict() == at_limits


def test_an_empty_value_unsets_a_key_and_empty_metadata_clears_all(
    stripe_client: stripe.StripeClient,
) -> None:
    customer = stripe_client.v1.customers.create(params={"metadata": {"a": "1", "b": "2"}})
    updated = stripe_client.v1.customers.update(
        customer.id, params={"metadata": {"a": "", "c": "3"}}
    )
    assert updated.metadata.to_dict() == {"b": "2", "c": "3"}
    cleared = stripe_client.v1.customers.update(customer.id, params={"metadata": ""})  # type: ignore[typeddict-item]
    assert cleared.metadata.to_dict() == {}
