"""Options, variants, collections, filters, facets and search, through the public API."""

from __future__ import annotations

import asyncio

import pytest

from commerce.catalog.seed import demo_catalog, seed_demo_catalog
from graph.core.ids import to_global_id
from models import Product, ProductVariant
from commerce.catalog import search
from commerce.shop_rules.seed import seed_shop_rules
from tests.shop import checkout, make_product, ship_to, stock_of

TEE = """query($slug: String!, $options: [SelectedOptionInput!]!) { product(slug: $slug) {
  options { name values }
  priceRange { minVariantPrice { amount } maxVariantPrice { amount } }
  compareAtPriceRange { minVariantPrice { amount } }
  featuredImage { url altText width height } tags
  collections(first: 5) { nodes { slug } }
  variants(first: 3) { totalCount pageInfo { hasNextPage endCursor } nodes { id sku title price { minorUnits } } }
  variantBySelectedOptions(selectedOptions: $options) { id title selectedOptions { name value } quantityAvailable
    image { url } product { slug } }
} }"""
ADD = """mutation($cartId: ID, $variantId: ID, $productId: ID, $quantity: Int!) {
  addToCart(cartId: $cartId, variantId: $variantId, productId: $productId, quantity: $quantity) {
    cart { id lines { quantity variant { title sku } product { slug } unitPrice { minorUnits } } }
    userErrors { field code message } } }"""
SEARCH = """query($q: String, $f: ProductFilter, $sort: ProductSortKey, $first: Int, $after: String) {
  products(first: $first, after: $after, query: $q, filters: $f, sortKey: $sort) {
    totalCount nodes { slug title } pageInfo { hasNextPage endCursor }
    facets { available { value count } tag { value count } options { name values { value count } }
             price { min { amount } max { amount } } } } }"""


@pytest.fixture(scope="module", autouse=True)
async def catalog(database: str) -> None:
    await seed_demo_catalog("USD")
    await seed_shop_rules("USD")  # garments ship: checkouts need an address and a delivery option


def garment(slug: str):
    return next(p for p in demo_catalog() if p.slug == slug)


async def test_a_product_offers_options_and_picks_a_variant_by_them(gql):
    tee = garment("classic-tee")
    data = (await gql.data(TEE, {"slug": "classic-tee", "options": [{"name": "Color", "value": "Navy"},
                                                                     {"name": "Size", "value": "M"}]}))["product"]
    assert data["options"] == [{"name": "Size", "values": ["S", "M", "L", "XL"]},
                               {"name": "Color", "values": ["Black", "Navy", "Sand", "Olive"]}]
    picked = data["variantBySelectedOptions"]
    wanted = next(v for v in tee.variants if dict(v.options) == {"Size": "M", "Color": "Navy"})
    assert picked["title"] == "M / Navy" and picked["quantityAvailable"] == wanted.stock
    assert picked["image"]["url"] == "/images/classic-tee-navy.svg" and picked["product"]["slug"] == "classic-tee"
    prices = sorted(v.price for v in tee.variants)
    assert data["priceRange"] == {"minVariantPrice": {"amount": f"{prices[0] / 100:.2f}"},
                                  "maxVariantPrice": {"amount": f"{prices[-1] / 100:.2f}"}}
    assert data["featuredImage"] == {"url": "/images/classic-tee-black.svg", "altText": "Classic Tee, black",
                                     "width": 480, "height": 360}
    assert "apparel" in data["tags"] and {"slug": "apparel"} in data["collections"]["nodes"]
    assert data["variants"]["totalCount"] == 16 and data["variants"]["pageInfo"]["hasNextPage"] is True
    missing = await gql.data(TEE, {"slug": "classic-tee", "options": [{"name": "Size", "value": "XXL"}]})
    assert missing["product"]["variantBySelectedOptions"] is None


