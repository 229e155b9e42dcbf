"""Search endpoints through the real SDK: Stripe's query language and its pagination."""

from __future__ import annotations

import pytest
import stripe


def test_search_customers_by_email_name_metadata(stripe_client: stripe.StripeClient) -> None:
    jenny = stripe_client.v1.customers.create(
        params={"email": "jenny@example.com", "name": "Jenny Rosen", "metadata": {"tier": "gold"}}
    )
    bob = stripe_client.v1.customers.create(
        params={"email": "bob@example.org", "name": "Bob", "metadata": {"tier": "silver"}}
    )

    def ids(query: str) -> list[str]:
        return [c.id for c in stripe_client.v1.customers.search(params={"query": query}).data]

    assert ids("email:'jenny@example.com'") == [jenny.id]
    assert ids("name~'rose'") == [jenny.id]
    assert ids("metadata['tier']:'silver'") == [bob.id]
    assert ids("email~'example' AND -metadata['tier']:'gold'") == [bob.id]
    assert ids("metadata['tier']:'gold' OR name:'Bob'") == [bob.id, jenny.id]
    assert ids(f'created>={jenny.created} AND email:"bob@example.org"') == [bob.id]
    assert ids("email:'nobody@example.com'") == []


def test_search_charges_and_payment_intents(stripe_client: stripe.StripeClient) -> None:
    big = stripe_client.v1.charges.create(
        params={"amount": 5000, "currency": "usd", "source": "tok_visa", "metadata": {"o": "1"}}
    )
    stripe_client.v1.charges.create(params={"amount": 500, "currency": "usd", "source": "tok_visa"})
    with pytest.raises(stripe.CardError):
        stripe_client.v1.charges.create(
            params={"amount": 700, "currency": "usd", "source": "tok_chargeDeclined"}
        )
    found = stripe_client.v1.charges.search(params={"query": "amount>1000 AND status:'succeeded'"})
    assert [c.id for c in found.data] == [big.id] and found.object == "search_result"
    failed = stripe_client.v1.charges.search(params={"query": "status:'failed'"})
    assert [c.amount for c in failed.data] == [700]
    last4 = stripe_client.v1.charges.search(
        params={"query": "payment_method_details.card.last4:'4242'"}
    )
    assert sorted(c.amount for c in last4.data) == [500, 5000]  # the decline was 0002
    pi = stripe_client.v1.payment_intents.create(
        params={"amount": 1200, "currency": "eur", "metadata": {"order_id": "6735"}}
    )
    hits = stripe_client.v1.payment_intents.search(params={"query": "metadata['order_id']:'6735'"})
    assert [p.id for p in hits.data] == [pi.id]


def test_search_pages_with_next_page(stripe_client: stripe.StripeClient) -> None:
    made = [
        stripe_client.v1.customers.create(params={"email": f"p{n}@example.com"}).id
        for n in range(5)
    ]
    first = stripe_client.v1.customers.search(params={"query": "email~'example'", "limit": 2})
    assert first.has_more and first.next_page
    second = stripe_client.v1.customers.search(
        params={"query": "email~'example'", "limit": 2, "page": first.next_page}
    )
    everything = [
        c.id
        for c in stripe_client.v1.customers.search(
            params={"query": "email~'example'", "limit": 2}
        ).auto_paging_iter()
    ]
    assert everything == list(reversed(made))
    assert [c.id for c in first.data + second.data] == everything[:4]


@pytest.mark.parametrize(
    "query",
    ["email", "email:'a' AND name:'b' OR name:'c'", "name~'ab'", "amount>'x'", "email:'a' ANDD"],
)
def test_bad_queries_are_400_naming_query(stripe_client: stripe.StripeClient, query: str) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.customers.search(params={"query": query})
    assert caught.value.http_status == 400 and caught.value.param == "query"
