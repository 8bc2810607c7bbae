"""PostgreSQL holds every CHECK constraint the models declare (DESIGN §11).

Given a fresh database, or one that ran up to 0010 and holds a paid order,
when the migrations run, then `pg_constraint` lists exactly the models' CHECK
constraints and the database itself refuses a negative stock and a refund
above the capture, whatever code sends the UPDATE. A database whose rows
already break a constraint refuses the migration, naming table and constraint.

SQLite keeps the constraints its tables were created with (see the migration's
note): these tests run on PostgreSQL only.
"""

from __future__ import annotations

from datetime import datetime, timezone

import asyncpg
import pytest
from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.migrations.api.migrate import migrate as tortoise_migrate
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from shopgraph import db
from shopgraph.settings import tortoise_config
from tests.conftest import unreachable_postgres
from tests.databases import PostgresUnavailable, throwaway_database

pytestmark = pytest.mark.postgres_only

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)

ROWS_AT_0010 = [
    "INSERT INTO product (id, slug, title, description, price, currency, units_sold, created_at, updated_at)"
    " VALUES (1, 'mug', 'Mug', '', 1400, 'USD', 0, $1, $1)",
    "INSERT INTO product_variant (id, product_id, title, selected_options, price, stock, weight_grams,"
    " requires_shipping, position, created_at, updated_at)"
    " VALUES (1, 1, 'Default', '[]', 1400, 4, 0, false, 0, $1, $1)",
    "INSERT INTO \"order\" (id, number, status, email, currency, subtotal, total, created_at, updated_at)"
    " VALUES ('orderpaid', 1001, 'paid', 'a@example.com', 'USD', 2800, 2800, $1, $1)",
    "INSERT INTO order_line (order_id, product_id, variant_id, title, quantity, unit_price, total)"
    " VALUES ('orderpaid', 1, 1, 'Mug', 2, 1400, 2800)",
    "INSERT INTO payment (order_id, provider, intent_id, status, amount, amount_captured, amount_refunded, currency,"
    " created_at, updated_at) VALUES ('orderpaid', 'stripe', 'pi_old', 'succeeded', 2800, 2800, 0, 'USD', $1, $1)",
]


async def _execute(url: str, statements: list[str]) -> None:
    connection = await asyncpg.connect(url)
    try:
        for sql in statements:
            await connection.execute(sql, *([NOW] if "$1" in sql else []))
    finally:
        await connection.close()


async def _migrate_to(url: str, target: str) -> None:
    EXECUTOR_CACHE.clear()
    try:
        await tortoise_migrate(config=tortoise_config(url), target=target)
    finally:
        await Tortoise.close_connections()


@pytest.fixture(scope="module", params=["fresh", "from_0010_with_rows"])
async def migrated(request, tmp_path_factory):
    """A PostgreSQL database migrated to the end with a paid order in it: the
    rows written at 0010 before the migrations ran, or after them on a fresh one."""
    try:
        async with throwaway_database("postgres", tmp_path_factory.mktemp("db")) as url:
            if request.param == "from_0010_with_rows":
                await _migrate_to(url, "shop.0010_outbox")
                await _execute(url, ROWS_AT_0010)
            EXECUTOR_CACHE.clear()
            await db.migrate(url)
            if request.param == "fresh":
                await _execute(url, ROWS_AT_0010)
            yield url
    except PostgresUnavailable as error:
        unreachable_postgres(error)


def _declared_by_models() -> set[tuple[str, str]]:
    """(table, constraint name) for every CHECK constraint the models' Meta declares."""
    import models

    declared = set()
    for model in vars(models).values():
        if isinstance(model, type) and issubclass(model, Model) and model is not Model:
            for constraint in getattr(model._meta, "constraints", None) or ():
                if isinstance(constraint, CheckConstraint):
                    declared.add((model._meta.db_table, constraint.name))
    return declared


async def _in_database(url: str) -> set[tuple[str, str]]:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(
            "SELECT c.relname, k.conname FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
            " WHERE k.contype = 'c' AND c.relnamespace = 'public'::regnamespace")
    finally:
        await connection.close()
    return {(row["relname"], row["conname"]) for row in rows}


async def _refusal(url: str, sql: str) -> str:
    """The name of the constraint that made PostgreSQL refuse `sql`."""
    connection = await asyncpg.connect(url)
    try:
        with pytest.raises(asyncpg.CheckViolationError) as refusal:
            await connection.execute(sql)
    finally:
        await connection.close()
    return refusal.value.constraint_name


async def test_postgres_holds_exactly_the_models_check_constraints(migrated):
    declared = _declared_by_models()
    assert {("product_variant", "variant_stock_not_negative"),
            ("payment", "payment_refunded_within_captured")} <= declared
    assert await _in_database(migrated) == declared


async def test_the_database_refuses_a_negative_stock(migrated):
    sql = "UPDATE product_variant SET stock = stock - 5 WHERE id = 1"  # 4 in stock, no `AND stock >= 5`
    assert await _refusal(migrated, sql) == "variant_stock_not_negative"


async def test_the_database_refuses_a_refund_above_the_capture(migrated):
    sql = "UPDATE payment SET amount_refunded = amount_captured + 1 WHERE intent_id = 'pi_old'"
    assert await _refusal(migrated, sql) == "payment_refunded_within_captured"


async def test_rows_that_break_a_constraint_stop_the_migration_by_name(tmp_path):
    try:
        async with throwaway_database("postgres", tmp_path) as url:
            await _migrate_to(url, "shop.0011_hostile_input")
            await _execute(url, ROWS_AT_0010[:2] + ["UPDATE product_variant SET stock = -3 WHERE id = 1"])
            EXECUTOR_CACHE.clear()
            with pytest.raises(Exception, match='"product_variant".*"variant_stock_not_negative"'):
                await db.migrate(url)
            assert await _in_database(url) == set()  # the whole migration rolled back
    except PostgresUnavailable as error:
        unreachable_postgres(error)
