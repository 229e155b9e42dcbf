"""`nosniff` on every response and the favicon route: the sandbox's own pieces (the sandbox
imports nothing from paydesk, the shop may import from it)."""

from paydesk.sandbox.headers import NoSniff, favicon

__all__ = ["NoSniff", "favicon"]
