from dialer.simulator.cli import simulate

simulate(prog_name="python -m dialer.simulator")
