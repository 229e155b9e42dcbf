"""An invoice as a PDF (fpdf2): header, customer, lines, discount, tax, totals, amount paid and
due, each amount with its currency's decimals."""

from __future__ import annotations

from datetime import UTC, datetime

from fpdf import FPDF

from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.money import decimals, format_money

BUSINESS = "paydesk sandbox"


def _date(ts: int | None) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%B %d, %Y") if ts else "-"


def _text(value: object) -> str:
    # The core PDF fonts are Latin-1: anything else is shown as "?" rather than failing.
    return str(value).encode("latin-1", "replace").decode("latin-1")


def _money(amount: int, currency: str) -> str:
    """`12.34 EUR`-style when the symbol is outside the core fonts' Latin-1 (€, ₹, ...)."""
    shown = format_money(amount, currency)
    try:
        shown.encode("latin-1")
    except UnicodeEncodeError:
        places = decimals(currency)
        sign = "-" if amount < 0 else ""
        return f"{sign}{abs(amount) / 10**places:,.{places}f} {currency.upper()}"
    return shown


def render(account: Account, invoice: Obj) -> bytes:
    pdf = FPDF()
    pdf.set_title(_text(f"Invoice {invoice['number'] or invoice['id']}"))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 10, "Invoice", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    head = [
        ("Invoice number", invoice["number"] or "DRAFT"),
        ("Status", invoice["status"]),
        (
            "Date of issue",
            _date(invoice["status_transitions"]["finalized_at"] or invoice["created"]),
        ),
        ("Date due", _date(invoice["due_date"])),
        ("From", BUSINESS),
        ("Bill to", invoice["customer_name"] or invoice["customer"]),
        ("Email", invoice["customer_email"] or "-"),
    ]
    for label, value in head:
        pdf.cell(45, 6, _text(label))
        pdf.cell(0, 6, _text(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    _lines(pdf, invoice)
    _totals(pdf, account, invoice)
    return bytes(pdf.output())


def _lines(pdf: FPDF, invoice: Obj) -> None:
    currency = invoice["currency"]
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(120, 7, "Description", border="B")
    pdf.cell(20, 7, "Qty", border="B", align="R")
    pdf.cell(0, 7, "Amount", border="B", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    for line in invoice["lines"]["data"]:
        pdf.cell(120, 7, _text(line["description"] or "Item")[:70])
        pdf.cell(20, 7, str(line["quantity"]), align="R")
        pdf.cell(0, 7, _money(line["amount"], currency), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _totals(pdf: FPDF, account: Account, invoice: Obj) -> None:
    currency = invoice["currency"]
    rows = [("Subtotal", invoice["subtotal"])]
    for share in invoice["total_discount_amounts"]:
        discount = account.find(share["discount"]) or {}
        coupon = account.find((discount.get("source") or {}).get("coupon", "")) or {}
        name = coupon.get("name") or coupon.get("id") or "Discount"
        rows.append((f"Discount ({name})", -share["amount"]))
    for tax in invoice["total_taxes"]:
        rate = account.find(tax["tax_rate_details"]["tax_rate"]) or {}
        label = f"{rate.get('display_name', 'Tax')} ({rate.get('percentage', 0)}%"
        label += " included)" if tax["tax_behavior"] == "inclusive" else ")"
        rows.append((label, tax["amount"]))
    rows += [
        ("Total", invoice["total"]),
        ("Amount paid", invoice["amount_paid"]),
        ("Amount due", invoice["amount_remaining"]),
    ]
    for label, amount in rows:
        pdf.set_font("Helvetica", "B" if label in ("Total", "Amount due") else "", 10)
        pdf.cell(140, 7, _text(label), align="R")
        pdf.cell(0, 7, _money(amount, currency), align="R", new_x="LMARGIN", new_y="NEXT")
