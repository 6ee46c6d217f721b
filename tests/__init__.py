"""The dialer's tests: a folder per package of dialer/ (each folder's __init__.py says which), helpers the
tests share in helpers/, and the simulator fixture in conftest.py."""
