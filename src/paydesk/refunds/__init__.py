"""Refunds started from paydesk (admin page, CLI); orders move only on charge.refunded."""
