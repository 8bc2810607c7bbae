"""A cart follows its buyer's market: prices, delivery and codes in the market's currency, a
checkout charged in it at Stripe, refunds and emails in it, and a cart repriced when it moves."""

from __future__ import annotations

import uuid

import pytest
import stripe

from commerce.shop_rules.seed import seed_shop_rules
from graph.core.ids import to_global_id
from models import Order, ProductVariant
from tests.conftest import GraphQLClient
from tests.graph.accounts.test_accounts import api_key, as_
from tests.graph.outbound.test_emails import mail_worker, parts
from tests.shop import intents_of_order, key_of, make_product
from tests.smtp_server import smtp_server
from tests.stripe_emulator import TEST_SECRET_KEY, create_card_token
from tests.stripe_events import stripe_refunds

MARKET = """mutation($input: MarketCreateInput!) { marketCreate(input: $input) { market { id }
  userErrors { field code } } }"""
MARKET_UPDATE = """mutation($id: ID!, $input: MarketUpdateInput!) { marketUpdate(id: $id, input: $input) {
  userErrors { field code } } }"""
PRICES = """mutation($v: ID!, $p: [VariantPriceInput!]!) { productVariantPricesSet(variantId: $v, prices: $p) {
  userErrors { field code } } }"""
CART = """currencyCode lines { id quantity unitPrice { amount currencyCode } merchandise { price { amount currencyCode } } }
  subtotal { amount currencyCode } total { amount currencyCode }
  cost { subtotal { amount } discount { amount } shipping { amount } total { amount currencyCode } }
  deliveryOptions { handle estimatedCost { amount currencyCode } }"""
ADD = f"""mutation($c: ID, $v: ID!, $q: Int!, $country: CountryCode) @inContext(country: $country) {{
  addToCart(cartId: $c, variantId: $v, quantity: $q) {{ cart {{ id {CART} }} userErrors {{ field code }} warnings {{ code target }} }} }}"""
BUYER = f"""mutation($c: ID!, $country: String) {{ cartBuyerIdentityUpdate(cartId: $c, countryCode: $country) {{
  cart {{ {CART} }} warnings {{ code message target }} userErrors {{ field code }} }} }}"""
SHIP = f"""mutation($c: ID!, $a: MailingAddressInput!) {{ cartShippingAddressUpdate(cartId: $c, address: $a) {{
  cart {{ {CART} }} warnings {{ code message target }} userErrors {{ field code }} }} }}"""
DELIVER = """mutation($c: ID!, $h: String!) { cartSelectedDeliveryOptionUpdate(cartId: $c, handle: $h) {
  cart { cost { shipping { amount } total { amount currencyCode } } } userErrors { code } } }"""
CODES = """mutation($c: ID!, $codes: [String!]!) { cartDiscountCodesUpdate(cartId: $c, codes: $codes) {
  cart { discountCodes { code applicable } cost { subtotal { amount } discount { amount } total { amount } } }
  userErrors { code } } }"""
CODE_CREATE = """mutation($input: DiscountCodeInput!) { discountCodeCreate(input: $input) { userErrors { field code } } }"""
CHECKOUT = """mutation($input: CheckoutInput!) { checkout(input: $input) {
  order { id number status total { amount currencyCode minorUnits } lines { unitPrice { amount currencyCode } } }
  userErrors { field code } } }"""
REFUND = """mutation($o: ID!, $a: Decimal, $k: String) { refundOrder(orderId: $o, amount: $a, idempotencyKey: $k) {
  refund { amount { amount currencyCode } } order { payment { amount { amount currencyCode }
  amountRefunded { amount currencyCode minorUnits } } } userErrors { field code } } }"""

DE_ADDRESS = {"firstName": "Ada", "lastName": "Lovelace", "address1": "Unter den Linden 1", "city": "Berlin",
              "zip": "10117", "countryCode": "DE"}
CA_ADDRESS = {"firstName": "Ada", "lastName": "Lovelace", "address1": "1 King St W", "city": "Toronto",
              "provinceCode": "ON", "zip": "M5H 1A1", "countryCode": "CA"}
