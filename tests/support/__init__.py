"""Test support: the real servers, and in-memory stand-ins of our own interfaces for unit tests."""
