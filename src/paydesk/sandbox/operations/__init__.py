"""Plain functions (account, now, params) -> objects + events; routes call them."""
