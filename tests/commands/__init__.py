"""Tests of dialer/commands/: each command's interface (flags, output, exit statuses)."""
