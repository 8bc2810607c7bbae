"""Assembles the schema from the domain modules, with its extensions."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import AddValidationRules, DisableIntrospection, MaxTokensLimiter, ParserCache, ValidationCache
from strawberry.tools import merge_types

from graph.accounts import AccountMutation, AccountQuery
from graph.api_keys import ApiKeyMutation, ApiKeyQuery
from graph.cart import Cart, CartMutation, CartQuery
from graph.catalog import CatalogQuery
from graph.collections import Collection
from graph.countries import CountriesQuery
from graph.products import Product, ProductVariant
from graph.cart_buyer import CartBuyerMutation
from graph.checkout import CheckoutMutation
from graph.orders import Order, OrderQuery
from graph.outbound import OrderEventQuery
from graph.fulfillment import FulfillmentMutation
from graph.webhooks import WebhookMutation, WebhookQuery
from graph.refunds import RefundMutation
from graph.shop_rules import ShopRulesMutation, ShopRulesQuery
from graph.staff import StaffMutation
from graph.staff_catalog import StaffCatalogMutation
from graph.subscriptions import OrderSubscription
from graph.wallet import AddressMutation
from graph.wallet_cards import CardMutation, CardQuery
from graph.context import Info
from graph.errors import ErrorCodes
from graph.limits import Limits, shape_rule
from graph.node import Node, resolve_node
from graph.scalars import SCALAR_OVERRIDES

__all__ = ["schema", "make_schema"]


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Any object by its global id; null when it does not exist or is not yours.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await resolve_node(info, id)


Query = merge_types("Query", (NodeQuery, CatalogQuery, CartQuery, OrderQuery, OrderEventQuery, WebhookQuery,
                              AccountQuery, ShopRulesQuery, CountriesQuery, ApiKeyQuery, CardQuery))
Subscription = merge_types("Subscription", (OrderSubscription,))
Mutation = merge_types("Mutation", (CartMutation, CartBuyerMutation, CheckoutMutation, AccountMutation, StaffMutation,
                                  StaffCatalogMutation, RefundMutation, FulfillmentMutation, ShopRulesMutation,
                                  WebhookMutation, ApiKeyMutation, AddressMutation, CardMutation))


class ShopSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Client mistakes are answered, not logged; `ErrorCodes` logs the unexpected ones."""


def make_schema(limits: Limits = Limits(), *, introspection: bool = True) -> ShopSchema:
    """The schema with its extensions: error codes, limits and parse/validation caches."""
    rule = shape_rule(limits)  # one class for every request, so validation results cache
    extensions: list[Any] = [
        ErrorCodes,
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        lambda: AddValidationRules([rule]),
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=512),
    ]
    if not introspection:
        extensions.append(DisableIntrospection)
    return ShopSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Product, ProductVariant, Collection, Cart, Order],
        extensions=extensions,
        scalar_overrides=SCALAR_OVERRIDES,
    )


schema = make_schema()
