"""Events parsed at the edge and their handlers, against a fake order book: no database."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from paydesk.fulfilment.service import Fulfilment
from paydesk.orders.lookup import UnknownOrder
from paydesk.orders.payments import (
    CheckoutSession,
    MalformedObject,
    PaymentIntent,
    RefundedCharge,
)
from paydesk.webhooks.dispatch import (
    BATCHABLE_TYPES,
    EVENT_TYPES,
    PARSERS,
    ChargeRefunded,
    IntentCanceled,
    IntentFailed,
    IntentSucceeded,
    SessionCompleted,
    SessionEnded,
    handle,
    parse,
)


def _event(event_type: str, obj: Any) -> dict[str, Any]:
    return {"id": "evt_1", "type": event_type, "data": {"object": obj}}


SESSION = {
    "id": "cs_1",
    "object": "checkout.session",
    "status": "complete",
    "payment_status": "paid",
    "metadata": {"order_id": "ord_1"},
    "client_reference_id": "ord_other",
    "payment_intent": {"id": "pi_1", "object": "payment_intent"},
    "customer_details": {"email": "a@example.com"},
    "amount_total": 3000,
    "currency": "usd",
}


@dataclass
class FakeBook:
    """Orders `ord_*` named by sessions/charges exist; anything else is not ours."""

    held: dict[str, str] = field(default_factory=dict)
    calls: list[tuple[str, Any]] = field(default_factory=list)

    def fulfil(self, session: CheckoutSession) -> Fulfilment:
        self.calls.append(("fulfil", session))
        result = Fulfilment(held=self.held)
        if session.claimed_order_id is None:
            result.unknown.add(session.id)
        else:
            result.order_of[session.id] = session.claimed_order_id
            result.fulfilled.add(session.claimed_order_id)
        return result

    def expire(self, session: CheckoutSession) -> bool:
        self.calls.append(("expire", session))
        if session.claimed_order_id is None:
            raise UnknownOrder(f"no order of this shop for checkout session {session.id}")
        return True

    def record_refund(self, charge: RefundedCharge) -> str:
        self.calls.append(("refund", charge))
        return charge.claimed_order_id or ""

    def _ours(self, intent: PaymentIntent) -> str:
        if intent.claimed_order_id is None:
            raise UnknownOrder(f"no payment-page order for {intent.id}")
        return intent.claimed_order_id

    def fulfil_intent(self, intent: PaymentIntent) -> Fulfilment:
        self.calls.append(("fulfil_intent", intent))
        order_id = self._ours(intent)
        return Fulfilment(held=self.held, order_of={intent.id: order_id}, fulfilled={order_id})

    def intent_failed(self, intent: PaymentIntent) -> str:
        self.calls.append(("intent_failed", intent))
        return f"order {self._ours(intent)}: payment failed ({intent.failure_code})"

    def intent_canceled(self, intent: PaymentIntent) -> bool:
        self.calls.append(("intent_canceled", intent))
        self._ours(intent)
        return True


INTENT = {
    "id": "pi_9",
    "object": "payment_intent",
    "status": "succeeded",
    "amount_received": 900,
    "currency": "usd",
    "metadata": {"order_id": "ord_9"},
    "receipt_email": "b@example.com",
    "last_payment_error": None,
}


def test_a_session_is_read_into_typed_facts() -> None:
    session = CheckoutSession.parse(SESSION)
    assert session == CheckoutSession(
        id="cs_1",
        status="complete",
        payment_status="paid",
        claimed_order_id="ord_1",
        payment_intent_id="pi_1",
        email="a@example.com",
        amount_total=3000,
        currency="usd",
    )
    assert session.paid


@pytest.mark.parametrize(
    ("payment_status", "paid"),
    [
        ("paid", True),
        ("no_payment_required", True),
        ("unpaid", False),
        (None, False),
    ],
)
def test_paid_follows_stripes_payment_status(payment_status: str | None, paid: bool) -> None:
    session = CheckoutSession.parse({**SESSION, "payment_status": payment_status})
    assert session is not None and session.paid is paid


def test_client_reference_id_is_the_claim_when_metadata_has_none() -> None:
    session = CheckoutSession.parse({**SESSION, "metadata": {}})
    assert session is not None and session.claimed_order_id == "ord_other"


@pytest.mark.parametrize("junk", [["x"], {"a": 1}, 7, True])
def test_hostile_field_types_become_missing_facts(junk: Any) -> None:
    session = CheckoutSession.parse(
        {
            **SESSION,
            "metadata": junk,
            "client_reference_id": junk,
            "payment_intent": junk,
            "customer_details": junk,
            "currency": junk,
            "status": junk,
        }
    )
    assert session is not None
    assert (session.claimed_order_id, session.payment_intent_id, session.email) == (
        None,
        None,
        None,
    )


@pytest.mark.parametrize("amount", ["3000", 30.0, True, [1]])
def test_an_amount_that_is_not_an_integer_is_refused(amount: Any) -> None:
    with pytest.raises(MalformedObject, match="amount_total must be an integer"):
        CheckoutSession.parse({**SESSION, "amount_total": amount})
    with pytest.raises(MalformedObject, match="amount_refunded must be an integer"):
        RefundedCharge.parse({"id": "ch_1", "object": "charge", "amount_refunded": amount})


def test_every_handled_type_parses_to_its_event() -> None:
    charge = {
        "id": "ch_1",
        "payment_intent": "pi_1",
        "metadata": {"order_id": "ord_1"},
        "amount_refunded": 500,
    }

    def obj(t: str) -> dict[str, Any]:
        return (
            charge if t.startswith("charge.") else INTENT if t.startswith("payment_") else SESSION
        )

    kinds = {t: type(parse(_event(t, obj(t)))) for t in EVENT_TYPES if t in PARSERS}
    assert kinds == {
        "checkout.session.completed": SessionCompleted,
        "checkout.session.async_payment_succeeded": SessionCompleted,
        "checkout.session.async_payment_failed": SessionEnded,
        "checkout.session.expired": SessionEnded,
        "charge.refunded": ChargeRefunded,
        "payment_intent.succeeded": IntentSucceeded,
        "payment_intent.payment_failed": IntentFailed,
        "payment_intent.canceled": IntentCanceled,
    }
    assert all(kinds[t] is SessionCompleted for t in BATCHABLE_TYPES)


@pytest.mark.parametrize(
    "event",
    [
        _event("customer.created", SESSION),
        _event("checkout.session.completed", None),
        _event("checkout.session.completed", {"object": "checkout.session"}),  # no id
        _event("checkout.session.completed", "cs_1"),
        {"type": "checkout.session.completed", "data": "x"},
        {"data": {"object": SESSION}},
    ],
)
def test_what_the_shop_does_not_handle_is_ignored_without_touching_orders(
    event: dict[str, Any],
) -> None:
    book = FakeBook()
    assert handle(parse(event), book) == ("ignored", None)
    assert book.calls == []


def test_a_completed_session_is_fulfilled() -> None:
    book = FakeBook()
    assert handle(parse(_event("checkout.session.completed", SESSION)), book) == ("processed", None)
    assert [name for name, _ in book.calls] == ["fulfil"]


def test_a_held_order_keeps_its_reason_as_the_note() -> None:
    book = FakeBook(held={"ord_1": "payment mismatch: …"})
    assert handle(parse(_event("checkout.session.completed", SESSION)), book) == (
        "processed",
        "payment mismatch: …",
    )


def test_a_session_of_another_integration_is_ignored_with_a_note() -> None:
    foreign = {**SESSION, "metadata": {}, "client_reference_id": None}
    for event_type in ("checkout.session.completed", "checkout.session.expired"):
        outcome, note = handle(parse(_event(event_type, foreign)), FakeBook())
        assert outcome == "ignored" and note == "no order of this shop for checkout session cs_1"


def test_an_ended_session_expires_its_order() -> None:
    book = FakeBook()
    event = _event("checkout.session.async_payment_failed", {**SESSION, "payment_status": "unpaid"})
    assert handle(parse(event), book) == ("processed", None)
    assert [name for name, _ in book.calls] == ["expire"]


def test_a_refund_passes_the_charges_facts() -> None:
    book = FakeBook()
    charge = {
        "id": "ch_1",
        "payment_intent": "pi_1",
        "metadata": {"order_id": "ord_1"},
        "amount_refunded": 1200,
    }
    assert handle(parse(_event("charge.refunded", charge)), book) == ("processed", None)
    assert book.calls == [("refund", RefundedCharge("ch_1", "pi_1", "ord_1", 1200))]


def test_a_payment_intent_is_read_into_typed_facts_and_pays_like_a_session() -> None:
    failed = {
        **INTENT,
        "status": "requires_payment_method",
        "last_payment_error": {
            "code": "card_declined",
            "decline_code": "insufficient_funds",
            "message": "No funds.",
        },
    }
    intent = PaymentIntent.parse(failed)
    assert intent is not None
    assert (intent.failure_code, intent.failure_message) == ("insufficient_funds", "No funds.")
    paid = PaymentIntent.parse(INTENT)
    assert paid is not None
    payment = paid.as_payment()
    assert payment.paid and payment.claimed_order_id == "ord_9"
    assert payment.payment_intent_id == payment.id == "pi_9"
    assert (payment.amount_total, payment.email) == (900, "b@example.com")
    assert not intent.as_payment().paid


@pytest.mark.parametrize(
    ("event_type", "call", "outcome"),
    [
        ("payment_intent.succeeded", "fulfil_intent", ("processed", None)),
        (
            "payment_intent.payment_failed",
            "intent_failed",
            ("processed", "order ord_9: payment failed (None)"),
        ),
        ("payment_intent.canceled", "intent_canceled", ("processed", None)),
    ],
)
def test_payment_page_intents_reach_their_order(
    event_type: str, call: str, outcome: tuple[str, str | None]
) -> None:
    book = FakeBook()
    assert handle(parse(_event(event_type, INTENT)), book) == outcome
    assert [name for name, _ in book.calls] == [call]


def test_other_payment_intents_are_ignored_quietly() -> None:
    # Checkout's own PaymentIntents carry the order id too; their session pays the order.
    book = FakeBook()
    event = parse(_event("payment_intent.succeeded", {**INTENT, "metadata": {}}))
    assert handle(event, book) == ("ignored", None)
