"""An invoice's money: line discounts, taxes (exclusive and inclusive) and totals.

Discounts come off each discountable line in proportion to its amount; taxes apply to what is
left. An inclusive rate's tax is inside the amount, an exclusive one is added on top.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from paydesk.sandbox.account import Account, Obj


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _discount_shares(account: Account, lines: list[Obj], discount_ids: list[str]) -> None:
    """Set each line's `discount_amounts` for the invoice-level discounts; a coupon with
    `applies_to.products` reaches only those products' lines."""
    for line in lines:
        line["discount_amounts"] = []
    for discount_id in discount_ids:
        discount = account.find(discount_id)
        if discount is None:
            continue
        coupon = account.find(discount["source"]["coupon"]) or {}
        eligible = [line for line in lines if _reaches(coupon, line)]
        base = sum(line["amount"] for line in eligible)
        if base <= 0:
            continue
        if coupon.get("percent_off") is not None:
            whole = _round(Decimal(base) * Decimal(str(coupon["percent_off"])) / 100)
        else:
            whole = min(int(coupon.get("amount_off") or 0), base)
        _allocate(eligible, base, whole, discount_id)


def _reaches(coupon: Obj, line: Obj) -> bool:
    if not line["discountable"] or line["amount"] <= 0:
        return False
    products = (coupon.get("applies_to") or {}).get("products")
    if not products:
        return True
    details = (line.get("pricing") or {}).get("price_details") or {}
    return details.get("product") in products


def _allocate(eligible: list[Obj], base: int, whole: int, discount_id: str) -> None:
    left = whole
    for index, line in enumerate(eligible):
        share = (
            left if index == len(eligible) - 1 else _round(Decimal(whole) * line["amount"] / base)
        )
        share = min(share, left)
        left -= share
        line["discount_amounts"].append({"amount": share, "discount": discount_id})


def _taxes(account: Account, line: Obj, rate_ids: list[str]) -> list[Obj]:
    taxable = line["amount"] - sum(d["amount"] for d in line["discount_amounts"])
    taxes: list[Obj] = []
    for rate_id in rate_ids:
        rate = account.find(rate_id)
        if rate is None:
            continue
        pct = Decimal(str(rate["percentage"]))
        if rate["inclusive"]:
            amount = taxable - _round(Decimal(taxable) / (1 + pct / 100))
        else:
            amount = _round(Decimal(taxable) * pct / 100)
        taxes.append(
            {
                "amount": amount,
                "tax_behavior": "inclusive" if rate["inclusive"] else "exclusive",
                "tax_rate_details": {"tax_rate": rate_id},
                "taxability_reason": "standard_rated",
                "taxable_amount": taxable if not rate["inclusive"] else taxable - amount,
                "type": "tax_rate_details",
            }
        )
    return taxes


def tax_slots(rate_ids: list[str]) -> list[Obj]:
    """A new line's `taxes`, naming its rates; `recompute` fills in the amounts."""
    return [
        {"amount": 0, "tax_rate_details": {"tax_rate": rate_id}, "type": "tax_rate_details"}
        for rate_id in rate_ids
    ]


def recompute(account: Account, invoice: Obj) -> dict[str, Any]:
    """The invoice's money fields from its lines (each line's `taxes` names its rates)."""
    lines: list[Obj] = invoice["lines"]["data"]
    _discount_shares(account, lines, invoice["discounts"])
    per_rate: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    behaviours: dict[str, str] = {}
    exclusive = inclusive = 0
    for line in lines:
        rate_ids = [tax["tax_rate_details"]["tax_rate"] for tax in line["taxes"]]
        line["taxes"] = _taxes(account, line, rate_ids)
        for tax in line["taxes"]:
            rate_id = tax["tax_rate_details"]["tax_rate"]
            per_rate[rate_id][0] += tax["amount"]
            per_rate[rate_id][1] += tax["taxable_amount"]
            behaviours[rate_id] = tax["tax_behavior"]
            if tax["tax_behavior"] == "inclusive":
                inclusive += tax["amount"]
            else:
                exclusive += tax["amount"]
    subtotal = sum(line["amount"] for line in lines)
    discounts: dict[str, int] = defaultdict(int)
    for line in lines:
        for share in line["discount_amounts"]:
            discounts[share["discount"]] += share["amount"]
    discount_total = sum(discounts.values())
    total = subtotal - discount_total + exclusive
    amount_due = max(total, 0)
    return {
        "subtotal": subtotal,
        "subtotal_excluding_tax": subtotal - inclusive,
        "total": total,
        "total_excluding_tax": total - exclusive - inclusive,
        "total_discount_amounts": [{"amount": a, "discount": d} for d, a in discounts.items()],
        "total_taxes": [
            {
                "amount": amounts[0],
                "tax_behavior": behaviours[rate_id],
                "tax_rate_details": {"tax_rate": rate_id},
                "taxability_reason": "standard_rated",
                "taxable_amount": amounts[1],
                "type": "tax_rate_details",
            }
            for rate_id, amounts in per_rate.items()
        ],
        "amount_due": amount_due,
        "amount_remaining": max(amount_due - invoice["amount_paid"], 0),
    }
