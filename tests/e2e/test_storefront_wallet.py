"""The buyer's wallet in the storefront, in a real browser against a real server in local
test mode: a buyer makes an account, pays with a typed address and card and keeps both;
next time, on another device, they sign in and pay without typing an address or a card."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.e2e.test_storefront import (  # noqa: F401 (the module's fixtures)
    PAYS, add_first_product, browser, enter_card, expect_paid, fill_address, go_to_checkout, shop, shopper,
)

VIEWPORT = {"width": 1280, "height": 900}
PASSWORD = "correct horse battery"


def sign_in(tab: Page, email: str, *, register: bool = False) -> None:
    tab.goto("/#/account")
    tab.get_by_label("Email").fill(email)
    tab.get_by_label(re.compile(r"^Password")).fill(PASSWORD)
    tab.get_by_role("button", name="Create an account" if register else "Sign in").click()
    expect(tab.locator("#signed-in-as")).to_contain_text(email)


def test_a_returning_buyer_pays_without_typing_an_address_or_a_card(browser, shop):  # noqa: F811
    email = f"returning-{uuid.uuid4().hex[:8]}@example.com"

    # First visit: a new account; the address and the card are typed once, and kept.
    with shopper(browser, shop, VIEWPORT) as (tab, traffic):
        sign_in(tab, email, register=True)
        add_first_product(tab, "walnut-mug")
        go_to_checkout(tab)
        expect(tab.get_by_label("Email")).to_have_value(email)
        fill_address(tab)
        tab.get_by_label("Save this address for next time").check()
        enter_card(tab, PAYS)
        tab.get_by_label("Save this card for next time").check()
        tab.get_by_role("button", name=re.compile(r"^Pay ")).click()
        expect_paid(tab)
        [first] = traffic.checkouts
        assert first.get("savedPaymentMethodId") and "paymentToken" not in first  # saved, then paid with

        tab.get_by_role("link", name="Account").click()
        expect(tab.locator("#saved-cards")).to_contain_text("Visa •••• 4242")
        expect(tab.locator("#saved-addresses")).to_contain_text("1 Market St")
        expect(tab.locator("#saved-addresses")).to_contain_text("(default)")

    # Next visit, another browser: sign in, add, pay. Nothing is typed but the password.
    with shopper(browser, shop, VIEWPORT) as (tab, traffic):
        sign_in(tab, email)
        add_first_product(tab, "oak-lamp")
        go_to_checkout(tab)
        expect(tab.get_by_label("Street address", exact=True)).to_have_value("1 Market St")
        expect(tab.get_by_role("group", name="Delivery").get_by_role("radio").and_(tab.locator(":checked"))) \
            .to_have_count(1)
        expect(tab.get_by_role("radio", name=re.compile(r"^Visa •••• 4242"))).to_be_checked()
        expect(tab.get_by_label("Card number")).to_be_hidden()
        tab.get_by_role("button", name=re.compile(r"^Pay ")).click()

        expect_paid(tab)
        expect(tab.get_by_text("ending in 4242")).to_be_visible()
        [second] = traffic.checkouts
        assert second["savedPaymentMethodId"] == first["savedPaymentMethodId"] and "paymentToken" not in second
        assert not any("cartShippingAddressUpdate" in body for body in traffic.bodies)  # the cart came with it
