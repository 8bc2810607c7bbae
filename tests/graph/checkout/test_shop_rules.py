"""Staff shop rules behind shop:write: shipping zones, tax rates, discount codes."""

from __future__ import annotations

import pytest

from models import DiscountCode, ShippingRate, ShippingZone, TaxRate
from tests.graph.accounts.test_accounts import api_key, as_, customer, error_code

ZONE_CREATE = """mutation($input: ShippingZoneInput!) { shippingZoneCreate(input: $input) {
  shippingZone { id name countries rates { handle title price { amount } minSubtotal { amount } maxWeightGrams
    minDeliveryDays maxDeliveryDays } } userErrors { field code message } } }"""
ZONE_UPDATE = """mutation($id: ID!, $input: ShippingZoneInput!) { shippingZoneUpdate(id: $id, input: $input) {
  shippingZone { name countries rates { handle price { amount } } } userErrors { field code } } }"""
ZONE_DELETE = "mutation($id: ID!) { shippingZoneDelete(id: $id) { deletedShippingZoneId userErrors { field code } } }"
ZONES = "{ shippingZones { name countries rates { handle } } }"
TAX_SET = """mutation($c: String!, $p: String, $r: Decimal!, $t: String!, $s: Boolean!) {
  taxRateSet(countryCode: $c, provinceCode: $p, ratePercentage: $r, title: $t, appliesToShipping: $s) {
    taxRate { countryCode provinceCode ratePercentage title appliesToShipping } userErrors { field code } } }"""
TAXES = "{ taxRates { countryCode provinceCode ratePercentage title } }"
CODE_CREATE = """mutation($input: DiscountCodeInput!) { discountCodeCreate(input: $input) {
  discountCode { code kind value minSubtotal { amount } usageLimit usedCount oncePerCustomer active }
  userErrors { field code message } } }"""
CODE_OFF = "mutation($c: String!) { discountCodeDeactivate(code: $c) { discountCode { code active } userErrors { field code } } }"
CODES = "{ discountCodes { code active } }"


@pytest.fixture
async def staff(gql):
    return as_(gql, await api_key("shop:write"))


async def test_staff_make_change_and_remove_a_shipping_zone(staff):
    made = (await staff.data(ZONE_CREATE, {"input": {"name": "Nordics", "countries": ["se", "NO", "DK"], "rates": [
        {"handle": "standard", "title": "Standard", "price": "9.50", "minDeliveryDays": 2, "maxDeliveryDays": 5},
        {"handle": "free", "title": "Free over 100", "price": "0", "minSubtotal": "100", "maxWeightGrams": 5000},
    ]}}))["shippingZoneCreate"]
    assert made["userErrors"] == []
    zone = made["shippingZone"]
    assert zone["countries"] == ["SE", "NO", "DK"]
    assert zone["rates"] == [
        {"handle": "standard", "title": "Standard", "price": {"amount": "9.50"}, "minSubtotal": None,
         "maxWeightGrams": None, "minDeliveryDays": 2, "maxDeliveryDays": 5},
        {"handle": "free", "title": "Free over 100", "price": {"amount": "0.00"}, "minSubtotal": {"amount": "100.00"},
         "maxWeightGrams": 5000, "minDeliveryDays": None, "maxDeliveryDays": None}]

    changed = (await staff.data(ZONE_UPDATE, {"id": zone["id"], "input": {
        "countries": ["SE", "FI"], "rates": [{"handle": "standard", "title": "Standard", "price": "11"}]}}))
    assert changed["shippingZoneUpdate"] == {"shippingZone": {
        "name": "Nordics", "countries": ["SE", "FI"], "rates": [{"handle": "standard", "price": {"amount": "11.00"}}]},
        "userErrors": []}
    assert {"name": "Nordics", "countries": ["SE", "FI"], "rates": [{"handle": "standard"}]} in (
        await staff.data(ZONES))["shippingZones"]

    gone = (await staff.data(ZONE_DELETE, {"id": zone["id"]}))["shippingZoneDelete"]
    assert gone == {"deletedShippingZoneId": zone["id"], "userErrors": []}
    assert not await ShippingZone.exists(name="Nordics")
    assert (await staff.data(ZONE_DELETE, {"id": zone["id"]}))["shippingZoneDelete"]["userErrors"] == [
        {"field": ["id"], "code": "NOT_FOUND"}]


