"""What a simulator may be configured to be (dialer.simulator.config)."""

from __future__ import annotations

import pytest

from dialer.simulator import SimulatorConfig


def test_config_rejects_unknown_fault_kinds():
    """A misspelt fault kind is an error, not a silently fault-free run."""
    with pytest.raises(ValueError, match="unknown fault kind"):
        SimulatorConfig(faults={"timeout": 0.1})
    with pytest.raises(ValueError, match="unknown fault kind"):
        SimulatorConfig(scripted={"1": ["ok", "reset"]})
    with pytest.raises(ValueError, match="more than 1"):
        SimulatorConfig(faults={"503": 0.7, "429": 0.7})


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"answer": {"answered": 0.5}}, "unknown call status"),
        ({"answer": {"busy": 0.7, "noanswer": 0.7}}, "more than 1"),
        ({"outcome_scripts": {"1": ["answer", "hungup"]}}, "unknown call status"),
        ({"ring_seconds": (8.0, 2.0)}, "ring_seconds"),
        ({"talk_seconds": (-1.0, 2.0)}, "talk_seconds"),
        ({"cdr_page_max": 0}, "cdr_page_max"),
        ({"token_seconds": 0}, "token_seconds"),
        ({"users": {}}, "at least one account"),
    ],
)
def test_config_rejects_an_unusable_answer_model_or_switch(settings, message):
    """A misspelt status, probabilities above 1, a reversed range, no page, no token life or no account
    is an error, not a switch that silently does something else."""
    with pytest.raises(ValueError, match=message):
        SimulatorConfig(**settings)