US_ADDRESS = {"firstName": "Ada", "lastName": "Lovelace", "address1": "1 Market St", "city": "San Francisco",
              "provinceCode": "CA", "zip": "94105", "countryCode": "US"}


def market(handle: str, countries: list[str], currency: str, rate: str | None, rounding: str) -> dict:
    return {"handle": handle, "name": handle.capitalize(), "countries": countries, "currencyCode": currency,
            "languageCode": "EN", "exchangeRate": rate, "rounding": rounding}


@pytest.fixture(scope="module")
async def shop(gql_module) -> dict:
    """Markets for Europe (EUR at 0.92, .99 endings), Japan (JPY at 150, whole yen), Canada (CAD at 1.35)
    and Sweden (SEK, no rate: explicit prices only); a lamp at 12.50 USD, a vase at 20.00 USD with explicit
    prices of 9.00 EUR and 200.00 SEK; the demo zones and taxes."""
    await seed_shop_rules("USD")
    staff = as_(gql_module, await api_key("catalog:write", "shop:write"))
    for spec in (market("europe", ["DE", "AT"], "EUR", "0.92", "NINETY_NINE"),
                 market("japan", ["JP"], "JPY", "150", "WHOLE"),
                 market("canada", ["CA"], "CAD", "1.35", "NONE"),
                 market("sweden", ["SE"], "SEK", None, "NONE")):
        assert (await staff.data(MARKET, {"input": spec}))["marketCreate"]["userErrors"] == []
    lamp = await make_product(1250, 1000, "Lamp")
    vase = await make_product(2000, 1000, "Vase")
    ids = {}
    for name, product in (("lamp", lamp), ("vase", vase)):
        variant = await ProductVariant.get(product_id=product.id)
        ids[name] = to_global_id("ProductVariant", variant.id)
    prices = [{"currencyCode": "EUR", "amount": "9.00"}, {"currencyCode": "SEK", "amount": "200.00"}]
    assert (await staff.data(PRICES, {"v": ids["vase"], "p": prices}))["productVariantPricesSet"]["userErrors"] == []
    return ids


@pytest.fixture(scope="module")
def gql_module(http) -> GraphQLClient:
    return GraphQLClient(http)


async def add(gql, variant: str, quantity: int = 1, cart: str | None = None, country: str | None = None) -> dict:
    answer = (await gql.data(ADD, {"c": cart, "v": variant, "q": quantity, "country": country}))["addToCart"]
    assert answer["userErrors"] == [], answer
    return answer["cart"]


async def pay(gql, cart: dict, **extra) -> dict:
    variables = {"input": {"cartId": cart["id"], "email": "kunde@example.com", "paymentToken": "pm_card_visa",
                           "idempotencyKey": uuid.uuid4().hex, **extra}}
    answer = (await gql.data(CHECKOUT, variables))["checkout"]
    assert answer["userErrors"] == [] and answer["order"]["status"] == "PAID", answer
    return answer["order"]


async def intent_at_stripe(stripe_url: str, order: dict) -> stripe.PaymentIntent:
    """The order's PaymentIntent as the emulator holds it, read back with the Stripe SDK."""
    [found] = await intents_of_order(stripe_url, key_of(order["id"]))
    http = stripe.HTTPXClient()
    try:
        client = stripe.StripeClient(TEST_SECRET_KEY, base_addresses={"api": stripe_url}, http_client=http)
        return await client.v1.payment_intents.retrieve_async(found["id"])
    finally:
        await http.close_async()


def prices(cart: dict) -> list[tuple[str, str]]:
    return [(line["unitPrice"]["amount"], line["unitPrice"]["currencyCode"]) for line in cart["lines"]]


