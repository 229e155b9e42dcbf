"""/v1/mandates/{id}: the SEPA mandates that debits carry."""

from __future__ import annotations

from paydesk.sandbox.account import Obj
from paydesk.sandbox.routing import Call, api


@api.route("GET", "/v1/mandates/{id}")
def retrieve_mandate(call: Call) -> Obj:
    return call.account.get(call.args[0], "mandate")
