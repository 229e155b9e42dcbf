"""API resources: importing this package registers every module's routes on `routing.api`
(and those of `sandbox.routes`, the layout resources are moving to)."""

import importlib
import pkgutil

from paydesk.sandbox import routes


def load_all() -> None:
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    routes.load_all()
