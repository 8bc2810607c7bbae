"""`shippingCountries`: the countries of the shipping zones, with the provinces an address form offers."""

from __future__ import annotations

import pycountry
from commerce.checkout.addresses import MailingAddress, validate_address
from commerce.errors import DomainError
from tests.graph.accounts.test_accounts import api_key, as_

COUNTRIES = """query($codes: [String!]) { shippingCountries(codes: $codes) {
  code name provinceRequired postalCodeRequired provinces { code name } } }"""
NAMES = "{ shippingCountries { code name } }"
ZONE_CREATE = """mutation($input: ShippingZoneInput!) { shippingZoneCreate(input: $input) {
  shippingZone { id } userErrors { field code } } }"""


def _refused_field(country: str, province: str) -> list[str] | None:
    """The field an address with this province and no postal code is refused for (the check runs in field order)."""
    try:
        validate_address(MailingAddress(country, "1 Main St", "Town", "", province), [])
    except DomainError as error:
        return error.field
    return None


async def _zone(staff, name: str, countries: list[str]) -> None:
    made = await staff.data(ZONE_CREATE, {"input": {"name": name, "countries": countries, "rates": [
        {"handle": "standard", "title": "Standard", "price": "5"}]}})
    assert made["shippingZoneCreate"]["userErrors"] == [], made


async def test_the_countries_of_the_zones_by_name_each_with_provinces_an_address_accepts(gql):
    assert (await gql.data(NAMES))["shippingCountries"] == []  # no zone, nowhere to deliver
    staff = as_(gql, await api_key("shop:write"))
    await _zone(staff, "North America", ["US", "CA"])
    await _zone(staff, "Germany", ["DE"])

    listed = (await gql.data(COUNTRIES))["shippingCountries"]  # anyone may ask: a storefront's address form does
    assert [c["name"] for c in listed] == ["Canada", "Germany", "United States"]
    by_code = {c["code"]: c for c in listed}
    us, de = by_code["US"], by_code["DE"]
    assert (us["provinceRequired"], us["postalCodeRequired"]) == (True, True)
    assert (de["provinceRequired"], de["postalCodeRequired"]) == (False, True)
    assert {"code": "CA", "name": "California"} in us["provinces"]
    assert {"code": "BY", "name": "Bayern"} in de["provinces"] and len(de["provinces"]) == 16
    assert len(by_code["CA"]["provinces"]) == 13  # ten provinces, three territories
    for country in listed:
        names = [p["name"] for p in country["provinces"]]
        assert names == sorted(names)
        # Every province offered is one the address check takes; a required one is refused when missing.
        for province in country["provinces"]:
            assert _refused_field(country["code"], province["code"]) != ["provinceCode"], province
        assert (_refused_field(country["code"], "") == ["provinceCode"]) is country["provinceRequired"]


async def test_a_rest_of_world_zone_offers_every_country_and_codes_narrow_the_list(gql):
    staff = as_(gql, await api_key("shop:write"))
    assert len((await gql.data(NAMES))["shippingCountries"]) == 3  # the zones of the test above
    await _zone(staff, "Rest of world", ["*"])
    every = (await gql.data(NAMES))["shippingCountries"]
    assert {c["code"] for c in every} == {c.alpha_2 for c in pycountry.countries}
    assert "*" not in {c["code"] for c in every}

    picked = (await gql.data(COUNTRIES, {"codes": ["jp", "XX", "DE"]}))["shippingCountries"]
    assert [(c["code"], c["provinceRequired"]) for c in picked] == [("DE", False), ("JP", True)]
    japan = picked[1]
    assert len(japan["provinces"]) == 47 and {"code": "13", "name": "Tokyo"} in japan["provinces"]
    assert (await gql.data(COUNTRIES, {"codes": []}))["shippingCountries"] == []
