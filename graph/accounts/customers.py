"""Customer accounts: register, sign in and out, and `me`."""

from __future__ import annotations

from datetime import datetime

import strawberry

from commerce import accounts, throttle
from commerce.orders import queries as order_queries
from commerce.errors import DomainError, UserErrorCode
from graph.core.access import caller, client_address
from graph.checkout.cart import cart_key
from graph.core.context import Info
from graph.core.errors import UserError, mutation
from graph.orders.types import OrderConnection, connection, time_keyset
from graph.core.pagination import page_args
from graph.core.ids import to_global_id
from graph.accounts.wallet import WalletFields
from models import Customer as CustomerModel

__all__ = ["AccountQuery", "AccountMutation", "Customer"]


@strawberry.type(description="A shopper with an account.")
class Customer(WalletFields):
    id: strawberry.ID
    email: str
    created_at: datetime

    @classmethod
    def from_model(cls, model: CustomerModel) -> "Customer":
        return cls(id=strawberry.ID(to_global_id("Customer", model.id)), email=model.email, created_at=model.created_at)

    @strawberry.field(description="Your orders, newest first.")
    async def orders(self, info: Info, first: int = 20, after: str | None = None) -> OrderConnection:
        page = await order_queries.customer_orders(
            await caller(info), page_args(first, None).first or 0, time_keyset(after)
        )
        return connection(page, lambda m: [m.created_at.isoformat(), m.id], has_previous_page=after is not None)


@strawberry.type
class CustomerRegisterPayload:
    customer: Customer | None
    user_errors: list[UserError]


@strawberry.type
class CustomerLoginPayload:
    session_token: str | None = strawberry.field(description="Send it as `Authorization: Bearer <token>`.")
    expires_at: datetime | None
    customer: Customer | None
    user_errors: list[UserError]


@strawberry.type
class CustomerLogoutPayload:
    user_errors: list[UserError]


@strawberry.type
class AccountQuery:
    @strawberry.field(description="The signed-in customer; null for guests and API keys.")
    async def me(self, info: Info) -> Customer | None:
        who = await caller(info)
        if who.customer_id is None:
            return None
        model = await CustomerModel.get_or_none(id=who.customer_id)
        return None if model is None else Customer.from_model(model)


@strawberry.type
class AccountMutation:
    @mutation(description="Creates an account (a password of 8 characters or more).")
    async def customer_register(self, info: Info, email: str, password: str) -> CustomerRegisterPayload:
        await throttle.REGISTRATIONS.check(client_address(info))
        await throttle.REGISTRATIONS.record(client_address(info))
        model = await accounts.register(email, password)
        return CustomerRegisterPayload(customer=Customer.from_model(model), user_errors=[])

    @mutation(description="Signs in; with `cartId`, that guest cart becomes yours.")
    async def customer_login(
        self, info: Info, email: str, password: str, cart_id: strawberry.ID | None = None
    ) -> CustomerLoginPayload:
        """Failed attempts count per client address and account (`throttle.login_key`): over the
        limit, that address gets RATE_LIMITED for that account only, even with the right password.
        They also count per client address (`throttle.LOGIN_FAILURES`, a higher limit), so spraying
        many accounts from one address is bounded as well."""
        address = client_address(info)
        attempt = throttle.login_key(address, email)
        await throttle.LOGIN_FAILURES.check(address)
        await throttle.LOGINS.check(attempt)
        try:
            key = None if cart_id is None else cart_key(cart_id)
            session = await accounts.login(email, password, key)
        except DomainError as error:  # a wrong password counts before `mutation` answers it
            if error.code is UserErrorCode.UNIDENTIFIED_CUSTOMER:
                await throttle.LOGINS.record(attempt)
                await throttle.LOGIN_FAILURES.record(address)
            raise
        return CustomerLoginPayload(
            session_token=session.token,
            expires_at=session.expires_at,
            customer=Customer.from_model(session.customer),
            user_errors=[],
        )

    @mutation(description="Ends the session whose token this request carries.")
    async def customer_logout(self, info: Info) -> CustomerLogoutPayload:
        who = await caller(info)
        if who.customer_id is not None:
            token = info.context.request.headers["authorization"].partition(" ")[2].strip()
            await accounts.logout(token)
        return CustomerLogoutPayload(user_errors=[])
