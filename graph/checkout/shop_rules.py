"""Staff shop rules (`shop:write`): shipping zones and rates, tax rates, discount codes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum

import strawberry

from commerce.access import Scope
from commerce.shop_rules import discount_codes, tax_rates, zones
from graph.core.access import require_scope
from graph.core.context import Info
from graph.core.errors import UserError, mutation
from graph.core.money import Money
from graph.core.ids import int_key, known, to_global_id
from models import DiscountCode as DiscountModel, DiscountKind as _Kind, ShippingZone as ZoneModel, TaxRate as TaxModel

__all__ = ["ShopRulesQuery", "ShopRulesMutation", "DiscountCodeKind"]

DiscountCodeKind = strawberry.enum(Enum("DiscountCodeKind", {k.name: k.name for k in _Kind}))


def _money(value: int | None, currency: str) -> Money | None:
    return None if value is None else Money.of(value, currency)


@strawberry.type(description="A delivery option of a zone; bounds are inclusive, a missing bound does not limit.")
class ShippingRate:
    handle: str
    title: str
    price: Money
    min_subtotal: Money | None
    max_subtotal: Money | None
    min_weight_grams: int | None
    max_weight_grams: int | None
    min_delivery_days: int | None
    max_delivery_days: int | None


@strawberry.type(description='Countries that share delivery rates; "*" stands for the rest of the world.')
class ShippingZone:
    id: strawberry.ID
    name: str
    countries: list[str]
    rates: list[ShippingRate]

    @classmethod
    def from_model(cls, zone: ZoneModel, currency: str) -> "ShippingZone":
        return cls(
            id=strawberry.ID(to_global_id("ShippingZone", zone.id)), name=zone.name, countries=list(zone.countries),
            rates=[ShippingRate(
                handle=r.handle, title=r.title, price=Money.of(r.price, currency),
                min_subtotal=_money(r.min_subtotal, currency), max_subtotal=_money(r.max_subtotal, currency),
                min_weight_grams=r.min_weight_grams, max_weight_grams=r.max_weight_grams,
                min_delivery_days=r.min_delivery_days, max_delivery_days=r.max_delivery_days,
            ) for r in sorted(zone.rates, key=lambda r: r.id)],
        )


@strawberry.type(description="A sales tax; a country's rate and its province's rate add up.")
class TaxRate:
    country_code: str
    province_code: str | None
    rate_percentage: Decimal
    title: str
    applies_to_shipping: bool

    @classmethod
    def from_model(cls, rate: TaxModel) -> "TaxRate":
        return cls(country_code=rate.country_code, province_code=rate.province_code or None,
                   rate_percentage=Decimal(rate.rate), title=rate.title, applies_to_shipping=rate.applies_to_shipping)


@strawberry.type(description="A code shoppers enter at the cart.")
class DiscountCode:
    code: str
    kind: DiscountCodeKind
    value: Decimal | None = strawberry.field(description="A percentage, or an amount in the shop currency.")
    min_subtotal: Money | None
    starts_at: datetime | None
    ends_at: datetime | None
    usage_limit: int | None
    used_count: int
    once_per_customer: bool
    collection_ids: list[strawberry.ID]
    active: bool

    @classmethod
    def from_model(cls, d: DiscountModel, currency: str) -> "DiscountCode":
        value = {
            _Kind.PERCENTAGE: Decimal(d.value) / 100, _Kind.FIXED_AMOUNT: Money.of(d.value, currency).amount,
        }.get(d.kind)
        return cls(code=d.code, kind=DiscountCodeKind[d.kind.name], value=value,
                   min_subtotal=_money(d.min_subtotal, currency), starts_at=d.starts_at, ends_at=d.ends_at,
                   usage_limit=d.usage_limit, used_count=d.used_count, once_per_customer=d.once_per_customer,
                   collection_ids=[strawberry.ID(to_global_id("Collection", c)) for c in d.collection_ids],
                   active=d.active)


@strawberry.input
class ShippingRateInput:
    handle: str
    title: str
    price: Decimal
    min_subtotal: Decimal | None = None
    max_subtotal: Decimal | None = None
    min_weight_grams: int | None = None
    max_weight_grams: int | None = None
    min_delivery_days: int | None = None
    max_delivery_days: int | None = None


@strawberry.input(description="On update, what is left out stays; rates, when given, replace the zone's rates.")
class ShippingZoneInput:
    name: str | None = None
    countries: list[str] | None = None
    rates: list[ShippingRateInput] | None = None

    def parse(self) -> zones.ZoneInput:
        rates = None if self.rates is None else [zones.RateInput(**vars(r)) for r in self.rates]
        return zones.ZoneInput(name=self.name, countries=self.countries, rates=rates)


@strawberry.input
class DiscountCodeInput:
    code: str
    kind: DiscountCodeKind
    value: Decimal | None = strawberry.field(default=None, description='10 for 10%, or an amount such as "5.00".')
    min_subtotal: Decimal | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    usage_limit: int | None = None
    once_per_customer: bool = False
    collection_ids: list[strawberry.ID] = strawberry.field(default_factory=list)

    def parse(self) -> discount_codes.DiscountInput:
        ids = [known(int_key(global_id, "Collection"), "collection", "input", "collectionIds", str(i))
               for i, global_id in enumerate(self.collection_ids)]
        return discount_codes.DiscountInput(
            code=self.code, kind=_Kind[self.kind.name], value=self.value, min_subtotal=self.min_subtotal,
            starts_at=self.starts_at, ends_at=self.ends_at, usage_limit=self.usage_limit,
            once_per_customer=self.once_per_customer, collection_ids=ids)


def _zone_key(global_id: str) -> int:
    return known(int_key(global_id, "ShippingZone"), "shipping zone", "id")


@strawberry.type
class ShippingZonePayload:
    shipping_zone: ShippingZone | None
    user_errors: list[UserError]


@strawberry.type
class ShippingZoneDeletePayload:
    deleted_shipping_zone_id: strawberry.ID | None
    user_errors: list[UserError]


@strawberry.type
class TaxRateSetPayload:
    tax_rate: TaxRate | None
    user_errors: list[UserError]


@strawberry.type
class DiscountCodePayload:
    discount_code: DiscountCode | None
    user_errors: list[UserError]


async def _zone_payload(info: Info, zone: ZoneModel) -> ShippingZonePayload:
    await zone.fetch_related("rates")
    return ShippingZonePayload(shipping_zone=ShippingZone.from_model(zone, info.context.settings.currency), user_errors=[])


@strawberry.type
class ShopRulesQuery:
    @strawberry.field(description="Shipping zones and their rates (shop:write).")
    async def shipping_zones(self, info: Info) -> list[ShippingZone]:
        await require_scope(info, Scope.SHOP_WRITE)
        return [ShippingZone.from_model(z, info.context.settings.currency) for z in await zones.list_zones()]

    @strawberry.field(description="Tax rates per country and province (shop:write).")
    async def tax_rates(self, info: Info) -> list[TaxRate]:
        await require_scope(info, Scope.SHOP_WRITE)
        return [TaxRate.from_model(r) for r in await tax_rates.list_tax_rates()]

    @strawberry.field(description="Discount codes and how often they were used (shop:write).")
    async def discount_codes(self, info: Info) -> list[DiscountCode]:
        await require_scope(info, Scope.SHOP_WRITE)
        currency = info.context.settings.currency
        return [DiscountCode.from_model(d, currency) for d in await discount_codes.list_discounts()]


@strawberry.type
class ShopRulesMutation:
    @mutation(description="Adds a shipping zone with its rates (shop:write).")
    async def shipping_zone_create(self, info: Info, input: ShippingZoneInput) -> ShippingZonePayload:
        await require_scope(info, Scope.SHOP_WRITE)
        zone = await zones.create_zone(input.parse(), info.context.settings.currency)
        return await _zone_payload(info, zone)

    @mutation(description="Changes a shipping zone (shop:write).")
    async def shipping_zone_update(self, info: Info, id: strawberry.ID, input: ShippingZoneInput) -> ShippingZonePayload:
        await require_scope(info, Scope.SHOP_WRITE)
        zone = await zones.update_zone(_zone_key(id), input.parse(), info.context.settings.currency)
        return await _zone_payload(info, zone)

    @mutation(description="Removes a shipping zone and its rates (shop:write).")
    async def shipping_zone_delete(self, info: Info, id: strawberry.ID) -> ShippingZoneDeletePayload:
        await require_scope(info, Scope.SHOP_WRITE)
        await zones.delete_zone(_zone_key(id))
        return ShippingZoneDeletePayload(deleted_shipping_zone_id=id, user_errors=[])

    @mutation(description="Sets the tax rate of a country, or of one of its provinces (shop:write).")
    async def tax_rate_set(self, info: Info, country_code: str, rate_percentage: Decimal, title: str,
                           province_code: str | None = None, applies_to_shipping: bool = False) -> TaxRateSetPayload:
        await require_scope(info, Scope.SHOP_WRITE)
        rate = await tax_rates.set_tax_rate(country_code, province_code, rate_percentage, title, applies_to_shipping)
        return TaxRateSetPayload(tax_rate=TaxRate.from_model(rate), user_errors=[])

    @mutation(description="Adds a discount code (shop:write).")
    async def discount_code_create(self, info: Info, input: DiscountCodeInput) -> DiscountCodePayload:
        await require_scope(info, Scope.SHOP_WRITE)
        currency = info.context.settings.currency
        made = await discount_codes.create_discount(input.parse(), currency)
        return DiscountCodePayload(discount_code=DiscountCode.from_model(made, currency), user_errors=[])

    @mutation(description="Stops a code from applying; orders that hold it keep it (shop:write).")
    async def discount_code_deactivate(self, info: Info, code: str) -> DiscountCodePayload:
        await require_scope(info, Scope.SHOP_WRITE)
        currency = info.context.settings.currency
        changed = await discount_codes.deactivate_discount(code)
        return DiscountCodePayload(discount_code=DiscountCode.from_model(changed, currency), user_errors=[])
