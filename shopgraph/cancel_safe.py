"""A transaction whose task is cancelled still gives its connection back.

Tortoise's transaction contexts (tortoise 1.1) take a resource, then await: the
SQLite context takes the connection's `asyncio.Lock`, then awaits `BEGIN`; the
PostgreSQL one takes a pooled connection, then awaits `BEGIN`. A task cancelled
during those awaits (a webhook send stopped with the worker, a request given up
at its deadline) leaves `__aenter__` without `__aexit__`: the SQLite lock is
never released, and every later transaction of the process waits forever; the
pooled connection never returns to the pool. A task cancelled during `__aexit__`
may leave its COMMIT, ROLLBACK or the pool's release half done.

Here both are wrapped. A failure or a cancellation after the resource is taken
rolls back whatever `BEGIN` did (the driver may run it even when the awaiting
task is gone) and gives the resource back; the end of a transaction runs
shielded, so it finishes even when its task is cancelled. `install()` applies
the wrappers; `shopgraph.db` does on import. tests/test_cancel_safe.py cancels
transactions at every step on both databases and checks the next one runs.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from tortoise.backends.base.client import ConnectionWrapper, TransactionContextPooled
from tortoise.backends.sqlite.client import SqliteTransactionContext
from tortoise.connection import get_connections
from tortoise.exceptions import TransactionManagementError

__all__ = ["install"]



async def _sqlite_enter(self: SqliteTransactionContext) -> Any:
    await self._trxlock.acquire()
    self.token = None
    try:
        await self.ensure_connection()
        self.token = get_connections().set(self.connection_name, self.connection)
        await self.connection.begin()
        return self.connection
    except BaseException:
        try:
            await _finish(_sqlite_undo(self))
        finally:
            _reset(self.token)
        raise


async def _sqlite_undo(context: SqliteTransactionContext) -> None:
    """Rolls back a `BEGIN` that may have run, then gives the lock back."""
    try:
        with contextlib.suppress(Exception):  # no transaction began: nothing to roll back
            await context.connection.rollback()
    finally:
        context._trxlock.release()


async def _sqlite_exit(self: SqliteTransactionContext, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
    async def end() -> None:
        try:
            if not self.connection._finalized:
                if exc_type is None:
                    await self.connection.commit()
                elif exc_type is not TransactionManagementError:  # a failed one cannot roll back
                    await self.connection.rollback()
        finally:
            self._trxlock.release()

    try:
        await _finish(end())
    finally:
        _reset(self.token)


async def _pooled_enter(self: TransactionContextPooled) -> Any:
    await self.ensure_connection()
    pool = self.client._parent._pool
    acquiring = asyncio.ensure_future(pool.acquire())
    try:
        self.client._connection = await asyncio.shield(acquiring)
    except BaseException:
        acquiring.add_done_callback(lambda done: _release_later(pool, done))  # taken after all: give it back
        raise
    self.token = None
    try:
        self.token = get_connections().set(self.connection_name, self.client)
        await self.client.begin()
        return self.client
    except BaseException:
        try:
            await _finish(_pooled_undo(self, pool))
        finally:
            _reset(self.token)
        raise


def _release_later(pool: Any, acquired: asyncio.Future) -> None:
    if not acquired.cancelled() and acquired.exception() is None:
        asyncio.ensure_future(pool.release(acquired.result()))


async def _pooled_undo(context: TransactionContextPooled, pool: Any) -> None:
    """Rolls back a `BEGIN` that may have run, then gives the connection back to the pool."""
    try:
        with contextlib.suppress(Exception):
            if getattr(context.client, "transaction", None) is not None and not context.client._finalized:
                await context.client.rollback()
    finally:
        await pool.release(context.client._connection)


async def _pooled_exit(self: TransactionContextPooled, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
    pool = self.client._parent._pool

    async def end() -> None:
        try:
            if not self.client._finalized:
                if exc_type is None:
                    await self.client.commit()
                elif exc_type is not TransactionManagementError:
                    await self.client.rollback()
        finally:
            if pool:
                await pool.release(self.client._connection)

    try:
        await _finish(end())
    finally:
        _reset(self.token)


async def _finish(work: Any) -> None:
    """Runs `work` to its end even if this task is cancelled meanwhile (the cancellation still reaches
    the caller); the connection variable is left to the caller, whose context it lives in."""
    await asyncio.shield(asyncio.ensure_future(work))


def _reset(token: Any) -> None:
    if token is not None:
        get_connections().reset(token)


async def _wrapper_enter(self: ConnectionWrapper) -> Any:
    """A plain statement's hold on the connection (SQLite's lock is the transactions' one): given back when
    opening the connection fails or is cancelled."""
    await self._lock.acquire()
    try:
        await self.ensure_connection()
    except BaseException:
        self._lock.release()
        raise
    return self.connection


def install() -> None:
    """Applies the wrappers (idempotent)."""
    ConnectionWrapper.__aenter__ = _wrapper_enter  # type: ignore[method-assign]
    SqliteTransactionContext.__aenter__ = _sqlite_enter  # type: ignore[method-assign]
    SqliteTransactionContext.__aexit__ = _sqlite_exit  # type: ignore[method-assign]
    TransactionContextPooled.__aenter__ = _pooled_enter  # type: ignore[method-assign]
    TransactionContextPooled.__aexit__ = _pooled_exit  # type: ignore[method-assign]
