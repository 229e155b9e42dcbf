"""The cart's caps."""

# Cart caps. Every unit in a cart is held for the session's half hour, so a cart is sized for one
# buyer, not for a wholesale order (those go through an invoice).
MAX_QUANTITY = 20  # units of one product
MAX_LINES = 20  # distinct lines in one request
MAX_UNITS = 50  # units in the whole cart
