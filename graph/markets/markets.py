"""Markets: `localization`, `markets`, `marketCreate/Update/Delete` and `productVariantPricesSet`.

    query @inContext(country: DE) { localization { market { handle currencyCode } language } }

    mutation { marketCreate(input: {handle: "eu", name: "Europe", countries: [DE, FR], currencyCode: EUR,
      languageCode: DE, exchangeRate: "0.92", rounding: NINETY_NINE}) { market { id } userErrors { code } } }

The rules are in commerce/markets; what `@inContext(country:)` does with a market is in
graph/core/in_context.py.
"""

from __future__ import annotations

from decimal import Decimal
from enum import Enum

import strawberry

from commerce.access import Scope
from commerce.markets import markets as commerce_markets, variant_prices
from commerce.markets.markets import MarketInput, MarketView
from graph.catalog.types import ProductVariant, variant_key
from graph.core.access import require_scope
from graph.core.context import Info
from graph.core.errors import UserError, mutation
from graph.core.ids import int_key, known, to_global_id
from graph.core.in_context import CountryCode, LanguageCode
from graph.core.money import CurrencyCode, Money
from models import Rounding

__all__ = ["Market", "MarketQuery", "MarketMutation"]

MarketRounding = strawberry.enum(
    Enum("MarketRounding", {r.name: r.name for r in Rounding}),  # type: ignore[misc]
    description=("How a price converted by the exchange rate is rounded: NONE to the nearest minor unit, WHOLE up to"
                 " a whole unit, NINETY_NINE up to the next .99."))


@strawberry.type(description=("Where the shop sells, in which currency and language. The primary market is the"
                              " shop itself and serves every country no other market names."))
class Market:
    id: strawberry.ID
    handle: str
    name: str
    primary: bool
    countries: list[CountryCode]  # type: ignore[valid-type]
    currency_code: CurrencyCode  # type: ignore[valid-type]
    language_code: LanguageCode  # type: ignore[valid-type]
    exchange_rate: Decimal | None = strawberry.field(description=(
        "Units of this market's currency for one of the shop's; null: only variants with an explicit price in"
        " this currency are for sale here."))
    rounding: MarketRounding  # type: ignore[valid-type]

    @classmethod
    def of(cls, view: MarketView) -> "Market":
        return cls(
            id=strawberry.ID(to_global_id("Market", view.id or 0)), handle=view.handle, name=view.name,
            primary=view.primary, countries=[CountryCode[c] for c in view.countries],
            currency_code=CurrencyCode[view.currency], language_code=LanguageCode[view.language],
            exchange_rate=view.exchange_rate, rounding=MarketRounding[view.rounding.name],
        )


@strawberry.type(description="The buyer's context of this operation (`@inContext`), and where else the shop sells.")
class Localization:
    country: CountryCode | None  # type: ignore[valid-type]
    language: LanguageCode  # type: ignore[valid-type]
    market: Market
    available_markets: list[Market]


@strawberry.type
class MarketQuery:
    @strawberry.field(description="Every market, the primary one first.")
    async def markets(self, info: Info) -> list[Market]:
        return [Market.of(m) for m in (await info.context.markets.markets()).all]

    @strawberry.field(description="The market, currency and language this operation is in (see `@inContext`).")
    async def localization(self, info: Info) -> Localization:
        everything = await info.context.markets.markets()
        market = everything.for_country(info.context.country) if info.context.country else everything.primary
        return Localization(
            country=None if info.context.country is None else CountryCode[info.context.country],
            language=LanguageCode[info.context.language], market=Market.of(market),
            available_markets=[Market.of(m) for m in everything.all])


@strawberry.input
class MarketCreateInput:
    handle: str
    name: str
    countries: list[CountryCode] = strawberry.field(default_factory=list)  # type: ignore[valid-type]
    currency_code: CurrencyCode  # type: ignore[valid-type]
    language_code: LanguageCode  # type: ignore[valid-type]
    exchange_rate: Decimal | None = None
    rounding: MarketRounding = MarketRounding.NONE  # type: ignore[valid-type]


@strawberry.input(description="What to change; an argument left out stays. `exchangeRate: null` removes the rate.")
class MarketUpdateInput:
    handle: str | None = strawberry.UNSET
    name: str | None = strawberry.UNSET
    countries: list[CountryCode] | None = strawberry.UNSET  # type: ignore[valid-type]
    currency_code: CurrencyCode | None = strawberry.UNSET  # type: ignore[valid-type]
    language_code: LanguageCode | None = strawberry.UNSET  # type: ignore[valid-type]
    exchange_rate: Decimal | None = strawberry.UNSET
    rounding: MarketRounding | None = strawberry.UNSET  # type: ignore[valid-type]


def _given(value: object) -> bool:
    return value is not strawberry.UNSET and value is not None


