"""The storefront in a real browser, against a real server in local test mode.

One `shopgraph serve` (which starts localstripe and hands the page its fake
Stripe.js) serves the module (a second one, with tax-inclusive euro prices,
serves the German order); each test is a new shopper (a fresh browser
context, so an empty localStorage). The page talks to the shop only through
/graphql, puts variants (never product ids) in the cart, and card numbers only
ever go to the emulator. What the page should show is derived from the demo
catalog the server was seeded with (`demo_catalog()`), not typed in.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, Request, expect

from commerce.catalog.seed import DemoProduct, DemoVariant, demo_catalog, demo_collections
from shopgraph.settings import Settings
from shopgraph.storefront import render_index
from tests.e2e.browser import ARTIFACTS, launched_chromium
from tests.e2e.server import running_server, server_env, shopgraph
from tests.shop import US_ADDRESS

PAYS = "4242424242424242"
DECLINED = "4000000000000341"
THREE_D_SECURE = "4000002500003155"
PAGE_PATHS = re.compile(r"^/(|graphql|storefront/(js/)?[\w.-]+|images/[a-z0-9-]+\.svg)$")
TIMEOUT_MS = 15_000
CATALOG = {product.slug: product for product in demo_catalog()}
BY_TITLE = sorted(CATALOG.values(), key=lambda p: p.title)
PAGE_SIZE = 12  # the storefront's


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, seeded shop served as `make run` serves it; yields its base URL."""
    tmp = tmp_path_factory.mktemp("storefront")
    env = server_env(f"sqlite://{tmp / 'shop.db'}")
    shopgraph("migrate", env=env)
    shopgraph("seed", env=env)
    with running_server(env, tmp / "server.log") as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launched_chromium() as chromium:
        yield chromium


@dataclass
class Traffic:
    """What the page sent to our server: paths, and the GraphQL checkout calls."""

    origin: str
    paths: list[str] = field(default_factory=list)
    bodies: list[str] = field(default_factory=list)
    checkouts: list[dict] = field(default_factory=list)
    adds: list[dict] = field(default_factory=list)

    def record(self, request: Request) -> None:
        if not request.url.startswith(self.origin):
            return
        self.paths.append(urlsplit(request.url).path)
        body = request.post_data or ""
        self.bodies.append(body)
        if body and '"query"' in body:
            document = json.loads(body)
            if "checkout(input" in document["query"]:
                self.checkouts.append(document["variables"]["input"])
            if "addToCart(" in document["query"]:
                self.adds.append(document["variables"])


@pytest.fixture(scope="module")
def taxed_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A shop whose euro prices include the tax of the shopper's country."""
    tmp = tmp_path_factory.mktemp("storefront-taxed")
    env = server_env(f"sqlite://{tmp / 'shop.db'}", SHOPGRAPH_PRICES_INCLUDE_TAX="1", SHOPGRAPH_CURRENCY="EUR")
    shopgraph("migrate", env=env)
    shopgraph("seed", env=env)
    with running_server(env, tmp / "server.log") as base:
        yield base


@contextmanager
def shopper(browser: Browser, base: str, viewport: dict[str, int]) -> Iterator[tuple[Page, Traffic]]:
    """A new shopper's tab on `base`; afterwards, what the page did is checked."""
    context = browser.new_context(viewport=viewport, base_url=base)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    traffic = Traffic(base)
    tab.on("request", traffic.record)
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab, traffic
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"
    # The page uses only the public API and its own assets; card details never reach the shop.
    assert all(PAGE_PATHS.match(path) for path in traffic.paths), traffic.paths
    assert not any(number in body for body in traffic.bodies for number in (PAYS, DECLINED, THREE_D_SECURE))
    # What goes in the cart is a variant, never a product id.
    assert all(add.get("variantId") and "productId" not in add for add in traffic.adds), traffic.adds


@pytest.fixture
def page(browser: Browser, shop: str, request: pytest.FixtureRequest) -> Iterator[tuple[Page, Traffic]]:
    with shopper(browser, shop, getattr(request, "param", {"width": 1280, "height": 900})) as tab_and_traffic:
        yield tab_and_traffic


@pytest.fixture
def taxed_page(browser: Browser, taxed_shop: str) -> Iterator[tuple[Page, Traffic]]:
    with shopper(browser, taxed_shop, {"width": 1280, "height": 900}) as tab_and_traffic:
        yield tab_and_traffic


