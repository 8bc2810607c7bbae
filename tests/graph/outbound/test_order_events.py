"""The change feed `orderEvents`: every order change once, in commit order (the outbox)."""

from __future__ import annotations

import asyncio

import pytest
from tortoise.transactions import in_transaction

from commerce.outbound.outbox import record_order_event
from models import Order, OrderEventType, OrderStatus
from tests.graph.accounts.test_accounts import api_key, as_, error_code
from tests.shop import cart_with, checkout, key_of, make_product
from tests.stripe_events import paid_order

FEED = """query($after: String, $first: Int!) { orderEvents(first: $first, after: $after) {
  edges { cursor node { id cursor type status createdAt order { id status } } }
  pageInfo { hasNextPage endCursor } } }"""
REFUND = """mutation($o: ID!, $a: Decimal) { refundOrder(orderId: $o, amount: $a) {
  order { status } userErrors { code } } }"""
FULFIL = "mutation($o: ID!) { orderMarkFulfilled(orderId: $o) { order { status } userErrors { code } } }"


async def poll(reader, after: str | None, first: int = 100) -> tuple[list[dict], str | None]:
    """Every event after `after`, page by page, and the cursor to poll from next."""
    seen: list[dict] = []
    while True:
        page = (await reader.data(FEED, {"after": after, "first": first}))["orderEvents"]
        seen += [edge["node"] for edge in page["edges"]]
        after = page["pageInfo"]["endCursor"] or after
        if not page["pageInfo"]["hasNextPage"]:
            return seen, after


async def test_a_poller_sees_each_change_of_an_order_once_and_in_order(gql):
    staff = as_(gql, await api_key("orders:read", "orders:write"))
    _, start = await poll(staff, None)
    order, _ = await paid_order(gql, price=4000)
    declined = await checkout(gql, await cart_with(gql, (await make_product(900, 3), 1)), "pm_card_chargeCustomerFail")

    # One event at a time, so every page boundary is crossed.
    events, end = await poll(staff, start, first=1)
    mine = [(e["order"]["id"], e["type"], e["status"]) for e in events]
    assert mine == [
        (order["id"], "ORDER_CREATED", "PENDING_PAYMENT"),
        (order["id"], "ORDER_PAID", "PAID"),
        (declined["order"]["id"], "ORDER_CREATED", "PENDING_PAYMENT"),
        (declined["order"]["id"], "ORDER_PAYMENT_FAILED", "PAYMENT_FAILED"),
    ]
    assert [e["cursor"] for e in events][-1] == end
    assert len({e["id"] for e in events}) == 4

    # Polling again from the same cursor sees nothing new; a new change shows up once.
    assert (await poll(staff, end))[0] == []
    assert (await staff.data(FULFIL, {"o": order["id"]}))["orderMarkFulfilled"]["userErrors"] == []
    assert (await staff.data(REFUND, {"o": order["id"], "a": "10.00"}))["refundOrder"]["userErrors"] == []
    fulfilled, refunded = (await poll(staff, end))[0]
    # `status` is the order right after that change; `order` is the order now.
    assert (fulfilled["type"], fulfilled["status"], fulfilled["order"]["status"]) == (
        "ORDER_FULFILLED", "FULFILLED", "PARTIALLY_REFUNDED")
    assert (refunded["type"], refunded["status"]) == ("ORDER_REFUNDED", "PARTIALLY_REFUNDED")
    # Cursors are stable: an older one still answers the same events.
    again, _ = await poll(staff, start)
    assert [e["id"] for e in again] == [e["id"] for e in events] + [fulfilled["id"], refunded["id"]]


async def test_the_feed_needs_orders_read_and_refuses_bad_cursors(gql):
    assert error_code(await gql(FEED, {"first": 1})) == "UNAUTHENTICATED"
    assert error_code(await as_(gql, await api_key("catalog:write"))(FEED, {"first": 1})) == "FORBIDDEN"
    reader = as_(gql, await api_key("orders:read"))
    for cursor in ("nonsense", "WyJQUklDRSIsMTI0OSwxNF0", "WyJlIiwtMV0"):
        assert error_code(await reader(FEED, {"first": 1, "after": cursor})) == "BAD_USER_INPUT"
    assert error_code(await reader(FEED, {"first": 101})) == "BAD_USER_INPUT"


