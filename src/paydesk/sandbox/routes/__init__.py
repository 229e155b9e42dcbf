"""HTTP routes: parse a request, call one operation. Importing this package registers every
module's routes on `routing.api`."""

import importlib
import pkgutil


def load_all() -> None:
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