M = "{ amount minorUnits }"
ORDER = f"""query($id: ID!) {{ order(id: $id) {{ status total {M} lines {{ title variantTitle sku quantity }}
  cost {{ subtotal {M} discount {M} shipping {M} tax {M} total {M} taxesIncluded }}
  shippingLine {{ handle title }} discountApplications {{ code }} taxLines {{ title ratePercentage }}
  shippingAddress {{ countryCode provinceCode zip }} }} }}"""
COST_KEYS = ("subtotal", "discount", "shipping", "tax", "total")


def order_from_api(shop: str, page: Page) -> dict:
    order_id = re.search(r"#/order/(.+)$", page.url).group(1)
    body = httpx.post(f"{shop}/graphql", json={"query": ORDER, "variables": {"id": order_id}}).json()
    assert "errors" not in body, body
    return body["data"]["order"]


def cents(cost: dict) -> dict[str, int]:
    return {key: cost[key]["minorUnits"] for key in COST_KEYS}


def shown_costs(page: Page, prefix: str) -> dict[str, str]:
    """The amounts of the page's cost breakdown (`checkout-…` or `order-…`); a row not shown is absent."""
    return {key: page.locator(f"#{prefix}-{key}").text_content() for key in COST_KEYS
            if page.locator(f"#{prefix}-{key}").count()}


def expected_costs(cost: dict[str, int], money) -> dict[str, str]:
    """What the breakdown shows for these amounts: a discount with a minus, free shipping as Free."""
    shown = {"subtotal": money(cost["subtotal"]), "shipping": money(cost["shipping"]) if cost["shipping"] else "Free",
             "tax": money(cost["tax"]), "total": money(cost["total"])}
    if cost["discount"]:
        shown["discount"] = f"−{money(cost['discount'])}"
    return shown


def dollars(minor_units: int) -> str:
    return f"${minor_units / 100:,.2f}"


def euros(minor_units: int) -> str:
    return f"€{minor_units / 100:,.2f}"


def half_even(amount: Decimal) -> int:
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def variant(product: DemoProduct, **options: str) -> DemoVariant:
    """The demo variant of `product` with exactly these option values."""
    return next(v for v in product.variants if dict(v.options) == options)


def first_choice(product: DemoProduct) -> DemoVariant:
    """What the page chooses first: the first variant in stock."""
    return next(v for v in product.variants if v.stock > 0)


def sold_out_with(product: DemoProduct, name: str, **others: str) -> set[str]:
    """Values of option `name` that, beside `others`, name a variant out of stock (or none)."""
    values = dict(product.options)[name]
    return {value for value in values
            if not any(v.stock > 0 and dict(v.options) == {**others, name: value} for v in product.variants)}


def matching(*, collection: str | None = None, available: bool = False, tags: tuple[str, ...] = (),
             options: tuple[tuple[str, str], ...] = ()) -> list[DemoProduct]:
    """The demo products a `ProductFilter` keeps: values of one list OR, option names AND on one
    variant, `available` meaning a matching variant is in stock."""
    wanted: dict[str, set[str]] = {}
    for name, value in options:
        wanted.setdefault(name, set()).add(value)

    def keeps(product: DemoProduct) -> bool:
        fitting = [v for v in product.variants if all(dict(v.options).get(n) in vs for n, vs in wanted.items())]
        return ((collection is None or collection in product.collections)
                and (not tags or bool(set(tags) & set(product.tags)))
                and bool(fitting) and (not available or any(v.stock > 0 for v in fitting)))
    return [p for p in CATALOG.values() if keeps(p)]


def searched(word: str) -> list[DemoProduct]:
    """Demo products with a word that starts with `word` in their title, description, tags,
    SKUs or option values (what the shop's search matches for one word)."""
    def words(p: DemoProduct) -> str:
        return " ".join([p.title, p.description, *p.tags, *(v.sku for v in p.variants),
                         *(value for _, values in p.options for value in values)])
    return [p for p in CATALOG.values() if any(w.startswith(word) for w in re.findall(r"\w+", words(p).lower()))]


def products_text(count: int) -> str:
    return f"{count} product" if count == 1 else f"{count} products"


