"""Orders keep the language the buyer checked out in, and their emails speak it (English the fallback)."""

from __future__ import annotations

import uuid

from graph.core.ids import to_global_id
from tests.graph.accounts.test_accounts import api_key, as_
from tests.graph.outbound.test_emails import mail_worker, parts
from tests.shop import cart_with, make_product
from tests.smtp_server import smtp_server

CHECKOUT = """mutation Checkout($input: CheckoutInput!, $l: LanguageCode) @inContext(language: $l) {
  checkout(input: $input) { order { id number status languageCode } userErrors { code } } }"""
REGISTER = """mutation($id: ID!, $t: [TranslationInput!]!) {
  translationsRegister(resourceId: $id, language: DE, translations: $t) { userErrors { code } } }"""
ORDER = "query($id: ID!) { order(id: $id) { languageCode lines { title } } }"


async def paid_in(gql, language: str | None, product) -> dict:
    cart = await cart_with(gql, (product, 2))
    variables = {"l": language, "input": {"cartId": cart, "email": "kunde@example.com", "paymentToken": "pm_card_visa",
                                          "idempotencyKey": uuid.uuid4().hex}}
    result = (await gql.data(CHECKOUT, variables))["checkout"]
    assert result["userErrors"] == [] and result["order"]["status"] == "PAID", result
    return result["order"]


async def test_a_german_order_is_confirmed_in_german_and_others_in_english(gql, settings):
    product = await make_product(1250, 10, title="Oak Lamp")
    staff = as_(gql, await api_key("catalog:write"))
    registered = await staff.data(REGISTER, {"id": to_global_id("Product", product.id),
                                             "t": [{"key": "title", "value": "Eichenlampe"}]})
    assert registered["translationsRegister"]["userErrors"] == []
    with smtp_server() as (inbox, url):
        worker = await mail_worker(settings, smtp_url=url)
        await worker.drain()
        inbox.messages.clear()
        german = await paid_in(gql, "DE", product)
        japanese = await paid_in(gql, "JA", product)  # no Japanese templates: English
        plain = await paid_in(gql, None, product)
        await worker.drain()
        await worker.stop()

    assert [german["languageCode"], japanese["languageCode"], plain["languageCode"]] == ["DE", "JA", "EN"]
    stored = (await gql.data(ORDER, {"id": german["id"]}))["order"]
    assert stored == {"languageCode": "DE", "lines": [{"title": "Oak Lamp"}]}  # lines keep the copied title

    by_subject = {m["Subject"]: m for m in inbox.messages}
    assert set(by_subject) == {f"Bestellung {german['number']} bestätigt", f"Order {japanese['number']} confirmed",
                               f"Order {plain['number']} confirmed"}
    text, html = parts(by_subject[f"Bestellung {german['number']} bestätigt"])
    assert "Vielen Dank für Ihre Bestellung" in text and "Eichenlampe x 2: 25.00 USD" in text
    assert "Gesamt: 25.00 USD" in text and "Visa mit Endziffern 4242" in text
    assert '<html lang="de">' in html and "Zwischensumme" in html and "Eichenlampe" in html
    text, html = parts(by_subject[f"Order {plain['number']} confirmed"])
    assert "Thank you for your order" in text and "Oak Lamp x 2: 25.00 USD" in text and '<html lang="en">' in html
    assert "Oak Lamp x 2" in parts(by_subject[f"Order {japanese['number']} confirmed"])[0]
