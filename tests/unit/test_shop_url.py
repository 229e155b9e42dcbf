"""One shop URL: `paydesk serve` and every command agree where the shop is, so an email
fulfilled by `paydesk reconcile` links where the server's own would."""

from __future__ import annotations

import inspect

from paydesk import cli
from paydesk.bootstrap import DEFAULT_HOST, DEFAULT_PORT, shop_url
from paydesk.settings import load_settings


def test_commands_default_to_where_serve_listens_by_default() -> None:
    defaults = inspect.signature(cli.serve).parameters
    assert (defaults["host"].default, defaults["port"].default) == (DEFAULT_HOST, DEFAULT_PORT)
    assert shop_url(load_settings(_env_file=None, client_url=None)) == f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"


def test_client_url_wins_everywhere() -> None:
    settings = load_settings(_env_file=None, client_url="https://shop.example/")
    assert shop_url(settings) == "https://shop.example"
    assert shop_url(settings, "0.0.0.0", 9000) == "https://shop.example"  # noqa: S104


def test_a_wildcard_bind_is_shown_as_loopback() -> None:
    assert shop_url(load_settings(_env_file=None, client_url=None), "0.0.0.0", 9000) == "http://127.0.0.1:9000"  # noqa: S104