def facet(page: Page, group: str, value: str, count: int):
    """The sidebar's checkbox for `value` in `group`, whose label must show `count`."""
    return page.get_by_role("group", name=group, exact=True).get_by_role(
        "checkbox", name=f"{value} ({count})", exact=True)


def add_from_grid(page: Page, title: str) -> None:
    card = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name=title, exact=True))
    card.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("status").filter(has_text=f"Added {title}")).to_be_visible()


def add_first_product(page: Page, slug: str) -> None:
    """A new shopper's first product: the page makes a cart."""
    page.goto(f"/#/product/{slug}")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("#cart-count")).to_have_text("1")


def go_to_checkout(page: Page) -> None:
    page.get_by_role("link", name=re.compile(r"^Cart")).click()
    page.get_by_role("link", name="Check out").click()
    expect(page.get_by_role("heading", name="Checkout", level=1)).to_be_visible()


def fill_address(page: Page, address: dict[str, str] = US_ADDRESS) -> None:
    """The shipping address, field by field as a shopper types it; leaving the last field sends it, and
    the page then chooses the cheapest delivery option."""
    page.get_by_label("Country", exact=True).select_option(address["countryCode"])
    for label, key in (("First name", "firstName"), ("Last name", "lastName"), ("Street address", "address1"),
                       ("City", "city")):
        page.get_by_label(label, exact=True).fill(address.get(key, ""))
    if address.get("provinceCode"):
        page.get_by_label(re.compile(r"^State or province")).select_option(address["provinceCode"])
    page.get_by_label(re.compile(r"^Postal code")).fill(address["zip"])
    page.get_by_label(re.compile(r"^Postal code")).press("Tab")
    expect(delivery_choices(page).and_(page.locator(":checked"))).to_have_count(1)


def delivery_choices(page: Page):
    return page.get_by_role("group", name="Delivery").get_by_role("radio")


def enter_card(page: Page, number: str) -> None:
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry month").fill("12")
    page.get_by_label("Expiry year").fill("31")
    page.get_by_label("Security code").fill("123")
    page.get_by_label("Postcode").fill("10001")


def expect_paid(page: Page) -> None:
    expect(page.get_by_role("heading", name="Thank you for your order")).to_be_visible()
    expect(page.locator("#order-status")).to_have_attribute("data-status", "PAID")
    expect(page.locator("#order-status")).to_have_text("Paid")


