"""The request's loaders: one field giving up on a key does not take it from another."""

from __future__ import annotations

import asyncio

from graph.core.dataloaders import SharedLoader


async def test_a_cancelled_waiter_does_not_cancel_the_load_another_waits_for():
    started = asyncio.Event()

    async def load(keys):
        started.set()
        await asyncio.sleep(0.05)
        return [key * 10 for key in keys]

    loader = SharedLoader(load_fn=load)
    abandoned = asyncio.ensure_future(loader.load(7))  # a field graphql-core gives up on
    kept = asyncio.ensure_future(loader.load(7))  # another field, same key
    await started.wait()
    abandoned.cancel()
    assert await kept == 70
    assert abandoned.cancelled()
    assert await loader.load(7) == 70  # and the key stays loaded for later fields
