"""The storefront in a second market, in a real browser against a real server in local test mode.

Staff add a Europe market (Germany and Austria, euros at an exchange rate, prices
rounded up to .99) and a Japan market (yen, whole yen) through GraphQL with an API
key. A shopper picks Germany in the header: the catalog (listing, product page,
price sort and filter) shows euros and German titles, the language can be switched
on its own, and the purchase is charged in euros: the PaymentIntent read back from
the emulator with the Stripe SDK is in `eur`, for the order's total in cents. What
the page should show is derived from the demo catalog and the market's price rule,
not typed in.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest
import stripe
from playwright.sync_api import Browser, Page, expect

from commerce.catalog.seed import demo_catalog
from commerce.markets.prices import derive, price_rule
from graph.core.ids import from_global_id
from models import Rounding
from tests.e2e.server import running_server, server_env, shopgraph
from tests.e2e.test_storefront import (  # noqa: F401 (the module's fixtures)
    BERLIN, PAYS, browser, enter_card, expect_paid, fill_address, shopper,
)
from tests.stripe_emulator import TEST_SECRET_KEY

VIEWPORT = {"width": 1280, "height": 900}
EUROPE = {"handle": "europe", "name": "Europe", "countries": ["DE", "AT"], "currencyCode": "EUR",
          "languageCode": "DE", "exchangeRate": "0.92", "rounding": "NINETY_NINE"}
JAPAN = {"handle": "japan", "name": "Japan", "countries": ["JP"], "currencyCode": "JPY", "languageCode": "JA",
         "exchangeRate": "151.37", "rounding": "WHOLE"}
IN_EUROS = price_rule("USD", "EUR", Decimal("0.92"), Rounding.NINETY_NINE)
IN_YEN = price_rule("USD", "JPY", Decimal("151.37"), Rounding.WHOLE)
CATALOG = {product.slug: product for product in demo_catalog()}
LAMP, LAMP_DE = CATALOG["oak-lamp"], "Eichenlampe"
CREATE = "mutation($input: MarketCreateInput!) { marketCreate(input: $input) { market { id } userErrors { code } } }"
TRANSLATE = """mutation($id: ID!) { translationsRegister(resourceId: $id, language: DE,
  translations: [{key: "title", value: "Eichenlampe"}]) { userErrors { code } } }"""
PRODUCT = 'query { product(slug: "oak-lamp") { id } }'
ORDER = """query($id: ID!) { order(id: $id) { status total { amount currencyCode minorUnits }
  payment { amount { currencyCode minorUnits } } } }"""
CART = "query($id: ID!) { cart(id: $id) { currencyCode subtotal { currencyCode minorUnits } total { minorUnits } } }"


def call(base: str, query: str, variables: dict | None = None, key: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    body = httpx.post(f"{base}/graphql", json={"query": query, "variables": variables or {}}, headers=headers,
                      timeout=30).json()
    assert "errors" not in body, body
    return body["data"]


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The seeded shop (USD, English) with a Europe and a Japan market and a German lamp title."""
    tmp = tmp_path_factory.mktemp("storefront-markets")
    env = server_env(f"sqlite://{tmp / 'shop.db'}")
    shopgraph("migrate", env=env)
    shopgraph("seed", env=env)
    key = shopgraph("apikey", "create", "--name", "markets", "--scope", "catalog:write",
                    env=env).stdout.strip().splitlines()[-1]
    with running_server(env, tmp / "server.log") as base:
        for market in (EUROPE, JAPAN):
            assert call(base, CREATE, {"input": market}, key)["marketCreate"]["userErrors"] == []
        lamp = call(base, PRODUCT)["product"]["id"]
        assert call(base, TRANSLATE, {"id": lamp}, key)["translationsRegister"]["userErrors"] == []
        yield base


@pytest.fixture
def page(browser: Browser, shop: str) -> Iterator[tuple[Page, object]]:
    with shopper(browser, shop, VIEWPORT) as tab_and_traffic:
        yield tab_and_traffic


def euros(minor_units: int) -> str:
    """An amount as German readers see it: "1.234,99 €"."""
    whole, cents = divmod(minor_units, 100)
    return f"{whole:,}".replace(",", ".") + f",{cents:02d}\u00a0€"


