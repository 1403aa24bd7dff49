"""The test suite is a package so tests import shared helpers as ``tests.helpers`` (never from each other)."""
