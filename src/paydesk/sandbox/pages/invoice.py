"""The hosted invoice page (`hosted_invoice_url`): the invoice, a card form that pays it
(3D Secure included), and its PDF (`invoice_pdf`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from paydesk.sandbox import invoice_pdf
from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.clock import business_now, wall_now
from paydesk.sandbox.errors import CardError, StripeError
from paydesk.sandbox.operations import invoices
from paydesk.sandbox.operations.payment_intents import confirm_intent
from paydesk.sandbox.operations.payment_methods import card_payment_method, sepa_payment_method
from paydesk.sandbox.pages import BUSINESS_NAME, templates
from paydesk.sandbox.pages.checkout import AUTH_FAILED, read_card
from paydesk.sandbox.store import Store


def routes(store: Store, _business_name: str) -> list[BaseRoute]:
    page = InvoicePage(store)
    return [
        Route("/invoice/{invoice_id}", page.show, methods=["GET"]),
        Route("/invoice/{invoice_id}", page.submit, methods=["POST"]),
        Route("/invoice/{invoice_id}/return", page.back_from_challenge, methods=["GET"]),
        Route("/invoice/{invoice_id}/pdf", page.pdf, methods=["GET"]),
    ]


class InvoicePage:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.templates = templates()

    def _invoice(self, request: Request) -> tuple[Account, Obj] | None:
        invoice_id = request.path_params["invoice_id"]
        account = self.store.owner(invoice_id)
        invoice = account.find(invoice_id) if account is not None else None
        if account is None or invoice is None or invoice.get("object") != "invoice":
            return None
        if invoice["status"] == "draft":
            return None  # a draft has no hosted page yet
        return account, invoice

    async def show(self, request: Request) -> Response:
        found = self._invoice(request)
        if found is None:
            return Response("No such invoice.", status_code=404, media_type="text/plain")
        return self._page(request, *found)

    async def pdf(self, request: Request) -> Response:
        found = self._invoice(request)
        if found is None:
            return Response("No such invoice.", status_code=404, media_type="text/plain")
        account, invoice = found
        name = f"Invoice-{invoice['number'] or invoice['id']}.pdf"
        return Response(
            invoice_pdf.render(account, invoice),
            media_type="application/pdf",
            headers={"content-disposition": f'inline; filename="{name}"'},
        )

    async def submit(self, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        found = self._invoice(request)
        if found is None:
            return Response("No such invoice.", status_code=404, media_type="text/plain")
        account, invoice = found
        try:
            return self._pay(request, account, invoice, form)
        finally:
            self.store.flush()

    async def back_from_challenge(self, request: Request) -> Response:
        found = self._invoice(request)
        if found is None:
            return Response("No such invoice.", status_code=404, media_type="text/plain")
        account, invoice = found
        if invoice["status"] == "paid":
            return _see_other(f"/invoice/{invoice['id']}")
        return self._page(request, account, invoice, [AUTH_FAILED], status=402)

    def _pay(
        self, request: Request, account: Account, invoice: Obj, form: dict[str, str]
    ) -> Response:
        if invoice["status"] not in ("open", "uncollectible"):
            return _see_other(f"/invoice/{invoice['id']}")  # paid already: never twice
        kept = {k: form.get(k, "").strip() for k in ("email", "cardholder_name", "card_expiry")}
        pi = invoices.intent_of(account, invoice)
        if pi is None or pi["status"] in ("succeeded", "processing"):
            return _see_other(f"/invoice/{invoice['id']}")
        if form.get("method") == "sepa_debit":
            return self._pay_by_debit(request, account, invoice, pi, form)
        problems, card = read_card(form, kept)
        if card is None:
            return self._page(request, account, invoice, problems, kept, status=400)
        base = str(request.base_url).rstrip("/")
        number, exp_month, exp_year, cvc = card
        now = business_now(account, invoice.get("test_clock"), wall_now())
        try:
            pm = card_payment_method(
                account,
                number=number,
                exp_month=exp_month,
                exp_year=exp_year,
                cvc=cvc,
                billing_details={"email": kept["email"], "name": kept["cardholder_name"]},
                now=now,
            )
            return_url = f"{base}/invoice/{invoice['id']}/return"
            pi = confirm_intent(account, pi, pm["id"], base, return_url=return_url, now=now)
        except CardError as error:
            return self._page(request, account, invoice, [error.message], kept, status=402)
        except StripeError as error:
            return self._page(request, account, invoice, [error.message], kept, status=400)
        if pi["status"] == "requires_action":
            return _see_other(pi["next_action"]["redirect_to_url"]["url"])
        return _see_other(f"/invoice/{invoice['id']}")

    def _pay_by_debit(
        self, request: Request, account: Account, invoice: Obj, pi: Obj, form: dict[str, str]
    ) -> Response:
        """An IBAN instead of a card: the debit is processing until the bank answers, and the
        invoice stays open until then."""
        holder = {"name": form.get("account_holder", "").strip(), "email": form.get("email", "")}
        base = str(request.base_url).rstrip("/")
        now = business_now(account, invoice.get("test_clock"), wall_now())
        try:
            iban = form.get("iban", "")
            pm = sepa_payment_method(account, iban, holder, param="iban", now=now)
            confirm_intent(account, pi, pm["id"], base, now=now)
        except StripeError as error:
            kept = {"email": form.get("email", ""), "cardholder_name": holder["name"]}
            return self._page(request, account, invoice, [error.message], kept, status=400)
        return _see_other(f"/invoice/{invoice['id']}")

    def _page(
        self,
        request: Request,
        account: Account,
        invoice: Obj,
        errors: list[str] | None = None,
        kept: dict[str, str] | None = None,
        status: int = 200,
    ) -> Response:
        values = dict(kept or {})
        values.setdefault("email", invoice.get("customer_email") or "")
        due = invoice.get("due_date")
        pi = invoices.intent_of(account, invoice)
        context: dict[str, Any] = {
            "business": BUSINESS_NAME,
            "invoice": invoice,
            "processing": pi is not None and pi["status"] == "processing",
            "takes_iban": pi is not None and "sepa_debit" in pi["payment_method_types"],
            "errors": errors or [],
            "values": values,
            "due": datetime.fromtimestamp(due, UTC).strftime("%B %d, %Y") if due else None,
        }
        return self.templates.TemplateResponse(request, "invoice.html", context, status_code=status)


def _see_other(url: str) -> Response:
    return RedirectResponse(url, status_code=303)
