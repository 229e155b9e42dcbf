"""The servers a benchmark measures: a free loopback port, the `paydesk` command, waiting until
a server answers, stopping it. Shared by every bench module."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def paydesk_cmd() -> list[str]:
    """This environment's `paydesk` command (the module when no script is installed)."""
    script = Path(sys.executable).parent / "paydesk"
    return [str(script)] if script.exists() else [sys.executable, "-m", "paydesk.cli"]


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Until `url` answers at all; exits naming the server if it dies or never comes up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{proc.args!r} exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 15) -> None:
    """Ask `proc` to stop with `sig`; kill it when it has not exited `timeout` seconds later."""
    proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
