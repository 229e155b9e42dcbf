"""Database access: engine and transactions, the shared metadata, migrations."""
