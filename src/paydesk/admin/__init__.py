"""The back-office admin pages: overview, orders, webhook inbox (with retry)."""
