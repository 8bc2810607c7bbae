"""The buyer's wallet, part one: saved addresses (DESIGN §13), the types of the wallet, and
the fields `Customer` inherits (`WalletFields`).

Every operation is for the signed-in customer only (UNAUTHENTICATED otherwise); an id
that is not one of theirs is NOT_FOUND, whether it exists or not.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from commerce import wallet
from graph.core.access import require_customer
from graph.checkout.addresses import MailingAddress, MailingAddressInput
from graph.core.context import Info
from graph.core.errors import UserError, mutation
from graph.core.ids import int_key, known, to_global_id
from models import CustomerAddress as AddressModel, SavedPaymentMethod

__all__ = [
    "AddressMutation", "CustomerAddress", "CustomerPaymentMethod", "WalletFields", "address_key", "card_key",
    "saved_card_key",
]

ADDRESS = "CustomerAddress"
CARD = "CustomerPaymentMethod"


def address_key(global_id: strawberry.ID | None) -> int | None:
    return int_key(global_id, ADDRESS)


def card_key(global_id: strawberry.ID | None) -> int | None:
    return int_key(global_id, CARD)


def saved_card_key(global_id: strawberry.ID | None) -> int | None:
    """The checkout's `savedPaymentMethodId`: None when not given, NOT_FOUND when not a card's id."""
    if global_id is None:
        return None
    return known(card_key(global_id), "saved card", "input", "savedPaymentMethodId")


@strawberry.type(description="An address the customer saved, ready for their carts.")
class CustomerAddress:
    id: strawberry.ID
    is_default: bool = strawberry.field(description="A new cart of this customer starts with this address.")
    address: MailingAddress
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, model: AddressModel, default_id: int | None) -> "CustomerAddress":
        return cls(id=strawberry.ID(to_global_id(ADDRESS, model.id)), is_default=model.id == default_id,
                   address=MailingAddress.of(model.address), created_at=model.created_at,
                   updated_at=model.updated_at)


@strawberry.type(description="A card the customer saved. Pay with it: `checkout(input: {savedPaymentMethodId})`.")
class CustomerPaymentMethod:
    id: strawberry.ID
    brand: str = strawberry.field(description="As Stripe names it: visa, mastercard, amex…")
    last4: str
    exp_month: int
    exp_year: int
    created_at: datetime

    @classmethod
    def from_model(cls, model: SavedPaymentMethod) -> "CustomerPaymentMethod":
        return cls(id=strawberry.ID(to_global_id(CARD, model.id)), brand=model.brand, last4=model.last4,
                   exp_month=model.exp_month, exp_year=model.exp_year, created_at=model.created_at)


async def _addresses(customer_id: int) -> list[CustomerAddress]:
    default = await wallet.default_address(customer_id)
    default_id = default.id if default else None
    return [CustomerAddress.from_model(m, default_id) for m in await wallet.list_addresses(customer_id)]


@strawberry.type
class WalletFields:
    """The wallet's fields of `Customer` (whose `id` is its global id)."""

    id: strawberry.ID

    def _customer_id(self) -> int:
        return int_key(self.id, "Customer") or 0

    @strawberry.field(description=f"Your saved addresses, oldest first (at most {wallet.MAX_ADDRESSES}).")
    async def addresses(self) -> list[CustomerAddress]:
        return await _addresses(self._customer_id())

    @strawberry.field(description="The address your new carts start with; null when you saved none.")
    async def default_address(self) -> CustomerAddress | None:
        model = await wallet.default_address(self._customer_id())
        return None if model is None else CustomerAddress.from_model(model, model.id)

    @strawberry.field(description="Your saved cards, oldest first.")
    async def payment_methods(self) -> list[CustomerPaymentMethod]:
        return [CustomerPaymentMethod.from_model(m) for m in await wallet.list_cards(self._customer_id())]


@strawberry.type
class CustomerAddressPayload:
    customer_address: CustomerAddress | None
    user_errors: list[UserError]


@strawberry.type
class CustomerAddressDeletePayload:
    deleted_address_id: strawberry.ID | None
    user_errors: list[UserError]


async def _answer(customer_id: int, model: AddressModel) -> CustomerAddressPayload:
    default = await wallet.default_address(customer_id)
    return CustomerAddressPayload(customer_address=CustomerAddress.from_model(model, default.id if default else None),
                                  user_errors=[])


@strawberry.type
class AddressMutation:
    @mutation(description=f"Saves an address (checked like a cart's; at most {wallet.MAX_ADDRESSES}). "
              "Your first address, or one saved with `setAsDefault`, becomes the default.")
    async def customer_address_create(self, info: Info, address: MailingAddressInput,
                                      set_as_default: bool = False) -> CustomerAddressPayload:
        customer_id = await require_customer(info)
        model = await wallet.create_address(customer_id, address.parse(), set_as_default)
        return await _answer(customer_id, model)

    @mutation(description="Replaces one of your saved addresses (carts keep the copy they took).")
    async def customer_address_update(self, info: Info, id: strawberry.ID,
                                      address: MailingAddressInput) -> CustomerAddressPayload:
        customer_id = await require_customer(info)
        model = await wallet.update_address(customer_id, address_key(id), address.parse())
        return await _answer(customer_id, model)

    @mutation(description="Deletes one of your saved addresses; if it was the default, "
              "your oldest address left becomes the default.")
    async def customer_address_delete(self, info: Info, id: strawberry.ID) -> CustomerAddressDeletePayload:
        customer_id = await require_customer(info)
        await wallet.delete_address(customer_id, address_key(id))
        return CustomerAddressDeletePayload(deleted_address_id=id, user_errors=[])

    @mutation(description="Makes one of your saved addresses the one your new carts start with.")
    async def customer_default_address_update(self, info: Info, address_id: strawberry.ID) -> CustomerAddressPayload:
        customer_id = await require_customer(info)
        model = await wallet.set_default_address(customer_id, address_key(address_id))
        return await _answer(customer_id, model)
