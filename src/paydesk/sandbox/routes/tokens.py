"""`/v1/tokens`: parse, then call one operation (operations/tokens.py)."""

from __future__ import annotations

from paydesk.sandbox.account import Obj
from paydesk.sandbox.errors import InvalidRequest
from paydesk.sandbox.operations import tokens as ops
from paydesk.sandbox.params import check_known, get_dict
from paydesk.sandbox.routing import Call, api

_NOTHING_TO_TOKENISE = (
    "You must supply either a card, customer, PII data, bank account, or account legal "
    "entity to create a token. If you're making this request with a library, be sure to "
    "pass all of the required parameters for creating a token. If you're making this "
    "request manually, be sure your POST parameters begin with the token type. For "
    "example, a PII token would require `pii[personal_id_number]`, while an account "
    "token would require a parameter beginning with `account[legal_entity]`. See the "
    "API reference for more information: https://stripe.com/docs/api#token_object"
)


@api.route("POST", "/v1/tokens")
def create_token(call: Call) -> Obj:
    p = call.params
    check_known(p, {"card", "customer"})
    card = p.get("card")
    if isinstance(card, str) and card:
        # `card=tok_visa` or a card id: Stripe tokenises an existing card again.
        return ops.token_for_test_card(call.account, card, now=call.now)
    details = get_dict(p, "card")
    if details is None:
        raise InvalidRequest(_NOTHING_TO_TOKENISE)
    return ops.token_for_card(call.account, details, now=call.now)


@api.route("GET", "/v1/tokens/{id}")
def retrieve_token(call: Call) -> Obj:
    token = call.account.find(call.args[0])
    if token is None or token.get("object") != "token":
        raise ops.no_such_token(call.args[0], "token")
    return token
