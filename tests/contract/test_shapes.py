"""Every object the sandbox serves has the shape of Stripe's own example object.

The reference is Stripe's published `fixtures3.json` (kept outside the project, in
`../shared/stripe/`). One module-wide run drives the seeds' flows through the real stripe SDK —
customer, product, price, a confirmed PaymentIntent, a decline, a refund, a Checkout Session paid
through the hosted form, webhook endpoint, events, balance, deletions — and collects every object
it meets: from the SDK's answers (including objects nested in events, lists and card errors) and
again as raw JSON fetched with httpx. Each type then gets one test: every top-level field of
Stripe's example is present, and non-null values have the example's JSON type.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import pytest
import stripe

from tests.stripe_fixtures import stripe_resources

# The list and search envelopes are not resources of their own in fixtures3.json.
ENVELOPES: dict[str, dict[str, Any]] = {
    "list": {"object": "list", "data": [], "has_more": False, "url": "/v1/x"},
    "search_result": {
        "object": "search_result",
        "data": [],
        "has_more": False,
        "next_page": None,
        "url": "/v1/x/search",
    },
}

# type -> (retrieve path template or None, list path or None)
ROUTES: dict[str, tuple[str | None, str | None]] = {
    "customer": ("/v1/customers/{}", "/v1/customers"),
    "product": ("/v1/products/{}", "/v1/products"),
    "price": ("/v1/prices/{}", "/v1/prices"),
    "payment_method": ("/v1/payment_methods/{}", None),
    "payment_intent": ("/v1/payment_intents/{}", "/v1/payment_intents"),
    "charge": ("/v1/charges/{}", "/v1/charges"),
    "refund": ("/v1/refunds/{}", "/v1/refunds"),
    "checkout.session": ("/v1/checkout/sessions/{}", "/v1/checkout/sessions"),
    "event": ("/v1/events/{}", "/v1/events"),
    "webhook_endpoint": ("/v1/webhook_endpoints/{}", "/v1/webhook_endpoints"),
    "balance_transaction": ("/v1/balance_transactions/{}", "/v1/balance_transactions"),
    "token": ("/v1/tokens/{}", None),
    "subscription": ("/v1/subscriptions/{}", "/v1/subscriptions"),
    "invoice": ("/v1/invoices/{}", "/v1/invoices"),
    "invoiceitem": ("/v1/invoiceitems/{}", "/v1/invoiceitems"),
    "coupon": ("/v1/coupons/{}", "/v1/coupons"),
    "promotion_code": ("/v1/promotion_codes/{}", "/v1/promotion_codes"),
    "tax_rate": ("/v1/tax_rates/{}", "/v1/tax_rates"),
    "plan": ("/v1/plans/{}", "/v1/plans"),
    "subscription_item": ("/v1/subscription_items/{}", None),
    "test_helpers.test_clock": (
        "/v1/test_helpers/test_clocks/{}",
        "/v1/test_helpers/test_clocks",
    ),
    "setup_intent": ("/v1/setup_intents/{}", "/v1/setup_intents"),
}

# Every type the seeds' flows must produce; a type missing here fails its test.
REQUIRED_TYPES = [
    "customer",
    "product",
    "price",
    "payment_method",
    "payment_intent",
    "charge",
    "refund",
    "checkout.session",
    "item",
    "event",
    "webhook_endpoint",
    "balance",
    "list",
    "deleted_customer",
    "deleted_webhook_endpoint",
    "search_result",
    "token",
    "card",
    "balance_transaction",
    # Billing (issue 7)
    "subscription",
    "subscription_item",
    "invoice",
    "invoiceitem",
    "line_item",
    "coupon",
    "promotion_code",
    "tax_rate",
    "plan",
    "test_helpers.test_clock",
    "billing_portal.session",
    "discount",
    "setup_intent",
    "tax_id",
]
# Served only if the sandbox implements them; checked when seen.
OPTIONAL_TYPES = ["deleted_product"]

# In check order: bool before int (a bool is an int). The SDK hands card errors' bodies over as
# OrderedDicts and decodes decimal strings (`unit_amount_decimal`) into Decimal: both are its
# own decoding, not what went over the wire.
JSON_TYPES: list[tuple[type | tuple[type, ...], str]] = [
    (bool, "boolean"),
    (int, "integer"),
    (float, "number"),
    ((str, Decimal), "string"),
    (dict, "object"),
    (list, "array"),
]


@dataclass
class Sample:
    source: str  # where it was seen: "sdk POST /v1/…", "raw GET /v1/…", "event data", …
    body: dict[str, Any]


@dataclass
class Harvest:
    samples: dict[str, list[Sample]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)  # flow steps that raised

    def add(self, source: str, value: Any) -> None:
        """Record every Stripe object in `value`, nested ones too."""
        if isinstance(value, list):
            for item in value:
                self.add(source, item)
            return
        if not isinstance(value, dict):
            return
        kind = value.get("object")
        if isinstance(kind, str) and "id" in value or kind in ("balance", *ENVELOPES):
            if value.get("deleted") is True:
                kind = f"deleted_{kind}"
            self.samples.setdefault(str(kind), []).append(Sample(source, value))
        for key, item in value.items():
            self.add(f"{source} .{key}", item)

    def ids(self, kind: str) -> set[str]:
        return {s.body["id"] for s in self.samples.get(kind, []) if "id" in s.body}


def _fixtures() -> dict[str, dict[str, Any]]:
    return stripe_resources()


def _sdk(value: Any) -> Any:
    return value.to_dict() if isinstance(value, stripe.StripeObject) else value


class Flows:
    """Runs each flow step, recording what it returns; a failing step is noted, not fatal, so
    one unfinished resource does not hide the shapes of all the others."""

    def __init__(self, client: stripe.StripeClient, harvest: Harvest) -> None:
        self.client = client
        self.harvest = harvest

    def step(self, name: str, action: Callable[[], Any]) -> Any:
        try:
            result = action()
        except stripe.CardError as error:
            # A decline answers 402 and carries the PaymentIntent and PaymentMethod.
            self.harvest.add(f"sdk {name} (card error)", error.json_body or {})
            return None
        except Exception as error:  # noqa: BLE001 - reported by the per-type tests
            self.harvest.failures.append(f"{name}: {type(error).__name__}: {error}")
            return None
        self.harvest.add(f"sdk {name}", _sdk(result))
        return result


def _drive(client: stripe.StripeClient, http: httpx.Client, harvest: Harvest) -> None:
    v1 = client.v1
    flows = Flows(client, harvest)
    step = flows.step
    endpoint = step(
        "webhook_endpoints.create",
        lambda: v1.webhook_endpoints.create(
            params={"url": "http://127.0.0.1:9/hook", "enabled_events": ["*"]}
        ),
    )
    customer = step(
        "customers.create",
        lambda: v1.customers.create(params={"email": "shape@example.com", "name": "Shape"}),
    )
    product = step("products.create", lambda: v1.products.create(params={"name": "T-shirt"}))
    price = None
    if product is not None:
        price = step(
            "prices.create",
            lambda: v1.prices.create(
                params={"product": product.id, "unit_amount": 2000, "currency": "usd"}
            ),
        )
    step(
        "payment_methods.retrieve",
        lambda: v1.payment_methods.retrieve("pm_card_visa"),
    )
    intent = step(
        "payment_intents.create(confirm)",
        lambda: v1.payment_intents.create(
            params={
                "amount": 2000,
                "currency": "usd",
                "payment_method": "pm_card_visa",
                "confirm": True,
                **({"customer": customer.id} if customer is not None else {}),
            }
        ),
    )
    step(
        "payment_intents.create(decline)",
        lambda: v1.payment_intents.create(
            params={
                "amount": 1500,
                "currency": "usd",
                "payment_method": "pm_card_chargeDeclined",
                "confirm": True,
            }
        ),
    )
    unconfirmed = step(
        "payment_intents.create",
        lambda: v1.payment_intents.create(params={"amount": 500, "currency": "usd"}),
    )
    if unconfirmed is not None:
        step(
            "payment_intents.confirm",
            lambda: v1.payment_intents.confirm(
                unconfirmed.id, params={"payment_method": "pm_card_visa"}
            ),
        )
    if intent is not None:
        step(
            "refunds.create",
            lambda: v1.refunds.create(params={"payment_intent": intent.id, "amount": 500}),
        )
        step(
            "payment_intents.retrieve(expand)",
            lambda: v1.payment_intents.retrieve(
                intent.id, params={"expand": ["latest_charge", "payment_method"]}
            ),
        )
    if price is not None:
        _checkout(v1, http, price.id, step)
    _more_payments(v1, step, customer)
    _billing(v1, http, step)
    step("balance.retrieve", lambda: v1.balance.retrieve())
    step("balance_transactions.list", lambda: v1.balance_transactions.list())
    step("events.list", lambda: v1.events.list(params={"limit": 100}))
    step("charges.list", lambda: v1.charges.list())
    _fetch_raw(http, harvest)
    # Deletions last, so the raw reads above still find the live objects.
    if customer is not None:
        step("customers.delete", lambda: v1.customers.delete(customer.id))
        harvest.add("raw GET deleted customer", http.get(f"/v1/customers/{customer.id}").json())
    if endpoint is not None:
        step("webhook_endpoints.delete", lambda: v1.webhook_endpoints.delete(endpoint.id))
    spare = step("products.create(spare)", lambda: v1.products.create(params={"name": "Spare"}))
    if spare is not None:
        step("products.delete", lambda: v1.products.delete(spare.id))


def _more_payments(v1: Any, step: Callable[..., Any], customer: Any) -> None:
    """The less travelled paths: manual capture, cancel, 3DS, tokens, sources, search."""
    held = step(
        "payment_intents.create(manual capture)",
        lambda: v1.payment_intents.create(
            params={
                "amount": 700,
                "currency": "eur",
                "payment_method": "pm_card_visa",
                "confirm": True,
                "capture_method": "manual",
            }
        ),
    )
    if held is not None:
        step("payment_intents.capture", lambda: v1.payment_intents.capture(held.id))
    dropped = step(
        "payment_intents.create(to cancel)",
        lambda: v1.payment_intents.create(params={"amount": 300, "currency": "usd"}),
    )
    if dropped is not None:
        step("payment_intents.cancel", lambda: v1.payment_intents.cancel(dropped.id))
    step(
        "payment_intents.create(3DS)",
        lambda: v1.payment_intents.create(
            params={
                "amount": 900,
                "currency": "usd",
                "payment_method": "pm_card_threeDSecure2Required",
                "confirm": True,
                "return_url": "http://127.0.0.1:9/back",
            }
        ),
    )
    token = step(
        "tokens.create",
        lambda: v1.tokens.create(
            params={
                "card": {
                    "number": "4242424242424242",
                    "exp_month": "12",
                    "exp_year": "2034",
                    "cvc": "123",
                }
            }
        ),
    )
    if token is not None:
        step("tokens.retrieve", lambda: v1.tokens.retrieve(token.id))
    step(
        "charges.create(source)",
        lambda: v1.charges.create(params={"amount": 1200, "currency": "usd", "source": "tok_visa"}),
    )
    if customer is not None:
        step(
            "customers.payment_sources.create",
            lambda: v1.customers.payment_sources.create(customer.id, params={"source": "tok_visa"}),
        )
        step(
            "customers.search",
            lambda: v1.customers.search(params={"query": "email:'shape@example.com'"}),
        )
    step(
        "payment_intents.search",
        lambda: v1.payment_intents.search(params={"query": "status:'succeeded'"}),
    )
    _setup(v1, step)


def _setup(v1: Any, step: Callable[..., Any]) -> None:
    """SetupIntents (saved, 3DS-pending, canceled) and a customer's tax id."""
    step(
        "setup_intents.create(confirm)",
        lambda: v1.setup_intents.create(params={"payment_method": "pm_card_visa", "confirm": True}),
    )
    step(
        "setup_intents.create(3DS)",
        lambda: v1.setup_intents.create(
            params={"payment_method": "pm_card_authenticationRequired", "confirm": True}
        ),
    )
    pending = step("setup_intents.create", lambda: v1.setup_intents.create())
    if pending is not None:
        step("setup_intents.cancel", lambda: v1.setup_intents.cancel(pending.id))
    taxed = step(
        "customers.create(tax_id_data)",
        lambda: v1.customers.create(
            params={"tax_id_data": [{"type": "eu_vat", "value": "DE123456789"}]}
        ),
    )
    if taxed is not None:
        step("customers.tax_ids.list", lambda: v1.customers.tax_ids.list(taxed.id))