async def test_a_german_buyer_sees_euros_and_is_charged_the_cart_total_in_euros(gql, shop, settings, localstripe_url):
    with smtp_server() as (inbox, url):
        worker = await mail_worker(settings, smtp_url=url)
        await worker.drain()
        inbox.messages.clear()
        cart = await add(gql, shop["lamp"], 2, country="DE")
        cart = await add(gql, shop["vase"], 1, cart=cart["id"], country="DE")
        assert cart["currencyCode"] == "EUR"
        # 12.50 USD x 0.92 = 11.50, up to .99; the vase's explicit 9.00 EUR wins over the rate
        assert prices(cart) == [("11.99", "EUR"), ("9.00", "EUR")]
        assert [line["merchandise"]["price"] for line in cart["lines"]] == [
            {"amount": "11.99", "currencyCode": "EUR"}, {"amount": "9.00", "currencyCode": "EUR"}]
        assert cart["subtotal"] == {"amount": "32.98", "currencyCode": "EUR"}
        # German VAT (19 %) per line: 4.56 + 1.71; a percentage holds in any currency
        assert cart["total"] == {"amount": "39.25", "currencyCode": "EUR"}

        order = await pay(gql, cart, expectedTotal="39.25")
        await worker.drain()
        await worker.stop()

    assert order["total"] == {"amount": "39.25", "currencyCode": "EUR", "minorUnits": 3925}
    assert [line["unitPrice"] for line in order["lines"]] == [
        {"amount": "11.99", "currencyCode": "EUR"}, {"amount": "9.00", "currencyCode": "EUR"}]
    assert (await Order.get(id=key_of(order["id"]))).currency == "EUR"
    intent = await intent_at_stripe(localstripe_url, order)
    assert (intent.currency, intent.amount, intent.status) == ("eur", 3925, "succeeded")
    [mail] = [m for m in inbox.messages if order["number"] in m["Subject"]]
    text, html = parts(mail)
    assert "Lamp x 2: 23.98 EUR" in text and "Vase x 1: 9.00 EUR" in text and "39.25 EUR" in text
    assert "USD" not in text and "39.25 EUR" in html


async def test_a_japanese_cart_is_in_whole_yen_and_charged_whole_yen(gql, shop, localstripe_url):
    cart = await add(gql, shop["lamp"], 3, country="JP")
    cart = await add(gql, shop["vase"], 1, cart=cart["id"], country="JP")
    assert cart["currencyCode"] == "JPY"
    # 12.50 USD x 150 = 1,875 yen; 20.00 USD x 150 = 3,000 yen: whole yen, never cents
    assert prices(cart) == [("1875", "JPY"), ("3000", "JPY")]
    assert cart["total"] == {"amount": "8625", "currencyCode": "JPY"}
    assert (await gql.data(CHECKOUT, {"input": {"cartId": cart["id"], "email": "a@example.com", "paymentToken":
            "pm_card_visa", "expectedTotal": "8625.5"}}))["checkout"]["userErrors"] == [
        {"field": ["input", "expectedTotal"], "code": "INVALID"}]  # no fraction of a yen
    order = await pay(gql, cart, expectedTotal="8625")
    assert order["total"] == {"amount": "8625", "currencyCode": "JPY", "minorUnits": 8625}
    intent = await intent_at_stripe(localstripe_url, order)
    assert (intent.currency, intent.amount) == ("jpy", 8625)


async def test_a_cart_that_moves_to_canada_is_repriced_in_dollars_of_canada_and_says_so(gql, shop):
    cart = await add(gql, shop["lamp"], 2, country="US")
    assert cart["currencyCode"] == "USD" and prices(cart) == [("12.50", "USD")]

    moved = (await gql.data(BUYER, {"c": cart["id"], "country": "CA"}))["cartBuyerIdentityUpdate"]
    assert moved["userErrors"] == []
    assert [w["code"] for w in moved["warnings"]] == ["CURRENCY_CHANGED"]
    assert moved["cart"]["currencyCode"] == "CAD"
    assert prices(moved["cart"]) == [("16.88", "CAD")]  # 12.50 x 1.35 = 16.875, to the nearest cent
    assert moved["cart"]["subtotal"] == {"amount": "33.76", "currencyCode": "CAD"}
    again = (await gql.data(BUYER, {"c": cart["id"], "country": "CA"}))["cartBuyerIdentityUpdate"]
    assert again["warnings"] == []  # still in Canada: nothing to tell

    other = await add(gql, shop["lamp"], 1)
    shipped = (await gql.data(SHIP, {"c": other["id"], "a": CA_ADDRESS}))["cartShippingAddressUpdate"]
    assert shipped["userErrors"] == [] and [w["code"] for w in shipped["warnings"]] == ["CURRENCY_CHANGED"]
    assert shipped["cart"]["currencyCode"] == "CAD" and prices(shipped["cart"]) == [("16.88", "CAD")]
    back = (await gql.data(SHIP, {"c": other["id"], "a": US_ADDRESS}))["cartShippingAddressUpdate"]
    assert [w["code"] for w in back["warnings"]] == ["CURRENCY_CHANGED"]
    assert back["cart"]["currencyCode"] == "USD" and prices(back["cart"]) == [("12.50", "USD")]


