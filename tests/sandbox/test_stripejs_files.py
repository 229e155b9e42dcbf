"""The sandbox's `/v3/`: the script a page loads in place of js.stripe.com's, and the documents
its iframes load, with the headers a browser needs; nothing else under `/v3/`."""

from __future__ import annotations

import httpx
import pytest


@pytest.mark.parametrize("path", ["/v3", "/v3/"])
def test_the_script_is_served_at_both_spellings(sandbox_url: str, path: str) -> None:
    response = httpx.get(sandbox_url + path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert "window.Stripe = Stripe" in response.text


def test_the_element_frame_may_be_framed_by_any_merchant(sandbox_url: str) -> None:
    response = httpx.get(sandbox_url + "/v3/elements-inner.html")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"] == "frame-ancestors *"
    assert "x-frame-options" not in response.headers
    for name, kind in (
        ("elements-inner.js", "text/javascript"),
        ("elements-inner.css", "text/css"),
    ):
        asset = httpx.get(f"{sandbox_url}/v3/{name}")
        assert asset.status_code == 200 and asset.headers["content-type"].startswith(kind)


@pytest.mark.parametrize("name", ["stripe.py", "..%2Fserver.py", "elements-inner.txt", "nothing"])
def test_nothing_else_under_v3_is_served(sandbox_url: str, name: str) -> None:
    response = httpx.get(f"{sandbox_url}/v3/{name}")
    assert response.status_code == 404
