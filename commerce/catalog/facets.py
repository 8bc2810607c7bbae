"""Facet counts for a filter sidebar.

Each facet is counted under every condition but its own (a shopper who picked
Size M still sees how many products Size L would give), and each count is the
number of products that the filter with that value chosen would return.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.expressions import RawSQL, Subquery
from tortoise.functions import Count, Max, Min

from commerce.catalog import statements
from commerce.markets.prices import variant_row_price_sql
from commerce.catalog.products import Selection, _matching_variants, filtered
from models import ProductTag, ProductVariant, VariantOptionValue

__all__ = ["Facets", "facets"]


@dataclass(frozen=True)
class Facets:
    available: list[tuple[str, int]]
    tags: list[tuple[str, int]]
    options: list[tuple[str, list[tuple[str, int]]]]
    price_min: int | None
    price_max: int | None


async def _available(selection: Selection) -> list[tuple[str, int]]:
    f = selection.filters.without("available")
    key = statements.selection_key(selection)
    total = await statements.count(("available: all", key), lambda: filtered(selection, f).count())
    in_stock = await statements.count(("available: in stock", key), lambda: filtered(selection, f).filter(
        id__in=Subquery(_matching_variants(f).filter(stock__gt=0).values("product_id"))).count())
    return [("true", in_stock), ("false", total - in_stock)]


async def _tags(selection: Selection) -> list[tuple[str, int]]:
    def build() -> Any:
        ids = filtered(selection, selection.filters.without("tag")).values("id")
        return ProductTag.filter(product_id__in=Subquery(ids)).annotate(
            count=Count("product_id", distinct=True)).group_by("tag").order_by("tag").values("tag", "count")

    rows = await statements.values(("tags", statements.selection_key(selection)), build)
    return [(row["tag"], row["count"]) for row in rows]


async def _option_counts(selection: Selection, names: list[str] | None, without: str | None) -> dict[str, list]:
    f = selection.filters.without(without) if without else selection.filters

    def build() -> Any:
        variants = _matching_variants(f)
        if f.available:
            variants = variants.filter(stock__gt=0)
        query = VariantOptionValue.filter(
            product_id__in=Subquery(filtered(selection, f).values("id")),
            variant_id__in=Subquery(variants.values("id")))
        if names is not None:
            query = query.filter(name__in=names)
        return query.annotate(count=Count("product_id", distinct=True)).group_by("name", "value").order_by(
            "name", "value").values("name", "value", "count")

    key = ("options", None if names is None else tuple(names), without, statements.selection_key(selection))
    rows = await statements.values(key, build)
    grouped: dict[str, list] = {}
    for row in rows:
        grouped.setdefault(row["name"], []).append((row["value"], row["count"]))
    return grouped


async def _options(selection: Selection) -> list[tuple[str, list[tuple[str, int]]]]:
    chosen = sorted({name for name, _ in selection.filters.variant_options})
    # Options nobody filters on are counted together; each chosen one without its own condition.
    grouped = {k: v for k, v in (await _option_counts(selection, None, None)).items() if k not in chosen}
    for name in chosen:
        grouped.update({k: v for k, v in (await _option_counts(selection, [name], name)).items() if k == name})
    return sorted(grouped.items())


async def facets(selection: Selection) -> Facets:
    market = selection.market

    def build() -> Any:
        ids = filtered(selection, selection.filters.without("price")).values("id")
        if market is not None:  # the bounds of the prices in the market's currency
            price = variant_row_price_sql(market)
            return ProductVariant.filter(product_id__in=Subquery(ids)).annotate(
                low=RawSQL(f"MIN({price})"), high=RawSQL(f"MAX({price})")).values("low", "high")
        return ProductVariant.filter(product_id__in=Subquery(ids)).annotate(
            low=Min("price"), high=Max("price")).values("low", "high")

    prices = await statements.values(("prices", statements.selection_key(selection)), build)
    return Facets(
        available=await _available(selection), tags=await _tags(selection), options=await _options(selection),
        price_min=prices[0]["low"] if prices else None, price_max=prices[0]["high"] if prices else None,
    )