async def test_a_line_not_sold_in_the_new_market_is_removed_and_cannot_be_added(gql, shop):
    cart = await add(gql, shop["lamp"], 1)
    cart = await add(gql, shop["vase"], 1, cart=cart["id"])
    lamp_line = cart["lines"][0]["id"]
    moved = (await gql.data(BUYER, {"c": cart["id"], "country": "SE"}))["cartBuyerIdentityUpdate"]
    assert moved["userErrors"] == []
    warnings = {w["code"]: w for w in moved["warnings"]}
    assert set(warnings) == {"CURRENCY_CHANGED", "MERCHANDISE_NOT_AVAILABLE"}
    assert warnings["MERCHANDISE_NOT_AVAILABLE"]["target"] == lamp_line
    assert "Lamp" in warnings["MERCHANDISE_NOT_AVAILABLE"]["message"]
    assert prices(moved["cart"]) == [("200.00", "SEK")]  # the vase, at its explicit price

    refused = (await gql.data(ADD, {"c": cart["id"], "v": shop["lamp"], "q": 1, "country": None}))["addToCart"]
    assert refused["cart"] is None
    assert refused["userErrors"] == [{"field": ["variantId"], "code": "NOT_AVAILABLE_IN_MARKET"}]
    assert refused["warnings"] == []  # a refusal changed nothing
    new = (await gql.data(ADD, {"c": None, "v": shop["lamp"], "q": 1, "country": "SE"}))["addToCart"]
    assert new["userErrors"] == [{"field": ["variantId"], "code": "NOT_AVAILABLE_IN_MARKET"}]


async def test_a_refund_of_a_euro_order_is_in_euros(gql, shop, localstripe_url):
    token = await create_card_token(localstripe_url, "4242424242424242")  # a card token: checked before step 1
    order = await pay(gql, await add(gql, shop["lamp"], 1, country="DE"), paymentToken=token)
    staff = as_(gql, await api_key("orders:write", "orders:read"))
    refunded = (await staff.data(REFUND, {"o": order["id"], "a": "5.00", "k": uuid.uuid4().hex}))["refundOrder"]
    assert refunded["userErrors"] == []
    assert refunded["refund"]["amount"] == {"amount": "5.00", "currencyCode": "EUR"}
    assert refunded["order"]["payment"]["amount"] == {"amount": "14.27", "currencyCode": "EUR"}  # 11.99 + 19 %
    assert refunded["order"]["payment"]["amountRefunded"] == {"amount": "5.00", "currencyCode": "EUR", "minorUnits": 500}
    intent = await intent_at_stripe(localstripe_url, order)
    [made] = await stripe_refunds(localstripe_url, intent.id)
    assert (made["amount"], made["currency"]) == (500, "eur")


