"""A cap on request bodies: FastAPI reads JSON and form bodies whole, so without one a single
request can make the process hold any amount of memory.

The middleware is the sandbox's own (the sandbox imports nothing from paydesk, the shop may
import from it): one implementation, two users.
"""

from paydesk.sandbox.limits import BodySizeLimit

__all__ = ["BodySizeLimit"]
