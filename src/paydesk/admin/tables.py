from sqlalchemy import Column, DateTime, String, Table

from paydesk.store.metadata import metadata

# Signed-in admin browsers. The cookie holds a random nonce (plus an HMAC keyed by the admin
# token); the row, keyed by the nonce's SHA-256, is what lets a session expire and be revoked.
admin_sessions = Table(
    "admin_sessions",
    metadata,
    Column("id", String(64), primary_key=True),  # sha256(nonce), hex: the database never
    # holds a usable cookie
    Column("created_at", DateTime(timezone=True), nullable=False),  # absolute expiry from here
    Column("last_seen_at", DateTime(timezone=True), nullable=False, index=True),  # idle expiry
)
