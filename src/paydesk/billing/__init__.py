"""Subscriptions in the shop: plans bought through Checkout or the shop's own card form,
entitlements that follow Stripe's verified events, dunning emails, the customer's account page,
and the admin's billing overview and API."""
