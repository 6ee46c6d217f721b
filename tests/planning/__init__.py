"""Tests of dialer/planning/: which rows a run dials, and which earlier unknown rows it asks about."""
