"""Unguessable ids: 128 random bits, hex-encoded."""

import secrets

__all__ = ["new_secret_id"]


def new_secret_id() -> str:
    return secrets.token_hex(16)