@pytest.mark.parametrize("input, code, field", [
    ({"name": "", "countries": ["FR"]}, "INVALID", ["input", "name"]),
    ({"name": "Z1", "countries": ["XX"]}, "INVALID", ["input", "countries", "0"]),
    ({"name": "Z1", "countries": ["PT", "ZA"]}, "TAKEN", ["input", "countries", "1"]),
    ({"name": "Taken zone", "countries": ["PT"]}, "TAKEN", ["input", "name"]),
    ({"name": "Z1", "rates": [{"handle": "Bad Handle", "title": "x", "price": "1"}]}, "INVALID",
     ["input", "rates", "0", "handle"]),
    ({"name": "Z1", "rates": [{"handle": "a", "title": "x", "price": "1.001"}]}, "INVALID", ["input", "rates", "0", "price"]),
    ({"name": "Z1", "rates": [{"handle": "a", "title": "x", "price": "-1"}]}, "INVALID", ["input", "rates", "0", "price"]),
    ({"name": "Z1", "rates": [{"handle": "a", "title": "x", "price": "1", "minSubtotal": "50", "maxSubtotal": "10"}]},
     "INVALID", ["input", "rates", "0", "maxSubtotal"]),
    ({"name": "Z1", "rates": [{"handle": "a", "title": "x", "price": "1"}, {"handle": "a", "title": "y", "price": "2"}]},
     "TAKEN", ["input", "rates", "1", "handle"]),
])
async def test_a_bad_zone_is_refused_and_writes_nothing(staff, input, code, field):
    await ShippingZone.get_or_create(name="Taken zone", defaults={"countries": ["ZA"]})
    zones, rates = await ShippingZone.all().count(), await ShippingRate.all().count()
    result = (await staff.data(ZONE_CREATE, {"input": input}))["shippingZoneCreate"]
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [(code, field)]
    assert (await ShippingZone.all().count(), await ShippingRate.all().count()) == (zones, rates)


async def test_tax_rates_are_set_per_country_and_province_and_replaced_in_place(staff):
    ok = await staff.data(TAX_SET, {"c": "CA", "p": None, "r": "5", "t": "GST", "s": True})
    assert ok["taxRateSet"] == {"taxRate": {"countryCode": "CA", "provinceCode": None, "ratePercentage": "5",
                                            "title": "GST", "appliesToShipping": True}, "userErrors": []}
    qst = await staff.data(TAX_SET, {"c": "CA", "p": "qc", "r": "9.975", "t": "QST", "s": True})
    assert qst["taxRateSet"]["taxRate"]["ratePercentage"] == "9.975"
    await staff.data(TAX_SET, {"c": "CA", "p": "QC", "r": "9.9750", "t": "TVQ", "s": True})
    assert await TaxRate.filter(country_code="CA", province_code="QC").count() == 1
    listed = (await staff.data(TAXES))["taxRates"]
    assert {"countryCode": "CA", "provinceCode": "QC", "ratePercentage": "9.975", "title": "TVQ"} in listed


@pytest.mark.parametrize("variables, field", [
    ({"c": "ZZ", "p": None, "r": "5", "t": "x", "s": False}, ["countryCode"]),
    ({"c": "US", "p": "XX", "r": "5", "t": "x", "s": False}, ["provinceCode"]),
    ({"c": "US", "p": "CA", "r": "101", "t": "x", "s": False}, ["ratePercentage"]),
    ({"c": "US", "p": "CA", "r": "-1", "t": "x", "s": False}, ["ratePercentage"]),
    ({"c": "US", "p": "CA", "r": "7.123456", "t": "x", "s": False}, ["ratePercentage"]),
    ({"c": "US", "p": "CA", "r": "7", "t": " ", "s": False}, ["title"]),
])
async def test_a_bad_tax_rate_is_refused(staff, variables, field):
    before = await TaxRate.all().count()
    result = (await staff.data(TAX_SET, variables))["taxRateSet"]
    assert result == {"taxRate": None, "userErrors": [{"field": field, "code": "INVALID"}]}
    assert await TaxRate.all().count() == before


