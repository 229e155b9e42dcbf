"""An offline, stateful, Stripe-compatible server.

A product of its own: it imports nothing from the rest of paydesk, and any Stripe client in any
language can point at it by base URL. Each `sk_test_…` key is its own account.
"""

API_VERSION = "2026-10-28.endive"
