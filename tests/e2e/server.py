"""Runs `shopgraph` as a real process on a free port, as `make run` does."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from shopgraph.emulator import free_port, stop_process

ROOT = Path(__file__).resolve().parents[2]


def shopgraph(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "shopgraph.cli", *args],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=True,
    )


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "SHOPGRAPH_"))}
    # Order emails are written as .eml files when no SMTP server is set: not into the work tree.
    env.update(DATABASE_URL=database_url, SHOPGRAPH_MAIL_DIR=tempfile.mkdtemp(prefix="shopgraph-mail-"))
    env.update(extra)
    return env


SHOPGRAPH = (sys.executable, "-m", "shopgraph.cli")


@contextmanager
def running_server(
    env: dict[str, str], log: Path, *, command: tuple[str, ...] = SHOPGRAPH, cwd: Path = ROOT,
    serve_args: tuple[str, ...] = (),
) -> Iterator[str]:
    """Starts `shopgraph serve` (`command` names the executable), waits until it
    answers, yields its base URL, stops it."""
    with server_process(env, log, command=command, cwd=cwd, serve_args=serve_args) as (base, _):
        yield base


@contextmanager
def server_process(
    env: dict[str, str], log: Path, *, command: tuple[str, ...] = SHOPGRAPH, cwd: Path = ROOT,
    serve_args: tuple[str, ...] = (),
) -> Iterator[tuple[str, subprocess.Popen]]:
    """As `running_server`, and yields the process too (to signal it)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with log.open("w") as out:
        process = subprocess.Popen(
            [*command, "serve", "--port", str(port), *serve_args],
            env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    httpx.get(f"{base}/healthz", timeout=1)
                    break
                except httpx.TransportError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"server did not start:\n{log.read_text()}") from None
                    time.sleep(0.1)
            yield base, process
        finally:
            stop_process(process)