async def test_discount_codes_are_made_listed_and_deactivated(staff):
    made = (await staff.data(CODE_CREATE, {"input": {"code": "spring15", "kind": "PERCENTAGE", "value": "15",
                                                    "minSubtotal": "30", "usageLimit": 100}}))["discountCodeCreate"]
    assert made == {"discountCode": {"code": "SPRING15", "kind": "PERCENTAGE", "value": "15", "minSubtotal": {"amount": "30.00"},
                                     "usageLimit": 100, "usedCount": 0, "oncePerCustomer": False, "active": True},
                    "userErrors": []}
    assert (await DiscountCode.get(code="SPRING15")).value == 1500
    again = (await staff.data(CODE_CREATE, {"input": {"code": "Spring15", "kind": "FREE_SHIPPING"}}))["discountCodeCreate"]
    assert [(e["code"], e["field"]) for e in again["userErrors"]] == [("TAKEN", ["input", "code"])]
    off = (await staff.data(CODE_OFF, {"c": "spring15"}))["discountCodeDeactivate"]
    assert off == {"discountCode": {"code": "SPRING15", "active": False}, "userErrors": []}
    assert {"code": "SPRING15", "active": False} in (await staff.data(CODES))["discountCodes"]
    assert (await staff.data(CODE_OFF, {"c": "NOPE"}))["discountCodeDeactivate"]["userErrors"] == [
        {"field": ["code"], "code": "NOT_FOUND"}]


@pytest.mark.parametrize("input, field", [
    ({"code": "a b", "kind": "PERCENTAGE", "value": "10"}, ["input", "code"]),
    ({"code": "BIG", "kind": "PERCENTAGE", "value": "120"}, ["input", "value"]),
    ({"code": "BIG", "kind": "PERCENTAGE"}, ["input", "value"]),
    ({"code": "BIG", "kind": "FIXED_AMOUNT", "value": "0"}, ["input", "value"]),
    ({"code": "BIG", "kind": "FIXED_AMOUNT", "value": "1.001"}, ["input", "value"]),
    ({"code": "BIG", "kind": "FREE_SHIPPING", "value": "5"}, ["input", "value"]),
    ({"code": "BIG", "kind": "FIXED_AMOUNT", "value": "5", "usageLimit": 0}, ["input", "usageLimit"]),
    ({"code": "BIG", "kind": "FIXED_AMOUNT", "value": "5", "startsAt": "2026-02-01T00:00:00Z",
      "endsAt": "2026-01-01T00:00:00Z"}, ["input", "endsAt"]),
    ({"code": "BIG", "kind": "FIXED_AMOUNT", "value": "5", "collectionIds": ["bm9wZQ"]}, ["input", "collectionIds", "0"]),
])
async def test_a_bad_discount_code_is_refused(staff, input, field):
    before = await DiscountCode.all().count()
    result = (await staff.data(CODE_CREATE, {"input": input}))["discountCodeCreate"]
    assert result["discountCode"] is None and [e["field"] for e in result["userErrors"]] == [field]
    assert await DiscountCode.all().count() == before


@pytest.mark.parametrize("who", ["guest", "customer", "catalog key"])
async def test_only_shop_write_may_see_or_change_shop_rules(gql, who):
    token = None
    if who == "customer":
        token = (await customer(gql))[1]
    elif who == "catalog key":
        token = await api_key("catalog:write", "orders:write")
    expected = "UNAUTHENTICATED" if who == "guest" else "FORBIDDEN"
    caller = as_(gql, token)
    assert error_code(await caller(ZONE_CREATE, {"input": {"name": "Sneaky", "countries": ["AQ"]}})) == expected
    assert error_code(await caller(CODE_CREATE, {"input": {"code": "FREEBIE", "kind": "FREE_SHIPPING"}})) == expected
    for query in (ZONES, TAXES, CODES):
        assert error_code(await caller(query)) == expected
    assert not await ShippingZone.exists(name="Sneaky") and not await DiscountCode.exists(code="FREEBIE")
