"""A transaction whose task is cancelled, at any point, leaves the database usable (shopgraph/cancel_safe.py).

Without the wrappers, a cancellation while a transaction begins keeps SQLite's connection lock (every
later transaction of the process waits forever) or keeps a pooled PostgreSQL connection.
"""

from __future__ import annotations

import asyncio

from tortoise.transactions import in_transaction

from models import OrderNumber


async def test_a_cancelled_transaction_never_blocks_the_next(database):
    made = 0
    for attempt in range(240):
        async def work() -> None:
            async with in_transaction():
                await OrderNumber.create()
                await OrderNumber.all().count()

        task = asyncio.create_task(work())
        for _ in range(attempt % 12):  # cancelled at each step: taking the lock, BEGIN, the body, COMMIT
            await asyncio.sleep(0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

        async def next_one() -> int:
            async with in_transaction():
                await OrderNumber.create()
                return await OrderNumber.all().count()

        count = await asyncio.wait_for(next_one(), 10)  # a held lock or a lost connection would time out
        assert count > made
        made = count
    # outside a transaction, too: the task's connection is the shared one again
    assert await asyncio.wait_for(OrderNumber.all().count(), 10) == made