async def test_each_change_costs_one_more_statement(gql, sql_statements):
    await paid_order(gql)
    outbox = [s for s in sql_statements if "order_event" in s]
    assert len(outbox) == 2, outbox  # ORDER_CREATED, ORDER_PAID
    assert all(s.lstrip().upper().startswith(("INSERT", "WITH")) for s in outbox)


@pytest.mark.postgres_only
async def test_an_earlier_transaction_that_commits_later_is_not_skipped(gql, database):
    """Two connections: T1 starts first and changes its order, T2 starts later, changes
    its own and commits; a poller reads the feed; only then T1 commits. The poller
    must still meet T1's change next (a serial id would have numbered it first)."""
    if not database.startswith("postgres"):
        pytest.skip("PostgreSQL runs transactions side by side; SQLite has one writer")
    reader = as_(gql, await api_key("orders:read"))
    first_order, _ = await paid_order(gql)
    second_order, _ = await paid_order(gql)
    _, start = await poll(reader, None)
    t1_changed, t1_may_commit = asyncio.Event(), asyncio.Event()

    async def t1() -> None:
        async with in_transaction():
            order = await Order.filter(id=key_of(first_order["id"])).select_for_update().first()
            order.status = OrderStatus.FULFILLED
            await order.save(update_fields=["status", "updated_at"])
            t1_changed.set()
            await t1_may_commit.wait()
            await record_order_event(order, OrderEventType.ORDER_FULFILLED)

    async def t2() -> None:
        await t1_changed.wait()
        async with in_transaction():
            order = await Order.filter(id=key_of(second_order["id"])).select_for_update().first()
            order.status = OrderStatus.FULFILLED
            await order.save(update_fields=["status", "updated_at"])
            await record_order_event(order, OrderEventType.ORDER_FULFILLED)

    first = asyncio.create_task(t1())
    await t2()
    seen, cursor = await poll(reader, start)
    assert [e["order"]["id"] for e in seen] == [second_order["id"]]
    t1_may_commit.set()
    await first
    later, _ = await poll(reader, cursor)
    assert [e["order"]["id"] for e in later] == [first_order["id"]]


@pytest.mark.postgres_only
async def test_numbering_waits_for_the_transaction_that_numbered_first(gql, database):
    """T1 takes its number and dawdles before committing; T2's numbering waits for
    T1's commit, so the numbers are in commit order and no reader sees a gap fill in."""
    if not database.startswith("postgres"):
        pytest.skip("PostgreSQL runs transactions side by side; SQLite has one writer")
    reader = as_(gql, await api_key("orders:read"))
    orders = [(await paid_order(gql))[0] for _ in range(2)]
    _, start = await poll(reader, None)
    numbered, release = asyncio.Event(), asyncio.Event()
    commits: list[str] = []

    async def change(order_id: str, hold: bool) -> None:
        async with in_transaction():
            order = await Order.get(id=key_of(order_id))
            await record_order_event(order, OrderEventType.ORDER_FULFILLED)
            if hold:
                numbered.set()
                await release.wait()
        commits.append(order_id)

    t1 = asyncio.create_task(change(orders[0]["id"], hold=True))
    await numbered.wait()
    t2 = asyncio.create_task(change(orders[1]["id"], hold=False))
    await asyncio.sleep(0.3)
    assert not t2.done()  # waiting on the counter row T1 holds
    assert (await poll(reader, start))[0] == []
    release.set()
    await asyncio.gather(t1, t2)
    seen, _ = await poll(reader, start)
    assert [e["order"]["id"] for e in seen] == commits == [orders[0]["id"], orders[1]["id"]]
