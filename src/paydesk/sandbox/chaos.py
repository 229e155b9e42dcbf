"""Webhook chaos: what Stripe does on a bad day, on demand and reproducible.

A chaos setting says what share of deliveries are duplicated (the same event sent again with a
fresh signature), held back (sent after later ones), delayed, or failed on their first attempt
(so the endpoint's retry schedule runs). Every choice for the n-th delivery under a setting is
drawn from a generator seeded with (seed, n) alone: the same seed and the same requests give the
same choices, whatever the timing of the run.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from paydesk.sandbox.account import Account, Obj

__all__ = [
    "CHAOS_HEADER",
    "Chaos",
    "ChaosError",
    "ChaosPlan",
    "Decision",
    "chaos_object",
    "parse_cli",
]

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

    def describe(self) -> str:
        return (
            f"duplicate={self.duplicate:g}, reorder={self.reorder:g}, fail={self.fail:g}, "
            f"delay_ms={self.delay_min_ms}-{self.delay_max_ms}, seed={self.seed}"
        )

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


# -- applying chaos to deliveries ----------------------------------------------------------------

CHAOS_OBJECT = "webhook_chaos"
# Set on a delivery that chaos touched, saying what it did (`paydesk listen` prints it).
CHAOS_HEADER = "Paydesk-Chaos"
_COPY_SPACING = 0.05  # seconds between the copies of a duplicated delivery


class Delivery(Protocol):
    """What the plan needs of a delivery job (sandbox.delivery.Job)."""

    account_id: str
    event_id: str
    endpoint_id: str
    attempt: int
    tag: str

    @property
    def delivery(self) -> tuple[str, str, str, str]: ...


def chaos_object(account: Account, endpoint_id: str | None) -> Obj | None:
    """The live chaos setting of one endpoint, or of the whole account for None."""
    for obj in account.newest(CHAOS_OBJECT):
        if obj.get("webhook_endpoint") == endpoint_id:
            return obj
    return None


@dataclass(slots=True)
class _Touch:
    seq: int  # order in which deliveries to the endpoint were queued
    decision: Decision
    labels: list[str]
    delay: float  # seconds before the first attempt


class ChaosPlan:
    """What chaos does to each delivery, decided once when its event is queued: the setting of
    the endpoint, else of the account, else the server's `--chaos`. Kept in memory: after a
    restart, deliveries still pending are made plainly."""

    def __init__(self, default: Chaos | None) -> None:
        self.default = default
        self._drawn: dict[str, int] = {}  # setting -> deliveries decided under it
        self._touched: dict[tuple[str, str, str, str], _Touch] = {}
        self._held: dict[tuple[str, str], list[Delivery]] = {}  # (account, endpoint) -> jobs
        self._seq = 0

    def _setting(self, account: Account, endpoint_id: str) -> tuple[str, Chaos] | None:
        for obj in (chaos_object(account, endpoint_id), chaos_object(account, None)):
            if obj is not None:
                return obj["id"], Chaos.from_saved(obj)
        if self.default is not None:
            return f"default:{account.id}", self.default
        return None

    def apply(
        self, account: Account, job: Delivery, copy_of: Callable[[int], Delivery]
    ) -> list[Delivery]:
        """The jobs to queue for a new delivery: itself, and the copies chaos adds."""
        found = self._setting(account, job.endpoint_id)
        if found is None:
            return [job]
        scope, chaos = found
        n = self._drawn.get(scope, 0)
        self._drawn[scope] = n + 1
        decision = chaos.decide(n)
        self._seq += 1
        delay = decision.delay_ms / 1000 + (HOLD_SECONDS if decision.hold else 0.0)
        self._touched[job.delivery] = _Touch(self._seq, decision, decision.labels(), delay)
        if decision.hold:
            self._held.setdefault((job.account_id, job.endpoint_id), []).append(job)
        copies = [copy_of(k) for k in range(1, decision.copies)]
        for k, copy in enumerate(copies, start=1):
            label = f"duplicate copy {k} of {len(copies)}"
            spacing = decision.delay_ms / 1000 + k * _COPY_SPACING
            self._touched[copy.delivery] = _Touch(self._seq, Decision(), [label], spacing)
        return [job, *copies]

    def due(self, job: Delivery, now: float) -> float:
        touch = self._touched.get(job.delivery)
        return now + touch.delay if touch is not None else now

    def labels(self, job: Delivery) -> list[str]:
        touch = self._touched.get(job.delivery)
        if touch is None:
            return []
        if job.attempt == 0:
            return list(touch.labels)
        return [label for label in touch.labels if label != "failed first attempt"]

    def fails(self, job: Delivery) -> bool:
        touch = self._touched.get(job.delivery)
        return touch is not None and job.attempt == 0 and touch.decision.fail

    def sending(self, job: Delivery) -> None:
        """`job` is being attempted: if it was held, it is held no longer."""
        held = self._held.get((job.account_id, job.endpoint_id))
        if held and job.attempt == 0 and job in held:
            held.remove(job)

    def overtaken(self, job: Delivery) -> list[Delivery]:
        """Held deliveries that `job` (queued after them) has now gone ahead of."""
        held = self._held.get((job.account_id, job.endpoint_id))
        touch = self._touched.get(job.delivery)
        if not held or touch is None or touch.decision.hold:
            return []
        released = [h for h in held if self._seq_of(h) < touch.seq]
        held[:] = [h for h in held if h not in released]
        return released

    def _seq_of(self, job: Delivery) -> int:
        touch = self._touched.get(job.delivery)
        return touch.seq if touch is not None else 0

    def forget(self, job: Delivery) -> None:
        self._touched.pop(job.delivery, None)
