"""Paying on the shop's own page: a PaymentIntent per order, confirmed in the browser by
Stripe.js (or the sandbox's `/v3/`), fulfilled through checkout's exactly-once path."""