def _billing(v1: Any, http: httpx.Client, step: Callable[..., Any]) -> None:
    """Billing objects: a subscription on a test clock through a renewal, with tax, discount,
    a pending invoice item, a one-off invoice, a plan, a promotion code, a portal session."""
    start = 1767225600
    clock = step(
        "test_clocks.create",
        lambda: v1.test_helpers.test_clocks.create(params={"frozen_time": start}),
    )
    if clock is None:
        return
    cus = step(
        "customers.create(test_clock)",
        lambda: v1.customers.create(params={"email": "bill@example.com", "test_clock": clock.id}),
    )
    product = step("products.create(plan)", lambda: v1.products.create(params={"name": "Pro"}))
    if cus is None or product is None:
        return
    pm = step(
        "payment_methods.attach",
        lambda: v1.payment_methods.attach("pm_card_visa", params={"customer": cus.id}),
    )
    if pm is not None:
        step(
            "customers.update(default pm)",
            lambda: v1.customers.update(
                cus.id, params={"invoice_settings": {"default_payment_method": pm.id}}
            ),
        )
    rate = step(
        "tax_rates.create",
        lambda: v1.tax_rates.create(
            params={"display_name": "VAT", "percentage": 20, "inclusive": False}
        ),
    )
    coupon = step(
        "coupons.create",
        lambda: v1.coupons.create(
            params={"percent_off": 10, "duration": "repeating", "duration_in_months": 2}
        ),
    )
    if coupon is not None:
        step(
            "promotion_codes.create",
            lambda: v1.promotion_codes.create(
                params={"promotion": {"type": "coupon", "coupon": coupon.id}}
            ),
        )
    plan = step(
        "plans.create",
        lambda: v1.plans.create(
            params={"amount": 4900, "currency": "eur", "interval": "month", "product": product.id}
        ),
    )
    if plan is None or rate is None or coupon is None:
        return
    step(
        "invoice_items.create",
        lambda: v1.invoice_items.create(
            params={"customer": cus.id, "amount": 700, "currency": "eur", "description": "Setup"}
        ),
    )
    sub = step(
        "subscriptions.create",
        lambda: v1.subscriptions.create(
            params={
                "customer": cus.id,
                "items": [{"price": plan.id}],
                "default_tax_rates": [rate.id],
                "discounts": [{"coupon": coupon.id}],
                "expand": ["latest_invoice.confirmation_secret", "discounts"],
            }
        ),
    )
    step(
        "test_clocks.advance",
        lambda: v1.test_helpers.test_clocks.advance(
            clock.id, params={"frozen_time": start + 32 * 86400}
        ),
    )
    if sub is not None:
        step("subscriptions.retrieve", lambda: v1.subscriptions.retrieve(sub.id))
        step(
            "subscription_items.list",
            lambda: v1.subscription_items.list(params={"subscription": sub.id}),
        )
    step("invoices.list", lambda: v1.invoices.list(params={"customer": cus.id}))
    step(
        "invoice_items.create(pending)",
        lambda: v1.invoice_items.create(
            params={"customer": cus.id, "amount": 15000, "currency": "eur"}
        ),
    )
    one_off = step(
        "invoices.create",
        lambda: v1.invoices.create(
            params={"customer": cus.id, "pending_invoice_items_behavior": "include"}
        ),
    )
    if one_off is not None:
        step("invoices.finalize_invoice", lambda: v1.invoices.finalize_invoice(one_off.id))
        step("invoices.list_lines", lambda: v1.invoices.line_items.list(one_off.id))
    step(
        "billing_portal.sessions.create",
        lambda: v1.billing_portal.sessions.create(
            params={"customer": cus.id, "return_url": "http://127.0.0.1:9/account"}
        ),
    )
    step("events.list(billing)", lambda: v1.events.list(params={"limit": 100}))


