"""A faithful Enswitch calls/make on 127.0.0.1, for the project's tests, benchmarks and demo: with the
functions that follow a call (calls/active/list, cdrs/list), token login (user/login), and people
behind it who answer, ring out or are busy (answer_model)."""

from dialer.simulator.app import SIM_STATE, build_app
from dialer.simulator.config import FAULT_KINDS, SimulatorConfig, User
from dialer.simulator.process import SimulatorProcess
from dialer.simulator.server import RunningSimulator, running_simulator

__all__ = [
    "FAULT_KINDS",
    "SIM_STATE",
    "RunningSimulator",
    "SimulatorConfig",
    "SimulatorProcess",
    "User",
    "build_app",
    "running_simulator",
]
