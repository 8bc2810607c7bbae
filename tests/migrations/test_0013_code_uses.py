"""A shop whose once-per-customer codes were used twice by the old check-then-insert migrates.

Given a database at 0011 where one customer holds a once-per-customer code on
two orders (the race 0013 closes), when the later migrations run, then the
first use holds the customer's one use, the second stays as it was, the
database refuses a third, and a payment may now have no PaymentIntent.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from tortoise.exceptions import IntegrityError

from models import DiscountRedemption, Payment
from tests.migrations.old_rows import migrated_from

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)
_CODE = ("INSERT INTO discount_code (code, kind, value, used_count, once_per_customer, collection_ids, active, created_at)"
         " VALUES ('{code}', 'fixed_amount', 500, {used}, {once}, '[]', TRUE, $1)")
_ORDER = ("INSERT INTO \"order\" (id, number, status, email, currency, subtotal, total, created_at, updated_at)"
          " VALUES ('{id}', {number}, 'paid', 'a@example.com', 'USD', 2000, 1500, $1, $1)")
_USE = ("INSERT INTO discount_redemption (discount_id, order_id, customer_key, created_at)"
        " SELECT id, '{order}', '{who}', $1 FROM discount_code WHERE code = '{code}'")
OLD_ROWS = [
    _CODE.format(code="ONCE", used=3, once="TRUE"), _CODE.format(code="OFTEN", used=1, once="FALSE"),
    *[_ORDER.format(id=f"order{n}", number=990 + i) for i, n in enumerate("abcd")],
    _USE.format(order="ordera", who="email:a@example.com", code="ONCE"),
    _USE.format(order="orderb", who="email:a@example.com", code="ONCE"),  # the same customer again
    _USE.format(order="orderc", who="email:b@example.com", code="ONCE"),
    _USE.format(order="ordera", who="email:a@example.com", code="OFTEN"),
    ("INSERT INTO payment (order_id, provider, intent_id, status, amount, amount_refunded, currency, created_at,"
     " updated_at) VALUES ('ordera', 'stripe', 'pi_old', 'succeeded', 1500, 0, 'USD', $1, $1)"),
]


migrated = migrated_from("shop.0011_hostile_input", OLD_ROWS, NOW)


async def test_each_customers_first_use_holds_the_code_and_a_third_is_refused(migrated):
    uses = await DiscountRedemption.all().order_by("id").values_list("discount__code", "order_id", "once_key")
    assert uses == [("ONCE", "ordera", "email:a@example.com"), ("ONCE", "orderb", None),
                    ("ONCE", "orderc", "email:b@example.com"), ("OFTEN", "ordera", None)]
    once = (await DiscountRedemption.get(order_id="ordera", discount__code="ONCE")).discount_id
    with pytest.raises(IntegrityError):
        await DiscountRedemption.create(discount_id=once, order_id="orderd", customer_key="email:a@example.com",
                                        once_key="email:a@example.com")
    await DiscountRedemption.create(discount_id=once, order_id="orderd", customer_key="email:d@example.com",
                                    once_key="email:d@example.com")


async def test_payments_keep_their_payment_intent_and_may_have_none(migrated):
    assert (await Payment.get(order_id="ordera")).intent_id == "pi_old"
    for order_id in ("orderc", "orderd"):
        await Payment.create(order_id=order_id, provider="none", intent_id=None, amount=0, currency="USD")
    assert await Payment.filter(intent_id=None).count() == 2
