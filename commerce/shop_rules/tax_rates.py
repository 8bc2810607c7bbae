"""Tax rates per country and province, as the staff set them (`shop:write`)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from tortoise.transactions import in_transaction

from commerce.shop_rules.checks import country_code, invalid, province_code, text
from models import TaxRate

__all__ = ["set_tax_rate", "list_tax_rates"]


def _percentage(value: Decimal) -> str:
    try:
        rate = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise invalid("Enter a percentage such as 7.25.", "ratePercentage") from None
    if not rate.is_finite() or not 0 <= rate <= 100 or rate != rate.quantize(Decimal("0.0001")):
        raise invalid("Enter a percentage from 0 to 100 with at most 4 decimals.", "ratePercentage")
    return format(rate.normalize(), "f")


async def set_tax_rate(country: str, province: str | None, percentage: Decimal, title: str,
                       applies_to_shipping: bool) -> TaxRate:
    """Creates or replaces the rate of a country (no province) or of a province."""
    country = country_code(country, "countryCode")
    province = province_code(country, province, "provinceCode")
    values = {"rate": _percentage(percentage), "title": text(title, "title"), "applies_to_shipping": applies_to_shipping}
    async with in_transaction():
        rate, created = await TaxRate.get_or_create(country_code=country, province_code=province, defaults=values)
        if not created:
            await rate.update_from_dict(values).save()
    return rate


async def list_tax_rates() -> list[TaxRate]:
    return await TaxRate.all().order_by("country_code", "province_code")