def euro_price(slug: str) -> int:
    return derive(IN_EUROS, CATALOG[slug].price)


def emulator_url(shop: str) -> str:
    """The local Stripe emulator the server started: the page loads its Stripe.js from it."""
    return re.search(r'<script src="(http://127\.0\.0\.1:\d+)/js\.stripe\.com/v3/"', httpx.get(f"{shop}/").text).group(1)


def payment_intent_of(shop: str, order_id: str) -> stripe.PaymentIntent:
    """The emulator's PaymentIntent for the order (its metadata names the order)."""
    client = stripe.StripeClient(TEST_SECRET_KEY, base_addresses={"api": emulator_url(shop)})
    _, key = from_global_id(order_id)
    intents = [pi for pi in client.v1.payment_intents.list({"limit": 100}).data
               if pi.metadata.to_dict().get("order_id") == key]
    assert len(intents) == 1, intents
    return intents[0]


def pick_country(tab: Page, code: str) -> None:
    tab.get_by_label("Country/region").select_option(code)
    expect(tab.get_by_label("Country/region")).to_have_value(code)


def test_a_shopper_in_germany_sees_euros_and_german_and_pays_in_euros(page, shop):
    tab, traffic = page
    tab.goto("/")
    expect(tab.get_by_role("heading", name="Products", level=1)).to_be_visible()
    picker = tab.get_by_label("Country/region")
    expect(picker.locator('option[value="DE"]')).to_have_text("Germany (EUR)")
    expect(picker.locator('option[value="JP"]')).to_have_text("Japan (JPY)")
    expect(picker.locator('option[value="US"]')).to_have_text("United States (USD)")

    # Germany: euros, the German title, the page in German.
    pick_country(tab, "DE")
    expect(tab.get_by_label("Language", exact=True)).to_have_value("DE")
    expect(tab.locator("html")).to_have_attribute("lang", "de")
    expect(tab.locator(".grid .price").first).to_contain_text("€")  # the list is drawn again in euros
    lamp_card = tab.get_by_role("listitem").filter(has=tab.get_by_role("heading", name=LAMP_DE, exact=True))
    tab.get_by_label("Search products").fill("lamp")
    tab.get_by_label("Search products").press("Enter")
    expect(lamp_card.locator(".price")).to_have_text(euros(euro_price(LAMP.slug)))
    assert euro_price(LAMP.slug) == 7699  # 83.48 USD * 0.92 = 76.80 EUR, up to the next .99

    # The price sort and filter are in euros: the cheapest first, and a range in euros.
    tab.get_by_role("link", name="Products", exact=True).click()
    expect(tab.locator("#summary")).to_have_text(f"{len(CATALOG)} products")
    tab.get_by_label("Sort by").select_option("price-asc")
    cheapest = min(CATALOG.values(), key=lambda p: (derive(IN_EUROS, min(v.price for v in p.variants)), p.title))
    expect(tab.locator(".grid .card-title").first).to_have_text(cheapest.title)
    most = euro_price("walnut-notebook")  # 11.48 USD -> 10.99 EUR
    tab.get_by_label(re.compile(r"^Max price \(EUR\)")).fill(f"{most // 100}.{most % 100:02d}")
    tab.get_by_role("button", name="Apply").click()
    within = [p for p in CATALOG.values() if min(derive(IN_EUROS, v.price) for v in p.variants) <= most]
    assert len(within) == 2
    expect(tab.locator("#summary")).to_have_text(f"{len(within)} products")
    # A new country empties the price range (its amounts were euros); yen take no decimals.
    pick_country(tab, "JP")
    expect(tab.get_by_label(re.compile(r"^Max price \(JPY\)"))).to_have_value("")
    tab.get_by_label(re.compile(r"^Max price")).fill("1500.5")
    tab.get_by_role("button", name="Apply").click()
    expect(tab.locator("#price-error")).to_have_text("Enter a whole amount: JPY has no decimals.")
    pick_country(tab, "DE")

    # The product page in euros; English on its own keeps the euros.
    tab.goto(f"/#/product/{LAMP.slug}")
    expect(tab.get_by_role("heading", name=LAMP_DE, level=1)).to_be_visible()
    expect(tab.locator(".detail-info .price")).to_have_text(euros(euro_price(LAMP.slug)))
    tab.get_by_label("Language", exact=True).select_option("EN")
    expect(tab.get_by_role("heading", name=LAMP.title, level=1)).to_be_visible()
    expect(tab.locator(".detail-info .price")).to_have_text(f"€{euro_price(LAMP.slug) / 100:.2f}")
    tab.get_by_label("Language", exact=True).select_option("DE")
    expect(tab.get_by_role("heading", name=LAMP_DE, level=1)).to_be_visible()

    # The choice survives a reload.
    tab.reload()
    expect(tab.get_by_label("Country/region")).to_have_value("DE")
    expect(tab.locator(".detail-info .price")).to_have_text(euros(euro_price(LAMP.slug)))

    # The cart is made in Germany's market: euros from the first line.
    tab.get_by_role("button", name="Add to cart").click()
    expect(tab.locator("#cart-count")).to_have_text("1")
    cart = call(shop, CART, {"id": tab.evaluate("localStorage.getItem('shopgraph.cartId')")})["cart"]
    assert cart["currencyCode"] == "EUR"
    assert cart["subtotal"] == {"currencyCode": "EUR", "minorUnits": euro_price(LAMP.slug)}
    tab.get_by_role("link", name=re.compile(r"^Cart")).click()
    expect(tab.locator(".line-total")).to_have_text(euros(euro_price(LAMP.slug)))
    expect(tab.locator("#cart-total")).to_have_text(euros(cart["total"]["minorUnits"]))
    tab.get_by_role("link", name="Check out").click()
    tab.get_by_label("Email").fill("emmy@example.com")
    fill_address(tab, BERLIN)
    total = tab.locator("#checkout-total").text_content()
    assert total.endswith("\u00a0€"), total
    enter_card(tab, PAYS)
    tab.get_by_role("button", name=f"Pay {total}").click()

    expect_paid(tab)
    order_id = re.search(r"#/order/(.+)$", tab.url).group(1)
    order = call(shop, ORDER, {"id": order_id})["order"]
    assert order["status"] == "PAID" and order["total"]["currencyCode"] == "EUR"
    assert euros(order["total"]["minorUnits"]) == total
    assert traffic.checkouts[0]["expectedTotal"] == order["total"]["amount"]
    intent = payment_intent_of(shop, order_id)
    assert intent.status == "succeeded"
    assert (intent.currency, intent.amount) == ("eur", order["total"]["minorUnits"])
    assert order["payment"]["amount"] == {"currencyCode": "EUR", "minorUnits": intent.amount}


