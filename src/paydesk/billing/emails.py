"""The billing emails: what each says. Queued through the outbox, one per dedupe key, ever."""

from __future__ import annotations

from datetime import datetime

from paydesk.core.money import format_money
from paydesk.notify.outbox import Email


def _day(value: datetime | None) -> str:
    return value.strftime("%d %B %Y") if value is not None else "soon"


def payment_failed(
    to: str, invoice_id: str, attempt: int, amount: int, currency: str, pay_url: str | None,
    manage_url: str, access_until: datetime | None,
) -> Email:
    pay = f"Pay the invoice now: {pay_url}\n" if pay_url else ""
    return Email(
        f"email:dunning:{invoice_id}:{attempt}", to,
        f"Your payment of {format_money(amount, currency)} failed",
        f"We could not take your payment of {format_money(amount, currency)} "
        f"(attempt {attempt}).\n{pay}Update your card: {manage_url}\n"
        f"Your access continues until {_day(access_until)} while we retry.\n",
    )


def suspension_soon(
    to: str, subscription_id: str, access_until: datetime, manage_url: str
) -> Email:
    return Email(
        f"email:suspension-soon:{subscription_id}:{int(access_until.timestamp())}", to,
        "Your access ends soon: please update your payment method",
        f"Your subscription is unpaid. Access ends on {_day(access_until)} unless the invoice "
        f"is paid.\nUpdate your card: {manage_url}\n",
    )


def suspended(to: str, subscription_id: str, since: str, manage_url: str) -> Email:
    return Email(
        f"email:suspended:{subscription_id}:{since}", to, "Your access is suspended",
        "We could not collect your subscription's payment, so your access is suspended.\n"
        f"Pay and get it back: {manage_url}\n",
    )


def recovered(to: str, invoice_id: str, amount: int, currency: str) -> Email:
    return Email(
        f"email:recovered:{invoice_id}", to, "Payment received: your access is back",
        f"Thank you: we received {format_money(amount, currency)}. Your subscription is active "
        "again.\n",
    )


def trial_ending(
    to: str, subscription_id: str, trial_end: datetime | None, manage_url: str
) -> Email:
    key = int(trial_end.timestamp()) if trial_end else 0
    return Email(
        f"email:trial-ending:{subscription_id}:{key}", to, "Your free trial ends soon",
        f"Your trial ends on {_day(trial_end)}; your first payment is taken then.\n"
        f"Manage your subscription: {manage_url}\n",
    )


def action_required(to: str, invoice_id: str, attempt: int, pay_url: str | None) -> Email:
    return Email(
        f"email:action-required:{invoice_id}:{attempt}", to,
        "Your bank asks you to confirm a payment",
        f"Confirm the payment here: {pay_url or 'the link in your account page'}\n",
    )


def account_link(to: str, url: str, nonce: str) -> Email:
    return Email(
        f"email:account-link:{nonce}", to, "Your account link",
        f"Open your account (the link works for 24 hours): {url}\n",
    )
