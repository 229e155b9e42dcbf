"""The test cards the hosted page lists, grouped, read from the table the sandbox charges by
(so the list cannot drift from what the cards do)."""

from __future__ import annotations

from dataclasses import dataclass

from paydesk.sandbox.operations.payment_methods import TEST_CARDS, TEST_PM_IDS, brand

# Cards that succeed: Stripe's named test PaymentMethods that no decline or 3DS entry claims.
_SUCCEEDS = [n for n in dict.fromkeys(TEST_PM_IDS.values()) if n not in TEST_CARDS]


@dataclass(frozen=True)
class ShownCard:
    number: str  # grouped as printed on a card
    what: str


def _grouped(number: str) -> str:
    if len(number) == 15:  # American Express: 4-6-5
        return f"{number[:4]} {number[4:10]} {number[10:]}"
    return " ".join(number[i:i + 4] for i in range(0, len(number), 4))


def _name(number: str) -> str:
    return {"visa": "Visa", "mastercard": "Mastercard", "amex": "American Express"}.get(
        brand(number), brand(number).title())


def card_groups() -> list[tuple[str, list[ShownCard]]]:
    succeeds = [ShownCard(_grouped(n), _name(n)) for n in _SUCCEEDS]
    risky = [ShownCard(_grouped(n), f"{b.risk.level} risk (Radar)")
             for n, b in TEST_CARDS.items() if b.decline is None and not b.needs_3ds]
    declined = [
        ShownCard(_grouped(n), b.decline.decline_code.replace("_", " ")
                  + (" (when charged)" if b.charge_only else ""))
        for n, b in TEST_CARDS.items() if b.decline is not None
    ]
    authenticate = [ShownCard(_grouped(n), "3D Secure") for n, b in TEST_CARDS.items()
                    if b.needs_3ds]
    return [("Succeeds", succeeds + risky), ("Declined", declined),
            ("Asks for authentication", authenticate)]