def test_a_new_country_moves_the_cart_and_says_so(page, shop):
    tab, traffic = page
    tab.goto(f"/#/product/{LAMP.slug}")
    pick_country(tab, "US")
    expect(tab.locator(".detail-info .price")).to_have_text(f"${LAMP.price / 100:,.2f}")
    tab.get_by_role("button", name="Add to cart").click()
    expect(tab.locator("#cart-count")).to_have_text("1")
    tab.get_by_role("link", name=re.compile(r"^Cart")).click()
    expect(tab.locator("#cart-total")).to_have_text(f"${LAMP.price / 100:,.2f}")

    pick_country(tab, "DE")
    notice = tab.locator("#market-notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("EUR")  # the cart's CURRENCY_CHANGED warning, as the shop says it
    expect(tab.locator(".line-total")).to_have_text(euros(euro_price(LAMP.slug)))
    cart = call(shop, CART, {"id": tab.evaluate("localStorage.getItem('shopgraph.cartId')")})["cart"]
    assert cart["currencyCode"] == "EUR" and cart["subtotal"]["minorUnits"] == euro_price(LAMP.slug)
    expect(tab.locator("#cart-total")).to_have_text(euros(cart["total"]["minorUnits"]))

    # A shipping address in the US moves the cart back to dollars, and the picker follows it.
    tab.get_by_role("link", name="Check out").click()
    tab.get_by_label("Email").fill("sam@example.com")
    fill_address(tab)
    expect(tab.get_by_label("Country/region")).to_have_value("US")
    expect(notice).to_contain_text("USD")
    cart = call(shop, CART, {"id": tab.evaluate("localStorage.getItem('shopgraph.cartId')")})["cart"]
    assert cart["currencyCode"] == "USD" and cart["subtotal"]["minorUnits"] == LAMP.price
