"""Local test mode: localstripe, a Stripe emulator, as a separate process.

`shopgraph serve` starts one when no `STRIPE_SECRET_KEY` is set, so a fresh
checkout can take test payments with no Stripe account; the suite starts one
per test session. localstripe is GPL-3 and is never imported here: it runs as
its own process. The launcher keeps its store in memory: localstripe's own
persistence pickles the whole store to a fixed path on every write, which
slows it down and lets two instances corrupt each other.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib.util
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

__all__ = ["TEST_SECRET_KEY", "TEST_PUBLISHABLE_KEY", "free_port", "running_localstripe", "stop_process"]

TEST_SECRET_KEY = "sk_test_shopgraph"
TEST_PUBLISHABLE_KEY = "pk_test_shopgraph"

# Run with `python -c LAUNCHER PORT`: localstripe's own `start()` with
# `--port PORT --from-scratch`, its disk persistence replaced by no-ops.
LAUNCHER = """
import sys
from localstripe import resources, server
resources.Store.dump_to_disk = lambda self: None
resources.Store.try_load_from_disk = lambda self: None
sys.argv = ["localstripe", "--port", sys.argv[1], "--from-scratch"]
server.start()
"""
START_TIMEOUT = 30.0
START_ATTEMPTS = 3  # another process may take the free port before localstripe binds it


def free_port() -> int:
    """A local TCP port nobody listens on (yet)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_answering(base_url: str, process: subprocess.Popen[bytes]) -> bool:
    """True once it answers HTTP; False if the process died first."""
    deadline = time.monotonic() + START_TIMEOUT
    while process.poll() is None:
        try:
            httpx.get(f"{base_url}/js.stripe.com/v3/", timeout=1)
            return True
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"localstripe did not answer within {START_TIMEOUT} s") from None
            time.sleep(0.05)
    return False


def _die_with_parent() -> None:
    """In the child: ask Linux to end it when its parent dies, however the parent dies."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the parent's cleanup still stops it
        pass


def stop_process(process: subprocess.Popen, timeout: float = 10) -> None:
    """Asks a child process to end, and kills it if it has not within `timeout` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def running_localstripe(log: Path | None = None, port: int | None = None) -> Iterator[str]:
    """Starts localstripe (on `port`, or a free one), waits until it answers,
    yields its base URL (`http://127.0.0.1:PORT`) and stops it afterwards. Its
    output goes to `log` (default: a temporary file), which a failure to start quotes."""
    if importlib.util.find_spec("localstripe") is None:
        raise RuntimeError(
            "local test mode needs the Stripe emulator: pip install 'shopgraph[local]', or set STRIPE_SECRET_KEY"
        )
    if log is None:
        log = Path(tempfile.mkdtemp(prefix="localstripe-")) / "localstripe.log"
    for _ in range(1 if port else START_ATTEMPTS):
        chosen = port or free_port()
        base_url = f"http://127.0.0.1:{chosen}"
        with log.open("ab") as out:
            process = subprocess.Popen(
                # Its aiohttp deprecation warnings are its own business.
                [sys.executable, "-W", "ignore", "-c", LAUNCHER, str(chosen)],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )
        try:
            if _wait_until_answering(base_url, process):
                yield base_url
                return
        finally:
            stop_process(process)
    raise RuntimeError(f"localstripe did not start:\n{log.read_text(errors='replace')}")
