"""bench/webhooks: signed Stripe deliveries against `paydesk serve` and a naive baseline."""
