"""The user's fixtures: their app on a real port, registered with the sandbox account."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from shop_app import create_app


class RunningApp:
    def __init__(self) -> None:
        self.app = create_app()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]})
        self.thread.start()
        while not self.server.started:
            time.sleep(0.01)

    @property
    def fulfilled(self) -> list[str]:
        return list(self.app.state.fulfilled)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def shop(stripe_webhooks) -> Iterator[RunningApp]:
    running = RunningApp()
    endpoint = stripe_webhooks.register(running.url + "/webhook")
    running.app.state.webhook_secret = endpoint.secret
    yield running
    running.stop()