def test_a_shopper_buys_two_products_with_a_card_that_pays(page, shop):
    tab, traffic = page
    tab.goto("/")
    expect(tab.get_by_role("heading", name="Products", level=1)).to_be_visible()
    expect(tab.get_by_text(products_text(len(CATALOG)), exact=True)).to_be_visible()

    # Page through the catalog (by title, 12 a page), then search it.
    tab.get_by_role("link", name="Next page").click()
    expect(tab.get_by_role("heading", name=BY_TITLE[PAGE_SIZE].title, exact=True)).to_be_visible()
    tab.get_by_role("link", name="Previous page").click()
    expect(tab.get_by_role("heading", name=BY_TITLE[0].title, exact=True)).to_be_visible()
    tab.get_by_label("Search products").fill("mug")
    tab.get_by_label("Search products").press("Enter")
    expect(tab.get_by_role("heading", name="Results for “mug”")).to_be_visible()
    expect(tab.get_by_text(products_text(len(searched("mug"))), exact=True)).to_be_visible()
    add_from_grid(tab, "Walnut Mug")

    # Product detail: a single-variant product has no option pickers; three of a lamp.
    tab.get_by_label("Search products").fill("lamp")
    tab.get_by_role("button", name="Search").click()
    tab.get_by_role("link", name="Oak Lamp", exact=True).click()
    expect(tab.get_by_role("heading", name="Oak Lamp", level=1)).to_be_visible()
    expect(tab.get_by_role("combobox")).to_have_count(0)
    tab.get_by_label("Quantity").fill("3")
    tab.get_by_role("button", name="Add to cart").click()
    expect(tab.locator("#cart-count")).to_have_text("4")

    # The cart survives a reload; a quantity changes in the cart.
    tab.reload()
    expect(tab.locator("#cart-count")).to_have_text("4")
    tab.get_by_role("link", name=re.compile(r"^Cart")).click()
    quantity = tab.get_by_label("Qty of Oak Lamp")
    quantity.fill("2")
    quantity.press("Enter")
    expect(tab.locator("#cart-count")).to_have_text("3")
    expected = CATALOG["walnut-mug"].price + 2 * CATALOG["oak-lamp"].price
    expect(tab.locator("#cart-total")).to_have_text(dollars(expected))

    tab.get_by_role("link", name="Check out").click()
    expect(tab.get_by_role("button", name=f"Pay {dollars(expected)}")).to_be_visible()
    tab.get_by_label("Email").fill("ada@example.com")
    fill_address(tab)  # San Francisco: California sales tax; over $75, free standard shipping
    expect(tab.locator("#checkout-tax")).not_to_have_text(re.compile("address"))
    at_checkout = shown_costs(tab, "checkout")
    enter_card(tab, PAYS)
    tab.get_by_label("Postcode").press("Enter")  # the keyboard submits the form

    expect_paid(tab)
    expect(tab.get_by_role("cell", name="Walnut Mug")).to_be_visible()
    expect(tab.get_by_role("cell", name="Oak Lamp")).to_be_visible()
    expect(tab.get_by_text("ending in 4242")).to_be_visible()
    expect(tab.locator("#cart-count")).to_have_text("0")  # the cart became the order
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / "storefront-confirmation.png"), full_page=True)

    order = order_from_api(shop, tab)
    assert order["status"] == "PAID"
    charged = cents(order["cost"])
    assert charged["subtotal"] == expected and charged["shipping"] == 0 and charged["tax"] > 0
    assert at_checkout == shown_costs(tab, "order") == expected_costs(charged, dollars)
    assert traffic.checkouts[0]["expectedTotal"] == order["cost"]["total"]["amount"]
    assert sorted((line["title"], line["variantTitle"], line["quantity"]) for line in order["lines"]) == [
        ("Oak Lamp", "Default", 2), ("Walnut Mug", "Default", 1)]
    assert len(traffic.checkouts) == 1
    assert len(traffic.adds) == 2


def test_a_declined_card_is_shown_and_the_shopper_pays_with_another(page, shop):
    tab, traffic = page
    add_first_product(tab, "linen-tote")
    go_to_checkout(tab)
    tab.get_by_label("Email").fill("grace@example.com")
    fill_address(tab)
    enter_card(tab, DECLINED)
    tab.get_by_role("button", name=re.compile(r"^Pay ")).click()

    card_error = tab.locator("#card-error")
    expect(card_error).to_contain_text("declined")
    expect(card_error).to_contain_text("another card")
    expect(tab.get_by_role("group", name="Card")).to_have_attribute("aria-describedby", re.compile("card-error"))
    expect(tab.get_by_role("heading", name="Checkout", level=1)).to_be_visible()  # still here, cart intact
    expect(tab.locator("#cart-count")).to_have_text("1")

    tab.get_by_label("Card number").fill(PAYS)
    tab.get_by_role("button", name=re.compile(r"^Pay ")).click()
    expect_paid(tab)
    assert order_from_api(shop, tab)["status"] == "PAID"

    first, second = traffic.checkouts
    assert first["idempotencyKey"] != second["idempotencyKey"]
    assert first["paymentToken"] != second["paymentToken"]
    assert first["cartId"] == second["cartId"]


