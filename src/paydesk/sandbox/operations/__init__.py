"""Operations: plain functions (account, now, params) -> objects + events, shared by routes,
hosted pages and timers."""
