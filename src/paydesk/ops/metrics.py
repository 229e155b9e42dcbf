"""Prometheus metrics for the webhook pipeline and fulfilment (served at /metrics by the app).

Created once per process on first use, not at import of anything else; prometheus_client's
default registry is process-wide, so `metrics()` returns the same instances every time.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from prometheus_client import Counter, Histogram


@dataclass(frozen=True)
class Metrics:
    webhooks_received: Counter
    webhooks_rejected: Counter
    webhooks_processed: Counter
    processing_seconds: Histogram
    fulfilments: Counter
    emails_sent: Counter


@cache
def metrics() -> Metrics:
    return Metrics(
        webhooks_received=Counter(
            "paydesk_webhooks_received", "Webhook deliveries that verified and were stored"
        ),
        webhooks_rejected=Counter(
            "paydesk_webhooks_rejected", "Webhook deliveries refused", ["reason"]
        ),
        webhooks_processed=Counter(
            "paydesk_webhooks_processed", "Stored events run through a handler", ["type", "outcome"]
        ),
        processing_seconds=Histogram(
            "paydesk_webhook_processing_seconds",
            "Time from an event's storage to the end of its processing",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
        ),
        fulfilments=Counter("paydesk_fulfilments", "Orders fulfilled", ["via"]),
        emails_sent=Counter("paydesk_emails_sent", "Outbox emails delivered", ["transport"]),
    )
