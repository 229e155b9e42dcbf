"""Refunds started from paydesk (admin page, CLI); the order itself moves only on charge.refunded."""
