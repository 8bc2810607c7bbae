"""Debian's chromium driven by Playwright, for the storefront's browser tests.

Nothing here downloads a browser: Playwright launches `/usr/bin/chromium`,
which `make test` installs with apt-get when it is missing. Without it the
browser tests are skipped with a loud reason, and fail in CI.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

__all__ = ["ARTIFACTS", "CHROMIUM", "launched_chromium"]

CHROMIUM = Path(os.environ.get("SHOPGRAPH_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"  # git-ignored
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@contextmanager
def launched_chromium() -> Iterator[Browser]:
    """A headless chromium; stopped afterwards."""
    if not CHROMIUM.exists():
        message = f"the browser tests need {CHROMIUM}: `make test` installs it (apt-get install chromium)"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