async def test_a_cart_holds_variants_and_a_product_id_only_names_a_single_variant(gql):
    tee = await Product.get(slug="classic-tee")
    refused = (await gql.data(ADD, {"productId": to_global_id("Product", tee.id), "quantity": 1}))["addToCart"]
    assert refused["cart"] is None
    assert refused["userErrors"][0]["code"] == "INVALID" and refused["userErrors"][0]["field"] == ["productId"]

    variant = await ProductVariant.filter(product_id=tee.id, stock__gt=2).order_by("id").first()
    added = (await gql.data(ADD, {"variantId": to_global_id("ProductVariant", variant.id), "quantity": 2}))["addToCart"]
    assert added["userErrors"] == []
    [line] = added["cart"]["lines"]
    assert line == {"quantity": 2, "variant": {"title": variant.title, "sku": variant.sku},
                    "product": {"slug": "classic-tee"}, "unitPrice": {"minorUnits": variant.price}}

    mug = await Product.filter(variants__stock__gt=0, slug__endswith="-mug").first()
    single = (await gql.data(ADD, {"cartId": added["cart"]["id"], "productId": to_global_id("Product", mug.id),
                                   "quantity": 1}))["addToCart"]
    assert single["userErrors"] == [] and len(single["cart"]["lines"]) == 2


async def test_order_lines_copy_sku_and_variant_title_and_outlive_the_variant(gql):
    variant = await ProductVariant.filter(product__slug="zip-hoodie", stock__gt=0).order_by("-id").first()
    cart = (await gql.data(ADD, {"variantId": to_global_id("ProductVariant", variant.id), "quantity": 1}))
    await ship_to(gql, cart["addToCart"]["cart"]["id"])
    result = await checkout(gql, cart["addToCart"]["cart"]["id"], "pm_card_visa")
    assert result["userErrors"] == [] and result["order"]["status"] == "PAID"
    read = "query($id: ID!) { order(id: $id) { lines { title variantTitle sku variant { id } } } }"
    [line] = (await gql.data(read, {"id": result["order"]["id"]}))["order"]["lines"]
    assert line == {"title": "Zip Hoodie", "variantTitle": variant.title, "sku": variant.sku,
                    "variant": {"id": to_global_id("ProductVariant", variant.id)}}
    await ProductVariant.filter(id=variant.id).delete()
    [line] = (await gql.data(read, {"id": result["order"]["id"]}))["order"]["lines"]
    assert line == {"title": "Zip Hoodie", "variantTitle": variant.title, "sku": variant.sku, "variant": None}


async def test_parallel_checkouts_of_one_variant_sell_exactly_its_stock(gql):
    variant = await ProductVariant.filter(product__slug="rain-shell").order_by("id").first()
    await ProductVariant.filter(id=variant.id).update(stock=3)
    carts = []
    for _ in range(8):
        cart = await gql.data(ADD, {"variantId": to_global_id("ProductVariant", variant.id), "quantity": 1})
        carts.append(cart["addToCart"]["cart"]["id"])
        await ship_to(gql, carts[-1])
    results = await asyncio.gather(*(checkout(gql, cart_id, "pm_card_visa") for cart_id in carts))
    paid = [r for r in results if r["order"] and r["order"]["status"] == "PAID"]
    refused = [r for r in results if r["userErrors"] and r["userErrors"][0]["code"] == "INSUFFICIENT_STOCK"]
    assert len(paid) == 3 and len(refused) == 5
    assert (await ProductVariant.get(id=variant.id)).stock == 0


async def test_search_takes_words_in_any_order_the_last_as_a_prefix_and_skus_and_options(gql):
    both = await gql.data(SEARCH, {"q": "mug wal", "first": 10})
    assert [n["slug"] for n in both["products"]["nodes"]] == ["walnut-mug"]
    by_sku = await gql.data(SEARCH, {"q": "ct-m-nav", "first": 10})
    assert [n["slug"] for n in by_sku["products"]["nodes"]] == ["classic-tee"]
    by_option = await gql.data(SEARCH, {"q": "olive", "first": 100})
    assert {n["slug"] for n in by_option["products"]["nodes"]} == {
        p.slug for p in demo_catalog() if any("Olive" in dict(v.options).values() for v in p.variants)}
    nothing = await gql.data(SEARCH, {"q": "walnut zebra", "first": 10})
    assert nothing["products"]["totalCount"] == 0


