"""Signature verification, one input changed at a time, checked against Stripe's own signer."""

from __future__ import annotations

import time

import pytest
import stripe

from paydesk.webhooks.signature import SignatureError, sign, verify
from tests.support import stripe_signature

BODY = b'{"id":"evt_1","object":"event","type":"checkout.session.completed","created":1}'
SECRET = "whsec_abc"


def test_stripe_sdk_accepts_our_signature() -> None:
    event = stripe.Webhook.construct_event(BODY.decode(), sign(BODY, SECRET), SECRET)
    assert event["id"] == "evt_1"


def test_stripe_sdk_signature_verifies_with_ours() -> None:
    t = int(time.time())
    mac = stripe.WebhookSignature._compute_signature(f"{t}.{BODY.decode()}", SECRET)
    assert verify(BODY, f"t={t},v1={mac}", [SECRET]) == t


def test_valid_signature_returns_timestamp() -> None:
    assert verify(BODY, sign(BODY, SECRET, 1000), [SECRET], now=1000) == 1000


@pytest.mark.parametrize(
    "header",
    [None, "", "garbage", "t=abc,v1=00", "v1=" + "0" * 64, "t=1000"],
    ids=["missing", "empty", "garbage", "bad-timestamp", "no-timestamp", "no-v1"],
)
def test_malformed_headers_are_refused(header: str | None) -> None:
    with pytest.raises(SignatureError):
        verify(BODY, header, [SECRET], now=1000)


def test_tampered_body_is_refused() -> None:
    with pytest.raises(SignatureError):
        verify(BODY.replace(b"evt_1", b"evt_2"), sign(BODY, SECRET, 1000), [SECRET], now=1000)


def test_wrong_secret_is_refused() -> None:
    with pytest.raises(SignatureError):
        verify(BODY, sign(BODY, "whsec_other", 1000), [SECRET], now=1000)


def test_changed_timestamp_is_refused() -> None:
    header = sign(BODY, SECRET, 1000).replace("t=1000", "t=1001")
    with pytest.raises(SignatureError):
        verify(BODY, header, [SECRET], now=1000)


@pytest.mark.parametrize("skew", [-301, 301])
def test_timestamp_outside_tolerance_is_refused(skew: int) -> None:
    with pytest.raises(SignatureError):
        verify(BODY, sign(BODY, SECRET, 1000), [SECRET], now=1000 + skew)


@pytest.mark.parametrize("skew", [-300, 300])
def test_timestamp_at_tolerance_edge_is_accepted(skew: int) -> None:
    assert verify(BODY, sign(BODY, SECRET, 1000), [SECRET], now=1000 + skew) == 1000


def test_rotation_accepts_any_configured_secret() -> None:
    for secret in ("whsec_old", "whsec_new"):
        assert verify(BODY, sign(BODY, secret, 5), ["whsec_new", "whsec_old"], now=5) == 5


def test_any_of_several_v1_signatures_may_match() -> None:
    good = sign(BODY, SECRET, 7).split(",v1=")[1]
    header = f"t=7,v1={'0' * 64},v1={good},v0=ignored"
    assert verify(BODY, header, [SECRET], now=7) == 7


def test_no_secret_configured_refuses_everything() -> None:
    with pytest.raises(SignatureError):
        verify(BODY, sign(BODY, SECRET, 7), [], now=7)


def test_error_message_never_contains_secret_or_signature() -> None:
    header = sign(BODY, "whsec_wrong", 9)
    with pytest.raises(SignatureError) as info:
        verify(BODY, header, [SECRET], now=9)
    assert SECRET not in str(info.value) and header.split("v1=")[1] not in str(info.value)


def test_the_shops_signer_matches_stripes_recipe() -> None:
    """tests/support.stripe_signature is written from Stripe's docs, apart from the shop's code:
    the integration tests sign with it, so the verifier is never checked only against itself."""
    body = b'{"id": "evt_1"}'
    assert sign(body, "whsec_x", 1700000000) == stripe_signature(body, "whsec_x", 1700000000)
