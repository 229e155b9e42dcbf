"""/v1/test_helpers/test_clocks."""

from __future__ import annotations

from paydesk.sandbox.account import Obj
from paydesk.sandbox.clock import wall_now
from paydesk.sandbox.listing import paginate
from paydesk.sandbox.operations import invoices, test_clocks
from paydesk.sandbox.params import check_known, get_str, req_int
from paydesk.sandbox.routing import Call, api

KIND = "test_helpers.test_clock"


@api.route("POST", "/v1/test_helpers/test_clocks")
def create_clock(call: Call) -> Obj:
    check_known(call.params, {"frozen_time", "name"})
    frozen_time = req_int(call.params, "frozen_time", minimum=0)
    return test_clocks.create(call.account, wall_now(), frozen_time, get_str(call.params, "name"))


@api.route("GET", "/v1/test_helpers/test_clocks/{id}")
def retrieve_clock(call: Call) -> Obj:
    return call.account.get(call.args[0], KIND)


@api.route("POST", "/v1/test_helpers/test_clocks/{id}/advance")
def advance_clock(call: Call) -> Obj:
    check_known(call.params, {"frozen_time"})
    invoices.remember_base(call.account, call.base_url)
    clock = call.account.get(call.args[0], KIND)
    target = req_int(call.params, "frozen_time", minimum=0)
    test_clocks.check_step(call.account, clock, target)
    return test_clocks.advance(call.account, clock, target)


@api.route("DELETE", "/v1/test_helpers/test_clocks/{id}")
def delete_clock(call: Call) -> Obj:
    clock = call.account.get(call.args[0], KIND)
    return test_clocks.delete(call.account, clock)


@api.route("GET", "/v1/test_helpers/test_clocks")
def list_clocks(call: Call) -> Obj:
    return paginate(call.account, KIND, call.params, "/v1/test_helpers/test_clocks")
