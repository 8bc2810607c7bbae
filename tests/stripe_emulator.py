"""Runs localstripe (a local Stripe emulator) as a separate process, and the
browser-side steps a test needs from it: card tokens, 3-D Secure, webhooks.

The process itself is started by `shopgraph.emulator.running_localstripe`,
the same launcher `shopgraph serve` uses in local test mode.
"""

from __future__ import annotations

import datetime

import httpx

from shopgraph.emulator import TEST_PUBLISHABLE_KEY, TEST_SECRET_KEY, free_port, running_localstripe

__all__ = [
    "TEST_PUBLISHABLE_KEY",
    "TEST_SECRET_KEY",
    "authenticate_3ds",
    "charges_of_customer",
    "confirm_card_setup",
    "create_card_token",
    "free_port",
    "register_webhook",
    "running_localstripe",
]

def _auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {TEST_SECRET_KEY}"}


async def create_card_token(
    base_url: str, number: str, exp_month: int = 12, exp_year: int | None = None, cvc: str = "123"
) -> str:
    """A `tok_…` for a test card number, as Stripe.js's `createToken` would make."""
    card = {
        "number": number,
        "exp_month": exp_month,
        "exp_year": exp_year if exp_year is not None else datetime.date.today().year + 3,
        "cvc": cvc,
    }
    async with httpx.AsyncClient(base_url=base_url, headers=_auth()) as http:
        response = await http.post("/v1/tokens", json={"card": card})
    response.raise_for_status()
    return response.json()["id"]


async def authenticate_3ds(base_url: str, intent_id: str, client_secret: str, success: bool) -> None:
    """Complete (or fail) 3-D Secure for a `requires_action` PaymentIntent, as the
    shopper does in localstripe's Stripe.js dialog (publishable key, client secret)."""
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post(
            f"/v1/payment_intents/{intent_id}/_authenticate",
            params={"success": "true" if success else "false"},
            json={"client_secret": client_secret, "key": TEST_PUBLISHABLE_KEY},
        )
    response.raise_for_status()


async def confirm_card_setup(
    base_url: str, client_secret: str, number: str, authenticate: bool = True
) -> dict[str, object]:
    """Confirm a SetupIntent with a new card, as localstripe's Stripe.js `confirmCardSetup`
    does (publishable key, client secret); a card that asks for 3-D Secure is then
    authenticated (or, `authenticate=False`, left waiting). Returns the SetupIntent."""
    setup_intent = client_secret.split("_secret_")[0]
    card = {"number": number, "exp_month": 12, "exp_year": datetime.date.today().year + 3, "cvc": "123"}
    body: dict[str, object] = {"key": TEST_PUBLISHABLE_KEY, "use_stripe_sdk": True, "client_secret": client_secret,
                               "payment_method_data": {"type": "card", "card": card}}
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post(f"/v1/setup_intents/{setup_intent}/confirm", json=body)
        if response.is_success and response.json()["status"] == "requires_action" and authenticate:
            response = await http.post(f"/v1/setup_intents/{setup_intent}/confirm", json={
                "key": TEST_PUBLISHABLE_KEY, "use_stripe_sdk": True, "client_secret": client_secret})
    return response.json()


async def charges_of_customer(base_url: str, customer: str) -> list[dict[str, object]]:
    """Every charge localstripe made for `customer` (it cannot list them by PaymentIntent)."""
    async with httpx.AsyncClient(base_url=base_url, headers=_auth()) as http:
        response = await http.get("/v1/charges", params={"customer": customer, "limit": 100})
    response.raise_for_status()
    return response.json()["data"]


async def register_webhook(
    base_url: str, url: str, secret: str, events: list[str] | None = None, webhook_id: str = "shopgraph"
) -> None:
    """Have localstripe POST its events, signed with `secret`, to `url`
    (re-registering the same `webhook_id` replaces it)."""
    body: dict[str, object] = {"url": url, "secret": secret}
    if events is not None:
        body["events"] = events
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post(f"/_config/webhooks/{webhook_id}", json=body)
    response.raise_for_status()
