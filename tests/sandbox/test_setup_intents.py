"""SetupIntents through the official SDK: create, confirm (3DS via the challenge page), cancel,
update, list, `usage`, `payment_method_options`, their events, and what setting a card up
changes for off-session payments."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import stripe

from paydesk.sandbox.errors import InvalidRequest
from paydesk.sandbox.keys import publishable_key
from paydesk.sandbox.objects import setup_intent as model


def _types(client: stripe.StripeClient, prefix: str = "setup_intent.") -> list[str]:
    events = client.v1.events.list(params={"limit": 100}).data
    return [e.type for e in reversed(events) if e.type.startswith(prefix)]


def _customer(client: stripe.StripeClient) -> stripe.Customer:
    return client.v1.customers.create(params={"email": "saver@example.com"})


def test_confirming_saves_the_card_on_the_customer(stripe_client: stripe.StripeClient) -> None:
    customer = _customer(stripe_client)
    si = stripe_client.v1.setup_intents.create(
        params={"customer": customer.id, "payment_method_types": ["card"]}
    )
    assert (si.status, si.usage, si.client_secret.startswith(f"{si.id}_secret_")) == (
        "requires_payment_method",
        "off_session",
        True,
    )
    done = stripe_client.v1.setup_intents.confirm(
        si.id, params={"payment_method": "pm_card_visa"}
    )
    assert done.status == "succeeded"
    assert isinstance(done.payment_method, str)
    pm = stripe_client.v1.payment_methods.retrieve(done.payment_method)
    assert pm.customer == customer.id
    assert stripe_client.v1.setup_intents.retrieve(si.id).status == "succeeded"
    assert _types(stripe_client) == ["setup_intent.created", "setup_intent.succeeded"]
    listed = stripe_client.v1.setup_intents.list(params={"customer": customer.id}).data
    assert [s.id for s in listed] == [si.id]


def test_usage_and_options_are_kept_and_echoed(stripe_client: stripe.StripeClient) -> None:
    si = stripe_client.v1.setup_intents.create(
        params={
            "usage": "on_session",
            "payment_method_options": {"card": {"request_three_d_secure": "any"}},
            "metadata": {"plan": "pro"},
        }
    )
    assert si.usage == "on_session"
    assert si.payment_method_options is not None
    assert si.payment_method_options.card is not None
    assert si.payment_method_options.card.request_three_d_secure == "any"
    assert si.metadata.to_dict() == {"plan": "pro"}
    updated = stripe_client.v1.setup_intents.update(
        si.id, params={"description": "Save for renewals", "payment_method": "pm_card_visa"}
    )
    assert (updated.description, updated.status) == ("Save for renewals", "requires_confirmation")


@pytest.mark.parametrize(
    "params",
    [
        {"usage": "sometimes"},
        {"payment_method_options": {"card": {"bogus": "1"}}},
        {"payment_method_options": {"card": {"request_three_d_secure": "always"}}},
        {"payment_method_options": {"carrier_pigeon": {"x": "1"}}},
        {"payment_method_types": ["carrier_pigeon"]},
    ],
)
def test_bad_parameters_are_a_400_and_make_nothing(
    stripe_client: stripe.StripeClient, params: dict[str, object]
) -> None:
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.setup_intents.create(params=params)  # type: ignore[arg-type]
    assert stripe_client.v1.setup_intents.list().data == []


def test_a_declining_card_cannot_be_set_up(stripe_client: stripe.StripeClient) -> None:
    customer = _customer(stripe_client)
    si = stripe_client.v1.setup_intents.create(params={"customer": customer.id})
    with pytest.raises(stripe.CardError) as declined:
        stripe_client.v1.setup_intents.confirm(
            si.id, params={"payment_method": "pm_card_chargeDeclined"}
        )
    assert (declined.value.code, declined.value.http_status) == ("card_declined", 402)
    failed = stripe_client.v1.setup_intents.retrieve(si.id)
    assert failed.status == "requires_payment_method"
    assert failed.last_setup_error is not None
    assert failed.last_setup_error.decline_code == "generic_decline"
    assert _types(stripe_client) == ["setup_intent.created", "setup_intent.setup_failed"]
    assert stripe_client.v1.payment_methods.list(params={"customer": customer.id}).data == []


def _challenge(url: str, action: str) -> httpx.Response:
    parts = urlsplit(url)
    secret = parse_qs(parts.query)["client_secret"][0]
    return httpx.post(url, data={"client_secret": secret, "action": action})


@pytest.mark.parametrize(("action", "status"), [("complete", "succeeded"), ("fail", "failed")])
def test_a_3ds_card_needs_the_challenge_to_be_set_up(
    stripe_client: stripe.StripeClient, action: str, status: str
) -> None:
    customer = _customer(stripe_client)
    si = stripe_client.v1.setup_intents.create(
        params={
            "customer": customer.id,
            "payment_method": "pm_card_authenticationRequiredOnSetup",
            "confirm": True,
            "return_url": "https://shop.example/saved",
        }
    )
    assert si.status == "requires_action"
    assert si.next_action is not None and si.next_action.redirect_to_url is not None
    answer = _challenge(str(si.next_action.redirect_to_url.url), action)
    assert answer.status_code == 303
    back = parse_qs(urlsplit(answer.headers["location"]).query)
    assert back["setup_intent"] == [si.id] and back["redirect_status"] == [status]
    after = stripe_client.v1.setup_intents.retrieve(si.id)
    if action == "complete":
        assert after.status == "succeeded"
        assert _types(stripe_client)[-1] == "setup_intent.succeeded"
    else:
        assert after.status == "requires_payment_method"
        assert after.last_setup_error is not None
        assert after.last_setup_error.code == "setup_intent_authentication_failure"
        assert _types(stripe_client)[-1] == "setup_intent.setup_failed"
    assert "setup_intent.requires_action" in _types(stripe_client)


def test_request_three_d_secure_any_forces_the_challenge(
    stripe_client: stripe.StripeClient,
) -> None:
    si = stripe_client.v1.setup_intents.create(
        params={
            "payment_method": "pm_card_visa",
            "confirm": True,
            "payment_method_options": {"card": {"request_three_d_secure": "any"}},
        }
    )
    assert si.status == "requires_action"


def test_cancel_and_what_may_not_follow(stripe_client: stripe.StripeClient) -> None:
    si = stripe_client.v1.setup_intents.create()
    canceled = stripe_client.v1.setup_intents.cancel(
        si.id, params={"cancellation_reason": "abandoned"}
    )
    assert (canceled.status, canceled.cancellation_reason) == ("canceled", "abandoned")
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.setup_intents.confirm(si.id, params={"payment_method": "pm_card_visa"})
    assert refused.value.code == "setup_intent_unexpected_state"
    assert _types(stripe_client) == ["setup_intent.created", "setup_intent.canceled"]


def test_every_transition_pair_is_in_the_table_or_refused() -> None:
    statuses = ["requires_payment_method", "requires_confirmation", "requires_action",
                "succeeded", "canceled"]  # fmt: skip
    triggers = ["attach_payment_method", "succeed", "require_action", "fail", "cancel"]
    for status in statuses:
        for trigger in triggers:
            si = {"id": "seti_x", "status": status}
            expected = model.TRANSITIONS.get((status, trigger))
            if expected is None:
                with pytest.raises(InvalidRequest):
                    model.next_status(si, trigger)
            else:
                assert model.next_status(si, trigger) == expected
    assert all(s not in ("succeeded", "canceled") for (s, _t) in model.TRANSITIONS)


# -- off-session after setup (Stripe's 3DS test cards) -------------------------------------------


def _set_up(client: stripe.StripeClient, customer: str, test_pm: str) -> str:
    si = client.v1.setup_intents.create(
        params={"customer": customer, "payment_method": test_pm, "confirm": True}
    )
    assert si.next_action is not None and si.next_action.redirect_to_url is not None
    assert _challenge(str(si.next_action.redirect_to_url.url), "complete").status_code == 200
    done = client.v1.setup_intents.retrieve(si.id)
    assert done.status == "succeeded" and isinstance(done.payment_method, str)
    return done.payment_method


def _off_session(client: stripe.StripeClient, customer: str, pm: str) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(
        params={
            "amount": 1500,
            "currency": "usd",
            "customer": customer,
            "payment_method": pm,
            "off_session": True,
            "confirm": True,
        }
    )


def test_3155_pays_off_session_once_set_up(stripe_client: stripe.StripeClient) -> None:
    customer = _customer(stripe_client).id
    pm = _set_up(stripe_client, customer, "pm_card_authenticationRequiredOnSetup")
    assert _off_session(stripe_client, customer, pm).status == "succeeded"
    on_session = stripe_client.v1.payment_intents.create(
        params={"amount": 900, "currency": "usd", "customer": customer, "payment_method": pm,
                "confirm": True}
    )  # fmt: skip
    assert on_session.status == "requires_action"


def test_3155_not_set_up_needs_authentication_off_session(
    stripe_client: stripe.StripeClient,
) -> None:
    customer = _customer(stripe_client).id
    pm = stripe_client.v1.payment_methods.attach(
        "pm_card_authenticationRequiredOnSetup", params={"customer": customer}
    )
    with pytest.raises(stripe.CardError) as declined:
        _off_session(stripe_client, customer, pm.id)
    assert declined.value.code == "authentication_required"


def test_3184_always_needs_authentication(stripe_client: stripe.StripeClient) -> None:
    customer = _customer(stripe_client).id
    pm = _set_up(stripe_client, customer, "pm_card_authenticationRequired")
    with pytest.raises(stripe.CardError) as declined:
        _off_session(stripe_client, customer, pm)
    assert declined.value.code == "authentication_required"
    assert declined.value.json_body is not None
    pi = declined.value.json_body["error"]["payment_intent"]
    assert pi["status"] == "requires_payment_method"


def test_3155_authenticated_on_session_with_setup_future_usage_pays_off_session_later(
    stripe_client: stripe.StripeClient,
) -> None:
    customer = _customer(stripe_client).id
    pi = stripe_client.v1.payment_intents.create(
        params={
            "amount": 2000,
            "currency": "usd",
            "customer": customer,
            "payment_method": "pm_card_authenticationRequiredOnSetup",
            "setup_future_usage": "off_session",
            "confirm": True,
            "return_url": "https://shop.example/back",
        }
    )
    assert pi.status == "requires_action"
    assert pi.next_action is not None and pi.next_action.redirect_to_url is not None
    _challenge(str(pi.next_action.redirect_to_url.url), "complete")
    paid = stripe_client.v1.payment_intents.retrieve(pi.id)
    assert paid.status == "succeeded" and isinstance(paid.payment_method, str)
    assert _off_session(stripe_client, customer, paid.payment_method).status == "succeeded"


def test_stripe_js_confirms_a_setup_intent_with_the_publishable_key(
    sandbox_url: str, stripe_key: str, stripe_client: stripe.StripeClient
) -> None:
    si = stripe_client.v1.setup_intents.create()
    pk = publishable_key(stripe_key)
    form = {
        "payment_method_data[type]": "card",
        "payment_method_data[card][number]": "4242424242424242",
        "payment_method_data[card][exp_month]": "12",
        "payment_method_data[card][exp_year]": "34",
        "payment_method_data[card][cvc]": "123",
        "key": pk,
        "client_secret": str(si.client_secret),
        "muid": "NA",
        "_stripe_version": "2020-08-27",
    }
    confirmed = httpx.post(f"{sandbox_url}/v1/setup_intents/{si.id}/confirm", data=form)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "succeeded"
    fetched = httpx.get(
        f"{sandbox_url}/v1/setup_intents/{si.id}",
        params={"client_secret": si.client_secret, "key": pk},
    )
    assert fetched.status_code == 200 and fetched.json()["status"] == "succeeded"
    wrong = httpx.get(
        f"{sandbox_url}/v1/setup_intents/{si.id}",
        params={"client_secret": f"{si.id}_secret_nope", "key": pk},
    )
    assert wrong.status_code == 400 and wrong.json()["error"]["param"] == "client_secret"
    cancel = httpx.post(
        f"{sandbox_url}/v1/setup_intents/{si.id}/cancel",
        data={"key": pk, "client_secret": str(si.client_secret)},
    )
    assert cancel.status_code == 401