@pytest.mark.parametrize("page", [{"width": 390, "height": 844}], indirect=True, ids=["phone"])
def test_3d_secure_is_completed_in_the_emulators_dialog_on_a_phone(page, shop):
    tab, traffic = page
    add_first_product(tab, "ceramic-mug")
    go_to_checkout(tab)
    tab.get_by_label("Email").fill("katherine@example.com")
    fill_address(tab)
    enter_card(tab, THREE_D_SECURE)
    tab.get_by_role("button", name=re.compile(r"^Pay ")).click()

    tab.get_by_role("button", name="Complete authentication").click()
    expect_paid(tab)
    assert order_from_api(shop, tab)["status"] == "PAID"
    assert len(traffic.checkouts) == 1
    # Nothing sticks out sideways on a phone.
    assert tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_shopper_chooses_a_size_and_colour_and_buys_that_variant(page, shop):
    tab, traffic = page
    tee = CATALOG["classic-tee"]
    start = first_choice(tee)
    xl, chosen = variant(tee, Size="XL", Color=dict(start.options)["Color"]), variant(tee, Size="M", Color="Navy")
    assert xl.price != start.price and chosen.stock >= 2  # the demo catalog makes this test mean something

    tab.goto("/#/product/classic-tee")
    expect(tab.get_by_role("heading", name="Classic Tee", level=1)).to_be_visible()
    size, colour = tab.get_by_label("Size"), tab.get_by_label("Color")
    price, image = tab.locator(".detail-info .price"), tab.locator(".detail-grid img")

    def expect_choice(shown: DemoVariant) -> None:
        options = dict(shown.options)
        expect(size).to_have_value(options["Size"])
        expect(colour).to_have_value(options["Color"])
        expect(price).to_contain_text(dollars(shown.price))
        expect(image).to_have_attribute("src", f"/images/{shown.image_slug}.svg")
        # A colour that is sold out beside the chosen size cannot be chosen, and the other way round.
        for name, select, others in (("Color", colour, {"Size": options["Size"]}),
                                     ("Size", size, {"Color": options["Color"]})):
            closed = sold_out_with(tee, name, **others) - {options[name]}
            for value in dict(tee.options)[name]:
                item = select.locator(f'option[value="{value}"]')
                if value in closed:
                    expect(item).to_be_disabled()
                else:
                    expect(item).to_be_enabled()

    assert sold_out_with(tee, "Color", Size=dict(start.options)["Size"])  # something starts disabled
    expect_choice(start)
    size.select_option("XL")
    expect_choice(xl)
    size.select_option("M")
    colour.select_option("Navy")
    expect_choice(chosen)
    size.select_option("L")  # beside L other colours are sold out
    expect_choice(variant(tee, Size="L", Color="Navy"))
    assert sold_out_with(tee, "Color", Size="L") != sold_out_with(tee, "Color", Size="M")
    size.select_option("M")
    expect_choice(chosen)

    tab.get_by_label("Quantity").fill("2")
    add = tab.get_by_role("button", name="Classic Tee, M / Navy")  # names the variant for screen readers
    expect(add).to_contain_text("Add to cart")
    add.click()
    expect(tab.locator("#cart-count")).to_have_text("2")
    tab.get_by_role("link", name=re.compile(r"^Cart")).click()
    expect(tab.get_by_label("Qty of Classic Tee, M / Navy")).to_have_value("2")
    expect(tab.locator("#cart-total")).to_have_text(dollars(2 * chosen.price))
    tab.get_by_role("link", name="Check out").click()
    expect(tab.get_by_text("2 × Classic Tee, M / Navy")).to_be_visible()
    tab.get_by_label("Email").fill("mary@example.com")
    fill_address(tab)
    enter_card(tab, PAYS)
    tab.get_by_role("button", name=re.compile(r"^Pay ")).click()

    expect_paid(tab)
    expect(tab.get_by_role("cell", name="Classic Tee M / Navy")).to_be_visible()
    order = order_from_api(shop, tab)
    assert order["cost"]["subtotal"]["minorUnits"] == 2 * chosen.price
    assert shown_costs(tab, "order") == expected_costs(cents(order["cost"]), dollars)
    assert order["lines"] == [{"title": "Classic Tee", "variantTitle": "M / Navy", "sku": chosen.sku, "quantity": 2}]
    assert [add["quantity"] for add in traffic.adds] == [2]


TEXAS = {"firstName": "Grace", "lastName": "Hopper", "address1": "1 Congress Ave", "city": "Austin",
         "provinceCode": "TX", "zip": "78701", "countryCode": "US"}
BERLIN = {"firstName": "Emmy", "lastName": "Noether", "address1": "Unter den Linden 6", "city": "Berlin",
          "zip": "10117", "countryCode": "DE"}
FREE_FROM = 7500  # the demo US zone's free standard shipping, on the subtotal after discounts
CHOOSE = "mutation($c: ID!, $h: String!) { cartSelectedDeliveryOptionUpdate(cartId: $c, handle: $h) { userErrors { code } } }"


def buy_quantity(page: Page, slug: str, quantity: int) -> None:
    page.goto(f"/#/product/{slug}")
    page.get_by_label("Quantity").fill(str(quantity))
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("#cart-count")).to_have_text(str(quantity))


