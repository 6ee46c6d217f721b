"""The switch's tokens (dialer.simulator.tokens), on a clock the test moves: no network, no sleep."""

from __future__ import annotations

from dialer.simulator.tokens import Tokens


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_token_belongs_to_its_user_until_it_expires():
    """A token names its user until its lifetime is over, then none; an unknown token names none."""
    clock = Clock()
    tokens = Tokens(60.0, clock)
    issued = tokens.issue("demo")
    assert issued.expires == 1060.0
    clock.now = 1059.9
    assert tokens.holder(issued.token) == "demo"
    clock.now = 1060.0
    assert tokens.holder(issued.token) is None
    assert tokens.holder("not-a-token") is None


def test_tokens_are_random_and_expired_ones_forgotten():
    """Every login gets a new opaque token; expired ones are dropped at the next login."""
    clock = Clock()
    tokens = Tokens(10.0, clock)
    first, second = tokens.issue("demo"), tokens.issue("demo")
    assert first.token != second.token and len(first.token) >= 32
    clock.now = 1011.0
    tokens.issue("viewer")
    assert len(tokens._holders) == 1


def test_a_prefix_starts_every_token_and_the_rest_stays_random():
    """--token-prefix: what tests look for wherever a token must never be written."""
    tokens = Tokens(10.0, Clock(), prefix="SIMTOKEN-")
    first, second = tokens.issue("demo"), tokens.issue("demo")
    assert first.token.startswith("SIMTOKEN-") and second.token.startswith("SIMTOKEN-")
    assert first.token != second.token and tokens.holder(second.token) == "demo"
