"""Tests of dialer/calllist/: reading a list file and checking its rows."""
