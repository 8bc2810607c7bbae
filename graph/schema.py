"""Assembles the schema from the domain modules, with its extensions."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension, AddValidationRules, DisableIntrospection, MaxTokensLimiter, ParserCache, ValidationCache
from strawberry.tools import merge_types

from graph.accounts.customers import AccountMutation, AccountQuery
from graph.accounts.api_keys import ApiKeyMutation, ApiKeyQuery
from graph.checkout.cart import Cart, CartMutation, CartQuery
from graph.catalog.queries import CatalogQuery
from graph.catalog.collections import Collection
from graph.checkout.countries import CountriesQuery
from graph.catalog.types import Product, ProductVariant
from graph.checkout.cart_buyer import CartBuyerMutation
from graph.checkout.mutations import CheckoutMutation
from graph.orders.queries import OrderQuery
from graph.orders.types import Order
from graph.outbound.feed import OrderEventQuery
from graph.orders.fulfillment import FulfillmentMutation
from graph.outbound.webhooks import WebhookMutation, WebhookQuery
from graph.orders.refunds import RefundMutation
from graph.checkout.shop_rules import ShopRulesMutation, ShopRulesQuery
from graph.catalog.staff_products import StaffMutation
from graph.catalog.staff_variants import StaffCatalogMutation
from graph.catalog.translations import TranslationMutation
from graph.markets.markets import MarketMutation, MarketQuery
from graph.outbound.subscriptions import OrderSubscription
from graph.accounts.wallet import AddressMutation
from graph.accounts.wallet_cards import CardMutation, CardQuery
from graph.core.context import Info
from graph.core.errors import ErrorCodes
from graph.core.in_context import InContext, in_context
from graph.core.limits import Limits, shape_rule
from graph.core.node import Node, resolve_node
from graph.core.plans import plan_executor
from graph.core.scalars import SCALAR_OVERRIDES

__all__ = ["schema", "make_schema"]


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Any object by its global id; null when it does not exist or is not yours.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await resolve_node(info, id)


Query = merge_types("Query", (NodeQuery, CatalogQuery, CartQuery, OrderQuery, OrderEventQuery, WebhookQuery,
                              AccountQuery, ShopRulesQuery, CountriesQuery, ApiKeyQuery, CardQuery, MarketQuery))
Subscription = merge_types("Subscription", (OrderSubscription,))
Mutation = merge_types("Mutation", (CartMutation, CartBuyerMutation, CheckoutMutation, AccountMutation, StaffMutation,
                                  StaffCatalogMutation, RefundMutation, FulfillmentMutation, ShopRulesMutation,
                                  WebhookMutation, ApiKeyMutation, AddressMutation, CardMutation, TranslationMutation,
                                  MarketMutation))


class ShopSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Client mistakes are answered, not logged; `ErrorCodes` logs the unexpected ones."""

    def get_extensions(self, sync: bool = False) -> list[Any]:
        """Our extensions only: the schema's one directive, `@inContext`, is read by `InContext` before
        execution, so Strawberry's per-field directive wrapper (an await around every field) is left out."""
        return [ext if isinstance(ext, SchemaExtension) else ext() for ext in self.extensions]


def make_schema(limits: Limits = Limits(), *, introspection: bool = True, compiled_reads: bool = True) -> ShopSchema:
    """The schema with its extensions: error codes, limits and parse/validation caches.

    With `compiled_reads` queries run on their compiled plans (graph/core/plans); without, every
    operation runs on graphql-core's executor.
    """
    rule = shape_rule(limits)  # one class for every request, so validation results cache
    extensions: list[Any] = [
        ErrorCodes,
        InContext,
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        lambda: AddValidationRules([rule]),
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=512),
    ]
    if not introspection:
        extensions.append(DisableIntrospection)
    schema = ShopSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Product, ProductVariant, Collection, Cart, Order],
        directives=[in_context],
        extensions=extensions,
        scalar_overrides=SCALAR_OVERRIDES,
    )
    if compiled_reads:
        schema.execution_context_class = plan_executor(schema)
    return schema


schema = make_schema()
