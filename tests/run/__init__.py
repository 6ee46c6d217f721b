"""Tests of dialer/run/: a run in this process (the switch mocked) and `dialer run` against the simulator."""