def test_a_us_order_with_state_tax_free_shipping_and_welcome10_shows_what_the_api_charges(page, shop):
    tab, traffic = page
    lamp = CATALOG["wool-lamp"]
    quantity = math.ceil(FREE_FROM / 0.9 / lamp.price)  # still over the threshold after 10% off
    assert quantity <= lamp.variants[0].stock
    subtotal = quantity * lamp.price
    buy_quantity(tab, lamp.slug, quantity)
    go_to_checkout(tab)
    expect(tab.locator("#checkout-tax")).to_have_text("Calculated from your address")
    tab.get_by_label("Email").fill("grace@example.com")

    # Texas: the country's states to choose from; the cheapest option over $75 is free.
    tab.get_by_label("Country", exact=True).select_option("US")
    province = tab.get_by_label(re.compile(r"^State or province"))
    expect(province.locator("option")).to_have_count(58)  # "Choose…", 50 states, DC, 6 outlying areas
    expect(province.locator('option[value="TX"]')).to_have_text("Texas")
    fill_address(tab, TEXAS)
    free = tab.get_by_role("radio", name=re.compile(r"^Free standard"))
    expect(free).to_be_checked()
    expect(tab.get_by_role("radio", name=re.compile(r"^Standard"))).to_have_count(0)  # only under $75
    expect(tab.locator("#checkout-shipping")).to_have_text("Free")
    expect(tab.locator("#checkout-costs")).to_contain_text("Texas sales tax 6.25%")

    # Express costs, and Texas taxes shipping; back to free.
    tab.get_by_role("radio", name=re.compile(r"^Express")).check()
    expect(tab.locator("#checkout-shipping")).to_have_text("$19.00")
    expect(tab.locator("#checkout-tax")).to_have_text(dollars(half_even(Decimal(subtotal + 1900) * Decimal("0.0625"))))
    free.check()
    expect(tab.locator("#checkout-shipping")).to_have_text("Free")

    # A code that does not exist is listed as not applicable; WELCOME10 takes 10% off.
    code = tab.get_by_label("Discount code", exact=True)
    code.fill("NOTACODE")
    code.press("Enter")
    expect(tab.get_by_role("list", name="Discount codes")).to_contain_text("NOTACODE cannot be used on this order")
    expect(tab.locator("#checkout-discount")).to_have_count(0)
    code.fill("welcome10")
    tab.get_by_role("button", name="Apply").click()
    expect(tab.get_by_role("list", name="Discount codes")).to_contain_text("WELCOME10 applied")
    discount = half_even(Decimal(subtotal) / 10)
    expect(tab.locator("#checkout-discount")).to_have_text(f"−{dollars(discount)}")
    tax = half_even(Decimal(subtotal - discount) * Decimal("0.0625"))
    expect(tab.locator("#checkout-tax")).to_have_text(dollars(tax))
    expect(free).to_be_checked()  # still over $75 after the discount
    total = subtotal - discount + tax
    expect(tab.locator("#checkout-total")).to_have_text(dollars(total))
    expect(tab.get_by_role("button", name=f"Pay {dollars(total)}")).to_be_visible()

    # The cart changes behind the page (another tab picks express): nothing is charged, the new total shows.
    cart_id = tab.evaluate("localStorage.getItem('shopgraph.cartId')")
    changed = httpx.post(f"{shop}/graphql", json={"query": CHOOSE, "variables": {"c": cart_id, "h": "express"}}).json()
    assert changed["data"]["cartSelectedDeliveryOptionUpdate"]["userErrors"] == []
    enter_card(tab, PAYS)
    tab.get_by_role("button", name=re.compile(r"^Pay ")).click()
    notice = tab.locator("#form-error")
    expect(notice).to_contain_text(f"The total changed from {dollars(total)} to")
    expect(notice).to_contain_text("nothing was charged")
    expect(tab.locator("#checkout-shipping")).to_have_text("$19.00")
    expect(tab.get_by_role("radio", name=re.compile(r"^Express"))).to_be_checked()
    assert traffic.checkouts[0]["expectedTotal"] == f"{total / 100:.2f}"
    free.check()  # the shopper goes back to free shipping and pays what is shown
    expect(tab.locator("#checkout-total")).to_have_text(dollars(total))
    at_checkout = shown_costs(tab, "checkout")
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / "storefront-checkout.png"), full_page=True)
    tab.get_by_role("button", name=f"Pay {dollars(total)}").click()

    expect_paid(tab)
    order = order_from_api(shop, tab)
    charged = cents(order["cost"])
    assert charged == {"subtotal": subtotal, "discount": discount, "shipping": 0, "tax": tax, "total": total}
    assert order["shippingLine"]["handle"] == "free-standard"
    assert order["discountApplications"] == [{"code": "WELCOME10"}]
    assert order["taxLines"] == [{"title": "Texas sales tax", "ratePercentage": "6.25"}]
    assert order["shippingAddress"] == {"countryCode": "US", "provinceCode": "TX", "zip": "78701"}
    assert at_checkout == shown_costs(tab, "order") == expected_costs(charged, dollars)
    expect(tab.locator("#order-address")).to_have_text(re.compile(r"^Grace Hopper\s*1 Congress Ave\s*AUSTIN, TX 78701"))
    assert len(traffic.checkouts) == 2