def _checkout(v1: Any, http: httpx.Client, price_id: str, step: Callable[..., Any]) -> None:
    session = step(
        "checkout.sessions.create",
        lambda: v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "line_items": [{"price": price_id, "quantity": 2}],
                "success_url": "http://127.0.0.1:9/success?session_id={CHECKOUT_SESSION_ID}",
                "cancel_url": "http://127.0.0.1:9/cancel",
            }
        ),
    )
    if session is None:
        return

    def pay() -> dict[str, Any]:
        answer = http.post(
            session.url,
            data={
                "email": "buyer@example.com",
                "card_number": "4242424242424242",
                "card_expiry": "12/34",
                "card_cvc": "123",
                "cardholder_name": "Jo Buyer",
            },
        )
        assert answer.status_code == 303, (answer.status_code, answer.text[:300])
        return {}

    step("hosted checkout form", pay)
    step(
        "checkout.sessions.retrieve(expand)",
        lambda: v1.checkout.sessions.retrieve(
            session.id, params={"expand": ["line_items", "payment_intent"]}
        ),
    )
    step(
        "checkout.sessions.list_line_items",
        lambda: v1.checkout.sessions.line_items.list(session.id),
    )


def _fetch_raw(http: httpx.Client, harvest: Harvest) -> None:
    """Fetch what the SDK saw once more as plain JSON: retrieve every id, read every list."""
    seen = {kind: harvest.ids(kind) for kind in ROUTES}
    for kind, (one, many) in ROUTES.items():
        if one is not None:
            for obj_id in sorted(seen[kind]):
                path = one.format(obj_id)
                answer = http.get(path)
                if answer.status_code == 200:
                    harvest.add(f"raw GET {path}", answer.json())
        if many is not None:
            answer = http.get(many, params={"limit": 100})
            if answer.status_code == 200:
                harvest.add(f"raw GET {many}", answer.json())
    for session_id in sorted(harvest.ids("checkout.session")):
        path = f"/v1/checkout/sessions/{session_id}/line_items"
        answer = http.get(path)
        if answer.status_code == 200:
            harvest.add(f"raw GET {path}", answer.json())
    for path in ("/v1/balance", "/v1/customers/search", "/v1/payment_intents/search"):
        answer = http.get(path, params={"query": "created>0"} if "search" in path else None)
        if answer.status_code == 200:
            harvest.add(f"raw GET {path}", answer.json())


