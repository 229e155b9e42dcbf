"""The `/v1` API's routes: each module parses a request, calls one operation, and registers
its handlers on `routing.api` when imported; `load_all` imports every one of them."""

import importlib
import pkgutil


def load_all() -> None:
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
