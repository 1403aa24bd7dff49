"""Playwright tests: the real app in Debian's chromium (fixtures in conftest.py)."""
