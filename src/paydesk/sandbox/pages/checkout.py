"""The hosted Checkout page at a session's `url`: shows the order, takes a card, pays.

Form contract (DESIGN.md): `email`, `card_number`, `card_expiry` (MM/YY), `card_cvc`,
`cardholder_name`. Every handler reads the form first and then works without awaiting, so a
double submit is decided by the session's status: once complete, a POST only redirects.

The page's script posts the same form with `Accept: application/json` and gets the outcome as
data (`{"redirect": url}` or `{"error": {"messages", "field"}}`), so after a decline the page
stays as typed; without the script the form posts and the page is shown again, without the
card number and CVC (never echoed, never stored).
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.clock import wall_now
from paydesk.sandbox.errors import CardError, StripeError
from paydesk.sandbox.operations import checkout_async, checkout_subscriptions
from paydesk.sandbox.operations.checkout_sessions import (
    buyer_customer,
    complete_session,
    fresh,
    line_items,
    state_of,
    success_redirect,
)
from paydesk.sandbox.operations.payment_intents import confirm_intent, create_intent
from paydesk.sandbox.operations.payment_methods import card_payment_method, sepa_payment_method
from paydesk.sandbox.operations.setup_intents import confirm_setup_intent
from paydesk.sandbox.pages import templates
from paydesk.sandbox.pages.test_cards import card_groups
from paydesk.sandbox.store import Store

AUTH_FAILED = (
    "We are unable to authenticate your payment method. Please choose a different payment "
    "method and try again."
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_EMAIL_INCOMPLETE = ("email", "Your email address is incomplete.")
# "12/34", "12 / 34", "12/2034", and "1234" as typed without the slash.
_EXPIRY = re.compile(r"^\s*(\d{1,2})\s*/?\s*(\d{2}|\d{4})\s*$")
# What the server shows again after an error. The card number and CVC are never echoed.
_KEPT = ("email", "cardholder_name", "card_expiry")
# A problem: the form field at fault (focused on the page) and the buyer's message.
Problem = tuple[str, str]
# The field a card error is about: Stripe's error code first, then the parameter it names.
_FIELD_OF_CODE = {
    "incorrect_number": "card_number",
    "invalid_number": "card_number",
    "incorrect_cvc": "card_cvc",
    "invalid_cvc": "card_cvc",
    "expired_card": "card_expiry",
    "invalid_expiry_month": "card_expiry",
    "invalid_expiry_year": "card_expiry",
}
_FIELD_OF_PARAM = {
    "number": "card_number",
    "cvc": "card_cvc",
    "exp_month": "card_expiry",
    "exp_year": "card_expiry",
    "iban": "iban",
}


def routes(store: Store, business_name: str) -> list[BaseRoute]:
    checkout_async.install()
    page = CheckoutPage(store, business_name)
    return [
        Route("/c/pay/{session_id}", page.show, methods=["GET"]),
        Route("/c/pay/{session_id}", page.submit, methods=["POST"]),
        Route("/c/pay/{session_id}/return", page.back_from_challenge, methods=["GET"]),
    ]


class CheckoutPage:
    def __init__(self, store: Store, business_name: str) -> None:
        self.store = store
        self.business = business_name
        self.templates = templates()

    # -- handlers ------------------------------------------------------------------------------

    async def show(self, request: Request) -> Response:
        found = self._session(request)
        if found is None:
            return self._not_found(request)
        account, session = found
        try:
            return self._page(request, account, session)
        finally:
            self.store.flush()

    async def submit(self, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        found = self._session(request)
        if found is None:
            return self._not_found(request)
        account, session = found
        try:
            response = self._pay(request, account, session, form)
        finally:
            self.store.flush()
        if _wants_data(request) and isinstance(response, RedirectResponse):
            return JSONResponse({"redirect": response.headers["location"]})
        return response

    async def back_from_challenge(self, request: Request) -> Response:
        found = self._session(request)
        if found is None:
            return self._not_found(request)
        account, session = found
        try:
            return self._after_challenge(request, account, session)
        finally:
            self.store.flush()

    # -- paying --------------------------------------------------------------------------------

    def _pay(
        self, request: Request, account: Account, session: Obj, form: dict[str, str]
    ) -> Response:
        if session["status"] == "complete":
            # Double submit, second tab, back button: the buyer already paid; never again.
            return _see_other(success_redirect(session))
        if session["status"] != "open":
            return self._page(request, account, session)
        kept = {k: form.get(k, "").strip()[:64] for k in _KEPT}
        if session["mode"] == "setup":
            return self._save_card(request, account, session, form, kept)
        if session["amount_total"] == 0:
            problems = [] if _EMAIL.match(kept["email"]) else [_EMAIL_INCOMPLETE]
            if problems:
                return self._page(request, account, session, problems, kept, status=400)
            complete_session(
                account, session, None, kept["email"], kept["cardholder_name"], now=wall_now()
            )
            return _see_other(success_redirect(session))
        state = state_of(account, session)
        pi = account.find(state["payment_intent"]) if state.get("payment_intent") else None
        if pi is not None and pi["status"] in ("succeeded", "requires_capture", "processing"):
            # A payment already went through (another tab): never charge a second time.
            return self._finish(account, session, pi, kept)
        problems, card = _read_method(session, form, kept)
        if problems:
            return self._page(request, account, session, problems, kept, status=400)
        base_url = account.base_url = str(request.base_url).rstrip("/")
        try:
            now = wall_now()
            pm = _new_method(account, form, kept, card, now)
            if session["mode"] == "subscription":
                pi = checkout_subscriptions.subscribe(
                    account, session, state, pm, kept, base_url, now=now
                )
            else:
                if pi is None:
                    pi = self._new_intent(account, session, state, kept)
                return_url = f"{base_url}/c/pay/{session['id']}/return"
                pi = confirm_intent(account, pi, pm["id"], base_url, return_url, now=now)
        except CardError as error:
            return self._page(request, account, session, [_problem(error)], kept, status=402)
        except StripeError as error:
            return self._page(request, account, session, [_problem(error)], kept, status=400)
        state["buyer"] = kept
        account.save(state)
        if pi is not None and pi["status"] == "requires_action":
            next_action = pi.get("next_action") or {}
            return _see_other(next_action["redirect_to_url"]["url"])
        return self._finish(account, session, pi, kept)

    def _save_card(
        self,
        request: Request,
        account: Account,
        session: Obj,
        form: dict[str, str],
        kept: dict[str, str],
    ) -> Response:
        """mode=setup: confirm the session's SetupIntent with the card typed in; nothing is
        charged."""
        si = account.get(session["setup_intent"], "setup_intent")
        if si["status"] == "succeeded":  # another tab saved it already
            return self._finish(account, session, None, kept)
        problems, card = _check_card(form, kept)
        if card is None:
            return self._page(request, account, session, problems, kept, status=400)
        number, exp_month, exp_year, cvc = card
        base_url = account.base_url = str(request.base_url).rstrip("/")
        try:
            customer = buyer_customer(
                account, session, kept["email"], kept["cardholder_name"], now=wall_now()
            )
            if customer and not si.get("customer"):
                account.update(si, {"customer": customer})
            pm = card_payment_method(
                account,
                number=number,
                exp_month=exp_month,
                exp_year=exp_year,
                cvc=cvc,
                billing_details={"email": kept["email"], "name": kept["cardholder_name"]},
                now=wall_now(),
            )
            return_url = f"{base_url}/c/pay/{session['id']}/return"
            si = confirm_setup_intent(account, si, pm["id"], base_url, return_url, now=wall_now())
        except CardError as error:
            return self._page(request, account, session, [_problem(error)], kept, status=402)
        except StripeError as error:
            return self._page(request, account, session, [_problem(error)], kept, status=400)
        state = state_of(account, session)
        state["buyer"] = kept
        account.save(state)
        if si["status"] == "requires_action":
            return _see_other(si["next_action"]["redirect_to_url"]["url"])
        return self._finish(account, session, None, kept)

    def _new_intent(self, account: Account, session: Obj, state: Obj, kept: dict[str, str]) -> Obj:
        data = state["pi_data"]
        now = wall_now()
        customer = buyer_customer(account, session, kept["email"], kept["cardholder_name"], now=now)
        fields = {
            "customer": customer,
            # Stripe copies only payment_intent_data onto the intent, not the session's metadata.
            "metadata": dict(data.get("metadata") or {}),
            "payment_method_types": list(session["payment_method_types"]),
            "description": data.get("description"),
            "receipt_email": data.get("receipt_email"),
            "capture_method": data.get("capture_method") or "automatic",
        }
        pi = create_intent(account, now, session["amount_total"], session["currency"], fields)
        state["payment_intent"] = pi["id"]
        account.save(state)
        return pi

    def _after_challenge(self, request: Request, account: Account, session: Obj) -> Response:
        if session["status"] != "open":
            return self._page(request, account, session)
        state = state_of(account, session)
        kept = state.get("buyer") or {}
        if session["mode"] == "setup":
            pi = account.find(session["setup_intent"])  # the intent the challenge was for
        else:
            pi = account.find(state["payment_intent"]) if state.get("payment_intent") else None
        if pi is None:
            return self._page(request, account, session)
        if pi["object"] == "setup_intent" and pi["status"] == "succeeded":
            return self._finish(account, session, None, kept)
        if pi["status"] in ("succeeded", "requires_capture", "processing"):
            return self._finish(account, session, pi, kept)
        if pi["status"] == "requires_action":
            message = "Authentication was not completed. Please try again."
        else:
            message = AUTH_FAILED  # the buyer's wording; the API's error speaks to developers
        return self._page(request, account, session, [("card_number", message)], kept, 402)

    def _finish(
        self, account: Account, session: Obj, pi: Obj | None, kept: dict[str, str]
    ) -> Response:
        if session["status"] == "open" and session["mode"] == "subscription":
            checkout_subscriptions.finish(account, session, state_of(account, session))
        if session["status"] == "open":
            complete_session(
                account,
                session,
                pi,
                kept.get("email", ""),
                kept.get("cardholder_name", ""),
                now=wall_now(),
            )
        return _see_other(success_redirect(session))

    # -- rendering -----------------------------------------------------------------------------

    def _session(self, request: Request) -> tuple[Account, Obj] | None:
        session_id = request.path_params["session_id"]
        account = self.store.owner(session_id)
        session = account.find(session_id) if account is not None else None
        if account is None or session is None or session.get("object") != "checkout.session":
            return None
        return account, fresh(account, session, now=wall_now())

    def _page(
        self,
        request: Request,
        account: Account,
        session: Obj,
        problems: list[Problem] | None = None,
        kept: dict[str, str] | None = None,
        status: int = 200,
    ) -> Response:
        if _wants_data(request):
            if session["status"] != "open" or not problems:
                return JSONResponse({"redirect": str(request.url)})  # the page says what now
            messages = [message for _, message in problems]
            fault = {"messages": messages, "field": problems[0][0]}
            return JSONResponse({"error": fault}, status_code=status)
        if session["status"] != "open":
            return self._notice(request, session)
        values = dict(kept or {})
        values.setdefault("email", _prefill_email(account, session))
        context: dict[str, Any] = {
            "business": self.business,
            "session": session,
            "items": line_items(account, session),
            "errors": [message for _, message in problems or []],
            "fault": problems[0][0] if problems else None,
            "values": values,
            "email_locked": bool(session.get("customer_email")),
            "card_groups": card_groups(),
            "recurring": checkout_subscriptions.recurring_note(
                account, state_of(account, session), session["currency"]
            )
            if session["mode"] == "subscription"
            else None,
            "pay_label": "Pay"
            if session.get("submit_type") in (None, "auto", "pay")
            else str(session["submit_type"]).capitalize(),
        }
        return self.templates.TemplateResponse(
            request, "checkout.html", context, status_code=status
        )

    def _notice(self, request: Request, session: Obj) -> Response:
        context = {
            "business": self.business,
            "session": session,
            "success_url": success_redirect(session) if session["status"] == "complete" else None,
        }
        status = 410 if session["status"] == "expired" else 200
        return self.templates.TemplateResponse(
            request, "checkout_notice.html", context, status_code=status
        )

    def _not_found(self, request: Request) -> Response:
        context = {"business": self.business, "session": None, "success_url": None}
        return self.templates.TemplateResponse(
            request, "checkout_notice.html", context, status_code=404
        )


def _prefill_email(account: Account, session: Obj) -> str:
    if session.get("customer_email"):
        return str(session["customer_email"])
    customer = account.find(session["customer"]) if session.get("customer") else None
    return str((customer or {}).get("email") or "")


def _read_method(
    session: Obj, form: dict[str, str], kept: dict[str, str]
) -> tuple[list[Problem], tuple[str, int, int, str] | None]:
    """The buyer's card (checked like a payment page would), or nothing for a SEPA debit
    (`method=sepa_debit` with `iban` and `account_holder`) when the session takes one."""
    if form.get("method") == "sepa_debit" and "sepa_debit" in session["payment_method_types"]:
        kept["cardholder_name"] = form.get("account_holder", "").strip()
        ok = _EMAIL.match(kept["email"])
        return ([] if ok else [_EMAIL_INCOMPLETE]), None
    return _check_card(form, kept)


def _new_method(
    account: Account,
    form: dict[str, str],
    kept: dict[str, str],
    card: tuple[str, int, int, str] | None,
    now: int,
) -> Obj:
    billing = {"email": kept["email"], "name": kept["cardholder_name"]}
    if card is None:
        return sepa_payment_method(account, form.get("iban", ""), billing, param="iban", now=now)
    number, exp_month, exp_year, cvc = card
    return card_payment_method(
        account,
        number=number,
        exp_month=exp_month,
        exp_year=exp_year,
        cvc=cvc,
        billing_details=billing,
        now=now,
    )


def read_card(
    form: dict[str, str], kept: dict[str, str]
) -> tuple[list[str], tuple[str, int, int, str] | None]:
    """The card's problems as messages only (the invoice and portal pages' form)."""
    problems, card = _check_card(form, kept)
    return [message for _, message in problems], card


def _check_card(
    form: dict[str, str], kept: dict[str, str]
) -> tuple[list[Problem], tuple[str, int, int, str] | None]:
    """Check the form like a payment page would before anything reaches the card network."""
    problems: list[Problem] = []
    if not _EMAIL.match(kept["email"]):
        problems.append(_EMAIL_INCOMPLETE)
    number = re.sub(r"[\s-]", "", form.get("card_number", ""))
    if not number:
        problems.append(("card_number", "Your card number is incomplete."))
    elif not number.isdigit():
        problems.append(("card_number", "Your card number is invalid."))
    expiry = _EXPIRY.match(kept["card_expiry"])
    if not kept["card_expiry"]:
        problems.append(("card_expiry", "Your card's expiration date is incomplete."))
    elif expiry is None or not 1 <= int(expiry.group(1)) <= 12:
        problems.append(("card_expiry", "Your card's expiration date is invalid. Use MM/YY."))
    cvc = form.get("card_cvc", "").strip()
    if not cvc:
        problems.append(("card_cvc", "Your card's security code is incomplete."))
    elif not (cvc.isdigit() and 3 <= len(cvc) <= 4):
        problems.append(("card_cvc", "Your card's security code is invalid."))
    if not kept["cardholder_name"]:
        problems.append(("cardholder_name", "Please enter the name on your card."))
    if problems or expiry is None:
        return problems, None
    year = int(expiry.group(2))
    return [], (number, int(expiry.group(1)), year + 2000 if year < 100 else year, cvc)


def _problem(error: StripeError) -> Problem:
    param = (error.param or "").rsplit("[", 1)[-1].rstrip("]")
    field = _FIELD_OF_CODE.get(error.code or "") or _FIELD_OF_PARAM.get(param, "card_number")
    return field, error.message


def _wants_data(request: Request) -> bool:
    """The page's own script asking for the outcome as JSON rather than a page."""
    return "application/json" in request.headers.get("accept", "")


def _see_other(url: str) -> Response:
    return RedirectResponse(url, status_code=303)
