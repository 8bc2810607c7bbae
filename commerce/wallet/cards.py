"""Saved cards: one Stripe Customer per customer, cards saved through SetupIntents.

1. `start_setup` makes the customer's Stripe Customer on first need (once: a
   conditional update keeps the first one recorded) and a SetupIntent for it;
   the browser confirms its client secret with Stripe.js (`confirmCardSetup`),
   3-D Secure included.
2. `complete_setup` reads the SetupIntent back from Stripe, checks it is this
   customer's and succeeded, attaches its card to the Stripe Customer (real
   Stripe has done so already; localstripe does not) and only then records the
   card. A crash or an unreachable Stripe anywhere before that last step leaves
   no card in the wallet, and running `complete_setup` again finishes the job.

A removed card is marked removed before it is detached at Stripe, so it is
never charged again whatever Stripe answers. Every card id that is not one of
the caller's live cards is NOT_FOUND (a removed one of theirs:
PAYMENT_METHOD_REMOVED).
"""

from __future__ import annotations

from datetime import datetime, timezone

from tortoise.exceptions import IntegrityError

from commerce.access import Caller
from commerce.errors import DomainError, UserErrorCode as Code
from commerce.idempotency import setup_intent_key, wallet_customer_key
from commerce.wallet.wallets import wallet_of
from models import Customer, CustomerWallet, SavedPaymentMethod
from payments.gateway import (
    GatewayUnavailable, InvalidPaymentToken, PaymentDeclined, PaymentError, PaymentGateway, PaymentMethodRef,
    SetupIntentRef,
)

__all__ = ["stripe_customer", "start_setup", "complete_setup", "list_cards", "remove_card", "card_for_checkout"]

_UNREACHABLE = "The payment provider could not be reached; nothing was saved. Please try again."


async def stripe_customer(gateway: PaymentGateway, customer_id: int) -> str:
    """The customer's Stripe Customer id, made on first need and recorded once."""
    wallet = await wallet_of(customer_id)
    if wallet.stripe_customer_id:
        return wallet.stripe_customer_id
    customer = await Customer.get(id=customer_id)
    # The key names this wallet, not just the customer's number, which another shop on the same
    # Stripe account (or this one, restored from a backup) may give to someone else.
    made = await gateway.create_customer(
        email=customer.email, reference=str(customer_id),
        idempotency_key=wallet_customer_key(customer_id, wallet.created_at),
    )
    # Two first needs at once: the first recorded Stripe Customer wins, the other is never used.
    await CustomerWallet.filter(id=wallet.id, stripe_customer_id=None).update(stripe_customer_id=made)
    return (await CustomerWallet.get(id=wallet.id)).stripe_customer_id


async def start_setup(gateway: PaymentGateway, customer_id: int) -> SetupIntentRef:
    """A SetupIntent for the customer's Stripe Customer, for Stripe.js to confirm."""
    try:
        customer = await stripe_customer(gateway, customer_id)
        return await gateway.create_setup_intent(customer=customer, reference=str(customer_id),
                                                 idempotency_key=setup_intent_key())
    except PaymentError:
        raise DomainError(Code.PAYMENT_FAILED, _UNREACHABLE, None) from None


async def complete_setup(gateway: PaymentGateway, customer_id: int, setup_intent_id: str) -> SavedPaymentMethod:
    """Saves the card of a SetupIntent the browser confirmed; saving the same one again returns it."""
    not_found = DomainError.not_found("card setup", "setupIntentId")
    wallet = await wallet_of(customer_id)
    if not wallet.stripe_customer_id:
        raise not_found
    try:
        setup = await gateway.retrieve_setup_intent(setup_intent_id)
        if setup.customer != wallet.stripe_customer_id:
            raise not_found
        if setup.status != "succeeded" or not setup.payment_method:
            raise DomainError(Code.INVALID, "This card is not set up yet: confirm it in the browser first.",
                              ["setupIntentId"])
        known = await SavedPaymentMethod.get_or_none(stripe_payment_method_id=setup.payment_method)
        if known is not None:
            return _own_saved(known, customer_id, not_found)
        card = await gateway.attach_payment_method(setup.payment_method, customer=wallet.stripe_customer_id)
    except InvalidPaymentToken:
        raise not_found from None
    except PaymentDeclined as declined:
        raise DomainError(Code.CARD_DECLINED, declined.message, ["setupIntentId"]) from None
    except (GatewayUnavailable, PaymentError):
        raise DomainError(Code.PAYMENT_FAILED, _UNREACHABLE, None) from None
    try:
        return await SavedPaymentMethod.create(
            customer_id=customer_id, stripe_payment_method_id=card.payment_method, brand=card.brand,
            last4=card.last4, exp_month=card.exp_month, exp_year=card.exp_year,
        )
    except IntegrityError:  # the same setup completed twice at once
        known = await SavedPaymentMethod.get(stripe_payment_method_id=card.payment_method)
        return _own_saved(known, customer_id, not_found)


def _own_saved(saved: SavedPaymentMethod, customer_id: int, not_found: DomainError) -> SavedPaymentMethod:
    if saved.customer_id != customer_id:
        raise not_found
    if saved.removed_at is not None:
        raise DomainError(Code.PAYMENT_METHOD_REMOVED, "This card was removed; add it again with a new setup.",
                          ["setupIntentId"])
    return saved


async def list_cards(customer_id: int) -> list[SavedPaymentMethod]:
    """The customer's saved cards, oldest first (removed ones are not listed)."""
    return await SavedPaymentMethod.filter(customer_id=customer_id, removed_at=None).order_by("id")


async def _saved(customer_id: int | None, card_id: int | None, field: list[str]) -> SavedPaymentMethod:
    saved = None
    if customer_id is not None and card_id is not None:
        saved = await SavedPaymentMethod.get_or_none(id=card_id, customer_id=customer_id)
    if saved is None:
        raise DomainError.not_found("saved card", *field)
    return saved


async def remove_card(gateway: PaymentGateway, customer_id: int, card_id: int | None) -> None:
    """Removes a card from the wallet, then detaches it at Stripe. Removing it again retries the
    detach; a detach Stripe could not take is reported, the card stays removed here."""
    saved = await _saved(customer_id, card_id, ["id"])
    await SavedPaymentMethod.filter(id=saved.id, removed_at=None).update(removed_at=datetime.now(timezone.utc))
    try:
        await gateway.detach_payment_method(saved.stripe_payment_method_id)
    except PaymentError:
        raise DomainError(Code.PAYMENT_FAILED, "The card was removed from your wallet and will not be charged, "
                          "but the payment provider could not be told; remove it again to retry.", None) from None


async def card_for_checkout(caller: Caller, card_id: int | None) -> PaymentMethodRef:
    """The caller's saved card as a PaymentIntent charges it; NOT_FOUND for anyone else's (and
    for guests), PAYMENT_METHOD_REMOVED for one they removed."""
    field = ["input", "savedPaymentMethodId"]
    saved = await _saved(caller.customer_id, card_id, field)
    if saved.removed_at is not None:
        raise DomainError(Code.PAYMENT_METHOD_REMOVED, "This card was removed from your wallet; nothing was "
                          "charged. Choose another card.", field)
    wallet = await CustomerWallet.get(customer_id=saved.customer_id)
    return PaymentMethodRef(payment_method=saved.stripe_payment_method_id, customer=wallet.stripe_customer_id)
