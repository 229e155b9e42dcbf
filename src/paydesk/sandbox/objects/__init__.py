"""One skeleton per object type, and the transition table of its statuses."""