@pytest.fixture(scope="module")
def harvest(sandbox_url: str) -> Iterator[Harvest]:
    key = "sk_test_" + uuid.uuid4().hex
    client = stripe.StripeClient(key, base_addresses={"api": sandbox_url}, max_network_retries=0)
    found = Harvest()
    with httpx.Client(
        base_url=sandbox_url, headers={"Authorization": f"Bearer {key}"}, timeout=10
    ) as http:
        _drive(client, http, found)
    yield found


def _json_type(value: Any) -> str:
    for python_type, name in JSON_TYPES:
        if isinstance(value, python_type):
            return name
    return type(value).__name__


def shape_problems(example: dict[str, Any], sample: dict[str, Any]) -> list[str]:
    """What `sample` lacks or mistypes compared with Stripe's `example` (top level only)."""
    problems = [f"missing {name}" for name in example if name not in sample]
    for name, expected in example.items():
        got = sample.get(name)
        if expected is None or got is None or name not in sample:
            continue
        want, have = _json_type(expected), _json_type(got)
        # An expandable field is an id string unless expanded; the example may show either.
        expandable = isinstance(expected, dict) and "object" in expected and "id" in expected
        if want != have and not (expandable and have == "string"):
            if want == "string" and have == "object" and "id" in got:
                continue  # expanded on request (`expand[]`)
            problems.append(f"{name}: {have}, Stripe has {want}")
    return problems


