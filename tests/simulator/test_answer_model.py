"""The answer model (dialer.simulator.answer_model): what a placed call becomes, without a network."""

from __future__ import annotations

from collections import Counter

import pytest

from dialer.simulator import SimulatorConfig
from dialer.simulator.answer_model import (
    AnswerModel,
    Outcome,
    outcome_of,
    parse_outcome_script,
    parse_probabilities,
    parse_range,
)

MODEL = {"answer": 0.6, "noanswer": 0.25, "busy": 0.1, "congestion": 0.05}


def outcomes(config: SimulatorConfig, numbers: list[str]) -> list[Outcome]:
    model = AnswerModel(config)
    return [model.decide(number) for number in numbers]


def test_parse_answer_reads_statuses_and_probabilities():
    """--answer takes raw statuses with their probabilities, separated by commas."""
    assert parse_probabilities("answer=0.6,noanswer=0.25,busy=0.1,congestion=0.05") == MODEL
    assert parse_probabilities("cancel=0.5") == {"cancel": 0.5}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("answered=0.5", "STATUS=PROBABILITY"),
        ("busy", "STATUS=PROBABILITY"),
        ("busy=often", "not a probability"),
        ("busy=1.5", "not within 0..1"),
        ("busy=0.6,noanswer=0.6", "more than 1"),
        ("busy=0.1,busy=0.2", "given twice"),
    ],
)
def test_parse_answer_rejects_what_it_cannot_use(text, message):
    """An unknown status, a missing or bad probability, a sum above 1 or a repeat is an error."""
    with pytest.raises(ValueError, match=message):
        parse_probabilities(text)


def test_parse_range_reads_a_range_or_a_fixed_number():
    """LOW-HIGH is a uniform range, a single number a fixed time."""
    assert parse_range("2-8") == (2.0, 8.0)
    assert parse_range("0.2-0.5") == (0.2, 0.5)
    assert parse_range("3") == (3.0, 3.0)


@pytest.mark.parametrize("text", ["8-2", "soon", "-1", "1-", ""])
def test_parse_range_rejects_what_is_not_a_range(text):
    """A reversed range, a negative or a word is an error."""
    with pytest.raises(ValueError):
        parse_range(text)


def test_parse_outcome_script():
    """SNUMBER=STATUS,... names a number's successive statuses; an unknown status is an error."""
    assert parse_outcome_script("2125550001=noanswer,busy,answer") == (
        "2125550001",
        ["noanswer", "busy", "answer"],
    )
    with pytest.raises(ValueError, match="SNUMBER=STATUS"):
        parse_outcome_script("2125550001=noanswer,rang")


def test_default_answers_every_call_at_once_for_call_seconds():
    """With no model every call is answered, rings 0 s and talks call_seconds, as before the model."""
    assert set(outcomes(SimulatorConfig(call_seconds=2.5), ["1", "2", "1"])) == {
        Outcome("answer", 0.0, 2.5, 2.5)
    }


def test_draws_repeat_for_a_seed_and_follow_the_probabilities():
    """The same seed gives the same outcomes; another seed others; statuses come at their rates."""
    config = {"answer": MODEL, "ring_seconds": (2.0, 8.0), "talk_seconds": (5.0, 60.0)}
    numbers = [str(n) for n in range(2000)]
    drawn = outcomes(SimulatorConfig(seed=7, **config), numbers)
    assert drawn == outcomes(SimulatorConfig(seed=7, **config), numbers)
    assert drawn != outcomes(SimulatorConfig(seed=8, **config), numbers)
    counts = Counter(o.status for o in drawn)
    for status, probability in MODEL.items():
        assert abs(counts[status] / len(drawn) - probability) < 0.04, (status, counts)


def test_ring_and_talk_are_uniform_in_their_ranges():
    """Ring and talk seconds are drawn within their ranges (to the millisecond), not fixed."""
    drawn = outcomes(SimulatorConfig(seed=1, ring_seconds=(2.0, 8.0), talk_seconds=(5.0, 60.0)), ["1"] * 500)
    rings, talks = [o.ring for o in drawn], [o.talk for o in drawn]
    assert 2.0 <= min(rings) < 2.5 and 7.5 < max(rings) <= 8.0
    assert 5.0 <= min(talks) < 8.0 and 57.0 < max(talks) <= 60.0
    assert all(round(x, 3) == x for x in rings + talks)


def test_the_rest_of_the_probability_is_answered():
    """Statuses not given share what the given ones leave to 1: it goes to answer."""
    drawn = outcomes(SimulatorConfig(seed=3, answer={"busy": 0.5}), ["1"] * 400)
    assert set(Counter(o.status for o in drawn)) == {"busy", "answer"}


def test_a_script_decides_a_numbers_calls_then_the_model_does():
    """A number's script gives its successive calls their statuses, then the model takes over; every
    call still takes its draws, so the other calls get exactly what they would without the script."""
    model = {"seed": 11, "answer": MODEL, "ring_seconds": (2.0, 8.0), "talk_seconds": (5.0, 60.0)}
    script = {"5": ["noanswer", "busy", "answer"]}
    numbers = ["5", "6", "5", "6", "5", "5", "6"]
    scripted = outcomes(SimulatorConfig(outcome_scripts=script, **model), numbers)
    unscripted = outcomes(SimulatorConfig(**model), numbers)
    assert [o.status for o in scripted[:5:2]] == ["noanswer", "busy", "answer"]
    unchanged = [1, 3, 5, 6]  # number 6's calls, and 5's once its script is used up
    assert [scripted[i] for i in unchanged] == [unscripted[i] for i in unchanged]
    assert len({o.ring for o in scripted}) == len(numbers)  # the draws do differ from call to call


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("answer", Outcome("answer", 3.0, 40.0, 43.0)),
        ("noanswer", Outcome("noanswer", 3.0, 0.0, 3.0)),
        ("cancel", Outcome("cancel", 3.0, 0.0, 3.0)),
        ("busy", Outcome("busy", 0.0, 0.0, 1.5)),
        ("congestion", Outcome("congestion", 0.0, 0.0, 1.5)),
    ],
)
def test_a_calls_life_follows_its_status(status, expected):
    """Answered: ring then talk; rang out or cancelled: the ring only; busy, congestion: fail_seconds."""
    outcome = outcome_of(status, 3.0, 40.0, fail_seconds=1.5)
    assert outcome == expected
    assert outcome.answered_after == (3.0 if status == "answer" else None)
