"""The money model's summary (one line per database), written at the end of pytest's output."""

from __future__ import annotations

import pytest

SUMMARIES: list[str] = []


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    for line in SUMMARIES:
        terminalreporter.write_line(line)
