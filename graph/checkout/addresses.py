"""`MailingAddressInput` and `MailingAddress`."""

from __future__ import annotations

import strawberry

from commerce.checkout.addresses import MailingAddress as Address, formatted_lines

__all__ = ["MailingAddressInput", "MailingAddress"]


@strawberry.input(description="An address. countryCode is ISO 3166-1 alpha-2; provinceCode the ISO 3166-2 part after the dash.")
class MailingAddressInput:
    address1: str
    country_code: str
    city: str | None = None
    zip: str | None = None
    province_code: str | None = None
    address2: str | None = None
    company: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None

    def parse(self) -> Address:
        return Address(**{name: value or "" for name, value in vars(self).items()})


@strawberry.type(description="An address as it was checked and stored.")
class MailingAddress:
    first_name: str | None
    last_name: str | None
    company: str | None
    address1: str
    address2: str | None
    city: str | None
    province_code: str | None
    zip: str | None
    country_code: str
    phone: str | None = strawberry.field(description="As entered, spaces tidied: digits, spaces and + ( ) - . only.")
    formatted: list[str] = strawberry.field(description="The address as the country's post writes it, line by line.")

    @classmethod
    def of(cls, data: dict | None) -> "MailingAddress | None":
        address = Address.from_json(data)
        if address is None:
            return None
        return cls(
            first_name=address.first_name or None, last_name=address.last_name or None,
            company=address.company or None, address1=address.address1, address2=address.address2 or None,
            city=address.city or None, province_code=address.province_code or None, zip=address.zip or None,
            country_code=address.country_code, phone=address.phone or None, formatted=formatted_lines(address),
        )
