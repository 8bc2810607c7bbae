"""Assembles the schema from the domain modules, with its extensions."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.tools import merge_types

from graph.accounts import AccountMutation, AccountQuery
from graph.cart import Cart, CartMutation, CartQuery
from graph.catalog import CatalogQuery, Product
from graph.checkout import CheckoutMutation
from graph.orders import Order, OrderQuery
from graph.refunds import RefundMutation
from graph.staff import StaffMutation
from graph.subscriptions import OrderSubscription
from graph.context import Info
from graph.errors import ErrorCodes
from graph.node import Node, resolve_node

__all__ = ["schema"]


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Any object by its global id; null when it does not exist or is not yours.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await resolve_node(info, id)


Query = merge_types("Query", (NodeQuery, CatalogQuery, CartQuery, OrderQuery, AccountQuery))
Subscription = merge_types("Subscription", (OrderSubscription,))
Mutation = merge_types("Mutation", (CartMutation, CheckoutMutation, AccountMutation, StaffMutation, RefundMutation))


class ShopSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Client mistakes are answered, not logged; `ErrorCodes` logs the unexpected ones."""


schema = ShopSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[Product, Cart, Order],
    extensions=[ErrorCodes],
)
