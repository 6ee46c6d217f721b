"""Tests of dialer/switch/: the transport to calls/make and the requests' time limits."""
