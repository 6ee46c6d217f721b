"""Tests of dialer/campaign/: the campaign file and the flags over it."""
