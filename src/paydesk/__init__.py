"""paydesk: a self-hosted payments back office for Stripe, with an offline Stripe sandbox."""

__version__ = "0.1.0"
