"""The order: its state machine, tables, stock and the moves between its states."""