def test_a_german_order_with_tax_included_in_prices_shows_the_included_tax(taxed_page, taxed_shop):
    tab, traffic = taxed_page
    mug = CATALOG["copper-mug"]
    buy_quantity(tab, mug.slug, 3)
    go_to_checkout(tab)
    tab.get_by_label("Email").fill("emmy@example.com")
    tab.get_by_label("Country", exact=True).select_option("DE")
    expect(tab.get_by_label(re.compile(r"^State or province"))).to_have_accessible_name("State or province (optional)")
    fill_address(tab, BERLIN)
    expect(tab.get_by_role("radio", name=re.compile(r"^Standard"))).to_be_checked()
    # Prices hold German VAT (19%, shipping too): the total is what the prices add up to.
    subtotal, shipping = 3 * mug.price, 1400
    tax = half_even(Decimal(subtotal) * 19 / 119) + half_even(Decimal(shipping) * 19 / 119)
    expect(tab.locator("#checkout-costs")).to_contain_text("Including tax")
    expect(tab.locator("#checkout-costs")).to_contain_text("MwSt. 19%")
    expect(tab.locator("#checkout-tax")).to_have_text(euros(tax))
    expect(tab.locator("#checkout-total")).to_have_text(euros(subtotal + shipping))
    at_checkout = shown_costs(tab, "checkout")
    enter_card(tab, PAYS)
    tab.get_by_role("button", name=f"Pay {euros(subtotal + shipping)}").click()

    expect_paid(tab)
    order = order_from_api(taxed_shop, tab)
    charged = cents(order["cost"])
    assert order["cost"]["taxesIncluded"] is True
    assert charged == {"subtotal": subtotal, "discount": 0, "shipping": shipping, "tax": tax,
                       "total": subtotal + shipping}
    assert at_checkout == shown_costs(tab, "order") == expected_costs(charged, euros)
    expect(tab.locator(".order-lines tfoot")).to_contain_text("Including tax")
    assert traffic.checkouts[0]["expectedTotal"] == order["cost"]["total"]["amount"]


