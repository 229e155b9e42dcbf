"""/v1/billing_portal/sessions: a link to the hosted customer portal (pages/portal.py)."""

from __future__ import annotations

from urllib.parse import urlsplit

from paydesk.sandbox.account import Obj
from paydesk.sandbox.errors import InvalidRequest
from paydesk.sandbox.ids import new_id
from paydesk.sandbox.params import check_known, get_dict, get_str, req_str
from paydesk.sandbox.routes.business_time import business_time
from paydesk.sandbox.routing import Call, api

# One default portal configuration per account is all the sandbox has.
DEFAULT_CONFIGURATION = "bpc_sandbox_default"


@api.route("POST", "/v1/billing_portal/sessions")
def create_portal_session(call: Call) -> Obj:
    p = call.params
    check_known(
        p,
        {
            "customer",
            "return_url",
            "configuration",
            "locale",
            "flow_data",
            "on_behalf_of",
            "customer_account",
        },
    )
    account = call.account
    customer = account.get(req_str(p, "customer"), "customer", "customer")
    return_url = get_str(p, "return_url") or None
    if return_url is not None:
        parts = urlsplit(return_url)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            raise InvalidRequest(
                "Not a valid URL: return_url must be an absolute http(s) URL.",
                param="return_url",
                code="url_invalid",
            )
    session_id = new_id("bps")
    flow = get_dict(p, "flow_data")
    now = business_time(call, customer)
    session: Obj = {
        "id": session_id,
        "object": "billing_portal.session",
        "configuration": get_str(p, "configuration") or DEFAULT_CONFIGURATION,
        "created": now,
        "customer": customer["id"],
        "customer_account": None,
        "flow": {"type": flow.get("type")} if flow else None,
        "livemode": False,
        "locale": get_str(p, "locale"),
        "on_behalf_of": None,
        "return_url": return_url,
        "url": f"{call.base_url}/p/session/{session_id}",
    }
    account.insert(session)
    account.emit("billing_portal.session.created", session, now=now)
    return session