async def test_relevance_puts_title_matches_before_description_matches(gql):
    described = await make_product(100, 1, title="Plain Vase", slug="plain-vase")
    await Product.filter(id=described.id).update(description="Glazed like an aurora borealis.")
    titled = await make_product(100, 1, title="Aurora Vase", slug="aurora-vase")
    await search.reindex([described.id, titled.id])
    found = (await gql.data(SEARCH, {"q": "auror", "first": 10}))["products"]["nodes"]
    assert [n["slug"] for n in found] == ["aurora-vase", "plain-vase"]
    found = (await gql.data(SEARCH, {"q": "auror", "first": 10, "sort": "ID"}))["products"]["nodes"]
    assert [n["slug"] for n in found] == ["plain-vase", "aurora-vase"]


async def test_filters_and_their_facet_counts_agree(gql):
    f = {"collection": to_global_id("Collection", 1), "variantOption": [{"name": "Size", "value": "XL"},
                                                                           {"name": "Color", "value": "Sand"}],
         "available": True}
    page = (await gql.data(SEARCH, {"f": f, "first": 100}))["products"]
    expected = {p.slug for p in demo_catalog() if "apparel" in p.collections and any(
        dict(v.options) == {"Size": "XL", "Color": "Sand"} and v.stock > 0 for v in p.variants)}
    assert {n["slug"] for n in page["nodes"]} == expected and page["totalCount"] == len(expected)
    for facet in page["facets"]["options"]:
        for value in facet["values"]:
            options = [o for o in f["variantOption"] if o["name"] != facet["name"]] + [
                {"name": facet["name"], "value": value["value"]}]
            narrowed = await gql.data(SEARCH, {"f": {**f, "variantOption": options}, "first": 0})
            assert narrowed["products"]["totalCount"] == value["count"], (facet["name"], value)
    for value in page["facets"]["tag"]:
        narrowed = await gql.data(SEARCH, {"f": {**f, "tag": [value["value"]]}, "first": 0})
        assert narrowed["products"]["totalCount"] == value["count"], value


async def test_a_repeated_search_answers_from_the_catalog_as_it_is_now(gql):
    """Asked twice, a search with filters answers alike; after a product sells out, the same search
    leaves it out and counts it with the products out of stock: what is kept between requests is how
    to ask the database, never its answer."""
    variables = {"q": "tee", "f": {"available": True, "variantOption": [{"name": "Size", "value": "M"}]}, "first": 20}
    before = (await gql.data(SEARCH, variables))["products"]
    assert before == (await gql.data(SEARCH, variables))["products"] and before["nodes"]
    slug = before["nodes"][0]["slug"]
    product = await Product.get(slug=slug)
    stocks = await ProductVariant.filter(product_id=product.id).values_list("id", "stock")
    await ProductVariant.filter(product_id=product.id).update(stock=0)
    try:
        after = (await gql.data(SEARCH, variables))["products"]
    finally:
        for variant_id, stock in stocks:
            await ProductVariant.filter(id=variant_id).update(stock=stock)
    assert slug not in {n["slug"] for n in after["nodes"]}
    assert after["totalCount"] == before["totalCount"] - 1
    available = lambda page: {v["value"]: v["count"] for v in page["facets"]["available"]}  # noqa: E731
    assert available(after) == {"true": available(before)["true"] - 1, "false": available(before)["false"] + 1}
    assert (await gql.data(SEARCH, variables))["products"] == before


async def test_price_filter_matches_any_variant_within_bounds(gql):
    page = (await gql.data(SEARCH, {"f": {"price": {"min": "29.00", "max": "30.00"}}, "first": 100}))["products"]
    assert {n["slug"] for n in page["nodes"]} == {
        p.slug for p in demo_catalog() if any(2900 <= v.price <= 3000 for v in p.variants)}


async def test_best_selling_puts_the_most_sold_first(gql):
    first = (await gql.data(SEARCH, {"sort": "BEST_SELLING", "first": 3}))["products"]["nodes"]
    sold = {p.slug: p.units_sold for p in await Product.all()}
    assert [sold[n["slug"]] for n in first] == sorted(sold.values(), reverse=True)[:3]
    assert sold[first[0]["slug"]] > 0


