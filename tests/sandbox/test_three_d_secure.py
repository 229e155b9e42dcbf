"""3D Secure: requires_action, the challenge page's Complete and Fail buttons, return_url."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import stripe


def _needs_auth(client: stripe.StripeClient, pm: str, **extra: object) -> stripe.PaymentIntent:
    params = {"amount": 4200, "currency": "usd", "confirm": True, "payment_method": pm}
    return client.v1.payment_intents.create(params={**params, **extra})  # type: ignore[arg-type]


@pytest.mark.parametrize("pm", ["pm_card_threeDSecure2Required", "pm_card_authenticationRequired"])
def test_complete_succeeds_and_returns(stripe_client: stripe.StripeClient, pm: str) -> None:
    pi = _needs_auth(stripe_client, pm, return_url="http://shop.test/done?order=7")
    assert pi.status == "requires_action"
    assert pi.next_action is not None and pi.next_action.type == "redirect_to_url"
    url = pi.next_action.redirect_to_url.url
    assert f"/pay/3ds/{pi.id}" in url
    assert pi.next_action.redirect_to_url.return_url == "http://shop.test/done?order=7"
    page = httpx.get(url)
    assert page.status_code == 200 and 'value="complete"' in page.text
    answer = httpx.post(url, data={"action": "complete"})
    assert answer.status_code == 303
    target = urlsplit(answer.headers["location"])
    query = parse_qs(target.query)
    assert target.netloc == "shop.test" and query["order"] == ["7"]
    assert query["payment_intent"] == [pi.id] and query["redirect_status"] == ["succeeded"]
    done = stripe_client.v1.payment_intents.retrieve(pi.id)
    assert done.status == "succeeded" and done.next_action is None
    events = [e.type for e in reversed(stripe_client.v1.events.list().data)]
    assert events == [
        "payment_intent.created",
        "payment_intent.requires_action",
        "charge.succeeded",
        "payment_intent.succeeded",
    ]


def test_fail_sends_intent_back_with_authentication_failure(
    stripe_client: stripe.StripeClient,
) -> None:
    pi = _needs_auth(stripe_client, "pm_card_threeDSecure2Required")
    assert pi.next_action is not None
    answer = httpx.post(pi.next_action.redirect_to_url.url, data={"action": "fail"})
    assert answer.status_code == 200 and "close this page" in answer.text
    failed = stripe_client.v1.payment_intents.retrieve(pi.id)
    assert failed.status == "requires_payment_method"
    assert failed.last_payment_error is not None
    assert failed.last_payment_error.code == "payment_intent_authentication_failure"
    assert stripe_client.v1.events.list().data[0].type == "payment_intent.payment_failed"


def test_raw_3ds_card_number_and_manual_capture(stripe_client: stripe.StripeClient) -> None:
    pm = stripe_client.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": "4000002500003155", "exp_month": 12, "exp_year": 2040, "cvc": "123"},
        }
    )
    pi = _needs_auth(stripe_client, pm.id, capture_method="manual")
    assert pi.status == "requires_action" and pi.next_action is not None
    httpx.post(pi.next_action.redirect_to_url.url, data={"action": "complete"})
    assert stripe_client.v1.payment_intents.retrieve(pi.id).status == "requires_capture"


def test_wrong_client_secret_is_refused(stripe_client: stripe.StripeClient) -> None:
    pi = _needs_auth(stripe_client, "pm_card_threeDSecure2Required")
    assert pi.next_action is not None
    url = pi.next_action.redirect_to_url.url.split("?")[0] + "?client_secret=nope"
    assert httpx.get(url).status_code == 404
    assert httpx.post(url, data={"action": "complete"}).status_code == 404
    assert stripe_client.v1.payment_intents.retrieve(pi.id).status == "requires_action"


def test_off_session_authentication_card_declines(stripe_client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.CardError) as raised:
        _needs_auth(stripe_client, "pm_card_authenticationRequired", off_session=True)
    assert raised.value.code == "authentication_required"


@pytest.mark.parametrize(
    "return_url",
    ["javascript:alert(document.cookie)", "data:text/html,<b>x</b>", "//evil.test/x", "http:/x"],
)
def test_a_return_url_that_is_not_a_web_address_is_refused(
    stripe_client: stripe.StripeClient, return_url: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        _needs_auth(stripe_client, "pm_card_threeDSecure2Required", return_url=return_url)
    assert caught.value.http_status == 400 and caught.value.param == "return_url"
    assert stripe_client.v1.payment_intents.list().data == []  # refused before creating one

    pi = stripe_client.v1.payment_intents.create(
        params={
            "amount": 4200,
            "currency": "usd",
            "payment_method": "pm_card_threeDSecure2Required",
        }
    )
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.payment_intents.confirm(pi.id, params={"return_url": return_url})
    assert caught.value.param == "return_url"
    assert stripe_client.v1.payment_intents.retrieve(pi.id).status == "requires_confirmation"
