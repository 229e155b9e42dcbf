"""Which paid invoice brings a subscription back from dunning: the one it was past due over.
Events come in any order, so a later renewal's `invoice.paid` may be handled while the record
still says past_due; it must not send a second "your access is back" (seen once in the
four-process lifecycle test on PostgreSQL)."""

from __future__ import annotations

import pytest

from paydesk.billing.service import _was_past_due


@pytest.mark.parametrize(("status", "latest", "invoice", "recovers"), [
    ("past_due", "in_fail", "in_fail", True),  # the failing invoice, paid
    ("unpaid", "in_fail", "in_fail", True),
    ("past_due", "in_fail", "in_next", False),  # a later renewal seen before the record caught up
    ("past_due", None, "in_fail", True),  # the record does not know its latest: as before
    ("active", "in_fail", "in_fail", False),
])
def test_only_the_invoice_it_was_past_due_over_recovers_it(
    status: str, latest: str | None, invoice: str, recovers: bool
) -> None:
    row = {"status": status, "latest_invoice_id": latest}
    assert _was_past_due(row, invoice) is recovers  # type: ignore[arg-type]


def test_no_subscription_recovers_nothing() -> None:
    assert _was_past_due(None, "in_fail") is False
