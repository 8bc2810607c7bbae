"""`shippingCountries`: where the shop delivers, for an address form's pickers."""

from __future__ import annotations

import strawberry

from commerce.checkout import countries
from graph.core.context import Info

__all__ = ["CountriesQuery", "ShippingCountry", "Province"]


@strawberry.type(description="A state, province or other top-level ISO 3166-2 subdivision of a country.")
class Province:
    code: str = strawberry.field(description="What `MailingAddressInput.provinceCode` takes, such as CA for California.")
    name: str


@strawberry.type(description="A country the shop delivers to, and what its addresses need.")
class ShippingCountry:
    code: str = strawberry.field(description="ISO 3166-1 alpha-2.")
    name: str
    province_required: bool = strawberry.field(description="Whether an address here must name a province.")
    postal_code_required: bool = strawberry.field(description="Whether an address here must have a postal code.")

    @strawberry.field(description="Its provinces by name; empty when the country has none.")
    def provinces(self) -> list[Province]:
        return [Province(code=p.code, name=p.name) for p in countries.provinces_of(self.code)]

    @classmethod
    def of(cls, country: countries.ShippingCountry) -> "ShippingCountry":
        return cls(code=country.code, name=country.name, province_required=country.province_required,
                   postal_code_required=country.postal_code_required)


@strawberry.type
class CountriesQuery:
    @strawberry.field(description=(
        "The countries of the shipping zones by name (every country when a zone is the rest of the world);"
        " `codes` keeps only those."))
    async def shipping_countries(self, info: Info, codes: list[str] | None = None) -> list[ShippingCountry]:
        return [ShippingCountry.of(c) for c in await countries.shipping_countries(codes)]
