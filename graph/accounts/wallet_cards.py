"""The buyer's wallet, part two: saved cards through Stripe SetupIntents (DESIGN §13).

In the browser: `customerPaymentMethodSetup` gives a SetupIntent's `clientSecret`;
Stripe.js `confirmCardSetup(clientSecret, {payment_method: {card}})` confirms it
(3-D Secure included); `customerPaymentMethodSetupComplete(setupIntentId)` saves
the card to the wallet. Pay with it: `checkout(input: {savedPaymentMethodId})`.
"""

from __future__ import annotations

import strawberry

from commerce import wallet
from graph.core.access import require_customer
from graph.core.context import Info
from graph.core.errors import UserError, mutation
from graph.accounts.wallet import CustomerPaymentMethod, card_key

__all__ = ["CardMutation", "CardQuery"]


@strawberry.type
class CustomerPaymentMethodSetupPayload:
    client_secret: str | None = strawberry.field(
        description="For Stripe.js `confirmCardSetup`; never store or log it.")
    setup_intent_id: str | None = strawberry.field(
        description="For `customerPaymentMethodSetupComplete` once Stripe.js has confirmed the card.")
    user_errors: list[UserError]


@strawberry.type
class CustomerPaymentMethodPayload:
    payment_method: CustomerPaymentMethod | None
    user_errors: list[UserError]


@strawberry.type
class CustomerPaymentMethodDeletePayload:
    deleted_payment_method_id: strawberry.ID | None
    user_errors: list[UserError]


@strawberry.type
class CardQuery:
    @strawberry.field(description="The signed-in customer's saved cards, oldest first (UNAUTHENTICATED for others).")
    async def customer_payment_methods(self, info: Info) -> list[CustomerPaymentMethod]:
        customer_id = await require_customer(info)
        return [CustomerPaymentMethod.from_model(m) for m in await wallet.list_cards(customer_id)]


@strawberry.type
class CardMutation:
    @mutation(description="Starts saving a card: a SetupIntent for your Stripe Customer (made on first "
              "need). Confirm `clientSecret` with Stripe.js, then call "
              "`customerPaymentMethodSetupComplete`.")
    async def customer_payment_method_setup(self, info: Info) -> CustomerPaymentMethodSetupPayload:
        customer_id = await require_customer(info)
        setup = await wallet.start_setup(info.context.gateway, customer_id)
        return CustomerPaymentMethodSetupPayload(client_secret=setup.client_secret, setup_intent_id=setup.id,
                                                 user_errors=[])

    @mutation(description="Saves the card of a SetupIntent Stripe.js confirmed. Calling it again for "
              "the same SetupIntent returns the same card; until it succeeds, nothing is saved.")
    async def customer_payment_method_setup_complete(self, info: Info,
                                                     setup_intent_id: str) -> CustomerPaymentMethodPayload:
        customer_id = await require_customer(info)
        model = await wallet.complete_setup(info.context.gateway, customer_id, setup_intent_id)
        return CustomerPaymentMethodPayload(payment_method=CustomerPaymentMethod.from_model(model), user_errors=[])

    @mutation(description="Removes a saved card from your wallet and detaches it at Stripe; "
              "it is never charged again.")
    async def customer_payment_method_delete(self, info: Info, id: strawberry.ID) -> CustomerPaymentMethodDeletePayload:
        customer_id = await require_customer(info)
        await wallet.remove_card(info.context.gateway, customer_id, card_key(id))
        return CustomerPaymentMethodDeletePayload(deleted_payment_method_id=id, user_errors=[])
