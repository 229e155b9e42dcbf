"""A digital product's access link serves its file (from CATALOG_FILES) with the right content
type, only while the order is paid, and never a file outside that folder."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from paydesk.fulfilment.files import DEMO_FILES, file_for
from paydesk.refunds.service import request_refund
from tests.e2e.live import CATALOG, run_shop
from tests.support import wait_for

PDF = (DEMO_FILES / "brew-guide.pdf").read_bytes()
CARD = {"email": "buyer@example.com", "card_number": "4242424242424242",
        "card_expiry": "12/34", "card_cvc": "123", "cardholder_name": "Ada Buyer"}


def _access_link(base: str, product: str) -> tuple[str, str]:
    created = httpx.post(base + "/api/checkout", json={
        "items": [{"product_id": product, "quantity": 1}], "email": "buyer@example.com"}).json()
    success = httpx.post(created["url"], data=CARD, follow_redirects=True)
    assert success.status_code == 200, success.text
    def links() -> list[dict[str, str]]:
        return list(httpx.get(f"{base}/api/orders/{created['order_id']}").json()["access"])

    return created["order_id"], wait_for(links, "an access link", every=0.2)[0]["url"]


def test_the_paid_file_downloads_and_stops_when_refunded(
    sqlite_url: str, sandbox_url: str, stripe_key: str, tmp_path: Path
) -> None:
    files = tmp_path / "files"
    files.mkdir()
    (files / "guide.pdf").write_bytes(PDF)
    (tmp_path / "secret.txt").write_text("not for sale")
    catalog = {"products": [*CATALOG["products"], {
        "id": "escape", "name": "Escape", "unit_amount": 100, "currency": "usd",
        "type": "digital", "resource": "../secret.txt"}]}
    with run_shop(sqlite_url, sandbox_url, stripe_key, tmp_path, catalog=catalog,
                  catalog_files=str(files)) as shop:
        order_id, link = _access_link(shop.url, "guide")
        page = httpx.get(link)
        assert page.status_code == 200
        href = re.search(r'id="download" href="([^"]+)"', page.text)
        assert href and "Download guide.pdf" in page.text
        got = httpx.get(shop.url + href.group(1))
        assert got.status_code == 200
        assert got.headers["content-type"] == "application/pdf"
        assert got.headers["x-content-type-options"] == "nosniff"
        assert 'filename="guide.pdf"' in got.headers["content-disposition"]
        assert got.content == PDF

        _, escape = _access_link(shop.url, "escape")
        assert httpx.get(escape + "/file").status_code == 404  # paid, but outside the folder
        assert "not for sale" not in httpx.get(escape + "/file").text
        assert 'id="download"' not in httpx.get(escape).text

        assert request_refund(shop.ctx, order_id, None, None)["status"] != "failed"
        wait_for(lambda: httpx.get(link + "/file").status_code == 403,
                 "the refunded order's download to close", every=0.2)
        tampered = link[:-3] + ("abc" if not link.endswith("abc") else "xyz")
        assert httpx.get(tampered + "/file").status_code == 404


def test_only_names_inside_the_folder_resolve(tmp_path: Path) -> None:
    (tmp_path / "a.pdf").write_bytes(PDF)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.pdf").write_bytes(PDF)
    (tmp_path / "link.pdf").symlink_to("/etc/passwd")
    assert file_for(tmp_path, "a.pdf") == (tmp_path / "a.pdf").resolve()
    assert file_for(tmp_path, "sub/b.pdf") == (tmp_path / "sub" / "b.pdf").resolve()
    for name in ("../a.pdf", "/etc/passwd", "sub/../../a.pdf", "link.pdf", "missing.pdf",
                 "sub", "", None, "https://files.example/a.pdf"):
        assert file_for(tmp_path / "sub" if name == "../a.pdf" else tmp_path, name) is None, name


def test_the_demo_ships_a_real_pdf() -> None:
    assert PDF.startswith(b"%PDF-1.") and PDF.rstrip().endswith(b"%%EOF")
    assert b"/Type /Page" in PDF and len(PDF) < 10_000
