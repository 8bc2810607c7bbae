"""Stripe fixtures (a pytest plugin, loaded from tests/conftest.py): one
localstripe per test session, and gateways pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from payments.stripe_gateway import StripeGateway
from tests.fault_proxy import FaultProxy
from tests.finance_sweep import SESSION_LOCALSTRIPE
from tests.stripe_emulator import TEST_SECRET_KEY, running_localstripe

__all__ = ["fault_proxy", "localstripe_url", "stripe_gateway"]


@pytest.fixture(scope="session")
def localstripe_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a localstripe started for this session (log in the session's tmp dir)."""
    with running_localstripe(tmp_path_factory.mktemp("localstripe") / "localstripe.log") as url:
        SESSION_LOCALSTRIPE.append(url)
        try:
            yield url
        finally:
            SESSION_LOCALSTRIPE.remove(url)


@pytest.fixture
async def stripe_gateway(localstripe_url: str) -> AsyncIterator[StripeGateway]:
    """A `StripeGateway` on localstripe with the test key and the default timeout and retries."""
    gateway = StripeGateway(TEST_SECRET_KEY, api_base=localstripe_url)
    yield gateway
    await gateway.aclose()


@pytest.fixture
async def fault_proxy(localstripe_url: str) -> AsyncIterator[FaultProxy]:
    """A `FaultProxy` in front of localstripe, with no faults armed yet."""
    async with FaultProxy(localstripe_url) as proxy:
        yield proxy
