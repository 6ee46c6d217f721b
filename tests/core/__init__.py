"""Tests of dialer/core/: what a reply means, what to ask the switch's lists, what a row sends."""
