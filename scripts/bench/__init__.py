"""dialer's benchmarks: `python -m scripts.bench` from the repository root (see __main__.py).

One module per measure; scripts/bench/stages.py is the only one that imports dialer's internals.
"""
