"""Balance transactions: one per captured charge (fee and net), one per refund (negative), the
expand paths that reach them, list filters, and `/v1/balance` moving from pending to available.

Two days are not waited for: funds become available by a timer, and the tests fire the
sandbox's timers as of two days from now (`SandboxHandle.fire_timers`), on a sandbox of their
own so no other test's timers fire early.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import stripe

from paydesk.sandbox.server import SandboxHandle, start_in_thread

TWO_DAYS = 2 * 24 * 3600


def _paid(
    client: stripe.StripeClient, amount: int = 2000, currency: str = "usd", **extra: object
) -> stripe.PaymentIntent:
    params: dict[str, object] = {
        "amount": amount,
        "currency": currency,
        "confirm": True,
        "payment_method": "pm_card_visa",
        **extra,
    }
    return client.v1.payment_intents.create(params=params)  # type: ignore[arg-type]


def _balance(client: stripe.StripeClient) -> tuple[dict[str, int], dict[str, int]]:
    balance = client.v1.balance.retrieve()
    return (
        {a.currency: a.amount for a in balance.available},
        {p.currency: p.amount for p in balance.pending},
    )


@pytest.fixture
def own() -> Iterator[SandboxHandle]:
    handle = start_in_thread()
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def own_client(own: SandboxHandle, stripe_key: str) -> stripe.StripeClient:
    return stripe.StripeClient(stripe_key, base_addresses={"api": own.url})


def _later(handle: SandboxHandle, seconds: int) -> None:
    """Let the sandbox do what it would have done `seconds` from now."""
    handle.fire_timers(time.time() + seconds)


def test_a_charge_has_a_pending_transaction_with_stripes_fee(
    stripe_client: stripe.StripeClient,
) -> None:
    pi = _paid(stripe_client, 2000, description="Order 7")
    paid = stripe_client.v1.payment_intents.retrieve(
        pi.id, params={"expand": ["latest_charge.balance_transaction"]}
    )
    charge = paid.latest_charge
    assert isinstance(charge, stripe.Charge)
    txn = charge.balance_transaction
    assert isinstance(txn, stripe.BalanceTransaction)
    assert txn.id.startswith("txn_")
    assert (txn.type, txn.reporting_category, txn.source) == ("charge", "charge", charge.id)
    assert (txn.amount, txn.fee, txn.net, txn.currency) == (2000, 88, 1912, "usd")  # 2.9% + 30
    assert [d.to_dict() for d in txn.fee_details] == [
        {
            "amount": 88,
            "application": None,
            "currency": "usd",
            "description": "Stripe processing fees",
            "type": "stripe_fee",
        }
    ]
    assert txn.status == "pending" and txn.available_on == txn.created + TWO_DAYS
    assert txn.description == "Order 7" and txn.exchange_rate is None
    fetched = stripe_client.v1.balance_transactions.retrieve(txn.id)
    assert fetched.to_dict() == txn.to_dict()
    plain = stripe_client.v1.charges.retrieve(charge.id)
    assert plain.balance_transaction == txn.id  # an id unless expanded


@pytest.mark.parametrize(
    ("amount", "currency", "fee"),
    [
        (1000, "eur", 59),  # 29 + 30 fixed minor units
        (1550, "usd", 75),  # 44.95 rounds to 45, + 30
        (5000, "jpy", 145),  # zero-decimal: the percentage only
    ],
)
def test_fee_rule_per_currency(
    stripe_client: stripe.StripeClient, amount: int, currency: str, fee: int
) -> None:
    pi = _paid(stripe_client, amount, currency)
    listed = stripe_client.v1.balance_transactions.list(params={"source": str(pi.latest_charge)})
    [txn] = listed.data
    assert (txn.amount, txn.fee, txn.net, txn.currency) == (amount, fee, amount - fee, currency)


def test_a_refund_has_a_negative_transaction(stripe_client: stripe.StripeClient) -> None:
    pi = _paid(stripe_client, 2000)
    refund = stripe_client.v1.refunds.create(
        params={"payment_intent": pi.id, "amount": 500, "expand": ["balance_transaction"]}
    )
    txn = refund.balance_transaction
    assert isinstance(txn, stripe.BalanceTransaction)
    assert (txn.type, txn.reporting_category, txn.source) == ("refund", "refund", refund.id)
    assert (txn.amount, txn.fee, txn.net, txn.fee_details) == (-500, 0, -500, [])
    assert txn.status == "available" and txn.available_on == txn.created
    again = stripe_client.v1.refunds.retrieve(refund.id)
    assert again.balance_transaction == txn.id
    charge = stripe_client.v1.charges.retrieve(
        str(pi.latest_charge), params={"expand": ["refunds.data.balance_transaction"]}
    )
    assert charge.refunds is not None
    assert charge.refunds.data[0].balance_transaction.id == txn.id  # type: ignore[union-attr]
    deep = stripe_client.v1.balance_transactions.retrieve(txn.id, params={"expand": ["source"]})
    assert isinstance(deep.source, stripe.Refund) and deep.source.id == refund.id


def test_declined_and_uncaptured_charges_have_none_until_capture(
    stripe_client: stripe.StripeClient,
) -> None:
    with pytest.raises(stripe.CardError) as raised:
        stripe_client.v1.payment_intents.create(
            params={
                "amount": 1000,
                "currency": "usd",
                "confirm": True,
                "payment_method": "pm_card_chargeDeclined",
            }
        )
    failed = stripe_client.v1.charges.retrieve(str(raised.value.error.charge))  # type: ignore[union-attr]
    assert failed.balance_transaction is None

    held = _paid(stripe_client, 3000, capture_method="manual")
    before = stripe_client.v1.charges.retrieve(str(held.latest_charge))
    assert before.balance_transaction is None
    stripe_client.v1.payment_intents.capture(held.id, params={"amount_to_capture": 2500})
    after = stripe_client.v1.charges.retrieve(
        str(held.latest_charge), params={"expand": ["balance_transaction"]}
    )
    txn = after.balance_transaction
    assert isinstance(txn, stripe.BalanceTransaction)
    assert (txn.amount, txn.fee, txn.net) == (2500, 103, 2397)  # what was captured, not held

    legacy = stripe_client.v1.charges.create(
        params={"amount": 1000, "currency": "usd", "source": "tok_visa", "capture": False}
    )
    assert legacy.balance_transaction is None
    captured = stripe_client.v1.charges.capture(legacy.id)
    assert isinstance(captured.balance_transaction, str)
    assert stripe_client.v1.balance_transactions.retrieve(captured.balance_transaction).amount == (
        1000
    )
    # Canceling an authorisation moves no money: still no transaction.
    dropped = _paid(stripe_client, 800, capture_method="manual")
    stripe_client.v1.payment_intents.cancel(dropped.id)
    assert stripe_client.v1.charges.retrieve(str(dropped.latest_charge)).balance_transaction is None


def test_list_filters_and_pages(stripe_client: stripe.StripeClient) -> None:
    usd = _paid(stripe_client, 1000)
    eur = _paid(stripe_client, 2000, "eur")
    refund = stripe_client.v1.refunds.create(params={"payment_intent": usd.id})
    txns = stripe_client.v1.balance_transactions
    everything = txns.list().data
    assert [t.source for t in everything] == [refund.id, eur.latest_charge, usd.latest_charge]
    assert [t.source for t in txns.list(params={"type": "refund"}).data] == [refund.id]
    assert [t.source for t in txns.list(params={"type": "charge"}).data] == [
        eur.latest_charge,
        usd.latest_charge,
    ]
    assert [t.source for t in txns.list(params={"currency": "eur"}).data] == [eur.latest_charge]
    assert [t.id for t in txns.list(params={"source": refund.id}).data] == [everything[0].id]
    assert len(txns.list(params={"payout": "po_123"}).data) == 3  # no payouts: ignored
    oldest = everything[-1].created
    assert len(txns.list(params={"created": {"gte": oldest}}).data) == 3
    assert txns.list(params={"created": {"lt": oldest}}).data == []
    first = txns.list(params={"limit": 2})
    assert first.has_more and [t.id for t in first.data] == [t.id for t in everything[:2]]
    rest = txns.list(params={"limit": 2, "starting_after": first.data[-1].id})
    assert not rest.has_more and [t.id for t in rest.data] == [everything[2].id]
    back = txns.list(params={"ending_before": everything[2].id})
    assert [t.id for t in back.data] == [t.id for t in everything[:2]]
    walked = [t.id for t in txns.list(params={"limit": 1}).auto_paging_iter()]
    assert walked == [t.id for t in everything]
    with pytest.raises(stripe.InvalidRequestError) as raised:
        txns.retrieve("txn_missing")
    assert raised.value.http_status == 404 and raised.value.code == "resource_missing"


def test_balance_moves_from_pending_to_available(
    own_client: stripe.StripeClient, own: SandboxHandle
) -> None:
    stripe_client = own_client
    assert _balance(stripe_client) == ({"usd": 0}, {"usd": 0})  # a new account
    pi = _paid(stripe_client, 2000)
    _paid(stripe_client, 1000, "eur")
    assert _balance(stripe_client) == ({"eur": 0, "usd": 0}, {"eur": 941, "usd": 1912})
    stripe_client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 500})
    # Stripe debits a refund at once, from the available balance, even below zero.
    assert _balance(stripe_client) == ({"eur": 0, "usd": -500}, {"eur": 941, "usd": 1912})

    _later(own, TWO_DAYS + 1)
    assert _balance(stripe_client) == ({"eur": 941, "usd": 1412}, {"eur": 0, "usd": 0})
    charge_txn = stripe_client.v1.balance_transactions.list(params={"type": "charge"}).data
    assert {t.status for t in charge_txn} == {"available"}
    expanded = stripe_client.v1.payment_intents.retrieve(
        pi.id, params={"expand": ["latest_charge.balance_transaction"]}
    )
    assert expanded.latest_charge.balance_transaction.status == "available"  # type: ignore[union-attr]
    assert stripe_client.v1.balance_transactions.retrieve(charge_txn[1].id).status == "available"


def test_balance_first_asked_after_the_charges_counts_them(
    own_client: stripe.StripeClient, own: SandboxHandle
) -> None:
    """The running totals are built on the first `/v1/balance`, from the transactions so far."""
    stripe_client = own_client
    early = _paid(stripe_client, 2000)
    _later(own, TWO_DAYS + 1)
    _paid(stripe_client, 1000)  # made after the first became available: still pending
    stripe_client.v1.refunds.create(params={"payment_intent": early.id, "amount": 100})
    assert _balance(stripe_client) == ({"usd": 1912 - 100}, {"usd": 941})


def test_balance_survives_a_restart(tmp_path: Path) -> None:
    db = str(tmp_path / "sandbox.db")
    key = "sk_test_" + uuid.uuid4().hex
    first = start_in_thread(db_path=db)
    try:
        client = stripe.StripeClient(key, base_addresses={"api": first.url})
        _paid(client, 2000)
        before = _balance(client)
    finally:
        first.stop()
    second = start_in_thread(db_path=db)
    try:
        client = stripe.StripeClient(key, base_addresses={"api": second.url})
        assert _balance(client) == before == ({"usd": 0}, {"usd": 1912})
        assert [t.amount for t in client.v1.balance_transactions.list().data] == [2000]
    finally:
        second.stop()
