"""The hosted customer portal at a billing portal session's `url`: plan, invoices, card,
cancel (at period end or now), switch between the account's recurring prices.

A new card is set up as Stripe's portal does it, through an off-session SetupIntent: a card
that asks for authentication (3D Secure) sends the customer through the challenge page and back
to `/card/return`, and becomes the default only once the SetupIntent has succeeded."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.clock import business_now, wall_now
from paydesk.sandbox.errors import StripeError
from paydesk.sandbox.operations import renewals, subscription_updates
from paydesk.sandbox.operations.payment_methods import card_payment_method
from paydesk.sandbox.operations.setup_intents import confirm_setup_intent, create_setup_intent
from paydesk.sandbox.operations.subscriptions import current_period
from paydesk.sandbox.pages import BUSINESS_NAME, templates
from paydesk.sandbox.pages.checkout import read_card
from paydesk.sandbox.store import Store

LIVE = ("active", "trialing", "past_due", "unpaid", "paused", "incomplete")


def routes(store: Store, _business_name: str) -> list[BaseRoute]:
    page = PortalPage(store)
    return [
        Route("/p/session/{session_id}", page.show, methods=["GET"]),
        Route("/p/session/{session_id}/cancel", page.cancel, methods=["POST"]),
        Route("/p/session/{session_id}/switch", page.switch, methods=["POST"]),
        Route("/p/session/{session_id}/card", page.card, methods=["POST"]),
        Route("/p/session/{session_id}/card/return", page.card_return, methods=["GET"]),
    ]


class PortalPage:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.templates = templates()

    def _session(self, request: Request) -> tuple[Account, Obj, Obj] | None:
        session_id = request.path_params["session_id"]
        account = self.store.owner(session_id)
        session = account.find(session_id) if account is not None else None
        if account is None or session is None or session.get("object") != "billing_portal.session":
            return None
        customer = account.find(session["customer"])
        if customer is None or customer.get("deleted"):
            return None
        return account, session, customer

    async def show(self, request: Request) -> Response:
        found = self._session(request)
        if found is None:
            return _missing()
        return self._page(request, *found)

    async def cancel(self, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        return self._act(request, form, _cancel)

    async def switch(self, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        return self._act(request, form, _switch)

    async def card(self, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        found = self._session(request)
        if found is None:
            return _missing()
        account, session, customer = found
        base = str(request.base_url).rstrip("/")
        return_url = f"{base}/p/session/{session['id']}/card/return"
        now = business_now(account, customer.get("test_clock"), wall_now())
        try:
            si = _set_up_card(account, now, customer, form, base, return_url)
        except (StripeError, ValueError) as error:
            message = error.message if isinstance(error, StripeError) else str(error)
            return self._page(request, account, session, customer, errors=[message], status=400)
        finally:
            self.store.flush()
        if si["status"] == "requires_action":
            return RedirectResponse(si["next_action"]["redirect_to_url"]["url"], status_code=303)
        notice = _make_default(account, now, customer, si)
        self.store.flush()
        return self._page(request, account, session, customer, notices=[notice])

    async def card_return(self, request: Request) -> Response:
        """Back from the challenge: the card is the default only if it was authenticated."""
        found = self._session(request)
        if found is None:
            return _missing()
        account, session, customer = found
        si = account.find(request.query_params.get("setup_intent", ""))
        if si is None or si.get("object") != "setup_intent" or si["customer"] != customer["id"]:
            return _missing()
        if si["status"] != "succeeded":
            error = (si.get("last_setup_error") or {}).get("message") or (
                "We could not authenticate your card. Try again or use another card.")
            return self._page(request, account, session, customer, errors=[error], status=402)
        now = business_now(account, customer.get("test_clock"), wall_now())
        notice = _make_default(account, now, customer, si)
        self.store.flush()
        return self._page(request, account, session, customer, notices=[notice])

    def _act(self, request: Request, form: dict[str, str], action: Any) -> Response:
        found = self._session(request)
        if found is None:
            return _missing()
        account, session, customer = found
        now = business_now(account, customer.get("test_clock"), wall_now())
        try:
            notice = action(account, now, customer, form)
        except (StripeError, ValueError) as error:
            message = error.message if isinstance(error, StripeError) else str(error)
            return self._page(request, account, session, customer, errors=[message], status=400)
        finally:
            self.store.flush()
        return self._page(request, account, session, customer, notices=[notice])

    def _page(
        self,
        request: Request,
        account: Account,
        session: Obj,
        customer: Obj,
        *,
        errors: list[str] | None = None,
        notices: list[str] | None = None,
        status: int = 200,
    ) -> Response:
        subs = list(
            account.newest(
                "subscription", lambda s: s["customer"] == customer["id"] and s["status"] in LIVE
            )
        )
        prices = [p for p in account.newest("price", _switchable)]
        names = {o["id"]: o["name"] for o in account.newest("product")}
        default_pm = (customer.get("invoice_settings") or {}).get("default_payment_method")
        pm = account.find(default_pm) if default_pm else None
        context: dict[str, Any] = {
            "business": BUSINESS_NAME,
            "session": session,
            "customer": customer,
            "subscriptions": subs,
            "dates": {s["id"]: _date(current_period(s)[1]) for s in subs},
            "prices": prices,
            "names": names,
            "card": (pm or {}).get("card"),
            "invoices": list(
                account.newest(
                    "invoice", lambda i: i["customer"] == customer["id"] and i["status"] != "draft"
                )
            ),
            "errors": errors or [],
            "notices": notices or [],
            "base": f"/p/session/{session['id']}",
        }
        return self.templates.TemplateResponse(request, "portal.html", context, status_code=status)


def _switchable(price: Obj) -> bool:
    return bool(price.get("active") and price.get("type") == "recurring")


def _owned_subscription(account: Account, customer: Obj, form: dict[str, str]) -> Obj:
    sub = account.find(form.get("subscription", ""))
    if sub is None or sub.get("object") != "subscription" or sub["customer"] != customer["id"]:
        raise ValueError("That subscription is not one of yours.")
    return sub


def _cancel(account: Account, now: int, customer: Obj, form: dict[str, str]) -> str:
    sub = _owned_subscription(account, customer, form)
    if form.get("when") == "now":
        renewals.cancel(account, now, sub, reason="cancellation_requested")
        return "Your subscription has been canceled."
    subscription_updates.update(account, now, sub, {"cancel_at_period_end": "true"})
    return f"Your subscription will end on {_date(current_period(sub)[1])}."


def _switch(account: Account, now: int, customer: Obj, form: dict[str, str]) -> str:
    sub = _owned_subscription(account, customer, form)
    price = account.find(form.get("price", ""))
    if price is None or price.get("object") != "price" or not _switchable(price):
        raise ValueError("Choose one of the plans offered.")
    item = sub["items"]["data"][0]
    subscription_updates.update(
        account, now, sub, {"items": [{"id": item["id"], "price": price["id"]}]}
    )
    return "Your plan has been updated."


def _set_up_card(
    account: Account, now: int, customer: Obj, form: dict[str, str], base: str, return_url: str
) -> Obj:
    """The typed card, set up for later (off-session) payments on a SetupIntent of its own."""
    kept = {
        "email": customer.get("email") or "x@example.com",
        "cardholder_name": form.get("cardholder_name", "").strip(),
        "card_expiry": form.get("card_expiry", "").strip(),
    }
    problems, card = read_card(form, kept)
    if card is None:
        raise ValueError(" ".join(problems))
    number, exp_month, exp_year, cvc = card
    pm = card_payment_method(
        account,
        number=number,
        exp_month=exp_month,
        exp_year=exp_year,
        cvc=cvc,
        billing_details={"name": kept["cardholder_name"]},
        now=now,
    )
    si = create_setup_intent(account, now, customer=customer["id"], usage="off_session")
    return confirm_setup_intent(account, si, pm["id"], base, return_url, now=now)


def _make_default(account: Account, now: int, customer: Obj, si: Obj) -> str:
    pm = account.get(si["payment_method"], "payment_method")
    settings = {**(customer.get("invoice_settings") or {}), "default_payment_method": pm["id"]}
    previous = account.update(customer, {"invoice_settings": settings})
    if previous:
        account.emit("customer.updated", customer, previous, now=now)
    return f"Card ending in {pm['card']['last4']} saved."


def _date(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%B %d, %Y")


def _missing() -> Response:
    return Response("This portal link is not valid.", status_code=404, media_type="text/plain")
