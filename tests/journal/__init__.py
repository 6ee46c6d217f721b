"""Tests of dialer/journal/: the results file, its replay and the files derived from it."""
