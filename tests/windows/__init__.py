"""Tests of dialer/windows/: calling windows, the zones of numbers and rows, the settings."""
