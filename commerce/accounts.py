"""Customer accounts: register, sign in and out, and the session tokens."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from commerce.access import SESSION_PREFIX, hash_secret, new_secret
from commerce.errors import DomainError, UserErrorCode as Code
from commerce.text import check_text
from commerce.passwords import hash_password, verify_password
from models import Cart, CartStatus, Customer, CustomerSession

__all__ = ["SESSION_LIFETIME", "Session", "register", "login", "logout", "normalise_email"]

SESSION_LIFETIME = timedelta(days=30)
MIN_PASSWORD = 8
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Checked against when the email is unknown, so a wrong email costs as long as a wrong password.
_DECOY_HASH = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="


@dataclass(frozen=True)
class Session:
    token: str  # shown once; only its hash is stored
    expires_at: datetime
    customer: Customer


def normalise_email(email: str) -> str:
    email = check_text(email, "email", max_length=254).strip().lower()
    if not _EMAIL.match(email):
        raise DomainError(Code.INVALID, "Enter a valid email address.", ["email"])
    return email


async def register(email: str, password: str) -> Customer:
    email = normalise_email(email)
    if not MIN_PASSWORD <= len(password) <= 256:
        raise DomainError(Code.INVALID, f"Use a password of at least {MIN_PASSWORD} characters.", ["password"])
    password_hash = await hash_password(password)
    try:
        return await Customer.create(email=email, password_hash=password_hash)
    except IntegrityError:
        raise DomainError(Code.TAKEN, "An account with this email already exists.", ["email"]) from None


async def login(email: str, password: str, cart_id: str | None = None, now: datetime | None = None) -> Session:
    """A new session token; with `cart_id`, that guest cart becomes the customer's."""
    now = now or datetime.now(timezone.utc)
    try:
        email = normalise_email(email)
    except DomainError:
        email = ""
    customer = await Customer.get_or_none(email=email) if email else None
    valid = await verify_password(password, customer.password_hash if customer else _DECOY_HASH)
    if customer is None or not valid:
        raise DomainError(Code.UNIDENTIFIED_CUSTOMER, "Unknown email or wrong password.", None)
    token = new_secret(SESSION_PREFIX)
    async with in_transaction():
        session = await CustomerSession.create(
            customer_id=customer.id, token_hash=hash_secret(token), expires_at=now + SESSION_LIFETIME
        )
        if cart_id is not None:
            await Cart.filter(id=cart_id, customer_id=None, status=CartStatus.OPEN).update(customer_id=customer.id)
    return Session(token=token, expires_at=session.expires_at, customer=customer)


async def logout(token: str, now: datetime | None = None) -> bool:
    """Revokes the session this token names; False when there was none to revoke."""
    revoked = await CustomerSession.filter(token_hash=hash_secret(token), revoked_at=None).update(
        revoked_at=now or datetime.now(timezone.utc)
    )
    return bool(revoked)