async def test_delivery_and_a_fixed_code_are_converted_into_the_market_currency(gql, shop):
    staff = as_(gql, await api_key("shop:write"))
    made = await staff.data(CODE_CREATE, {"input": {"code": "TENOFF", "kind": "FIXED_AMOUNT", "value": "10",
                                                    "minSubtotal": "20"}})
    assert made["discountCodeCreate"]["userErrors"] == []
    shipping = await make_product(1250, 100, "Chair", requires_shipping=True)
    variant = to_global_id("ProductVariant", (await ProductVariant.get(product_id=shipping.id)).id)
    cart = await add(gql, variant, 2, country="DE")
    shipped = (await gql.data(SHIP, {"c": cart["id"], "a": DE_ADDRESS}))["cartShippingAddressUpdate"]
    # the EU zone's 14.00 and 34.00 USD, x 0.92 and up to .99
    assert [(o["handle"], o["estimatedCost"]) for o in shipped["cart"]["deliveryOptions"]] == [
        ("standard", {"amount": "12.99", "currencyCode": "EUR"}),
        ("express", {"amount": "31.99", "currencyCode": "EUR"})]
    chosen = (await gql.data(DELIVER, {"c": cart["id"], "h": "standard"}))["cartSelectedDeliveryOptionUpdate"]
    assert chosen["cart"]["cost"]["shipping"] == {"amount": "12.99"}
    coded = (await gql.data(CODES, {"c": cart["id"], "codes": ["TENOFF"]}))["cartDiscountCodesUpdate"]["cart"]
    # 10 USD off over 20 USD: 9.99 EUR off over 18.99 EUR; the subtotal is 2 x 11.99 = 23.98 EUR
    assert coded["discountCodes"] == [{"code": "TENOFF", "applicable": True}]
    assert coded["cost"]["subtotal"] == {"amount": "23.98"} and coded["cost"]["discount"] == {"amount": "9.99"}

    swedish = await add(gql, shop["vase"], 1, country="SE")  # a market without a rate: nothing to convert by
    coded = (await gql.data(CODES, {"c": swedish["id"], "codes": ["TENOFF"]}))["cartDiscountCodesUpdate"]["cart"]
    assert coded["discountCodes"] == [{"code": "TENOFF", "applicable": False}]
    assert coded["cost"]["discount"] == {"amount": "0.00"}


async def test_checkout_prices_from_the_market_as_it_is_when_the_order_is_made(gql, shop, localstripe_url):
    staff = as_(gql, await api_key("catalog:write"))
    made = (await staff.data(MARKET, {"input": market("swiss", ["CH"], "CHF", "0.90", "NONE")}))["marketCreate"]
    cart = await add(gql, shop["lamp"], 1, country="CH")
    assert cart["total"] == {"amount": "11.25", "currencyCode": "CHF"}
    changed = await staff.data(MARKET_UPDATE, {"id": made["market"]["id"], "input": {"exchangeRate": "0.80"}})
    assert changed["marketUpdate"]["userErrors"] == []

    seen = {"input": {"cartId": cart["id"], "email": "a@example.com", "paymentToken": "pm_card_visa",
                      "idempotencyKey": uuid.uuid4().hex, "expectedTotal": "11.25"}}
    refused = (await gql.data(CHECKOUT, seen))["checkout"]
    assert refused["order"] is None
    assert refused["userErrors"] == [{"field": ["input", "expectedTotal"], "code": "TOTAL_CHANGED"}]
    order = await pay(gql, cart)  # no total given: today's price in the market
    assert order["total"] == {"amount": "10.00", "currencyCode": "CHF", "minorUnits": 1000}
    intent = await intent_at_stripe(localstripe_url, order)
    assert (intent.currency, intent.amount) == ("chf", 1000)


async def test_a_cart_in_another_market_costs_the_statements_of_one_in_the_shop_own(gql, shop, sql_statements):
    """Its market and explicit prices come with the lines; only a move between markets writes once more."""
    def counted() -> int:
        found = len(sql_statements)
        sql_statements.clear()
        return found

    counts = {}
    for country in ("US", "DE"):  # the shop's own market, and Europe's
        sql_statements.clear()
        cart = await add(gql, shop["lamp"], 1, country=country)
        new = counted()
        await add(gql, shop["vase"], 1, cart=cart["id"])
        counts[country] = (new, counted())
    # the variant (or the cart locked), the lines with the market, the line; taxes for the answer's total
    assert counts == {"US": (4, 4), "DE": (4, 4)}
    moved = (await gql.data(BUYER, {"c": cart["id"], "country": "CA"}))["cartBuyerIdentityUpdate"]
    assert [w["code"] for w in moved["warnings"]] == ["CURRENCY_CHANGED"]
    assert counted() == 4  # the country written, the lines in the new market, the currency written, zones and taxes
    read = await gql.data("query($id: ID!) { cart(id: $id) { currencyCode total { amount } } }", {"id": cart["id"]})
    assert read["cart"]["currencyCode"] == "CAD" and counted() == 2  # the cart with its lines and market, taxes
