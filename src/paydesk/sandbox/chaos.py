"""Webhook chaos: what Stripe does on a bad day, on demand and reproducible.

A chaos setting says what share of deliveries are duplicated (the same event sent again with a
fresh signature), held back (sent after later ones), delayed, or failed on their first attempt
(so the endpoint's retry schedule runs). Every choice for the n-th delivery under a setting is
drawn from a generator seeded with (seed, n) alone: the same seed and the same requests give the
same choices, whatever the timing of the run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

__all__ = ["Chaos", "ChaosError", "Decision", "parse_cli"]

MAX_DELAY_MS = 600_000  # ten minutes: more is a mistake, not a bad day
MAX_COPIES = 5  # a duplicated delivery is sent 2..MAX_COPIES times
HOLD_SECONDS = 2.0  # a held delivery waits at most this long for a later one to overtake it


class ChaosError(ValueError):
    """A chaos setting that makes no sense; the message names the field and the fix."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Decision:
    """What chaos does to one delivery."""

    copies: int = 1  # how many times it is sent (1: not duplicated)
    hold: bool = False  # sent after the deliveries that come next
    delay_ms: int = 0  # before the first attempt
    fail: bool = False  # the first attempt is answered as if the endpoint failed

    def labels(self) -> list[str]:
        found = []
        if self.copies > 1:
            found.append(f"duplicate x{self.copies}")
        if self.hold:
            found.append("reordered")
        if self.delay_ms:
            found.append(f"delayed {self.delay_ms} ms")
        if self.fail:
            found.append("failed first attempt")
        return found


@dataclass(frozen=True, slots=True)
class Chaos:
    duplicate: float = 0.0
    reorder: float = 0.0
    fail: float = 0.0
    delay_min_ms: int = 0
    delay_max_ms: int = 0
    seed: int = 0

    @classmethod
    def from_fields(cls, fields: dict[str, Any]) -> Chaos:
        """From form or CLI values (strings); every problem is a ChaosError naming its field."""
        known = {"duplicate", "reorder", "fail", "delay_ms", "seed"}
        for name in fields:
            if name not in known:
                raise ChaosError(
                    f"Unknown chaos setting: {name} (use {', '.join(sorted(known))})", name
                )
        low, high = _delay(fields.get("delay_ms"))
        return cls(
            duplicate=_share(fields, "duplicate"),
            reorder=_share(fields, "reorder"),
            fail=_share(fields, "fail"),
            delay_min_ms=low,
            delay_max_ms=high,
            seed=_seed(fields.get("seed")),
        )

    def as_fields(self) -> dict[str, Any]:
        return {
            "duplicate": self.duplicate,
            "reorder": self.reorder,
            "fail": self.fail,
            "delay_ms": {"min": self.delay_min_ms, "max": self.delay_max_ms},
            "seed": self.seed,
        }

    @classmethod
    def from_saved(cls, saved: dict[str, Any]) -> Chaos:
        delay = saved.get("delay_ms") or {}
        return cls(
            duplicate=float(saved.get("duplicate", 0)),
            reorder=float(saved.get("reorder", 0)),
            fail=float(saved.get("fail", 0)),
            delay_min_ms=int(delay.get("min", 0)),
            delay_max_ms=int(delay.get("max", 0)),
            seed=int(saved.get("seed", 0)),
        )

    def decide(self, n: int) -> Decision:
        """The choices for the n-th delivery (0-based) under this setting."""
        draw = random.Random(f"{self.seed}:{n}")  # noqa: S311 - reproducible on purpose
        # Always draw every number, in the same order, so one share never shifts another's.
        dup, extra, hold, fail = draw.random(), draw.random(), draw.random(), draw.random()
        delay = draw.randint(self.delay_min_ms, self.delay_max_ms) if self.delay_max_ms else 0
        copies = 1
        if dup < self.duplicate:
            copies = 2
            while copies < MAX_COPIES and extra < self.duplicate / 4:
                copies += 1
                extra = draw.random()
        return Decision(
            copies=copies, hold=hold < self.reorder, delay_ms=delay, fail=fail < self.fail
        )


def parse_cli(text: str | None, seed: int | None = None) -> Chaos | None:
    """`duplicate=0.3,reorder=0.2,delay_ms=0-5000,fail=0.05` (the `--chaos` option)."""
    if not text and seed is None:
        return None
    fields: dict[str, Any] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        if not sep:
            raise ChaosError(f"Chaos setting {part.strip()!r} needs a value: name=value", part)
        fields[name.strip()] = value.strip()
    if seed is not None:
        fields["seed"] = str(seed)
    return Chaos.from_fields(fields)


def _share(fields: dict[str, Any], name: str) -> float:
    raw = fields.get(name)
    if raw is None or raw == "":
        return 0.0
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = -1.0
    if not 0.0 <= value <= 1.0:  # also refuses nan
        raise ChaosError(f"Invalid {name}: {raw!r} (a share from 0 to 1, e.g. 0.3)", name)
    return value


def _delay(raw: Any) -> tuple[int, int]:
    if raw is None or raw == "":
        return 0, 0
    low, sep, high = str(raw).partition("-")
    try:
        bounds = (int(low), int(high if sep else low))
    except ValueError:
        bounds = (-1, -1)
    if not 0 <= bounds[0] <= bounds[1] <= MAX_DELAY_MS:
        raise ChaosError(
            f"Invalid delay_ms: {raw!r} (milliseconds as min-max, e.g. 0-5000, "
            f"at most {MAX_DELAY_MS})",
            "delay_ms",
        )
    return bounds


def _seed(raw: Any) -> int:
    if raw is None or raw == "":
        return 0
    text = str(raw)
    if not text.isascii() or not text.lstrip("-").isdigit() or len(text) > 19:
        raise ChaosError(f"Invalid seed: {raw!r} (a whole number)", "seed")
    return int(text)
