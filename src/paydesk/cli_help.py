"""Help text as click and man pages write it: `paydesk refund [OPTIONS] ORDER_ID`.

Typer 0.29 writes a required argument as `{ORDER_ID}` in the usage line and adds a type label
(`ORDER_ID <str>`) in the argument list; neither tells a reader anything the name does not.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperArgument, TyperCommand


class PlainArgument(TyperArgument):
    def _usage_display_name(self) -> str:
        name = self.display_name_raw if self.required else f"[{self.display_name_raw}]"
        return name + ("..." if self.nargs != 1 else "")

    def display_type_rich(self, ctx: Any) -> str | None:
        return None


class PlainCommand(TyperCommand):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if type(param) is TyperArgument:
                # Typer builds its arguments itself (no class hook): swap the class in place.
                param.__class__ = PlainArgument