def test_collections_and_the_filter_sidebar_narrow_the_list(page, shop):
    tab, traffic = page
    tab.goto("/")
    tab.get_by_role("link", name="Collections", exact=True).click()
    expect(tab.get_by_role("heading", name="Collections", level=1)).to_be_visible()
    for collection in demo_collections():
        card = tab.get_by_role("listitem").filter(has=tab.get_by_role("heading", name=collection.title, exact=True))
        expect(card).to_contain_text(products_text(len(matching(collection=collection.slug))))

    # All products: in stock, then also tagged "gift"; each count is what the catalog holds.
    tab.get_by_role("link", name="Products", exact=True).click()
    in_stock = facet(tab, "Availability", "In stock", len(matching(available=True)))
    in_stock.check()
    expect(tab.get_by_text(products_text(len(matching(available=True))), exact=True)).to_be_visible()
    expect(in_stock).to_be_focused()  # the new page gives focus back to the box that changed
    gift = facet(tab, "Tags", "gift", len(matching(available=True, tags=("gift",))))
    gift.check()
    expected = matching(available=True, tags=("gift",))
    expect(tab.get_by_text(products_text(len(expected)), exact=True)).to_be_visible()
    expect(tab.locator(".grid .card-title")).to_have_text(sorted(p.title for p in expected)[:PAGE_SIZE])

    # A collection, narrowed by two options of one variant in stock.
    tab.get_by_role("link", name="Collections", exact=True).click()
    tab.get_by_role("link", name="Apparel", exact=True).click()
    expect(tab.get_by_role("heading", name="Apparel", level=1)).to_be_visible()
    expect(tab.get_by_text(products_text(len(matching(collection="apparel"))), exact=True)).to_be_visible()
    facet(tab, "Size", "S", len(matching(collection="apparel", options=(("Size", "S"),)))).check()
    wanted = (("Size", "S"), ("Color", "Olive"))
    facet(tab, "Color", "Olive", len(matching(collection="apparel", options=wanted))).check()
    expect(tab).to_have_url(re.compile(r"option=Size%3AS&option=Color%3AOlive$"))  # both, in the URL
    facet(tab, "Availability", "In stock", len(matching(collection="apparel", available=True, options=wanted))).check()
    expected = matching(collection="apparel", available=True, options=wanted)
    assert 0 < len(expected) < len(matching(collection="apparel", options=wanted))  # some S / Olive are sold out
    expect(tab.locator(".grid .card-title")).to_have_text(sorted(p.title for p in expected))

    # A card has the pickers too; what it adds is the variant chosen on it.
    product = expected[0]
    card = tab.get_by_role("listitem").filter(has=tab.get_by_role("heading", name=product.title, exact=True))
    target = next(v for v in product.variants if v.stock > 0 and v != first_choice(product))
    for name, value in target.options:
        card.get_by_label(name).select_option(value)
    expect(card.locator(".price")).to_contain_text(dollars(target.price))
    title = " / ".join(value for _, value in target.options)
    card.get_by_role("button", name="Add to cart").click()
    expect(tab.get_by_role("status").filter(has_text=f"Added {product.title}, {title}")).to_be_visible()
    tab.get_by_role("link", name="Clear filters").click()
    expect(tab.get_by_text(products_text(len(matching(collection="apparel"))), exact=True)).to_be_visible()

    tab.get_by_role("link", name=re.compile(r"^Cart")).click()
    expect(tab.get_by_label(f"Qty of {product.title}, {title}")).to_have_value("1")
    assert len(traffic.adds) == 1


def test_the_page_and_its_assets_are_served_beside_the_api(shop):
    page = httpx.get(f"{shop}/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script src="http://127.0.0.1:' in page.text and '/js.stripe.com/v3/"></script>' in page.text
    assert '"stripePublishableKey": "pk_test_shopgraph"' in page.text
    for asset, media_type in [("js/main.js", "javascript"), ("js/checkout.js", "javascript"), ("styles.css", "text/css")]:
        response = httpx.get(f"{shop}/storefront/{asset}")
        assert response.status_code == 200 and media_type in response.headers["content-type"]
    assert httpx.get(f"{shop}/storefront/nothing.js").status_code == 404
    assert httpx.get(f"{shop}/healthz").json()["status"] == "ok"
    assert httpx.get(f"{shop}/images/oak-lamp.svg").headers["content-type"].startswith("image/svg")
    assert "data" in httpx.post(f"{shop}/graphql", json={"query": "{ products(first: 1) { totalCount } }"}).json()


def test_the_config_put_into_the_page_is_escaped():
    hostile = Settings(stripe_publishable_key='pk_test_</script><script>alert(1)</script>',
                       stripe_js_url='https://js.example/v3/"><script>alert(2)</script>')
    html = render_index("<head><!-- shopgraph:config --></head>", hostile)
    assert "</script><script>" not in html and "alert(1)</script>" not in html
    assert '<script src="https://js.example/v3/&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;"></script>' in html
    config = re.search(r'id="shopgraph-config">(.*?)</script>', html).group(1)
    assert json.loads(config)["stripePublishableKey"] == hostile.stripe_publishable_key
    # Only http(s) URLs become a script tag; without a key there is no Stripe.js at all.
    assert "<script src" not in render_index("<!-- shopgraph:config -->", Settings(stripe_js_url="javascript:alert(3)"))
    assert "<script src" not in render_index("<!-- shopgraph:config -->", Settings(stripe_publishable_key=""))
