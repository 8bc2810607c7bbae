"""Each customer's wallet row, made on first need, and locked for changes to their wallet."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError

from models import CustomerWallet

__all__ = ["wallet_of", "locked_wallet"]


async def wallet_of(customer_id: int) -> CustomerWallet:
    """The customer's wallet, made if they have none (two requests at once still make one)."""
    wallet = await CustomerWallet.get_or_none(customer_id=customer_id)
    if wallet is not None:
        return wallet
    try:
        return await CustomerWallet.create(customer_id=customer_id)
    except IntegrityError:  # another request made it meanwhile
        return await CustomerWallet.get(customer_id=customer_id)


async def locked_wallet(customer_id: int) -> CustomerWallet:
    """Inside a transaction: the wallet, locked, so one customer's wallet changes one at a time
    (PostgreSQL's row lock; SQLite's single writer)."""
    return await CustomerWallet.filter(customer_id=customer_id).select_for_update().get()
