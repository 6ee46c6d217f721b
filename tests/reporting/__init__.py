"""Tests of dialer/reporting/: the summary, the per-row table, the HTML page and its charts, the files."""
