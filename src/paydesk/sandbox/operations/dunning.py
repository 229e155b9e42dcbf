"""What happens when a subscription's invoice cannot be paid: retries on a schedule, then the
account's final action (`sandbox --dunning-retries 3,5,7 --dunning-final cancel`)."""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from paydesk.sandbox.store import Store

FINAL_ACTIONS = ("cancel", "unpaid", "past_due")


@dataclass(frozen=True, slots=True)
class Dunning:
    retry_days: tuple[int, ...] = (3, 5, 7)  # days after the previous attempt
    final: str = "cancel"


_SETTINGS: weakref.WeakKeyDictionary[Store, Dunning] = weakref.WeakKeyDictionary()


def parse_retries(text: str) -> tuple[int, ...]:
    """`"3,5,7"` -> (3, 5, 7); one clear error naming the option otherwise."""
    try:
        days = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ValueError(
            f"--dunning-retries must be comma-separated whole days, e.g. 3,5,7 (got {text!r})"
        ) from None
    if any(day < 1 or day > 60 for day in days) or len(days) > 8:
        raise ValueError("--dunning-retries takes at most 8 retries of 1 to 60 days each")
    return days


def configure(store: Store, setting: Dunning) -> None:
    if setting.final not in FINAL_ACTIONS:
        raise ValueError(f"--dunning-final must be one of {', '.join(FINAL_ACTIONS)}")
    _SETTINGS[store] = setting


def settings(store: Store) -> Dunning:
    return _SETTINGS.get(store, Dunning())
