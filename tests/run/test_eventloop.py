"""Which event loop a run goes on (dialer/run/eventloop.py): uvloop by default, asyncio's own when asked;
and a run on each against the simulator."""

from __future__ import annotations

import asyncio

import pytest

from dialer.core import exitcodes
from dialer.run.eventloop import ENV, EventLoopError, chosen_loop, run
from tests.helpers.files import numbered_list
from tests.helpers.processes import dialer_env, run_dialer

uvloop = pytest.importorskip("uvloop")


def test_uvloop_unless_asked_for_asyncio():
    """No setting (or a blank one) means uvloop; 'asyncio' and 'uvloop' are taken in any case."""
    assert chosen_loop({}) == "uvloop"
    assert chosen_loop({ENV: " "}) == "uvloop"
    assert chosen_loop({ENV: "asyncio"}) == "asyncio"
    assert chosen_loop({ENV: "UVLOOP"}) == "uvloop"


def test_an_unknown_loop_is_refused_not_guessed():
    """A misspelt loop name is an error that names the variable and the choices."""
    with pytest.raises(EventLoopError, match=f"{ENV}='tokio': use one of uvloop, asyncio"):
        chosen_loop({ENV: "tokio"})


LOOPS = [("uvloop", uvloop.Loop), ("asyncio", asyncio.BaseEventLoop)]


@pytest.mark.parametrize(("name", "loop_class"), LOOPS)
def test_run_goes_on_the_chosen_loop(name, loop_class):
    """run() runs the coroutine to its result on the loop it was told to use."""

    async def which() -> tuple[type, int]:
        return type(asyncio.get_running_loop()), 42

    kind, value = run(which(), name)
    assert value == 42
    assert issubclass(kind, loop_class)
    assert name == "uvloop" or not issubclass(kind, uvloop.Loop)


@pytest.mark.parametrize("loop", ["uvloop", "asyncio"])
def test_a_run_places_every_row_once_on_either_loop(tmp_path, simulator, loop):
    """The same run, on each loop, against the simulator: every row placed once, exit 0."""
    sim = simulator()
    source = numbered_list(tmp_path / "list.csv", 40)
    done = run_dialer("run", str(source), "--url", sim.url, env=dialer_env(**{ENV: loop}))
    assert done.returncode == exitcodes.OK, done.stderr
    placed = [p["snumber"] for p in sim.placed()]
    assert sorted(placed) == sorted(set(placed)) and len(placed) == 40
