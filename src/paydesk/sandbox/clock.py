"""The sandbox's idea of now, in Unix seconds (one place, so time can be simulated)."""

import time


def now() -> int:
    return int(time.time())