@pytest.mark.parametrize("kind", REQUIRED_TYPES + OPTIONAL_TYPES)
def test_objects_have_every_field_of_stripes_example(kind: str, harvest: Harvest) -> None:
    examples = _fixtures()
    example = ENVELOPES.get(kind) or examples[kind]
    samples = harvest.samples.get(kind, [])
    if not samples:
        if kind in OPTIONAL_TYPES:
            pytest.skip(f"the sandbox served no {kind}")
        pytest.fail(
            f"the flows produced no {kind} object; failed steps:\n  "
            + "\n  ".join(harvest.failures or ["(none)"])
        )
    report: dict[str, set[str]] = {}
    for sample in samples:
        for problem in shape_problems(example, sample.body):
            report.setdefault(problem, set()).add(sample.source)
    assert not report, f"{kind}: {len(samples)} samples\n" + "\n".join(
        f"  {problem}  (in {len(sources)} samples, e.g. {sorted(sources)[0]})"
        for problem, sources in sorted(report.items())
    )


@pytest.mark.parametrize(
    "kind", ["customer", "event", "webhook_endpoint", "balance", "list", "search_result"]
)
def test_raw_json_is_checked_not_only_sdk_objects(kind: str, harvest: Harvest) -> None:
    """The per-type checks above must include plain JSON read without the SDK, for the types
    that exist from the start; guards the harvest itself."""
    raw = [s for s in harvest.samples.get(kind, []) if s.source.startswith("raw ")]
    assert raw, f"no raw JSON sample of {kind}"


def test_shape_check_names_missing_and_mistyped_fields() -> None:
    example = {"id": "cus_1", "object": "customer", "balance": 0, "email": None, "address": {}}
    sample = {"id": "cus_2", "object": "customer", "balance": "0", "address": None}
    assert shape_problems(example, sample) == [
        "missing email",
        "balance: string, Stripe has integer",
    ]


def test_every_flow_step_ran(harvest: Harvest) -> None:
    """A step that fails silently would leave its objects out of the checks above."""
    assert not harvest.failures, "\n".join(harvest.failures)
