"""HTTP routes in the sandbox's new layout: each module parses a request, calls one
operation, and registers itself on `routing.api` when imported."""

import importlib
import pkgutil


def load_all() -> None:
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
