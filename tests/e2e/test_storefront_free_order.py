"""An order with nothing to pay in the storefront, in a real browser against a real server in
local test mode: a shopper takes a 100 % code on an item that does not ship, is asked for no
card, and the order is placed without one (paid, its payment's provider "none"); with the code
removed the card is asked for again."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.server import running_server, server_env, shopgraph
from tests.e2e.test_storefront import (  # noqa: F401 (the module's fixtures)
    add_first_product, browser, dollars, expect_paid, go_to_checkout, shopper,
)

VIEWPORT = {"width": 1280, "height": 900}
SLUG = "gift-card-design"
PRICE = 1200
FREE = "FREEGIFT100"
PRODUCT = """mutation($input: ProductInput!) { productCreate(input: $input) { product { id } userErrors { code } } }"""
CODE = """mutation($input: DiscountCodeInput!) { discountCodeCreate(input: $input) {
  discountCode { code } userErrors { code } } }"""
ORDER = """query($id: ID!) { order(id: $id) { financialStatus total { minorUnits } shippingLine { handle }
  payment { provider status amount { minorUnits } cardLast4 } } }"""


def staff_call(base: str, key: str, query: str, variables: dict) -> dict:
    body = httpx.post(f"{base}/graphql", json={"query": query, "variables": variables},
                      headers={"Authorization": f"Bearer {key}"}).json()
    assert "errors" not in body, body
    return body["data"]


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The seeded shop, plus an item that does not ship and a code that takes 100 % off."""
    tmp = tmp_path_factory.mktemp("storefront-free")
    env = server_env(f"sqlite://{tmp / 'shop.db'}")
    shopgraph("migrate", env=env)
    shopgraph("seed", env=env)
    made = shopgraph("apikey", "create", "--name", "merchandiser", "--scope", "catalog:write", "--scope",
                     "shop:write", env=env)
    key = made.stdout.strip().splitlines()[-1]
    with running_server(env, tmp / "server.log") as base:
        product = staff_call(base, key, PRODUCT, {"input": {
            "slug": SLUG, "title": "Gift Card Design", "description": "A printable design, sent by email.",
            "variants": [{"sku": "GIFT-DESIGN", "price": f"{PRICE / 100:.2f}", "stock": 5, "requiresShipping": False}],
        }})["productCreate"]
        assert product["userErrors"] == [], product
        code = staff_call(base, key, CODE, {"input": {"code": FREE, "kind": "PERCENTAGE", "value": "100"}})
        assert code["discountCodeCreate"]["userErrors"] == [], code
        yield base


def apply_code(tab: Page, code: str) -> None:
    tab.get_by_label("Discount code", exact=True).fill(code)
    tab.get_by_role("button", name="Apply").click()
    expect(tab.get_by_role("list", name="Discount codes")).to_contain_text(f"{code} applied")


def expect_card_asked(tab: Page) -> None:
    expect(tab.get_by_role("heading", name="Payment", exact=True)).to_be_visible()
    expect(tab.get_by_label("Card number")).to_be_visible()
    expect(tab.get_by_role("status").filter(has_text="nothing to pay")).to_have_count(0)
    expect(tab.get_by_role("button", name=f"Pay {dollars(PRICE)}")).to_be_enabled()


def expect_no_card(tab: Page) -> None:
    expect(tab.locator("#checkout-total")).to_have_text(dollars(0))
    expect(tab.get_by_role("status").filter(has_text="nothing to pay")).to_have_text(
        "There is nothing to pay for this order, so no card is needed.")
    expect(tab.get_by_role("group", name="Card")).to_be_hidden()
    expect(tab.get_by_label("Card number")).to_be_hidden()
    expect(tab.get_by_text("Your card details go straight to Stripe")).to_be_hidden()
    expect(tab.get_by_role("button", name="Place order")).to_be_enabled()


def test_a_cart_with_nothing_to_pay_is_ordered_without_a_card(browser, shop):  # noqa: F811
    stripe_calls: list[str] = []
    with shopper(browser, shop, VIEWPORT) as (tab, traffic):
        tab.context.on("request", lambda request: stripe_calls.append(request.url)
                       if urlsplit(request.url).path.startswith("/v1/") else None)
        add_first_product(tab, SLUG)
        go_to_checkout(tab)
        expect(tab.get_by_role("group", name="Delivery")).to_be_hidden()  # the item does not ship
        expect_card_asked(tab)

        # The code takes everything off: no card; removed, the card is asked for again; applied, gone again.
        apply_code(tab, FREE)
        expect_no_card(tab)
        tab.get_by_role("button", name=f"Remove {FREE}").click()
        expect(tab.locator("#checkout-total")).to_have_text(dollars(PRICE))
        expect_card_asked(tab)
        apply_code(tab, FREE)
        expect_no_card(tab)

        tab.get_by_label("Email").fill("free-order@example.com")
        tab.get_by_role("button", name="Place order").click()
        expect_paid(tab)

        [sent] = traffic.checkouts
        assert "paymentToken" not in sent and "savedPaymentMethodId" not in sent, sent
        assert sent["expectedTotal"] == "0.00"
        order_id = re.search(r"#/order/(.+)$", tab.url).group(1)

    assert stripe_calls == []  # the page asked Stripe for no token
    body = httpx.post(f"{shop}/graphql", json={"query": ORDER, "variables": {"id": order_id}}).json()
    assert body["data"]["order"] == {
        "financialStatus": "PAID", "total": {"minorUnits": 0}, "shippingLine": None,
        "payment": {"provider": "none", "status": "SUCCEEDED", "amount": {"minorUnits": 0}, "cardLast4": None},
    }


def test_a_free_cart_that_ships_asks_for_a_card_until_its_delivery_is_priced(browser, shop):  # noqa: F811
    with shopper(browser, shop, VIEWPORT) as (tab, _):
        add_first_product(tab, "walnut-mug")
        go_to_checkout(tab)
        apply_code(tab, FREE)
        expect(tab.locator("#checkout-shipping")).to_have_text("Calculated from your address")
        expect(tab.locator("#checkout-total")).to_have_text(dollars(0))
        # Nothing is owed yet, but the delivery still to be chosen may cost something.
        expect(tab.get_by_label("Card number")).to_be_visible()
        expect(tab.get_by_role("status").filter(has_text="nothing to pay")).to_have_count(0)
