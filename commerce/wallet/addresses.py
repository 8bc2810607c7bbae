"""Saved addresses: checked by the cart's address rules, at most `MAX_ADDRESSES` per customer,
one of them the default a signed-in buyer's new cart starts with.

An address id that is not one of the caller's is NOT_FOUND, whether it exists or not.
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from commerce.checkout.addresses import MailingAddress, validate_address
from commerce.errors import DomainError, UserErrorCode as Code
from commerce.wallet.wallets import locked_wallet, wallet_of
from models import CustomerAddress, CustomerWallet

__all__ = [
    "MAX_ADDRESSES", "list_addresses", "default_address", "default_address_json", "create_address",
    "update_address", "delete_address", "set_default_address",
]

MAX_ADDRESSES = 50


def _not_found(field: str) -> DomainError:
    return DomainError.not_found("saved address", field)


async def _own(customer_id: int, address_id: int | None, field: str) -> CustomerAddress:
    address = None if address_id is None else await CustomerAddress.get_or_none(id=address_id, customer_id=customer_id)
    if address is None:
        raise _not_found(field)
    return address


async def list_addresses(customer_id: int) -> list[CustomerAddress]:
    """The customer's addresses, oldest first."""
    return await CustomerAddress.filter(customer_id=customer_id).order_by("id")


async def default_address(customer_id: int) -> CustomerAddress | None:
    wallet = await CustomerWallet.get_or_none(customer_id=customer_id)
    if wallet is None or wallet.default_address_id is None:
        return None
    return await CustomerAddress.get_or_none(id=wallet.default_address_id, customer_id=customer_id)


async def default_address_json(customer_id: int | None) -> dict | None:
    """What a new cart of this buyer starts with as its shipping address (None for guests)."""
    if customer_id is None:
        return None
    address = await default_address(customer_id)
    return None if address is None else address.address


async def create_address(customer_id: int, address: MailingAddress, make_default: bool = False) -> CustomerAddress:
    """Saves a checked address; the first one, or one saved with `make_default`, becomes the default."""
    address = validate_address(address)
    await wallet_of(customer_id)
    async with in_transaction():
        wallet = await locked_wallet(customer_id)
        if await CustomerAddress.filter(customer_id=customer_id).count() >= MAX_ADDRESSES:
            raise DomainError(Code.INVALID, f"You can save at most {MAX_ADDRESSES} addresses; "
                              "delete one first.", ["address"])
        saved = await CustomerAddress.create(customer_id=customer_id, address=address.to_json())
        if make_default or wallet.default_address_id is None:
            await CustomerWallet.filter(id=wallet.id).update(default_address_id=saved.id)
    return saved


async def update_address(customer_id: int, address_id: int | None, address: MailingAddress) -> CustomerAddress:
    """Replaces a saved address with a checked one (carts that copied it keep their copy)."""
    address = validate_address(address)
    saved = await _own(customer_id, address_id, "id")
    saved.address = address.to_json()
    await saved.save(update_fields=["address", "updated_at"])
    return saved


async def delete_address(customer_id: int, address_id: int | None) -> None:
    """Deletes a saved address; when it was the default, the oldest one left becomes the default."""
    await wallet_of(customer_id)
    async with in_transaction():
        wallet = await locked_wallet(customer_id)
        saved = await _own(customer_id, address_id, "id")
        await saved.delete()
        if wallet.default_address_id == saved.id:
            oldest = await CustomerAddress.filter(customer_id=customer_id).order_by("id").first()
            await CustomerWallet.filter(id=wallet.id).update(default_address_id=oldest.id if oldest else None)


async def set_default_address(customer_id: int, address_id: int | None) -> CustomerAddress:
    """Makes one of the customer's saved addresses their default."""
    await wallet_of(customer_id)
    async with in_transaction():
        wallet = await locked_wallet(customer_id)
        saved = await _own(customer_id, address_id, "addressId")
        await CustomerWallet.filter(id=wallet.id).update(default_address_id=saved.id)
    return saved
