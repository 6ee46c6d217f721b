"""dialer: an asynchronous bulk-dialing job runner for Enswitch's calls/make."""

__version__ = "0.1.0"