async def test_collections_list_and_browse_with_paging(gql):
    data = await gql.data("{ collections(first: 10) { totalCount nodes { slug title } } }")
    assert data["collections"]["totalCount"] == 7
    browse = """query($after: String) { collection(slug: "kitchen") { title
      products(first: 4, after: $after, sortKey: PRICE) { totalCount nodes { slug } pageInfo { endCursor hasNextPage } } } }"""
    first = (await gql.data(browse))["collection"]["products"]
    rest = (await gql.data(browse, {"after": first["pageInfo"]["endCursor"]}))["collection"]["products"]
    mugs = [p for p in demo_catalog() if "kitchen" in p.collections]
    assert first["totalCount"] == len(mugs)
    order = {p.slug: i for i, p in enumerate(demo_catalog())}  # ids follow the seed's order
    cheapest = [p.slug for p in sorted(mugs, key=lambda p: (p.price, order[p.slug]))][:8]
    assert [n["slug"] for n in first["nodes"] + rest["nodes"]] == cheapest


async def test_a_page_with_variants_images_and_collections_costs_the_same_statements_for_any_size(gql, sql_statements):
    query = """query($n: Int) { products(first: $n) { nodes { title priceRange { minVariantPrice { amount } }
      images { url } featuredImage { url } tags availableForSale
      variants(first: 10) { nodes { sku price { amount } image { url } } }
      collections(first: 5) { nodes { slug } } } } }"""
    counts = {}
    for size in (1, 20, 60):
        sql_statements.clear()
        await gql.data(query, {"n": size})
        counts[size] = len(sql_statements)
    assert counts[1] == counts[20] == counts[60] <= 6, sql_statements



async def test_a_products_page_loads_what_it_shows_before_its_fields_resolve(gql, sql_statements, monkeypatch):
    """Through `edges`, `nodes` and fragments alike, every Product field of a page answers from rows
    loaded before the fields resolve: none waits on a loader batch of its own (a coroutine per
    product and field), and the page costs no statement more than one batch per loader."""
    import graph.catalog.types

    waited = []
    real_then = graph.catalog.types._then
    monkeypatch.setattr(graph.catalog.types, "_then", lambda future, then: waited.append(1) or real_then(future, then))
    query = """fragment Card on Product { slug title featuredImage { url } priceRange { minVariantPrice { amount } } }
      query { products(first: 20) { edges { node { ...Card availableForSale } }
        nodes { ... on Product { tags options { name } variants(first: 3) { nodes { sku } } } } } }"""
    sql_statements.clear()
    page = (await gql.data(query))["products"]
    assert len(page["nodes"]) == 20 and all(e["node"]["priceRange"] for e in page["edges"])
    assert waited == []
    assert len(sql_statements) == 5, sql_statements  # the page, variants, images, tags, options

    # A product reached another way waits on its loaders, and answers the same.
    first = page["edges"][0]["node"]
    alone = (await gql.data('query { product(slug: "%s") { ...Card availableForSale } } %s'
                            % (first["slug"], query[:query.index("query")])))["product"]
    assert alone == first and waited


def _reference_search(query: str) -> set[str]:
    """What search must find, computed from the demo corpus in Python: every word of the
    query among a product's words (title, description, tags, SKUs, option values), the last as a prefix."""
    terms = search.words(query)
    found = set()
    for p in demo_catalog():
        text = " ".join([p.title, p.description, *p.tags, *(v.sku for v in p.variants),
                         *(value for v in p.variants for _, value in v.options)])
        have = set(search.words(text))
        if all(t in have for t in terms[:-1]) and any(w.startswith(terms[-1]) for w in have):
            found.add(p.slug)
    return found


@pytest.mark.parametrize("query", ["oak", "OAK lam", "lamp oak", "shirt line", "navy xl", "olive tee", "built last",
                                   "gift", "ct-s-bl", "organic sweat", "m", "zebra"])
async def test_search_finds_exactly_what_the_words_say_on_either_database(gql, query):
    found = (await gql.data(SEARCH, {"q": query, "first": 100}))["products"]
    assert {n["slug"] for n in found["nodes"]} == _reference_search(query)
    assert found["totalCount"] == len(_reference_search(query))