def _spec(input: MarketCreateInput | MarketUpdateInput) -> MarketInput:
    rate = input.exchange_rate
    return MarketInput(
        handle=input.handle if _given(input.handle) else None,
        name=input.name if _given(input.name) else None,
        countries=tuple(c.value for c in input.countries) if _given(input.countries) else None,  # type: ignore[union-attr]
        currency=input.currency_code.value if _given(input.currency_code) else None,  # type: ignore[union-attr]
        language=input.language_code.value if _given(input.language_code) else None,  # type: ignore[union-attr]
        exchange_rate=None if rate is strawberry.UNSET else ("" if rate is None else format(rate, "f")),
        rounding=Rounding[input.rounding.name] if _given(input.rounding) else None,  # type: ignore[union-attr]
    )


@strawberry.type
class MarketPayload:
    market: Market | None
    user_errors: list[UserError]


@strawberry.type
class MarketDeletePayload:
    deleted_market_id: strawberry.ID | None
    user_errors: list[UserError]


@strawberry.type(description="A variant's explicit price in one currency.")
class VariantCurrencyPrice:
    price: Money
    compare_at_price: Money | None


@strawberry.input(description="A variant's price in one currency; `amount: null` removes it (the rate prices it again).")
class VariantPriceInput:
    currency_code: CurrencyCode  # type: ignore[valid-type]
    amount: Decimal | None
    compare_at_amount: Decimal | None = None


@strawberry.type
class ProductVariantPricesSetPayload:
    variant: ProductVariant | None
    prices: list[VariantCurrencyPrice] | None = strawberry.field(description="Its explicit prices, every currency.")
    user_errors: list[UserError]


async def _market(info: Info, market_id: strawberry.ID) -> MarketView:
    pk = known(int_key(market_id, "Market"), "market", "id")
    if pk == 0:
        raise commerce_markets.primary_is_settings()
    market = (await info.context.markets.markets(fresh=True)).by_id(pk)
    return known(market, "market", "id")


@strawberry.type
class MarketMutation:
    @mutation(description="Adds a market (catalog:write).")
    async def market_create(self, info: Info, input: MarketCreateInput) -> MarketPayload:
        await require_scope(info, Scope.CATALOG_WRITE)
        market = await commerce_markets.create_market(_spec(input), info.context.settings.currency)
        return MarketPayload(market=await _fresh(info, market.id), user_errors=[])

    @mutation(description="Changes a market; its carts are priced by it at once (catalog:write).")
    async def market_update(self, info: Info, id: strawberry.ID, input: MarketUpdateInput) -> MarketPayload:
        await require_scope(info, Scope.CATALOG_WRITE)
        market = await _market(info, id)
        await commerce_markets.update_market(market.id, _spec(input), info.context.settings.currency)  # type: ignore[arg-type]
        return MarketPayload(market=await _fresh(info, market.id), user_errors=[])

    @mutation(description="Removes a market: its countries are the primary market's again (catalog:write).")
    async def market_delete(self, info: Info, id: strawberry.ID) -> MarketDeletePayload:
        await require_scope(info, Scope.CATALOG_WRITE)
        market = await _market(info, id)
        await commerce_markets.delete_market(market.id)  # type: ignore[arg-type]
        return MarketDeletePayload(deleted_market_id=id, user_errors=[])

    @mutation(description=("Sets a variant's explicit prices per currency, which win over every market's exchange"
                           " rate in that currency (catalog:write)."))
    async def product_variant_prices_set(
        self, info: Info, variant_id: strawberry.ID, prices: list[VariantPriceInput],
    ) -> ProductVariantPricesSetPayload:
        await require_scope(info, Scope.CATALOG_WRITE)
        pk = variant_key(variant_id, "variantId")
        specs = [variant_prices.PriceSpec(p.currency_code.value, p.amount, p.compare_at_amount) for p in prices]  # type: ignore[attr-defined]
        rows = await variant_prices.set_variant_prices(pk, specs, info.context.settings.currency)
        variant = known(await info.context.loaders.variant_by_id.load(pk), "variant", "variantId")  # deleted since
        product = await info.context.loaders.product_by_id.load(variant.product_id)
        return ProductVariantPricesSetPayload(
            variant=ProductVariant.from_model(variant, product.currency),
            prices=[VariantCurrencyPrice(
                price=Money.of(r.amount, r.currency),
                compare_at_price=None if r.compare_at_amount is None else Money.of(r.compare_at_amount, r.currency))
                for r in rows],
            user_errors=[])


async def _fresh(info: Info, pk: int) -> Market:
    """The market as it is now; NOT_FOUND when a concurrent marketDelete removed it since."""
    return Market.of(known((await info.context.markets.markets(fresh=True)).by_id(pk), "market", "id"))

