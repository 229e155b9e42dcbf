"""Webhook chaos settings: parsing, refusals that name the field, and choices drawn from the
seed alone."""

from __future__ import annotations

import pytest

from paydesk.sandbox.chaos import Chaos, ChaosError, parse_cli


def test_the_cli_form_parses_into_shares_and_a_delay_range() -> None:
    chaos = parse_cli("duplicate=0.3,reorder=0.2,delay_ms=0-5000,fail=0.05", seed=42)
    assert chaos == Chaos(0.3, 0.2, 0.05, 0, 5000, 42)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"duplicate": "1.5"}, "duplicate"),
        ({"reorder": "nan"}, "reorder"),
        ({"fail": "-0.1"}, "fail"),
        ({"delay_ms": "500-100"}, "delay_ms"),
        ({"delay_ms": "0-99999999"}, "delay_ms"),
        ({"seed": "x"}, "seed"),
        ({"seed": "9" * 40}, "seed"),
        ({"shuffle": "1"}, "shuffle"),
    ],
)
def test_a_setting_that_makes_no_sense_is_refused_naming_it(
    fields: dict[str, str], field: str
) -> None:
    with pytest.raises(ChaosError) as caught:
        Chaos.from_fields(fields)
    assert caught.value.field == field


def test_the_same_seed_gives_the_same_choices_and_another_seed_others() -> None:
    one = Chaos(duplicate=0.3, reorder=0.2, fail=0.1, delay_max_ms=1000, seed=7)
    again = Chaos(duplicate=0.3, reorder=0.2, fail=0.1, delay_max_ms=1000, seed=7)
    other = Chaos(duplicate=0.3, reorder=0.2, fail=0.1, delay_max_ms=1000, seed=8)
    choices = [one.decide(n) for n in range(200)]
    assert choices == [again.decide(n) for n in range(200)]
    assert choices != [other.decide(n) for n in range(200)]


def test_shares_come_out_near_what_was_asked() -> None:
    chaos = Chaos(duplicate=0.3, reorder=0.2, fail=0.05, delay_min_ms=10, delay_max_ms=50, seed=1)
    choices = [chaos.decide(n) for n in range(4000)]
    duplicated = sum(c.copies > 1 for c in choices) / len(choices)
    held = sum(c.hold for c in choices) / len(choices)
    failed = sum(c.fail for c in choices) / len(choices)
    assert 0.27 < duplicated < 0.33 and 0.17 < held < 0.23 and 0.035 < failed < 0.065
    assert all(10 <= c.delay_ms <= 50 for c in choices)


def test_no_chaos_changes_nothing() -> None:
    plain = Chaos().decide(3)
    assert (plain.copies, plain.hold, plain.delay_ms, plain.fail) == (1, False, 0, False)
    assert plain.labels() == []
