"""Every root field and mutation that takes an id, sent hostile ids as an attacker would: digits of
other scripts, numbers beyond the column, signs, empty keys, other types, not base64, 100 KB. A query
answers null, a mutation NOT_FOUND in `userErrors`, a filter or a connection BAD_USER_INPUT: never
INTERNAL_SERVER_ERROR, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from graph.core.ids import to_global_id as g
from models import Collection
from tests.graph.accounts.test_accounts import api_key, as_
from tests.shop import make_product

FAKE_ORDER = g("Order", "0" * 32)
HOSTILE: dict[str, Callable[[str], str]] = {
    "superscript digit": lambda t: g(t, "²"),
    "Arabic-Indic digits": lambda t: g(t, "١٢"),
    "fullwidth digit": lambda t: g(t, "１"),
    "twenty nines": lambda t: g(t, "9" * 20),
    "int32 + 1": lambda t: g(t, 2**31),
    "int64 + 1": lambda t: g(t, 2**63),
    "negative": lambda t: g(t, -1),
    "plus sign": lambda t: g(t, "+1"),
    "leading space": lambda t: g(t, " 1"),
    "NUL": lambda t: g(t, "1\x00"),
    "empty key": lambda t: g(t, ""),
    "32 superscripts": lambda t: g(t, "²" * 32),
    "32 upper-case hex": lambda t: g(t, "A" * 32),
    "other type": lambda t: g("Nope", 1),
    "not base64": lambda t: "%%not base64%%",
    "empty": lambda t: "",
    "60 KB": lambda t: "QQ" * 30_000,
    "100 KB": lambda t: "QQ" * 50_000,
}

ADDRESS = {"firstName": "A", "lastName": "B", "address1": "1 Main St", "city": "Town", "zip": "10001",
           "countryCode": "US", "provinceCode": "NY"}


def cases(cart: str, line: str, variant: str, collection: str) -> list[tuple[str, str, Callable[[str], dict], str]]:
    """(root field, document with $id, variables of a hostile id, type the id should have)."""
    m = lambda field, args: "mutation($id: ID!) { %s(%s) { userErrors { code field } } }" % (field, args)  # noqa: E731
    q = lambda field, args: "query($id: ID!) { %s(%s) { __typename } }" % (field, args)  # noqa: E731
    v = lambda bad: {"id": bad}  # noqa: E731
    return [
        ("node", q("node", "id: $id"), v, "Product"),
        ("product", q("product", "id: $id"), v, "Product"),
        ("collection", q("collection", "id: $id"), v, "Collection"),
        ("cart", q("cart", "id: $id"), v, "Cart"),
        ("order", q("order", "id: $id"), v, "Order"),
        ("products", "query($id: ID!) { products(first: 1, filters: {collection: $id}) { totalCount } }", v, "Collection"),
        ("webhookDeliveries", "query($id: ID!) { webhookDeliveries(subscriptionId: $id) { nodes { id } } }", v,
         "WebhookSubscription"),
        ("addToCart", m("addToCart", "variantId: $id"), v, "ProductVariant"),
        ("addToCart", m("addToCart", "productId: $id"), v, "Product"),
        ("addToCart", m("addToCart", f'cartId: $id, variantId: "{variant}"'), v, "Cart"),
        ("updateCartLine", m("updateCartLine", f'cartId: $id, lineId: "{line}", quantity: 2'), v, "Cart"),
        ("updateCartLine", m("updateCartLine", f'cartId: "{cart}", lineId: $id, quantity: 2'), v, "CartLine"),
        ("removeFromCart", m("removeFromCart", f'cartId: "{cart}", lineId: $id'), v, "CartLine"),
        ("cartBuyerIdentityUpdate", m("cartBuyerIdentityUpdate", 'cartId: $id, email: "a@example.com"'), v, "Cart"),
        ("cartShippingAddressUpdate", "mutation($id: ID!, $a: MailingAddressInput!) { cartShippingAddressUpdate("
         "cartId: $id, address: $a) { userErrors { code field } } }", lambda bad: {"id": bad, "a": ADDRESS}, "Cart"),
        ("cartSelectedDeliveryOptionUpdate", m("cartSelectedDeliveryOptionUpdate", 'cartId: $id, handle: "x"'), v, "Cart"),
        ("cartDiscountCodesUpdate", m("cartDiscountCodesUpdate", "cartId: $id, codes: []"), v, "Cart"),
        ("checkout", m("checkout", 'input: {cartId: $id, paymentToken: "pm_card_visa", email: "a@example.com"}'), v,
         "Cart"),
        ("checkoutConfirm", m("checkoutConfirm", "orderId: $id"), v, "Order"),
        ("productUpdate", m("productUpdate", 'id: $id, input: {title: "x"}'), v, "Product"),
        ("productDelete", m("productDelete", "id: $id"), v, "Product"),
        ("orderMarkFulfilled", m("orderMarkFulfilled", "orderId: $id"), v, "Order"),
        ("productVariantCreate", m("productVariantCreate", 'productId: $id, input: {price: "1.00"}'), v, "Product"),
        ("productVariantUpdate", m("productVariantUpdate", 'id: $id, input: {price: "1.00"}'), v, "ProductVariant"),
        ("productVariantDelete", m("productVariantDelete", "id: $id"), v, "ProductVariant"),
        ("inventoryAdjust", m("inventoryAdjust", "variantId: $id, delta: 1"), v, "ProductVariant"),
        ("collectionUpdate", m("collectionUpdate", 'id: $id, input: {title: "x"}'), v, "Collection"),
        ("collectionDelete", m("collectionDelete", "id: $id"), v, "Collection"),
        ("collectionAddProducts", m("collectionAddProducts", "collectionId: $id, productIds: []"), v, "Collection"),
        ("collectionAddProducts", m("collectionAddProducts", f'collectionId: "{collection}", productIds: [$id]'), v,
         "Product"),
        ("collectionRemoveProducts", m("collectionRemoveProducts", f'collectionId: "{collection}", productIds: [$id]'),
         v, "Product"),
        ("refundOrder", m("refundOrder", 'orderId: $id, amount: "1.00"'), v, "Order"),
        ("cancelOrder", m("cancelOrder", "orderId: $id"), v, "Order"),
        ("orderCapture", m("orderCapture", 'orderId: $id, idempotencyKey: "k"'), v, "Order"),
        ("fulfillmentCreate", m("fulfillmentCreate", "orderId: $id"), v, "Order"),
        ("fulfillmentCreate", m("fulfillmentCreate", f'orderId: "{FAKE_ORDER}", lines: [{{orderLineId: $id, quantity: 1}}]'),
         v, "OrderLine"),
        ("shippingZoneUpdate", m("shippingZoneUpdate", 'id: $id, input: {name: "x"}'), v, "ShippingZone"),
        ("shippingZoneDelete", m("shippingZoneDelete", "id: $id"), v, "ShippingZone"),
        ("discountCodeCreate", m("discountCodeCreate", 'input: {code: "IDTEST", kind: PERCENTAGE, value: "5", '
                                                       "collectionIds: [$id]}"), v, "Collection"),
        ("webhookSubscriptionDelete", m("webhookSubscriptionDelete", "id: $id"), v, "WebhookSubscription"),
        ("webhookRedeliver", m("webhookRedeliver", "deliveryId: $id"), v, "WebhookDelivery"),
        ("webhookSubscriptionUpdate", m("webhookSubscriptionUpdate", "id: $id, status: ACTIVE"), v,
         "WebhookSubscription"),
        ("apiKeyRevoke", m("apiKeyRevoke", "id: $id"), v, "ApiKey"),
    ]


@pytest.fixture(scope="module")
async def real(http, database):
    """A cart with a line, a variant and a collection that exist, for the arguments that are not under attack."""
    from tests.conftest import GraphQLClient

    product = await make_product(500, 10)
    variant = g("ProductVariant", (await product.variants.all())[0].id)
    added = (await GraphQLClient(http).data(
        'mutation($v: ID!) { addToCart(variantId: $v) { cart { id lines { id } } userErrors { code } } }',
        {"v": variant}))["addToCart"]
    collection = await Collection.create(slug="hostile-ids", title="Hostile ids")
    return added["cart"]["id"], added["cart"]["lines"][0]["id"], variant, g("Collection", collection.id)


@pytest.fixture
async def staff(gql):
    return as_(gql, await api_key("catalog:write", "orders:read", "orders:write", "shop:write", "webhooks:write",
                                "keys:write"))


def _answer_is_typed(field: str, response, kind: str) -> str | None:
    """None when the answer is what the contract says for an unknown id; else what is wrong."""
    if response.status_code == 413:
        return None if response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE" else response.text
    body = response.json()
    codes = [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]
    if kind == "Query" and field not in ("products", "webhookDeliveries"):
        return None if body == {"data": {field: None}} else response.text
    if kind == "Query":
        return None if codes == ["BAD_USER_INPUT"] else response.text
    errors = (body.get("data") or {}).get(field, {}) or {}
    user_codes = [e["code"] for e in errors.get("userErrors", [])]
    return None if not codes and user_codes == ["NOT_FOUND"] else response.text


@pytest.mark.parametrize("hostile", list(HOSTILE), ids=lambda name: name.replace(" ", "-"))
async def test_every_id_argument_answers_a_hostile_id_as_unknown(staff, real, database, hostile):
    wrong = []
    for field, document, variables, type_name in cases(*real):
        response = await staff.post(document, variables(HOSTILE[hostile](type_name)))
        kind = "Query" if document.startswith("query") else "Mutation"
        problem = _answer_is_typed(field, response, kind)
        if problem is not None:
            wrong.append((field, problem[:300]))
    assert wrong == []


async def test_a_hostile_cursor_is_bad_user_input(staff, database):
    lists = ["products(first: 1, after: $c) { totalCount }", "collections(first: 1, after: $c) { nodes { id } }",
             "orders(first: 1, after: $c) { nodes { id } }", "orderEvents(first: 1, after: $c) { nodes { id } }"]
    from graph.core.ids import encode_cursor
    for cursor in ["%%", "QQ" * 30_000, encode_cursor(["e", 10**30]), encode_cursor(["e", -1]), encode_cursor([2**40]),
                   encode_cursor(["ID", 1, 2**31]), encode_cursor(["x", "²" * 32]), encode_cursor({"a": 1})]:
        for connection in lists:
            body = await staff("query($c: String) { %s }" % connection, {"c": cursor})
            codes = [e["extensions"]["code"] for e in body.get("errors") or []]
            assert codes == ["BAD_USER_INPUT"], (connection, cursor[:40], body)


async def test_a_variant_cursor_is_read_by_the_one_codec(staff, real, database):
    """`variants(after:)` reads its cursor as every list does (`cursor_int`): a hand-made cursor whose
    key is `7.0` rather than `7` is not a cursor of the list, though it equals a variant's id in Python."""
    from graph.core.ids import encode_cursor, from_global_id

    variant = real[2]
    key = int(from_global_id(variant)[1])
    document = ("query($v: ID!, $c: String) { node(id: $v) { ... on ProductVariant { product { "
                "variants(first: 1, after: $c) { nodes { id } } } } } }")
    made = await staff(document, {"v": variant, "c": encode_cursor([key])})
    assert "errors" not in made, made
    for cursor in [encode_cursor([float(key)]), encode_cursor([str(key)]), encode_cursor([key, 1])]:
        body = await staff(document, {"v": variant, "c": cursor})
        codes = [e["extensions"]["code"] for e in body.get("errors") or []]
        assert codes == ["BAD_USER_INPUT"], (cursor, body)
